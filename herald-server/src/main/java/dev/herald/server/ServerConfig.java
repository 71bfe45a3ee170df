package dev.herald.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything {@code herald serve} can be told. Build with {@link #builder()}; every field has a
 * default suitable for a developer machine.
 *
 * @param port TCP port; 0 picks a free one (see {@link HeraldServer#port()})
 * @param dataDir where the embedded database lives
 * @param jdbcUrl a database URL instead of the embedded one (PostgreSQL for several nodes)
 * @param dbPoolSize pooled connections to that database (the embedded one uses 10)
 * @param apiKey the API key of the {@code herald} api_client; generated on first start if empty
 * @param adminPassword the password of the {@code admin} admin_user; generated if empty
 * @param retentionAge changes older than this are pruned
 * @param retentionCount at most this many newest changes are kept
 * @param memoryDatabase an in-memory database of this name instead of the data directory
 * @param adminApi serve the admin API under {@code /herald/admin/} (reset, snapshots, faults,
 *     journal) to superusers
 * @param journalSize REST exchanges and socket commands kept in the journal (0 = off)
 * @param console serve the console at {@code /console/}
 * @param sessionTokens SMC's "Use SSL for session ID" token mode: login also answers an
 *     {@code Authorization} header whose value authenticates REST calls and, offered as
 *     {@code Sec-WebSocket-Protocol: access_token, TOKEN}, the sockets
 * @param connectionAuth a socket upgrade on the keep-alive connection that logged in is
 *     authenticated by that connection (SMC's "share the socket itself"); off behind a proxy that
 *     reuses its connections to Herald for different clients
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    Optional<String> jdbcUrl,
    Optional<String> dbUser,
    Optional<String> dbPassword,
    int dbPoolSize,
    Optional<String> apiKey,
    Optional<String> adminPassword,
    List<String> advertisedVersions,
    Duration sessionIdle,
    Duration sessionAbsolute,
    Duration retentionAge,
    long retentionCount,
    int maxBodyBytes,
    Set<String> allowedOrigins,
    Optional<Tls> tls,
    int secretHashIterations,
    Socket socket,
    Optional<String> metricsToken,
    int metricsPort,
    String metricsHost,
    Limits limits,
    Optional<String> memoryDatabase,
    boolean adminApi,
    int journalSize,
    boolean sessionTokens,
    boolean console,
    boolean connectionAuth) {

  /**
   * What one client may take of the server.
   *
   * @param maxConnectionsPerAddress open connections from one IP address (0 = no limit; behind
   *     a load balancer every connection comes from its address)
   * @param maxConnections open connections in all; 0 = the process's descriptor limit less a
   *     reserve for the database, files and health checks
   * @param headerTimeout a request's line and headers must arrive within this time
   * @param minRequestDataRate a request body slower than this (bytes/s) is cut off
   */
  public record Limits(int maxConnectionsPerAddress, int maxConnections, Duration headerTimeout,
      long minRequestDataRate) {
    public static Limits defaults() {
      return new Limits(4096, 0, Duration.ofSeconds(10), 1024);
    }
  }

  /** TLS from PEM files (certificate chain + private key) or a PKCS12/JKS keystore. */
  public record Tls(
      Optional<Path> certPem, Optional<Path> keyPem, Optional<Path> keystore, Optional<String> password) {}

  /**
   * Notification socket limits.
   *
   * @param outboxMessages frames queued for one connection before it counts as a slow consumer
   * @param outboxBytes bytes queued for one connection before it counts as a slow consumer
   * @param maxSubscriptionsPerSession subscriptions of one session on all its sockets together
   * @param concurrentReplays resumes ({@code since}) replaying at once on a node; others wait
   */
  public record Socket(
      int maxFrameBytes,
      int maxChannelsPerConnection,
      int maxConnectionsPerSession,
      int outboxMessages,
      long outboxBytes,
      int maxSubscriptionsPerSession,
      int concurrentReplays) {
    public static Socket defaults() {
      return new Socket(64 * 1024, 256, 64, 10_000, 4L * 1024 * 1024, 1024, 4);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.dataDir = dataDir;
    b.jdbcUrl = jdbcUrl;
    b.dbUser = dbUser;
    b.dbPassword = dbPassword;
    b.dbPoolSize = dbPoolSize;
    b.apiKey = apiKey;
    b.adminPassword = adminPassword;
    b.advertisedVersions = advertisedVersions;
    b.sessionIdle = sessionIdle;
    b.sessionAbsolute = sessionAbsolute;
    b.retentionAge = retentionAge;
    b.retentionCount = retentionCount;
    b.maxBodyBytes = maxBodyBytes;
    b.allowedOrigins = allowedOrigins;
    b.tls = tls;
    b.secretHashIterations = secretHashIterations;
    b.socket = socket;
    b.metricsToken = metricsToken;
    b.metricsPort = metricsPort;
    b.metricsHost = metricsHost;
    b.limits = limits;
    b.memoryDatabase = memoryDatabase;
    b.adminApi = adminApi;
    b.journalSize = journalSize;
    b.sessionTokens = sessionTokens;
    b.console = console;
    b.connectionAuth = connectionAuth;
    return b;
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String host = "127.0.0.1"; // loopback unless told otherwise: nothing exposed by default
    private int port = 8082;
    private Path dataDir = Path.of("herald-data");
    private Optional<String> jdbcUrl = Optional.empty();
    private Optional<String> dbUser = Optional.empty();
    private Optional<String> dbPassword = Optional.empty();
    private int dbPoolSize = 20;
    private Optional<String> apiKey = Optional.empty();
    private Optional<String> adminPassword = Optional.empty();
    private List<String> advertisedVersions = List.of("7.2");
    private Duration sessionIdle = Duration.ofMinutes(30);
    private Duration sessionAbsolute = Duration.ofHours(12);
    private Duration retentionAge = Duration.ofDays(7);
    private long retentionCount = 1_000_000;
    private int maxBodyBytes = 1_000_000;
    private Set<String> allowedOrigins = Set.of();
    private Optional<Tls> tls = Optional.empty();
    private int secretHashIterations = 600_000;
    private Socket socket = Socket.defaults();
    private Optional<String> metricsToken = Optional.empty();
    private int metricsPort = -1;
    private String metricsHost = "127.0.0.1";
    private Limits limits = Limits.defaults();
    private Optional<String> memoryDatabase = Optional.empty();
    private boolean adminApi;
    private int journalSize;
    private boolean sessionTokens;
    private boolean console = true;
    private boolean connectionAuth = true;

    public Builder host(String v) { host = v; return this; }
    public Builder port(int v) { port = v; return this; }
    public Builder dataDir(Path v) { dataDir = v; return this; }
    public Builder jdbcUrl(String v) { jdbcUrl = Optional.ofNullable(v); return this; }
    public Builder dbUser(String v) { dbUser = Optional.ofNullable(v); return this; }
    public Builder dbPassword(String v) { dbPassword = Optional.ofNullable(v); return this; }
    public Builder dbPoolSize(int v) { dbPoolSize = v; return this; }
    public Builder apiKey(String v) { apiKey = Optional.ofNullable(v); return this; }
    public Builder adminPassword(String v) { adminPassword = Optional.ofNullable(v); return this; }
    public Builder advertisedVersions(List<String> v) { advertisedVersions = v; return this; }
    public Builder sessionIdle(Duration v) { sessionIdle = v; return this; }
    public Builder sessionAbsolute(Duration v) { sessionAbsolute = v; return this; }
    public Builder retentionAge(Duration v) { retentionAge = v; return this; }
    public Builder retentionCount(long v) { retentionCount = v; return this; }
    public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
    public Builder allowedOrigins(Set<String> v) { allowedOrigins = v; return this; }
    public Builder tls(Tls v) { tls = Optional.ofNullable(v); return this; }
    public Builder secretHashIterations(int v) { secretHashIterations = v; return this; }
    public Builder socket(Socket v) { socket = v; return this; }
    /** {@code /metrics} on the main port behind {@code Authorization: Bearer TOKEN}. */
    public Builder metricsToken(String v) { metricsToken = Optional.ofNullable(v); return this; }
    /** A port of its own for {@code /metrics} (no token); -1 = none, 0 = any free port. */
    public Builder metricsPort(int v) { metricsPort = v; return this; }
    public Builder metricsHost(String v) { metricsHost = v; return this; }
    public Builder limits(Limits v) { limits = v; return this; }
    /** An in-memory database of this name (letters, digits, - and _); null = the data directory. */
    public Builder inMemory(String name) { memoryDatabase = Optional.ofNullable(name); return this; }
    /** The admin API under {@code /herald/admin/}, for superusers. */
    public Builder adminApi(boolean v) { adminApi = v; return this; }
    /** The journal's size (0 = off). */
    public Builder journalSize(int v) { journalSize = v; return this; }
    /** Session tokens besides cookies (SMC's "Use SSL for session ID" mode). */
    public Builder sessionTokens(boolean v) { sessionTokens = v; return this; }
    /** The console at {@code /console/} (on by default). */
    public Builder console(boolean v) { console = v; return this; }
    /** Sockets authenticated by the connection that logged in (on by default, as on SMC). */
    public Builder connectionAuth(boolean v) { connectionAuth = v; return this; }

    public ServerConfig build() {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      if (dbPoolSize < 2 || dbPoolSize > 1000) {
        throw new IllegalArgumentException("the database pool size must be 2..1000: " + dbPoolSize);
      }
      if (retentionCount < 1) {
        throw new IllegalArgumentException("retention count must be at least 1");
      }
      if (limits.maxConnectionsPerAddress() < 0 || limits.maxConnections() < 0
          || limits.headerTimeout().isNegative() || limits.headerTimeout().isZero()
          || limits.minRequestDataRate() < 0) {
        throw new IllegalArgumentException("connection limits must be 0 or more and the header timeout"
            + " positive: " + limits);
      }
      if (socket.maxSubscriptionsPerSession() < 1 || socket.concurrentReplays() < 1) {
        throw new IllegalArgumentException("subscriptions per session and concurrent replays must be 1 or more");
      }
      if (metricsPort < -1 || metricsPort > 65535) {
        throw new IllegalArgumentException("the metrics port must be 0..65535: " + metricsPort);
      }
      metricsToken.ifPresent(t -> {
        if (t.length() < 16) {
          throw new IllegalArgumentException("the metrics token must have at least 16 characters");
        }
      });
      apiKey.ifPresent(k -> {
        if (k.length() < 16) {
          throw new IllegalArgumentException("the API key must have at least 16 characters (a login"
              + " finds its credential by the key alone, so a short key is a guessable one)");
        }
      });
      adminPassword.ifPresent(k -> {
        if (k.length() < 8) {
          throw new IllegalArgumentException("the admin password must have at least 8 characters");
        }
      });
      if (journalSize < 0 || journalSize > 1_000_000) {
        throw new IllegalArgumentException("the journal size must be 0..1000000: " + journalSize);
      }
      memoryDatabase.ifPresent(n -> {
        if (!n.matches("[A-Za-z0-9_-]{1,100}")) {
          throw new IllegalArgumentException("an in-memory database name is letters, digits, - and _: " + n);
        }
        if (jdbcUrl.isPresent()) {
          throw new IllegalArgumentException("an in-memory database and --db exclude each other");
        }
      });
      return new ServerConfig(host, port, dataDir, jdbcUrl, dbUser, dbPassword, dbPoolSize, apiKey,
          adminPassword, List.copyOf(advertisedVersions), sessionIdle, sessionAbsolute,
          retentionAge, retentionCount, maxBodyBytes, Set.copyOf(allowedOrigins), tls,
          secretHashIterations, socket, metricsToken, metricsPort, metricsHost, limits,
          memoryDatabase, adminApi, journalSize, sessionTokens, console, connectionAuth);
    }
  }
}
