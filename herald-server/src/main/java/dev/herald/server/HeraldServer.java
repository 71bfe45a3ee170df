package dev.herald.server;

import dev.herald.server.element.Bootstrap;
import dev.herald.server.element.ElementService;
import dev.herald.server.http.ApiVersions;
import dev.herald.server.http.HttpApi;
import dev.herald.server.http.JsonErrors;
import dev.herald.server.http.Origins;
import dev.herald.server.http.Readiness;
import dev.herald.server.notify.Notifications;
import dev.herald.server.session.SecretHash;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.ChangeListener;
import dev.herald.server.store.ChangeLog;
import dev.herald.server.store.DataDirectoryLock;
import dev.herald.server.store.Database;
import dev.herald.server.store.ElementStore;
import dev.herald.server.store.SessionStore;
import dev.herald.server.store.StateStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Herald server: database, REST API, change feed and notification socket on one
 * port. {@link #start(ServerConfig)} returns once it accepts connections; {@link #close()} stops
 * it and releases the database.
 */
public final class HeraldServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);
  /**
   * How long a stop waits for a connection that is idle between requests (a client's keep-alive)
   * before it closes it; a request whose handler is working still has the stop timeout (5 s) to
   * finish (Jetty sets this idle timeout on every connection at a stop, so one waiting on a slow
   * client is cut after this long without progress).
   * Jetty's default, 1 s, made every stop of a server a client had used take about a second: a
   * test fixture that starts a server per test paid it each time (docs/benchmarks-notes.md, "A
   * test class").
   */
  private static final long SHUTDOWN_IDLE_MS = 100;
  private static final String REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

  static {
    // Jetty's MemoryUtils, on its first use, asks the platform MBean server whether object
    // references are compressed, which starts JMX: about 0.13 s of a start (docs/benchmarks-notes.md,
    // "Launch to first answer"). Its own property answers instead: references are compressed, the
    // JVM's default, below a 32 GiB heap (the figure sizes the padding of Jetty's queues, nothing else).
    if (System.getProperty(REFERENCES_PER_CACHE_LINE) == null) {
      int longsPerLine = Integer.getInteger("org.eclipse.jetty.util.cacheLineBytes", 64) / Long.BYTES;
      System.setProperty(REFERENCES_PER_CACHE_LINE, Integer.toString(
          Runtime.getRuntime().maxMemory() < (32L << 30) ? 2 * longsPerLine : longsPerLine));
    }
  }

  private final ServerConfig config;
  private final Database db;
  private final Server jetty;
  private final ServerConnector connector;
  private final Notifications notifications;
  private final ScheduledExecutorService background;
  private final List<String> generatedSecrets;
  private final ChangeLog changeLog;
  private final InstantSource clock;
  private final ChangeListener listener;
  private final DataDirectoryLock dataLock;
  private final ServerConnector metricsConnector;
  private final Sessions sessions;
  private final Whole whole;
  private ScheduledExecutorService engineTimers;
  private final dev.herald.server.http.Journal journal;
  private final dev.herald.server.http.Faults faults;

  private HeraldServer(ServerConfig config, Database db, Server jetty, ServerConnector connector,
      ServerConnector metricsConnector, Sessions sessions, Notifications notifications, ScheduledExecutorService background,
      List<String> generatedSecrets, ChangeLog changeLog, InstantSource clock,
      ChangeListener listener, Whole whole, dev.herald.server.http.Journal journal,
      dev.herald.server.http.Faults faults, DataDirectoryLock dataLock) {
    this.whole = whole;
    this.journal = journal;
    this.faults = faults;
    this.dataLock = dataLock;
    this.metricsConnector = metricsConnector;
    this.sessions = sessions;
    this.clock = clock;
    this.listener = listener;
    this.config = config;
    this.db = db;
    this.jetty = jetty;
    this.connector = connector;
    this.notifications = notifications;
    this.background = background;
    this.generatedSecrets = generatedSecrets;
    this.changeLog = changeLog;
  }

  /**
   * Starts a server; returns once it accepts connections.
   *
   * @throws HeraldException the port is taken, or the data directory is used by another server
   *     (status 409, with a message to show the user)
   */
  public static HeraldServer start(ServerConfig config) throws Exception {
    return start(config, InstantSource.system());
  }

  /**
   * Starts with an injected clock (tests advance it instead of sleeping).
   *
   * <p>Order matters for a first start: the port is bound and the data directory locked before
   * anything is created (an in-memory database, which nothing outlives, opens beside them), and the built-in users (with their generated secrets) are created only
   * once the server is up, so a start that fails leaves no secret nobody saw.
   */
  public static HeraldServer start(ServerConfig config, InstantSource clock) throws Exception {
    // An in-memory database and its migrations (about 0.3 s) open on the second core while Jetty
    // is built and the port bound; a database that persists opens only once the port is bound, so
    // that a start that cannot listen leaves it untouched. (docs/benchmarks-notes.md, "Launch to
    // first answer")
    StartPreparation.begin();
    CompletableFuture<Database> memory = config.jdbcUrl().isEmpty() && config.memoryDatabase().isPresent()
        ? CompletableFuture.supplyAsync(() -> Database.inMemory(config.memoryDatabase().get()),
            r -> Thread.ofPlatform().name("herald-start-database").daemon(true).start(r))
        : null;
    try {
      return start(config, clock, memory);
    } catch (Exception | Error e) {
      if (memory != null) {
        // closed before the caller goes on: a caller that drops the in-memory database next
        // must not have it opened and migrated again behind its back
        try {
          memory.join().close();
        } catch (RuntimeException failedToOpen) {
          if (failedToOpen.getCause() != e) { // not the failure being thrown
            e.addSuppressed(failedToOpen);
          }
        }
      }
      throw e;
    }
  }

  private static HeraldServer start(ServerConfig config, InstantSource clock,
      CompletableFuture<Database> memory) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(200, 8);
    pool.setName("herald-http");
    pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    Server jetty = new Server(pool);
    jetty.setStopTimeout(5_000);
    ServerConnector connector = connector(jetty, config);
    try {
      connector.open();
    } catch (java.io.IOException e) {
      jetty.destroy();
      throw new HeraldException(409, "Cannot listen on " + config.host() + ":" + config.port()
          + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ".",
          "Is another server (a herald serve?) using the port? Choose another with --port.");
    }
    List<AutoCloseable> opened = new ArrayList<>();
    opened.add(connector::close);
    try {
      Database db;
      if (config.jdbcUrl().isPresent()) {
        db = Database.open(config.jdbcUrl().get(), config.dbUser().orElse(""),
            config.dbPassword().orElse(""), config.dbPoolSize());
      } else if (memory != null) {
        try {
          db = memory.join();
        } catch (java.util.concurrent.CompletionException e) {
          if (e.getCause() instanceof Error err) {
            throw err;
          }
          throw e.getCause() instanceof RuntimeException r ? r : e;
        }
      } else {
        opened.add(DataDirectoryLock.acquire(config.dataDir()));
        db = Database.embedded(config.dataDir());
      }
      opened.add(db);
      return start(config, clock, db, jetty, connector, opened);
    } catch (Exception | Error e) {
      closeAll(opened, e);
      throw e;
    }
  }

  private static void closeAll(List<AutoCloseable> opened, Throwable cause) {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        cause.addSuppressed(e);
      }
    }
  }

  private static ServerConnector connector(Server jetty, ServerConfig config) {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setMinRequestDataRate(config.limits().minRequestDataRate());
    ServerConnector connector;
    if (config.tls().isPresent()) {
      http.addCustomizer(new SecureRequestCustomizer(false));
      connector = new ServerConnector(jetty,
          new SslConnectionFactory(Tls.contextFactory(config.tls().get()), "http/1.1"),
          new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
    }
    connector.setHost(config.host());
    connector.setPort(config.port());
    connector.setShutdownIdleTimeout(SHUTDOWN_IDLE_MS);
    jetty.addConnector(connector);
    return connector;
  }

  private static HeraldServer start(ServerConfig config, InstantSource clock, Database db,
      Server jetty, ServerConnector connector, List<AutoCloseable> opened) throws Exception {
    SecureRandom random = new SecureRandom();
    SecretHash hasher = new SecretHash(config.secretHashIterations(), random);
    ChangeLog changeLog = new ChangeLog(db);
    // rules' names are not unique: they are unique by key
    ElementStore store = new ElementStore(db, clock, changeLog,
        type -> !dev.herald.server.element.Catalogue.isRelName(type) || !dev.herald.server.element.Catalogue.type(type).rule());

    Bootstrap boot = new Bootstrap(store);
    long shared = boot.sharedDomain();
    dev.herald.server.element.BuiltIns.ensure(store, shared, clock.millis());

    Sessions sessions = new Sessions(new SessionStore(db), store, hasher, shared, clock, random,
        config.sessionIdle(), config.sessionAbsolute());
    ElementService elements = new ElementService(store, sessions::storedSecret, shared, clock);
    elements.sessions(new ElementService.SessionControl() {
      @Override
      public void endUser(long userKey) {
        sessions.endUser(userKey);
      }

      @Override
      public void endDomain(long domainKey) {
        sessions.endDomain(domainKey);
      }
    });

    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    Gauge.builder("herald.sessions", sessions, Sessions::liveCount).register(metrics);
    io.micrometer.core.instrument.FunctionCounter.builder("herald.login.hashes", sessions, Sessions::loginHashes)
        .description("slow password hashes run (one per login at most; none for a repeated one)")
        .register(metrics);
    Gauge.builder("herald.db.reachable", db, d -> d.isReachable() ? 1 : 0)
        .description("1 while the database answers, 0 while requests get 503").register(metrics);
    db.bindMetrics(metrics);

    Notifications notifications = new Notifications(jetty, changeLog, sessions, elements,
        config.socket(), config.retentionCount(), config.retentionAge(), clock, metrics);
    store.onCommit(notifications::committed);
    Gauge.builder("herald.changelog.head", notifications, Notifications::position)
        .description("highest change seq delivered to the notification fan-out")
        .register(metrics);

    MemoryGuard memory = new MemoryGuard(clock);
    dev.herald.server.http.Journal journal = new dev.herald.server.http.Journal(config.journalSize());
    dev.herald.server.http.Faults faults = new dev.herald.server.http.Faults(clock, metrics);
    if (journal.enabled()) {
      notifications.onCommand((session, text) -> journal.socketCommand(clock.millis(),
          session.caller().userName(), "notification socket", text));
    }
    ScheduledExecutorService engineTimers = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herald-engines").daemon(true).factory());
    opened.add(engineTimers::shutdownNow);
    dev.herald.server.element.EngineModel engines = dev.herald.server.element.EngineModel.of(elements, clock, engineTimers);
    dev.herald.server.element.Monitored monitored = engines.monitored();
    notifications.statusTargets(new Notifications.StatusTargets() {
      @Override
      public java.util.Set<String> types() {
        return dev.herald.server.element.Monitored.types();
      }

      @Override
      public Optional<Target> target(dev.herald.server.session.Session session, String href) {
        return monitored.target(session.caller(), href)
            .map(t -> new Target(t.element().type(), t.element().key(), t.part(), t.within()));
      }

      @Override
      public String render(dev.herald.server.store.Change change, String base, String of) {
        return monitored.statusJson(change, base, of);
      }
    });
    Whole whole = new Whole(config, store, new StateStore(store, db), boot, shared, sessions, notifications,
        db, clock, random);
    whole.engineNodes(engines.nodes(), engines.vpns(), engines.monitored(), engineTimers);
    HttpApi.Parts parts = new HttpApi.Parts(elements, sessions,
        new ApiVersions(config.advertisedVersions()), metrics, metrics::scrape,
        notifications::upgrade, new Origins(config.allowedOrigins()), config.maxBodyBytes(),
        () -> new Readiness(db.isReachable(), notifications.isCaughtUp(), memory.ok()),
        config.metricsToken(), memory::outOfMemory,
        new dev.herald.server.task.Tasks(new dev.herald.server.store.TaskStore(db), store::newKey, clock, 4), clock,
        config.adminApi() ? Optional.of(whole) : Optional.empty(), journal, faults, engines,
        config.sessionTokens(), config.console(), config.connectionAuth());
    jetty.setErrorHandler(new JsonErrors());
    ServerConnector metricsConnector = null;
    if (config.metricsPort() >= 0) {
      metricsConnector = new ServerConnector(jetty, new HttpConnectionFactory(new HttpConfiguration()));
      metricsConnector.setHost(config.metricsHost());
      metricsConnector.setPort(config.metricsPort());
      metricsConnector.setShutdownIdleTimeout(SHUTDOWN_IDLE_MS);
      jetty.addConnector(metricsConnector);
      jetty.setHandler(new ByConnector(metricsConnector, HttpApi.metricsPort(parts), HttpApi.main(parts)));
    } else {
      jetty.setHandler(HttpApi.main(parts));
    }
    ConnectionGuard.install(connector, config.limits());
    jetty.start();
    opened.add(jetty::stop);
    notifications.start();
    opened.add(notifications::stop);
    ChangeListener listener = ChangeListener.start(db, notifications::wakeUp);
    opened.add(listener);
    opened.add(sessions::close);

    // the server is up: only now the built-in users and any secret generated for them
    List<String> generated = new ArrayList<>();
    ensureUser(boot, sessions, shared, Bootstrap.API_CLIENT, config.apiKey(), random, generated);
    ensureUser(boot, sessions, shared, Bootstrap.ADMIN, config.adminPassword(), random, generated);

    ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herald-maintenance").daemon(true).factory());
    background.scheduleWithFixedDelay(() -> run("session sweep", sessions::sweep), 1, 1,
        TimeUnit.SECONDS);
    background.scheduleWithFixedDelay(() -> run("change-log retention", () ->
        changeLog.prune(clock.millis() - config.retentionAge().toMillis(),
            config.retentionCount())), 10, 60, TimeUnit.SECONDS);

    HeraldServer server = new HeraldServer(config, db, jetty, connector, metricsConnector, sessions, notifications,
        background, List.copyOf(generated), changeLog, clock, listener, whole, journal, faults,
        opened.stream().filter(DataDirectoryLock.class::isInstance)
            .map(DataDirectoryLock.class::cast).findFirst().orElse(null));
    server.engineTimers = engineTimers;
    LOG.info("Herald listening on {}://{}:{}/", config.tls().isPresent() ? "https" : "http",
        config.host(), server.port());
    return server;
  }

  private static void ensureUser(Bootstrap boot, Sessions sessions, long shared, Bootstrap.BuiltInUser user,
      Optional<String> given, SecureRandom random, List<String> generated) {
    String type = user.type();
    String name = user.name();
    String kind = user.kind();
    String label = user.label();
    if (given.isPresent()) {
      boot.user(shared, type, name, given.get(), kind, true, sessions::storedSecret, SecretHash::verify)
          .ifPresent(hash -> sessions.knownSecret(type, name, kind, given.get(), hash)); // no slow hash at its first login
      return;
    }
    byte[] b = new byte[12];
    random.nextBytes(b);
    String secret = HexFormat.of().formatHex(b);
    // kept only if the user has no credential yet (a first start; or another node's was first)
    Optional<String> hash = boot.user(shared, type, name, secret, kind, false, sessions::storedSecret, SecretHash::verify);
    if (hash.isPresent()) {
      generated.add(label + " for " + type + " " + name + ": " + secret);
      sessions.knownSecret(type, name, kind, secret, hash.get());
    }
  }

  private static void run(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("{} failed: {}", what, e.toString());
    }
  }

  /** The port the server listens on (the real one when configured with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The port of {@code /metrics} when it has one of its own ({@code --metrics-port}). */
  public java.util.OptionalInt metricsPort() {
    return metricsConnector == null ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(metricsConnector.getLocalPort());
  }

  public ServerConfig config() {
    return config;
  }

  /** Secrets generated on this start (printed once by {@code herald serve}); empty if none. */
  public List<String> generatedSecrets() {
    return generatedSecrets;
  }

  /** The highest seq in the change log. */
  public long changeLogHead() {
    return changeLog.head();
  }

  /** Applies the retention rules now (they also run in the background every minute). */
  public int pruneChangeLog() {
    return changeLog.prune(clock.millis() - config.retentionAge().toMillis(), config.retentionCount());
  }

  public Database database() {
    return db;
  }

  /**
   * Brings the server back to its fresh state (the admin API's reset): built-in elements stay,
   * and with {@code keepUsers} so do users, API clients, roles, access control lists and
   * domains with their keys and sessions; everything else goes, with the change log and the
   * tasks. Every notification socket is closed with 4002 "server reset"; a client resuming from
   * a position before the reset gets {@code history_expired}.
   */
  public Whole.ResetResult reset(boolean keepUsers) {
    return whole.resetState(keepUsers);
  }

  /** Writes the state as a snapshot (see {@code docs/testing.md} for the format). */
  public void saveSnapshot(java.io.OutputStream out) {
    whole.saveSnapshot(out);
  }

  /**
   * Replaces the state by a snapshot file's; a file that is not a valid snapshot fails with a
   * 400 {@link HeraldException} and changes nothing.
   */
  public Whole.LoadResult loadSnapshot(java.nio.file.Path file) throws java.io.IOException {
    com.fasterxml.jackson.databind.JsonNode root;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      root = dev.herald.protocol.Json.mapper().readTree(in);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw HeraldException.badRequest("Invalid snapshot.", file + " is not JSON: " + e.getOriginalMessage());
    }
    if (root == null) {
      throw HeraldException.badRequest("Invalid snapshot.", file + " is empty.");
    }
    return whole.load(root);
  }

  /**
   * Injects a fault into REST answers (the admin API's {@code POST /herald/admin/faults}; see
   * {@code docs/testing.md} for the fields); returns its id.
   *
   * @throws HeraldException 400 for a bad value
   */
  public long injectFault(com.fasterxml.jackson.databind.JsonNode spec) {
    return faults.add(spec).id();
  }

  /**
   * Ends every injected fault now — request faults, a database outage, a feed stall; returns how
   * many request faults there were. (A reset between tests runs after it: an outage a test left
   * behind would fail the reset.)
   */
  public int clearFaults() {
    whole.databaseOutage(0);
    whole.stallFeed(0);
    return faults.clear();
  }

  /** Closes every notification socket with this code and reason; returns how many. */
  public int closeSockets(int code, String reason) {
    return whole.closeSockets(s -> true, code, reason);
  }

  /** Holds the change feed for this long: events arrive late, in order, none lost. */
  public void stallFeed(java.time.Duration d) {
    whole.stallFeed(d.toMillis());
  }

  /** Makes the database look unreachable for this long (503s, a paused feed, then recovery). */
  public void databaseOutage(java.time.Duration d) {
    whole.databaseOutage(d.toMillis());
  }

  /** The journal of REST exchanges and socket commands (empty unless its size is above 0). */
  public dev.herald.server.http.Journal journal() {
    return journal;
  }

  @Override
  public void close() throws Exception {
    background.shutdownNow();
    if (engineTimers != null) {
      engineTimers.shutdownNow();
    }
    sessions.close();
    listener.close();
    notifications.stop();
    try {
      jetty.stop();
    } finally {
      try {
        db.close();
      } finally {
        if (dataLock != null) {
          dataLock.close();
        }
      }
    }
  }
}
