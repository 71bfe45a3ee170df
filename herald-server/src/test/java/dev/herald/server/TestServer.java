package dev.herald.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A real Herald server on a free port with a fresh database, for the server's own tests: a
 * {@link DisposableServer} (the one server fixture, shared with herald-testing's JUnit
 * extension) with these tests' credentials, on the {@link Backend} a test asks for.
 */
public final class TestServer implements AutoCloseable {
  public static final String API_KEY = "test-api-key-0123";
  public static final String ADMIN_PASSWORD = "admin-password-0123";
  public static final String METRICS_TOKEN = "test-metrics-token-0123";

  private final DisposableServer fixture;

  private TestServer(DisposableServer fixture) {
    this.fixture = fixture;
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
    UnaryOperator<ServerConfig.Builder> database = backend.newDatabase();
    return new TestServer(DisposableServer.start(DisposableServer.Storage.DIRECTORY,
        b -> customize.apply(database.apply(credentials(b))), clock));
  }

  /** These tests' credentials and fast hashing. */
  private static ServerConfig.Builder credentials(ServerConfig.Builder b) {
    return b.apiKey(API_KEY)
        .adminPassword(ADMIN_PASSWORD)
        .metricsToken(METRICS_TOKEN)
        // fewer PBKDF2 rounds keep logins fast in tests; the algorithm is the same
        .secretHashIterations(1_000);
  }

  /** The configuration of a server on {@code dir}, for a test that starts servers by itself. */
  static ServerConfig config(Path dir, UnaryOperator<ServerConfig.Builder> customize) {
    return customize.apply(credentials(ServerConfig.builder().host("127.0.0.1").port(0).dataDir(dir))).build();
  }

  public HeraldServer server() {
    return fixture.server();
  }

  public Path dataDir() {
    return fixture.dataDir().orElseThrow();
  }

  public String url() {
    return fixture.url();
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
    fixture.close();
  }

  static void deleteTree(Path dir) throws IOException {
    DisposableServer.deleteTree(dir);
  }
}
