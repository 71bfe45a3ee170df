package dev.herald.server;

import dev.herald.server.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A Herald server on loopback with a database of its own that goes when it closes: a temporary
 * data directory or an in-memory database (or, when the settings name one, an external
 * database, which is left as it is). This is the one server fixture of Herald's tests: the JUnit
 * extension of {@code herald-testing} and the server's own integration tests run their servers
 * through it.
 *
 * <p>Not thread-safe: one test drives it.
 */
public final class DisposableServer implements AutoCloseable {
  /** Where the data lives. */
  public enum Storage {
    /** H2 in memory: nothing is written to disk; it survives {@link #restart} within the JVM. */
    MEMORY,
    /** H2 in a temporary data directory, deleted at {@link #close()}. */
    DIRECTORY
  }

  private final Storage storage;
  private final UnaryOperator<ServerConfig.Builder> settings;
  private final InstantSource clock;
  private Path dataDir;
  private String memoryName;
  private HeraldServer server;
  private int port;

  private DisposableServer(Storage storage, UnaryOperator<ServerConfig.Builder> settings,
      InstantSource clock) {
    this.storage = storage;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * Starts a server on a free port and a new, empty database.
   *
   * @param settings the caller's settings (credentials, limits, an external database…), applied
   *     after the host, port and storage
   */
  public static DisposableServer start(Storage storage, UnaryOperator<ServerConfig.Builder> settings,
      InstantSource clock) throws Exception {
    DisposableServer d = new DisposableServer(storage, settings, clock);
    d.newDatabase();
    try {
      d.server = HeraldServer.start(d.config(0, b -> b), clock);
    } catch (Exception | Error e) {
      d.dropDatabase();
      throw e;
    }
    return d;
  }

  public static DisposableServer start(Storage storage, UnaryOperator<ServerConfig.Builder> settings)
      throws Exception {
    return start(storage, settings, InstantSource.system());
  }

  /** The running server. */
  public HeraldServer server() {
    if (server == null) {
      throw new IllegalStateException("The Herald server is not running (stopped, or used outside a test).");
    }
    return server;
  }

  public boolean isRunning() {
    return server != null;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String url() {
    return "http://127.0.0.1:" + server().port();
  }

  /** The data directory ({@link Storage#DIRECTORY}). */
  public Optional<Path> dataDir() {
    return Optional.ofNullable(dataDir);
  }

  /**
   * The configuration of this server's database with {@code more} settings on a free port: for
   * another node on the same data, or a server a test starts by itself.
   */
  public ServerConfig config(UnaryOperator<ServerConfig.Builder> more) {
    return config(0, more);
  }

  private ServerConfig config(int onPort, UnaryOperator<ServerConfig.Builder> more) {
    ServerConfig.Builder b = ServerConfig.builder().host("127.0.0.1").port(onPort);
    if (storage == Storage.DIRECTORY) {
      b.dataDir(dataDir);
    } else {
      b.inMemory(memoryName);
    }
    return more.apply(settings.apply(b)).build();
  }

  /** Stops the server, keeping its data and port for {@link #start()}. */
  public void stop() throws Exception {
    if (server != null) {
      port = server.port();
      HeraldServer s = server;
      server = null;
      s.close();
    }
  }

  /** Starts a stopped server again on its data and port. */
  public void start() throws Exception {
    start(b -> b);
  }

  private void start(UnaryOperator<ServerConfig.Builder> more) throws Exception {
    if (server == null) {
      server = HeraldServer.start(config(port, more), clock);
    }
  }

  /** Stops and starts again on the same data and port (state survives; clients reconnect). */
  public void restart() throws Exception {
    restart(b -> b);
  }

  /** The same with {@code more} settings for the new start. */
  public void restart(UnaryOperator<ServerConfig.Builder> more) throws Exception {
    stop();
    start(more);
  }

  /**
   * Replaces the server by a new one on a new, empty database and the same port: the change log
   * starts again, so positions from before mean nothing (what a client sees when a server it
   * knew is replaced or its data wiped). An external database from the settings is kept.
   */
  public void restartEmpty() throws Exception {
    stop();
    dropDatabase();
    newDatabase();
    start();
  }

  /** Stops the server and deletes its data. */
  @Override
  public void close() throws Exception {
    try {
      stop();
    } finally {
      dropDatabase();
    }
  }

  private void newDatabase() throws IOException {
    if (storage == Storage.DIRECTORY) {
      dataDir = Files.createTempDirectory("herald-test");
    } else {
      memoryName = "test-" + UUID.randomUUID();
    }
  }

  private void dropDatabase() {
    if (dataDir != null) {
      deleteTree(dataDir);
      dataDir = null;
    }
    if (memoryName != null) {
      Database.dropInMemory(memoryName);
      memoryName = null;
    }
  }

  /** Deletes a directory and everything in it (nothing when it does not exist). */
  public static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    // a file that vanishes while the tree is walked (another process's temporary file) is no
    // failure: walk again, a few times
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        return;
      } catch (IOException | UncheckedIOException e) {
        if (attempt == 5 || !Files.exists(dir)) {
          if (!Files.exists(dir)) {
            return;
          }
          throw e instanceof UncheckedIOException u ? u : new UncheckedIOException((IOException) e);
        }
      }
    }
  }
}
