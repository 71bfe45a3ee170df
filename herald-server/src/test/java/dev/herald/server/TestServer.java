package dev.herald.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** A real Herald server on a free port with a fresh data directory, for tests. */
public final class TestServer implements AutoCloseable {
  public static final String API_KEY = "test-api-key-0123";
  public static final String ADMIN_PASSWORD = "admin-password-0123";
  public static final String METRICS_TOKEN = "test-metrics-token-0123";

  private final Path dir;
  private final UnaryOperator<ServerConfig.Builder> database;
  private HeraldServer server;

  private TestServer(Path dir, UnaryOperator<ServerConfig.Builder> database, HeraldServer server) {
    this.dir = dir;
    this.database = database;
    this.server = server;
  }

  public static TestServer start() throws Exception {
    return start(b -> b);
  }

  public static TestServer start(UnaryOperator<ServerConfig.Builder> customize) throws Exception {
    return start(customize, java.time.InstantSource.system());
  }

  public static TestServer start(UnaryOperator<ServerConfig.Builder> customize,
      java.time.InstantSource clock) throws Exception {
    return start(Backend.H2, customize, clock);
  }

  public static TestServer start(Backend backend) throws Exception {
    return start(backend, b -> b);
  }

  public static TestServer start(Backend backend, UnaryOperator<ServerConfig.Builder> customize)
      throws Exception {
    return start(backend, customize, java.time.InstantSource.system());
  }

  /** A server on a new, empty database of the given kind. */
  public static TestServer start(Backend backend, UnaryOperator<ServerConfig.Builder> customize,
      java.time.InstantSource clock) throws Exception {
    Path dir = Files.createTempDirectory("herald-test");
    UnaryOperator<ServerConfig.Builder> database = backend.newDatabase();
    return new TestServer(dir, database,
        HeraldServer.start(config(dir, b -> customize.apply(database.apply(b))), clock));
  }

  static ServerConfig config(Path dir, UnaryOperator<ServerConfig.Builder> customize) {
    return customize.apply(ServerConfig.builder()
        .host("127.0.0.1")
        .port(0)
        .dataDir(dir)
        .apiKey(API_KEY)
        .adminPassword(ADMIN_PASSWORD)
        .metricsToken(METRICS_TOKEN)
        // fewer PBKDF2 rounds keep logins fast in tests; the algorithm is the same
        .secretHashIterations(1_000)).build();
  }

  /** Stops and starts again on the same database (a new port). */
  public void restart(UnaryOperator<ServerConfig.Builder> customize) throws Exception {
    server.close();
    server = HeraldServer.start(config(dir, b -> customize.apply(database.apply(b))));
  }

  public HeraldServer server() {
    return server;
  }

  public Path dataDir() {
    return dir;
  }

  public String url() {
    return "http://127.0.0.1:" + server.port();
  }

  public String url(String path) {
    return url() + path;
  }

  /** GET /metrics with the token. */
  public String metrics() throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(url("/metrics"))).header("Authorization", "Bearer " + METRICS_TOKEN).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      deleteTree(dir);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
