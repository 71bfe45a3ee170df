package dev.herald.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A pooled JDBC database with Herald's schema, migrated to the newest version when opened.
 * The embedded default is an H2 file database in the data directory.
 */
public final class Database implements AutoCloseable {
  /** The channel PostgreSQL nodes NOTIFY on commit; listeners only wake their change feed. */
  public static final String CHANGES_CHANNEL = "herald_changes";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Database.class);

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String url;
  private final String user;
  private final String password;
  private final Object probeLock = new Object();
  private volatile boolean reachable = true;
  private volatile boolean closed;

  private Database(HikariDataSource pool, boolean postgres, String url, String user, String password) {
    this.pool = pool;
    this.postgres = postgres;
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /**
   * A connection of its own, outside the pool (for LISTEN, which holds a connection for as long
   * as the node runs). The caller closes it.
   */
  public Connection dedicatedConnection() throws SQLException {
    return java.sql.DriverManager.getConnection(url, driverProperties(user, password, postgres));
  }

  /** Opens (creating if needed) the embedded H2 database in {@code dataDir}. */
  public static Database embedded(Path dataDir) {
    String url =
        "jdbc:h2:file:"
            + dataDir.toAbsolutePath().resolve("herald")
            // LOCK_TIMEOUT bounds waits on the change_head row lock. WRITE_DELAY=0 writes every commit to
            // the file before it returns, so an acknowledged write survives kill -9 (H2 defaults to
            // a 500 ms delay, which loses the last commits: CrashRecoveryTest shows it).
            + ";LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    return open(url, "sa", "", 10);
  }

  /**
   * An H2 database in this process's memory, named so that a restart in the same process finds
   * it again; it lives until {@link #dropInMemory(String)} or the process ends. Nothing is
   * written to disk.
   */
  public static Database inMemory(String name) {
    return open(memoryUrl(name), "sa", "", 10);
  }

  private static String memoryUrl(String name) {
    if (!name.matches("[A-Za-z0-9_-]{1,100}")) {
      throw new IllegalArgumentException("an in-memory database name is letters, digits, - and _: " + name);
    }
    return "jdbc:h2:mem:herald-" + name + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
  }

  /** Frees an in-memory database (no server may be using it). */
  public static void dropInMemory(String name) {
    try (Connection c = java.sql.DriverManager.getConnection(memoryUrl(name), "sa", "");
        java.sql.Statement st = c.createStatement()) {
      st.execute("SHUTDOWN");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop the in-memory database " + name + ": " + e.getMessage(), e);
    }
  }

  /** Opens a database by JDBC URL (H2 or PostgreSQL). */
  public static Database open(String jdbcUrl, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("herald-db");
    // A request waits at most this long for a connection; when the database is unreachable
    // only the first ones wait (see connection()), the rest get 503 at once.
    config.setConnectionTimeout(2_000);
    config.setAutoCommit(true);
    boolean postgres = jdbcUrl.startsWith("jdbc:postgresql:");
    driverProperties(user, password, postgres).forEach((k, v) -> {
      if (!k.equals("user") && !k.equals("password")) {
        config.addDataSourceProperty((String) k, v);
      }
    });
    HikariDataSource pool = new HikariDataSource(config);
    try {
      org.flywaydb.core.api.configuration.FluentConfiguration flyway =
          Flyway.configure().locations("classpath:db/migration")
              .loggers("slf4j"); // never its own console output (quiet in a user's tests)
      // on PostgreSQL, a connection of its own: the pool's statement and lock timeouts are for
      // requests, not for a migration that rewrites a large table
      (postgres ? flyway.dataSource(withMigrationParameters(jdbcUrl), user, password)
          : flyway.dataSource(pool))
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new Database(pool, postgres, jdbcUrl, user, password);
  }

  /**
   * The URL Flyway migrates with: a bounded connect and TCP keep-alive (a database lost during
   * a migration ends the start instead of hanging it), no statement timeout. The URL's own
   * parameters come later and win.
   */
  static String withMigrationParameters(String jdbcUrl) {
    int q = jdbcUrl.indexOf('?');
    String ours = "connectTimeout=10&tcpKeepAlive=true";
    return q < 0 ? jdbcUrl + "?" + ours
        : jdbcUrl.substring(0, q + 1) + ours + "&" + jdbcUrl.substring(q + 1);
  }

  /**
   * pgjdbc's defaults wait up to 10 s to connect and forever for an answer; a node must notice a
   * lost database in seconds (a URL's own parameters still win over these).
   */
  private static java.util.Properties driverProperties(String user, String password, boolean postgres) {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    if (postgres) {
      p.setProperty("connectTimeout", "2");
      p.setProperty("socketTimeout", "30");
      // waits end as errors (503 "busy") well before the socket timeout drops the connection
      p.setProperty("options", "-c lock_timeout=10s -c statement_timeout=25s");
      p.setProperty("tcpKeepAlive", "true");
    }
    return p;
  }

  /** Publishes the pool's metrics (connections active, idle, pending, wait and use times). */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    pool.setMetricsTrackerFactory(
        new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(registry));
  }

  public DataSource dataSource() {
    return pool;
  }

  public boolean isPostgres() {
    return postgres;
  }

  /**
   * A pooled connection. While the database is known to be unreachable this fails at once
   * (callers answer 503 + Retry-After instead of waiting out the pool's timeout); a probe
   * re-checks every {@value #PROBE_EVERY_MS} ms and lifts the gate when the database answers.
   */
  Connection connection() throws SQLException {
    if (!reachable || outageUntilMs > System.currentTimeMillis()) {
      throw new Unreachable();
    }
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      if (StoreException.isConnectFailure(e) || StoreException.isConnectFailure(e.getCause())) {
        suspect();
      }
      throw e;
    }
  }

  /**
   * Maps a failed statement to the client's error (StoreException); a failure that says the
   * connection was lost has the database checked.
   */
  RuntimeException failure(SQLException e) {
    if (StoreException.isConnectFailure(e)) {
      suspect();
    }
    return StoreException.map(e);
  }

  /** What {@link #connection()} throws while the gate is closed. */
  static final class Unreachable extends java.sql.SQLTransientConnectionException {
    Unreachable() {
      super("The database is not reachable.", "08001");
    }
  }

  static final long PROBE_EVERY_MS = 250;

  /** Whether the database answered at the last attempt (readiness). */
  public boolean isReachable() {
    return reachable && outageUntilMs <= System.currentTimeMillis();
  }

  private volatile long outageUntilMs;

  /**
   * Makes the database look unreachable until {@code untilMs} (epoch ms; fault injection): every
   * request that needs it gets 503, the change feed pauses, readiness fails; then all resumes
   * as after a real outage.
   */
  public void simulateOutage(long untilMs) {
    outageUntilMs = untilMs;
  }

  private boolean probing; // guarded by probeLock

  /**
   * A connection failed: one lost connection (a statement past the socket timeout, a backend
   * killed by an operator, a proxy recycling connections) is not an outage, so a probe checks
   * the database at once and closes the gate only if it does not answer; it then re-checks
   * until it does.
   */
  private void suspect() {
    synchronized (probeLock) {
      if (probing || closed) {
        return;
      }
      probing = true;
    }
    try {
      Thread.ofPlatform().name("herald-db-probe").daemon(true).start(this::probe);
    } catch (Throwable t) {
      synchronized (probeLock) {
        probing = false;
      }
      throw t;
    }
  }

  private void probe() {
    try {
      while (!closed && !answers()) {
        if (reachable) {
          reachable = false;
          LOG.warn("database unreachable: answering 503 until it is back");
        }
        java.util.concurrent.locks.LockSupport.parkNanos(PROBE_EVERY_MS * 1_000_000);
      }
      if (!reachable) {
        reachable = true;
        LOG.info("database reachable again");
      }
    } finally {
      synchronized (probeLock) {
        probing = false;
      }
    }
  }

  /** Whether the database server answers (a refusal such as "too many connections" is an answer). */
  private boolean answers() {
    try (Connection c = dedicatedConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return !StoreException.isConnectFailure(e) && e.getSQLState() != null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    pool.close();
  }
}
