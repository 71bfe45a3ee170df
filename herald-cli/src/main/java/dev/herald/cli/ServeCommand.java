package dev.herald.cli;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herald serve}: runs the server until SIGTERM / Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    description = {"Run the Herald server (REST API + notification socket) until Ctrl-C.",
        "The first start on a new data directory prints a generated API key for the 'herald'"
            + " api_client and a password for the 'admin' admin_user, once. --api-key and"
            + " --admin-password set them instead, and replace stored ones on any start."},
    footer = {"", "Examples:",
        "  herald serve --port 9000 --data /var/lib/herald",
        "  herald serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem",
        "  herald serve --db jdbc:postgresql://db.example:5432/herald --db-user herald",
        "  herald serve --config herald.properties    # lines such as: port=8082, db-user=herald",
        "Durations are ISO-8601: PT30M is 30 minutes, P7D 7 days."})
final class ServeCommand implements Callable<Integer> {
  /** Options whose environment variable is not HERALD_ + the option's name. */
  private static final java.util.Map<String, String> ENV = java.util.Map.of(
      "db", "HERALD_DB_URL", "db-user", "HERALD_DB_USER", "db-password", "HERALD_DB_PASSWORD",
      "api-key", "HERALD_API_KEY", "admin-password", "HERALD_ADMIN_PASSWORD",
      "tls-keystore-password", "HERALD_TLS_PASSWORD", "port", "HERALD_PORT", "host", "HERALD_HOST",
      "data", "HERALD_DATA", "metrics-token", "HERALD_METRICS_TOKEN");

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "A properties file of these options, keyed by their"
      + " names without the dashes (see the example below). Flags and environment variables win"
      + " over it (env HERALD_CONFIG).")
  Path config = env("HERALD_CONFIG") == null ? null : Path.of(env("HERALD_CONFIG"));

  private boolean merged;

  /** An environment variable; empty counts as unset. */
  private static String env(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : v;
  }

  @Option(names = "--port", defaultValue = "${env:HERALD_PORT:-8082}", paramLabel = "PORT", description = "TCP port (env HERALD_PORT; default 8082; 0 = any free port).")
  int port;

  @Option(names = "--host", defaultValue = "${env:HERALD_HOST:-127.0.0.1}", paramLabel = "ADDRESS",
      description = "Address to listen on (env HERALD_HOST). Default 127.0.0.1: this machine only. Give 0.0.0.0 (or an interface's address) to accept other machines.")
  String host;

  @Option(names = "--data", defaultValue = "${env:HERALD_DATA:-herald-data}", paramLabel = "DIR",
      description = "Data directory of the embedded database, created if missing (env HERALD_DATA). Default: herald-data in the current directory. 'mem': a database in memory only, gone when the server stops (for tests and CI).")
  Path data;

  @Option(names = "--admin-api", description = "Serve Herald's admin API under /herald/admin/ to superusers: reset, snapshots, fault injection, the journal (for tests; env HERALD_ADMIN_API=true).")
  boolean adminApi = "true".equalsIgnoreCase(env("HERALD_ADMIN_API"));

  @Option(names = "--journal", defaultValue = "0", paramLabel = "N",
      description = "Keep the last N REST exchanges and socket commands, secrets masked, for GET /herald/admin/journal (default 0: off).")
  int journalSize;

  @Option(names = "--no-console", negatable = false,
      description = "Do not serve the console (a web page at /console/ to watch changes and browse elements).")
  boolean noConsole;

  @Option(names = "--session-tokens",
      description = "SMC's \"Use SSL for session ID\" mode: login also answers an Authorization header that authenticates REST calls and, offered as Sec-WebSocket-Protocol: access_token, TOKEN, the sockets (smc-python uses it when it gets one).")
  boolean sessionTokens;

  @Option(names = "--no-connection-auth", negatable = false,
      description = "Do not authenticate a socket upgrade by the keep-alive connection that logged in (SMC does; turn it off behind a proxy that reuses its connections to Herald for different clients).")
  boolean noConnectionAuth;

  @Option(names = "--from-snapshot", paramLabel = "FILE",
      description = "Start from a snapshot file (made by herald snapshot save): it replaces the data's state before the first request.")
  Path fromSnapshot;

  @Option(names = "--log-level", defaultValue = "warn", paramLabel = "LEVEL",
      description = "Log level: error, warn (default), info, debug or trace. Logs go to stderr.")
  String logLevel;

  @Option(names = "--db", paramLabel = "JDBC-URL", description = "A shared PostgreSQL database instead of the embedded one, for several nodes (env HERALD_DB_URL; example below).")
  String db = env("HERALD_DB_URL");

  @Option(names = "--db-user", paramLabel = "USER", description = "Database user (env HERALD_DB_USER).")
  String dbUser = env("HERALD_DB_USER");

  @Option(names = "--db-password", paramLabel = "PASSWORD", description = "Database password (env HERALD_DB_PASSWORD).")
  String dbPassword = env("HERALD_DB_PASSWORD");

  @Option(names = "--db-pool", defaultValue = "20", paramLabel = "N", description = "Pooled connections to the --db database per node (default ${DEFAULT-VALUE}).")
  int dbPool;

  @Option(names = "--api-key", paramLabel = "KEY", description = "API key of the 'herald' api_client (env HERALD_API_KEY). Without it, a key is generated and printed once, on the first start of a data directory; given, it replaces the stored one.")
  String apiKey = env("HERALD_API_KEY");

  @Option(names = "--admin-password", paramLabel = "PASSWORD", description = "Password of the 'admin' admin_user for lms_login (env HERALD_ADMIN_PASSWORD). Generated and printed once when new; given, it replaces the stored one.")
  String adminPassword = env("HERALD_ADMIN_PASSWORD");

  @Option(names = "--api-version", split = ",", defaultValue = "7.2", paramLabel = "VERSION", description = "API versions advertised by GET /api, MAJOR.MINOR (default ${DEFAULT-VALUE}). Requests under 6.5 ... 7.4 and 7.2.1 are always served.")
  List<String> versions;

  @Option(names = "--session-idle", defaultValue = "PT30M", paramLabel = "DURATION", description = "Idle timeout of a session, ISO-8601 (default ${DEFAULT-VALUE}).")
  Duration sessionIdle;

  @Option(names = "--session-max", defaultValue = "PT12H", paramLabel = "DURATION", description = "Absolute lifetime of a session (default ${DEFAULT-VALUE}).")
  Duration sessionMax;

  @Option(names = "--retention-age", defaultValue = "P7D", paramLabel = "DURATION", description = "Keep changes at most this long (default ${DEFAULT-VALUE}).")
  Duration retentionAge;

  @Option(names = "--retention-count", defaultValue = "1000000", paramLabel = "N", description = "Keep at most this many newest changes (default ${DEFAULT-VALUE}).")
  long retentionCount;

  @Option(names = "--allowed-origin", split = ",", paramLabel = "ORIGIN", description = "Origins (besides the server's own) allowed to open the notification socket from a browser.")
  Set<String> origins = Set.of();

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "PEM certificate chain: serve https/wss.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "PEM private key for --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-keystore", paramLabel = "FILE", description = "PKCS12 (or .jks) keystore instead of PEM files.")
  Path tlsKeystore;

  @Option(names = "--tls-keystore-password", paramLabel = "PASSWORD", description = "Keystore password (env HERALD_TLS_PASSWORD).")
  String tlsPassword = env("HERALD_TLS_PASSWORD");

  @Option(names = "--metrics-token", paramLabel = "TOKEN",
      description = "Serve /metrics on the main port to requests with Authorization: Bearer TOKEN (env HERALD_METRICS_TOKEN; 16+ characters). Without it or --metrics-port, /metrics is off.")
  String metricsToken = env("HERALD_METRICS_TOKEN");

  @Option(names = "--metrics-port", defaultValue = "-1", paramLabel = "PORT",
      description = "Serve /metrics (and /health, /ready) on a port of their own, without a token; 0 = any free port.")
  int metricsPort;

  @Option(names = "--metrics-host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
      description = "Address of the metrics port (default ${DEFAULT-VALUE}).")
  String metricsHost;

  @Option(names = "--max-connections-per-address", defaultValue = "4096", paramLabel = "N",
      description = "Open connections from one IP address (default ${DEFAULT-VALUE}; 0 = no limit, e.g. behind a load balancer).")
  int maxPerAddress;

  @Option(names = "--max-connections", defaultValue = "0", paramLabel = "N",
      description = "Open connections in all (default 0: the process's descriptor limit less 512 kept for the database and files).")
  int maxConnections;

  @Option(names = "--header-timeout", defaultValue = "PT10S", paramLabel = "DURATION",
      description = "A request's line and headers must arrive within this time (default ${DEFAULT-VALUE}).")
  Duration headerTimeout;

  @Option(names = "--min-request-rate", defaultValue = "1024", paramLabel = "BYTES",
      description = "A request body slower than this many bytes per second is cut off (default ${DEFAULT-VALUE}).")
  long minRequestRate;

  @Option(names = "--max-subscriptions-per-session", defaultValue = "1024", paramLabel = "N",
      description = "Subscriptions of one session on all its sockets together (default ${DEFAULT-VALUE}).")
  int maxSubscriptionsPerSession;

  @Option(names = "--concurrent-replays", defaultValue = "4", paramLabel = "N",
      description = "Resumes (since) replaying at once; the others wait, acknowledged (default ${DEFAULT-VALUE}).")
  int concurrentReplays;

  @Override
  public Integer call() throws Exception {
    if (config == null || merged) {
      return serve();
    }
    // parse again with the file's settings first: flags given on the command line come later
    // and win; a setting whose environment variable is set is left to the variable
    ServeCommand withFile = new ServeCommand();
    withFile.merged = true;
    picocli.CommandLine cl = new picocli.CommandLine(withFile);
    cl.setOverwrittenOptionsAllowed(true);
    List<String> args = new java.util.ArrayList<>(configArgs());
    List<String> given = spec.commandLine().getParseResult().expandedArgs(); // @files expanded
    args.addAll(given.subList(given.indexOf(spec.name()) + 1, given.size()));
    try {
      cl.parseArgs(args.toArray(String[]::new));
    } catch (picocli.CommandLine.ParameterException e) {
      throw new CliException(2, config + ": " + e.getMessage());
    }
    return withFile.serve();
  }

  private List<String> configArgs() {
    java.util.Properties p = new java.util.Properties();
    try (java.io.Reader r = java.nio.file.Files.newBufferedReader(config)) {
      p.load(r);
    } catch (java.io.IOException e) {
      throw new CliException(2, "cannot read the config file " + config + ": " + e.getMessage());
    }
    List<String> out = new java.util.ArrayList<>();
    for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
      if (key.equals("config") || spec.findOption("--" + key) == null) {
        throw new CliException(2, config + ": unknown setting '" + key + "' (the names are those of"
            + " herald serve's options without the dashes, e.g. db, db-user, port)");
      }
      if (spec.commandLine().getParseResult().hasMatchedOption("--" + key)) {
        continue; // given as a flag: the flag wins (lists are not merged with the file's)
      }
      String env = ENV.getOrDefault(key, null);
      if (env != null && System.getenv(env) != null) {
        continue;
      }
      out.add("--" + key + "=" + p.getProperty(key).strip());
    }
    return out;
  }

  private int serve() throws Exception {
    if (!Logging.setLevel(logLevel)) {
      System.err.println("herald serve: --log-level must be error, warn, info, debug or trace; got " + logLevel);
      return 2;
    }
    ServerConfig.Builder b = ServerConfig.builder()
        .host(host).port(port).dataDir(data).jdbcUrl(db).dbUser(dbUser).dbPassword(dbPassword).dbPoolSize(dbPool)
        .apiKey(apiKey).adminPassword(adminPassword).advertisedVersions(versions)
        .sessionIdle(sessionIdle).sessionAbsolute(sessionMax).retentionAge(retentionAge)
        .retentionCount(retentionCount).allowedOrigins(origins)
        .metricsToken(metricsToken).metricsPort(metricsPort).metricsHost(metricsHost)
        .limits(new ServerConfig.Limits(maxPerAddress, maxConnections, headerTimeout, minRequestRate))
        .adminApi(adminApi).journalSize(journalSize).sessionTokens(sessionTokens).console(!noConsole)
        .connectionAuth(!noConnectionAuth);
    boolean inMemory = data.toString().equals("mem");
    if (inMemory) {
      b.inMemory("serve-" + ProcessHandle.current().pid());
    }
    ServerConfig.Socket d = ServerConfig.Socket.defaults();
    b.socket(new ServerConfig.Socket(d.maxFrameBytes(), d.maxChannelsPerConnection(),
        d.maxConnectionsPerSession(), d.outboxMessages(), d.outboxBytes(), maxSubscriptionsPerSession,
        concurrentReplays));
    if (tlsCert != null || tlsKey != null || tlsKeystore != null) {
      b.tls(new ServerConfig.Tls(java.util.Optional.ofNullable(tlsCert),
          java.util.Optional.ofNullable(tlsKey), java.util.Optional.ofNullable(tlsKeystore),
          java.util.Optional.ofNullable(tlsPassword)));
    }
    ServerConfig config;
    try {
      config = b.build();
      dev.herald.server.HeapTrim.startOnce(); // before the start: a mistyped property makes nothing
    } catch (IllegalArgumentException e) {
      System.err.println("herald serve: " + e.getMessage());
      return 2;
    }
    HeraldServer server;
    try {
      server = HeraldServer.start(config);
    } catch (dev.herald.server.HeraldException e) {
      if (e.status() >= 500) {
        throw e;
      }
      System.err.println("herald serve: " + e.getMessage() + " " + String.join(" ", e.details()));
      return 1;
    }
    if (fromSnapshot != null) {
      try {
        var loaded = server.loadSnapshot(fromSnapshot);
        System.out.println("Loaded the snapshot " + fromSnapshot + ": " + loaded.elements() + " elements");
      } catch (java.io.IOException | dev.herald.server.HeraldException e) {
        server.close();
        String why = e instanceof dev.herald.server.HeraldException h
            ? h.getMessage() + " " + String.join(" ", h.details()) : "cannot read " + fromSnapshot + ": " + e.getMessage();
        System.err.println("herald serve: " + why);
        return 1;
      }
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("herald serve: error while stopping: " + e);
      } finally {
        stopped.countDown();
      }
    }, "herald-shutdown"));
    String scheme = config.tls().isPresent() ? "https" : "http";
    String shown = config.host().equals("0.0.0.0") || config.host().equals("::") ? "localhost" : config.host();
    String where = config.host().equals("127.0.0.1") || config.host().equals("::1") || config.host().equals("localhost")
        ? "this machine only; --host 0.0.0.0 accepts others" : "on " + config.host();
    System.out.println("Herald is serving " + scheme + "://" + shown + ":" + server.port() + "/ (" + where
        + "; data: " + (config.jdbcUrl().isPresent() ? config.jdbcUrl().get()
            : inMemory ? "in memory, gone when it stops" : config.dataDir().toAbsolutePath()) + ")");
    if (!noConsole) {
      System.out.println("Console: " + scheme + "://" + shown + ":" + server.port() + "/console/");
    }
    if (adminApi) {
      System.out.println("Admin API: " + scheme + "://" + shown + ":" + server.port() + "/herald/admin/ (superusers; herald reset, herald snapshot, herald fault)");
    }
    server.metricsPort().ifPresent(mp -> System.out.println("Metrics: http://" + config.metricsHost() + ":" + mp + "/metrics"));
    for (String s : fromSnapshot != null ? List.<String>of() : server.generatedSecrets()) {
      System.out.println("Generated " + s + "  (shown once; stored hashed)");
    }
    String key;
    if (fromSnapshot != null && config.apiKey().isEmpty()) {
      key = "an API key of the snapshot's";
    } else if (server.generatedSecrets().stream().anyMatch(s -> s.startsWith("API key"))) {
      key = "the API key above";
    } else if (config.apiKey().isPresent()) {
      key = "the key given with --api-key / HERALD_API_KEY";
    } else {
      key = "the API key printed on this data directory's first start (lost it? restart with --api-key NEW-KEY to replace it)";
    }
    System.out.println("Log in with " + key + ", e.g. smc-python: session.login(url='" + scheme + "://"
        + shown + ":" + server.port() + "', api_key=KEY, api_version='" + versions.get(0) + "')");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
