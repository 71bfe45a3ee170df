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
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the Herald server (REST API + notification socket).")
final class ServeCommand implements Callable<Integer> {
  /** Options whose environment variable is not HERALD_ + the option's name. */
  private static final java.util.Map<String, String> ENV = java.util.Map.of(
      "db", "HERALD_DB_URL", "db-user", "HERALD_DB_USER", "db-password", "HERALD_DB_PASSWORD",
      "api-key", "HERALD_API_KEY", "admin-password", "HERALD_ADMIN_PASSWORD",
      "tls-keystore-password", "HERALD_TLS_PASSWORD");

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", description = "A properties file of these options, keyed by their"
      + " names without dashes (db=jdbc:postgresql://db:5432/herald, db-user=herald, port=8082)."
      + " Flags and environment variables win over it (env HERALD_CONFIG).")
  Path config = System.getenv("HERALD_CONFIG") == null ? null : Path.of(System.getenv("HERALD_CONFIG"));

  private boolean merged;

  @Option(names = "--port", defaultValue = "8082", description = "TCP port (default ${DEFAULT-VALUE}; 0 = any free port).")
  int port;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--data", defaultValue = "herald-data", description = "Data directory of the embedded database (default ./${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--db", description = "JDBC URL of a shared database instead of the embedded one, e.g. jdbc:postgresql://HOST:5432/herald (env HERALD_DB_URL).")
  String db = System.getenv("HERALD_DB_URL");

  @Option(names = "--db-user", description = "Database user (env HERALD_DB_USER).")
  String dbUser = System.getenv("HERALD_DB_USER");

  @Option(names = "--db-password", description = "Database password (env HERALD_DB_PASSWORD).")
  String dbPassword = System.getenv("HERALD_DB_PASSWORD");

  @Option(names = "--db-pool", defaultValue = "20", description = "Pooled connections to the --db database per node (default ${DEFAULT-VALUE}).")
  int dbPool;

  @Option(names = "--api-key", description = "API key of the 'herald' api_client (env HERALD_API_KEY). Generated and printed once when the data directory is new.")
  String apiKey = System.getenv("HERALD_API_KEY");

  @Option(names = "--admin-password", description = "Password of the 'admin' admin_user for lms_login (env HERALD_ADMIN_PASSWORD). Generated and printed once when new.")
  String adminPassword = System.getenv("HERALD_ADMIN_PASSWORD");

  @Option(names = "--api-version", split = ",", defaultValue = "7.2", description = "API versions advertised by GET /api, MAJOR.MINOR (default ${DEFAULT-VALUE}). Requests under 6.5 ... 7.4 and 7.2.1 are always served.")
  List<String> versions;

  @Option(names = "--session-idle", defaultValue = "PT30M", description = "Idle timeout of a session, ISO-8601 (default ${DEFAULT-VALUE}).")
  Duration sessionIdle;

  @Option(names = "--session-max", defaultValue = "PT12H", description = "Absolute lifetime of a session (default ${DEFAULT-VALUE}).")
  Duration sessionMax;

  @Option(names = "--retention-age", defaultValue = "P7D", description = "Keep changes at most this long (default ${DEFAULT-VALUE}).")
  Duration retentionAge;

  @Option(names = "--retention-count", defaultValue = "1000000", description = "Keep at most this many newest changes (default ${DEFAULT-VALUE}).")
  long retentionCount;

  @Option(names = "--allowed-origin", split = ",", description = "Origins (besides the server's own) allowed to open the notification socket from a browser.")
  Set<String> origins = Set.of();

  @Option(names = "--tls-cert", description = "PEM certificate chain: serve https/wss.")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM private key for --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-keystore", description = "PKCS12 (or .jks) keystore instead of PEM files.")
  Path tlsKeystore;

  @Option(names = "--tls-keystore-password", description = "Keystore password (env HERALD_TLS_PASSWORD).")
  String tlsPassword = System.getenv("HERALD_TLS_PASSWORD");

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
    ServerConfig.Builder b = ServerConfig.builder()
        .host(host).port(port).dataDir(data).jdbcUrl(db).dbUser(dbUser).dbPassword(dbPassword).dbPoolSize(dbPool)
        .apiKey(apiKey).adminPassword(adminPassword).advertisedVersions(versions)
        .sessionIdle(sessionIdle).sessionAbsolute(sessionMax).retentionAge(retentionAge)
        .retentionCount(retentionCount).allowedOrigins(origins);
    if (tlsCert != null || tlsKey != null || tlsKeystore != null) {
      b.tls(new ServerConfig.Tls(java.util.Optional.ofNullable(tlsCert),
          java.util.Optional.ofNullable(tlsKey), java.util.Optional.ofNullable(tlsKeystore),
          java.util.Optional.ofNullable(tlsPassword)));
    }
    ServerConfig config;
    try {
      config = b.build();
    } catch (IllegalArgumentException e) {
      System.err.println("herald serve: " + e.getMessage());
      return 2;
    }
    HeraldServer server = HeraldServer.start(config);
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
    System.out.println("Herald is serving " + scheme + "://localhost:" + server.port() + "/ (data: "
        + (config.jdbcUrl().isPresent() ? config.jdbcUrl().get() : config.dataDir().toAbsolutePath()) + ")");
    for (String s : server.generatedSecrets()) {
      System.out.println("Generated " + s + "  (shown once; stored hashed)");
    }
    System.out.println("smc-python: session.login(url='" + scheme + "://localhost:" + server.port()
        + "', api_key='<key>', api_version='" + versions.get(0) + "')");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
