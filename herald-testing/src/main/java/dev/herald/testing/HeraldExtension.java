package dev.herald.testing;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs an embedded Herald server on a free loopback port with a fresh database, for tests of
 * SMC automation — the way OkHttp users use MockWebServer:
 *
 * <pre>{@code
 * @RegisterExtension
 * static HeraldExtension herald = HeraldExtension.create();
 *
 * @Test
 * void myScriptCreatesAHost() {
 *   run(herald.url(), herald.apiKey());
 *   ...
 * }
 * }</pre>
 *
 * <p>As a {@code static} field it starts once for the class; as an instance field, once per
 * test. Every start gets a new, empty data directory, deleted afterwards.
 */
public final class HeraldExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  static {
    // A project without an SLF4J provider would see SLF4J's "no providers" warning in every
    // test run; Herald logs nothing a test needs. Set slf4j.internal.verbosity to see it again.
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
  }

  /** The API key of the {@code herald} api_client of every server this extension starts. */
  public static final String API_KEY = "herald-test-api-key";
  /** The password of the {@code admin} admin_user (for {@code lms_login}). */
  public static final String ADMIN_PASSWORD = "herald-test-admin";

  private final UnaryOperator<ServerConfig.Builder> customize;
  private HeraldServer server;
  private Path dataDir;
  private boolean perClass;
  private int port;

  private HeraldExtension(UnaryOperator<ServerConfig.Builder> customize) {
    this.customize = customize;
  }

  public static HeraldExtension create() {
    return new HeraldExtension(b -> b);
  }

  /** With changes to the server's configuration (timeouts, retention, limits…). */
  public static HeraldExtension create(UnaryOperator<ServerConfig.Builder> customize) {
    return new HeraldExtension(customize);
  }

  /** {@code http://127.0.0.1:PORT}: the base URL to log in to (smc-python's {@code url}). */
  public String url() {
    return "http://127.0.0.1:" + running().port();
  }

  public String apiKey() {
    return API_KEY;
  }

  public HeraldServer server() {
    return running();
  }

  /**
   * Stops and starts the server again on the same data directory and port (state survives;
   * clients reconnect to the same URL).
   */
  public void restart() throws Exception {
    stop();
    start();
  }

  /**
   * Replaces the server by a new, empty one on the same port: a fresh data directory, so the
   * change log starts again and positions from before mean nothing (what a client sees when a
   * server it knew is replaced or its data wiped).
   */
  public void restartEmpty() throws Exception {
    stop();
    deleteTree(dataDir);
    dataDir = Files.createTempDirectory("herald-junit");
    start();
  }

  /** Stops the server (to test clients that reconnect); {@link #start()} starts it again. */
  public void stop() throws Exception {
    port = running().port();
    running().close();
    server = null;
  }

  /** Starts a stopped server on its previous port. */
  public void start() throws Exception {
    if (server == null) {
      server = HeraldServer.start(customize.apply(base().port(port)).build());
    }
  }

  private HeraldServer running() {
    if (server == null) {
      throw new IllegalStateException("The Herald server is not running (stopped, or used outside a test).");
    }
    return server;
  }

  private ServerConfig config() {
    return customize.apply(base()).build();
  }

  private ServerConfig.Builder base() {
    return ServerConfig.builder().host("127.0.0.1").port(0).dataDir(dataDir)
        .apiKey(API_KEY).adminPassword(ADMIN_PASSWORD).secretHashIterations(10_000);
  }

  private void boot() throws Exception {
    dataDir = Files.createTempDirectory("herald-junit");
    server = HeraldServer.start(config());
  }

  private void shutdown() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      server = null;
      deleteTree(dataDir);
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    perClass = true;
    boot();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    shutdown();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      boot();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      shutdown();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
