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

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String url;
  private final String user;
  private final String password;

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
    return java.sql.DriverManager.getConnection(url, user, password);
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

  /** Opens a database by JDBC URL (H2 or PostgreSQL). */
  public static Database open(String jdbcUrl, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("herald-db");
    config.setConnectionTimeout(5_000);
    config.setAutoCommit(true);
    HikariDataSource pool = new HikariDataSource(config);
    try {
      Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/migration")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new Database(pool, jdbcUrl.startsWith("jdbc:postgresql:"), jdbcUrl, user, password);
  }

  public DataSource dataSource() {
    return pool;
  }

  public boolean isPostgres() {
    return postgres;
  }

  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  @Override
  public void close() {
    pool.close();
  }
}
