package dev.herald.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.DisposableServer;
import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import dev.herald.server.http.Journal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs an embedded Herald server on a free loopback port for tests of SMC automation — the way
 * OkHttp users use MockWebServer:
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
 * <p>As a {@code static} field the server starts once for the class and, by default, is
 * {@linkplain #reset() reset} before every test method: each test sees a fresh SMC (see
 * {@link ResetMode}). As an instance field, every test gets a server of its own. The database is
 * in memory unless {@link #onDisk()} is asked for; the admin API is on (the built-in
 * {@code herald} api_client may use it) and the journal keeps the last 1,000 exchanges.
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

  /** When a server shared by a class's tests (a {@code static} field) is reset. */
  public enum ResetMode {
    /** Before every test method but the first: each test starts from a fresh state (default). */
    PER_METHOD,
    /** Never between the methods of a class: they share what they create. */
    PER_CLASS,
    /** Never (the same as PER_CLASS for a static field; call {@link #reset()} yourself). */
    NEVER
  }

  private final UnaryOperator<ServerConfig.Builder> customize;
  private ResetMode resetMode = ResetMode.PER_METHOD;
  private boolean onDisk;
  /** The server and its database (the fixture Herald's own tests use too); null between tests. */
  private DisposableServer fixture;
  private boolean perClass;
  private boolean used;
  private long taken;

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

  /** When a shared server is reset between tests (default {@link ResetMode#PER_METHOD}). */
  public HeraldExtension resetMode(ResetMode mode) {
    this.resetMode = mode;
    return this;
  }

  /** Keep the database in a temporary data directory instead of memory (to test files, locks…). */
  public HeraldExtension onDisk() {
    this.onDisk = true;
    return this;
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

  // ---- state ----

  /**
   * Back to the fresh state now: elements made since go, built-ins, users and keys stay, the
   * change log starts after a gap (open sockets close with 4002), faults end and the journal
   * empties.
   */
  public void reset() {
    // faults first: a database outage a test injected must not fail the reset that follows it
    running().clearFaults();
    running().reset(true);
    running().journal().clear();
    taken = 0;
  }

  /** Saves the server's state to a snapshot file. */
  public void saveSnapshot(Path file) throws IOException {
    try (var out = Files.newOutputStream(file)) {
      running().saveSnapshot(out);
    }
  }

  /** Replaces the server's state by a snapshot file's (sessions end: clients log in again). */
  public void loadSnapshot(Path file) throws IOException {
    running().loadSnapshot(file);
  }

  // ---- faults ----

  /** A fault for REST answers; finish it with {@link Fault#inject()}. */
  public Fault fault() {
    return new Fault();
  }

  /** Builds a request fault (see {@code docs/testing.md}); it ends after its count or its ttl. */
  public final class Fault {
    private final ObjectNode spec = Json.object();

    private Fault() {}

    /** GET, POST, … (default any). */
    public Fault method(String method) {
      spec.put("method", method);
      return this;
    }

    /** A path pattern: {@code *} within a segment, {@code **} across (default any). */
    public Fault path(String glob) {
      spec.put("path", glob);
      return this;
    }

    public Fault status(int status) {
      spec.put("status", status);
      return this;
    }

    public Fault retryAfter(int seconds) {
      spec.put("retry_after", seconds);
      return this;
    }

    public Fault delay(Duration d) {
      spec.put("delay_ms", d.toMillis());
      return this;
    }

    /** Drop the connection without an answer. */
    public Fault drop() {
      spec.put("drop", true);
      return this;
    }

    /** The next {@code n} matching requests (default 1). */
    public Fault times(long n) {
      spec.put("times", n);
      return this;
    }

    /** Instead of a count: this share of matching requests until the ttl. */
    public Fault share(double share) {
      spec.put("share", share);
      return this;
    }

    public Fault ttl(Duration d) {
      spec.put("ttl_ms", d.toMillis());
      return this;
    }

    /** Puts it in force; returns its id. */
    public long inject() {
      return running().injectFault(spec);
    }
  }

  /** Closes every notification socket with this code and reason. */
  public int closeSockets(int code, String reason) {
    return running().closeSockets(code, reason);
  }

  /** Holds the change feed for this long: events arrive late, in order, none lost. */
  public void stallFeed(Duration d) {
    running().stallFeed(d);
  }

  /** Makes the database look unreachable for this long. */
  public void databaseOutage(Duration d) {
    running().databaseOutage(d);
  }

  // ---- journal ----

  /** The journal's entries matching {@code filter}, oldest first. */
  public List<Journal.Entry> journal(Predicate<Journal.Entry> filter) {
    return running().journal().query(0, filter, Integer.MAX_VALUE);
  }

  /** Every REST exchange in the journal, oldest first. */
  public List<Journal.Entry> requests() {
    return journal(e -> e.kind().equals("http"));
  }

  /**
   * The next REST exchange not taken yet (MockWebServer's {@code takeRequest()}), waiting up to
   * 10 s for one.
   *
   * @throws AssertionError none came
   */
  public Journal.Entry takeRequest() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      List<Journal.Entry> next = running().journal().query(taken, e -> e.kind().equals("http"), 1);
      if (!next.isEmpty()) {
        taken = next.get(0).id();
        return next.get(0);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no request reached the Herald server within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }

  // ---- lifecycle ----

  /**
   * Stops and starts the server again on the same database and port (state survives;
   * clients reconnect to the same URL).
   */
  public void restart() throws Exception {
    stop();
    start();
  }

  /**
   * Replaces the server by a new, empty one on the same port: a new database, so the change log
   * starts again and positions from before mean nothing (what a client sees when a server it
   * knew is replaced or its data wiped).
   */
  public void restartEmpty() throws Exception {
    running();
    fixture.restartEmpty();
    taken = 0;
  }

  /** Stops the server (to test clients that reconnect); {@link #start()} starts it again. */
  public void stop() throws Exception {
    running();
    fixture.stop();
  }

  /** Starts a stopped server on its previous port. */
  public void start() throws Exception {
    if (fixture == null) {
      throw new IllegalStateException("The Herald server is not running (used outside a test).");
    }
    if (!fixture.isRunning()) {
      fixture.start();
      taken = 0;
    }
  }

  private HeraldServer running() {
    if (fixture == null) {
      throw new IllegalStateException("The Herald server is not running (stopped, or used outside a test).");
    }
    return fixture.server();
  }

  /** The extension's credentials, an open admin API and journal, then the user's settings. */
  private ServerConfig.Builder settings(ServerConfig.Builder b) {
    return customize.apply(b.apiKey(API_KEY).adminPassword(ADMIN_PASSWORD).secretHashIterations(10_000)
        .adminApi(true).journalSize(1000));
  }

  private void boot() throws Exception {
    fixture = DisposableServer.start(onDisk ? DisposableServer.Storage.DIRECTORY : DisposableServer.Storage.MEMORY,
        this::settings);
    used = false;
    taken = 0;
  }

  private void shutdown() throws Exception {
    try {
      if (fixture != null) {
        fixture.close();
      }
    } finally {
      fixture = null;
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
    } else if (resetMode == ResetMode.PER_METHOD && used && fixture != null && fixture.isRunning()) {
      reset();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    used = true;
    if (!perClass) {
      shutdown();
    }
  }
}
