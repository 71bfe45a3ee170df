package dev.herald.bench;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import java.nio.file.Path;

/**
 * Runs the server under test in its own process, so the benchmark can measure its CPU and
 * memory apart from the load client's: {@code ServerMain herald PORT DATADIR} or
 * {@code ServerMain baseline PORT}; {@code ServerMain herald PORT DATADIR JDBCURL} runs a node on a
 * shared PostgreSQL (user postgres); DATADIR {@code mem} is an in-memory database. Prints {@code READY} when it accepts connections.
 */
public final class ServerMain {
  public static final String API_KEY = "bench-api-key-0123";
  public static final String METRICS_TOKEN = "bench-metrics-token-0123";
  /** In place of a data directory: an in-memory database. */
  public static final String MEMORY = "mem";

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[1]);
    AutoCloseable server;
    if (args[0].equals("herald")) {
      dev.herald.server.HeapTrim.startOnce(); // as herald serve does
      ServerConfig.Builder b = ServerConfig.builder();
      if (args.length > 3) {
        b.jdbcUrl(args[3]).dbUser("postgres").dbPassword("");
      }
      if (args[2].equals(MEMORY)) {
        b.inMemory("bench"); // herald serve --data mem
      } else {
        b.dataDir(Path.of(args[2]));
      }
      server = HeraldServer.start(b
          .host("127.0.0.1").port(port).apiKey(API_KEY)
          .adminPassword("bench-admin-0123")
          .adminApi(true) // the status benchmark drives nodes' status through it
          .metricsToken(METRICS_TOKEN)
          // every benchmark socket comes from 127.0.0.1
          .limits(new ServerConfig.Limits(0, 0, java.time.Duration.ofSeconds(10), 1024))
          // one session opens every benchmark socket
          .socket(new ServerConfig.Socket(64 * 1024, 256, 100_000, 10_000, 4L * 1024 * 1024, 1_000_000, 4))
          .build());
    } else {
      server = BaselineServer.start(port);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }
}
