package dev.herald.server.notify;

import dev.herald.protocol.CloseCode;
import dev.herald.protocol.Frames;
import dev.herald.server.HeraldException;
import dev.herald.server.ServerConfig;
import dev.herald.server.element.ElementService;
import dev.herald.server.http.ApiVersions;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notification fan-out: one change-feed thread reads the change log in seq order and hands
 * each change to the channels that match it (by domain, type and filters), rendering each
 * distinct frame once; each connection's writer drains its own bounded outbox.
 *
 * <p>The feed is woken after every local commit and polls every {@link #POLL} as well (other
 * writers, missed wake-ups). A database failure leaves sockets open; the feed retries with
 * back-off from its last position, so subscribers lose nothing.
 */
public final class Notifications {
  private static final Logger LOG = LoggerFactory.getLogger(Notifications.class);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final int PAGE = 1000;
  /** Changes kept in memory for resumes (about 16 MB at most). */
  private static final int RECENT = 65_536;
  private final RecentChanges recent;

  private final ChangeLog log;
  private final Sessions sessions;
  private final ElementService elements;
  private final ServerConfig.Socket cfg;
  private final InstantSource clock;
  private final WebSocketMappings mappings;
  private final SubscriptionIndex index = new SubscriptionIndex();
  private final ReentrantLock publishLock = new ReentrantLock();
  private final Map<String, Set<Connection>> bySession = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> subscriptionsBySession =
      new ConcurrentHashMap<>();
  /**
   * Replays running at once on this node. A replay reads the log as fast as the client takes it;
   * without a bound, thousands of resumes (or one session's hundreds of {@code since: 0}) take
   * the CPU the live feed needs. The others wait their turn, acknowledged.
   */
  private final java.util.concurrent.Semaphore replays;
  private final List<Channel> progressChannels = new CopyOnWriteArrayList<>();
  private final List<Connection> heartbeatConnections = new CopyOnWriteArrayList<>();
  private final AtomicLong wanted = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final ScheduledExecutorService aborts = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("herald-socket-abort").daemon(true).factory());
  private final Counter published;
  private final Counter slowConsumers;
  private final Counter resets;
  private volatile FrameCache.StatusRenderer statusRenderer = (c, base, node) ->
      "{\"name\":" + dev.herald.protocol.Json.write(dev.herald.protocol.Json.mapper().getNodeFactory().textNode(c.name()))
          + ",\"monitoring_state\":\"INITIAL\",\"monitoring_status\":\"UNKNOWN\"}";
  private final FrameCache liveCache = new FrameCache(this::renderStatus); // feed thread only
  private final List<Connection> touched = new java.util.ArrayList<>(); // feed thread only

  /** Highest seq handed to the fan-out; written by the feed thread under publishLock. */
  private volatile long position;
  private volatile boolean running;
  private volatile boolean caughtUp;
  /** Changes up to this seq were replaced by a reset: never published (under publishLock). */
  private long floor;
  private Thread feed;
  private long touchDueMs;
  private long verifyDueMs;
  private long housekeepingDueMs;

  public Notifications(Server jetty, ChangeLog log, Sessions sessions, ElementService elements,
      ServerConfig.Socket cfg, long retentionCount, Duration retentionAge, InstantSource clock,
      MeterRegistry metrics) {
    this.log = log;
    this.recent = new RecentChanges(RECENT, retentionCount, retentionAge.toMillis(), clock);
    this.replays = new java.util.concurrent.Semaphore(cfg.concurrentReplays(), true);
    this.sessions = sessions;
    this.elements = elements;
    this.cfg = cfg;
    this.clock = clock;
    WebSocketComponents components = WebSocketServerComponents.ensureWebSocketComponents(jetty);
    this.mappings = new WebSocketMappings(components);
    sessions.onEnd(this::sessionEnded);
    this.published = Counter.builder("herald.notify.changes").description("changes fanned out")
        .register(metrics);
    this.slowConsumers = Counter.builder("herald.notify.slow_consumers")
        .description("connections closed by the slow-consumer policy").register(metrics);
    this.resets = Counter.builder("herald.resets")
        .description("resets and snapshot loads (each closed every socket)").register(metrics);
    Gauge.builder("herald.notify.connections", connections, AtomicLong::get).register(metrics);
    Gauge.builder("herald.notify.channels", index, SubscriptionIndex::size).register(metrics);
  }

  /** Starts the feed at the current head: sockets get changes committed from now on. */
  public void start() {
    position = log.head();
    caughtUp = true;
    running = true;
    feed = Thread.ofPlatform().name("herald-change-feed").daemon(true).start(this::runFeed);
  }

  public void stop() throws InterruptedException {
    running = false;
    if (feed != null) {
      LockSupport.unpark(feed);
      feed.join(5_000);
    }
    for (Set<Connection> set : bySession.values()) {
      for (Connection c : set) {
        c.close(CloseCode.SHUTTING_DOWN.code(), CloseCode.SHUTTING_DOWN.reason());
      }
    }
    aborts.shutdownNow();
  }

  /**
   * The state was replaced (a reset or a snapshot load) and the log now starts after
   * {@code head}: changes read before are not published, the changes held in memory are
   * forgotten, and every socket is closed with {@link CloseCode#RESET} (a client that resumes
   * from its old position gets {@code history_expired}).
   *
   * @return the number of sockets closed
   */
  public int reset(long head) {
    int closed = 0;
    publishLock.lock();
    try {
      floor = Math.max(floor, head);
      recent.clear();
      position = Math.max(position, head);
      for (Set<Connection> set : bySession.values()) {
        for (Connection c : set) {
          c.close(CloseCode.RESET.code(), CloseCode.RESET.reason());
          closed++;
        }
      }
    } finally {
      publishLock.unlock();
    }
    resets.increment();
    return closed;
  }

  /**
   * Closes the sockets whose session {@code which} accepts with a code and reason (fault
   * injection).
   *
   * @return the number closed
   */
  public int closeSockets(java.util.function.Predicate<dev.herald.server.session.Session> which, int code,
      String reason) {
    int closed = 0;
    for (Set<Connection> set : bySession.values()) {
      for (Connection c : set) {
        if (which.test(c.session)) {
          c.close(code, reason);
          closed++;
        }
      }
    }
    return closed;
  }

  private volatile java.util.function.BiConsumer<dev.herald.server.session.Session, String> commands = (s, t) -> {};

  /** Told every command a client sends on a socket (the journal). */
  public void onCommand(java.util.function.BiConsumer<dev.herald.server.session.Session, String> observer) {
    commands = observer;
  }

  void commandReceived(dev.herald.server.session.Session s, String text) {
    commands.accept(s, text);
  }

  private volatile long stallUntilMs;

  /** Holds the feed until {@code untilMs} (fault injection): nothing is lost, only late. */
  public void stallFeed(long untilMs) {
    stallUntilMs = untilMs;
    LockSupport.unpark(feed);
  }

  /**
   * How a status change is shown on the status socket: the status, as REST answers it, of the
   * engine ({@code ofNode} false) or of the node the change names.
   */
  public interface StatusView {
    String render(dev.herald.server.store.Change change, String base, boolean ofNode);
  }

  public void statusView(StatusView view) {
    statusRenderer = view::render;
  }

  private String renderStatus(dev.herald.server.store.Change c, String base, boolean ofNode) {
    return statusRenderer.render(c, base, ofNode);
  }

  /** An element the session may see, if it exists (status subscriptions). */
  Optional<dev.herald.server.store.ElementRecord> visibleElement(Session s, String type, long key) {
    try {
      return Optional.of(elements.get(s.caller(), type, key));
    } catch (HeraldException e) {
      return Optional.empty();
    }
  }

  boolean hasNode(dev.herald.server.store.ElementRecord engine, String nodeType, long nodeKey) {
    try {
      return dev.herald.server.element.Engines.node(
        (com.fasterxml.jackson.databind.node.ObjectNode) dev.herald.protocol.Json.mapper().readTree(engine.body()),
        nodeType, nodeKey).isPresent();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return false;
    }
  }

  /** Open notification sockets on this node. */
  public long openSockets() {
    return connections.get();
  }

  /** Wakes the feed to read the log now (a commit on another node). */
  public void wakeUp() {
    wake(position + 1);
  }

  /** Called after a local commit that wrote changes up to {@code seq}. */
  public void wake(long seq) {
    wanted.accumulateAndGet(seq, Math::max);
    Thread f = feed;
    if (f != null) {
      LockSupport.unpark(f);
    }
  }

  public long position() {
    return position;
  }

  /** Readiness: the feed runs and is not behind the log (as of its last read). */
  public boolean isCaughtUp() {
    return running && caughtUp;
  }

  ChangeLog changeLog() {
    return log;
  }

  /** Whether a resume from {@code since} replays from memory, within retention. */
  boolean inMemory(long since) {
    return recent.covers(since);
  }

  Set<Long> visibleDomains(Session s) {
    return elements.visibleDomains(s.caller());
  }

  // ---- upgrade ----

  /** The {@link dev.herald.server.http.SocketEndpoint} of the HTTP layer. */
  public boolean upgrade(Request request, Response response, Callback callback, Session session,
      String version, String base, boolean statusSocket) {
    Set<Connection> mine = bySession.get(session.idHash());
    if (mine != null && mine.size() >= cfg.maxConnectionsPerSession()) {
      throw new HeraldException(429, "Too many notification sockets for this session.",
          List.of("The limit is " + cfg.maxConnectionsPerSession() + "; close one first."), null);
    }
    boolean legacy = ApiVersions.legacyEvents(version);
    WebSocketNegotiator negotiator = new WebSocketNegotiator.AbstractNegotiator() {
      @Override
      public FrameHandler negotiate(ServerUpgradeRequest req, ServerUpgradeResponse res,
          Callback cb) {
        res.setExtensions(List.of()); // SMC negotiates no extension (no permessage-deflate)
        if (req.getSubProtocols().contains("access_token")) {
          // token mode: the session came with the token offered beside access_token; the client
          // (websocket-client in smc-python) needs one of its offers echoed
          res.setAcceptedSubProtocol("access_token");
        }
        return new Connection(Notifications.this, session, base, legacy, cfg.maxFrameBytes(),
            cfg.maxChannelsPerConnection(), cfg.outboxMessages(), cfg.outboxBytes(), statusSocket);
      }

      @Override
      public void customize(Configuration c) {
        c.setIdleTimeout(Duration.ZERO); // a quiet listener waits forever, as on SMC
        c.setMaxFrameSize(cfg.maxFrameBytes());
        c.setMaxTextMessageSize(cfg.maxFrameBytes());
        c.setMaxBinaryMessageSize(cfg.maxFrameBytes());
        c.setOutputBufferSize(32 * 1024);
      }
    };
    return mappings.upgrade(negotiator, request, response, callback, null);
  }

  void opened(Connection c) {
    if (!sessions.isLive(c.session.idHash())) {
      c.close(CloseCode.SESSION_ENDED.code(), CloseCode.SESSION_ENDED.reason());
      return;
    }
    bySession.computeIfAbsent(c.session.idHash(), k -> ConcurrentHashMap.newKeySet()).add(c);
    c.counted = true;
    connections.incrementAndGet();
    if (!sessions.isLive(c.session.idHash())) {
      c.close(CloseCode.SESSION_ENDED.code(), CloseCode.SESSION_ENDED.reason()); // the session ended while this socket was registering
    }
  }

  void closed(Connection c) {
    Set<Connection> set = bySession.get(c.session.idHash());
    if (set != null && set.remove(c) && set.isEmpty()) {
      bySession.remove(c.session.idHash(), set);
    }
    // counted once, however it closed (a logout removes the session's set before the close)
    synchronized (c) {
      if (c.counted) {
        c.counted = false;
        connections.decrementAndGet();
      }
    }
    heartbeatConnections.remove(c);
  }

  /**
   * Takes one of the session's subscriptions (all its sockets together may hold
   * {@code maxSubscriptionsPerSession}); false when none is left.
   */
  boolean takeSubscription(Session s) {
    java.util.concurrent.atomic.AtomicInteger n =
        subscriptionsBySession.computeIfAbsent(s.idHash(), k -> new java.util.concurrent.atomic.AtomicInteger());
    if (n.incrementAndGet() > cfg.maxSubscriptionsPerSession()) {
      n.decrementAndGet();
      return false;
    }
    return true;
  }

  void releaseSubscription(Session s) {
    java.util.concurrent.atomic.AtomicInteger n = subscriptionsBySession.get(s.idHash());
    if (n != null && n.decrementAndGet() <= 0) {
      subscriptionsBySession.remove(s.idHash(), n);
    }
  }

  int maxSubscriptionsPerSession() {
    return cfg.maxSubscriptionsPerSession();
  }

  /** Runs {@code task} after {@code delayMs} on the housekeeping scheduler. */
  void schedule(Runnable task, long delayMs) {
    try {
      aborts.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // shutting down
    }
  }

  private void sessionEnded(String idHash) {
    Set<Connection> set = bySession.remove(idHash);
    if (set != null) {
      for (Connection c : set) {
        c.close(CloseCode.SESSION_ENDED.code(), CloseCode.SESSION_ENDED.reason());
      }
    }
  }

  void heartbeat(Connection c, long periodMs) {
    if (c.heartbeatMs == 0 || periodMs < c.heartbeatMs) {
      c.heartbeatMs = periodMs;
      c.heartbeatDueMs = clock.millis() + periodMs;
    }
    if (!heartbeatConnections.contains(c)) {
      heartbeatConnections.add(c);
    }
  }

  void scheduleAbort(CoreSession core) {
    try {
      aborts.schedule(() -> {
        if (!core.isClosed()) {
          core.abort();
        }
      }, 5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      core.abort(); // shutting down
    }
  }

  void countSlowConsumer() {
    slowConsumers.increment();
  }

  // ---- channels ----

  /**
   * Adds a channel to the index between two published batches, queueing its acknowledgement
   * first: no event of the channel can precede the ack, and every change committed after the
   * client sees the ack reaches the channel.
   *
   * @return the feed position: the channel gets every matching change after it live
   */
  long register(Channel ch, java.util.function.LongFunction<String> ack) {
    publishLock.lock();
    try {
      if (ch.connection.isClosing()) {
        return position; // closed meanwhile: onClosed has already unregistered its channels
      }
      ch.connection.control(ack.apply(position));
      ch.startAfter(position);
      index.add(ch, visibleDomains(ch.connection.session));
      if (ch.command.progressSeconds().isPresent()) {
        ch.progressSeq = Math.max(ch.progressSeq, position);
        ch.progressDueMs = clock.millis() + ch.command.progressSeconds().get() * 1000L;
        progressChannels.add(ch);
      }
      return position;
    } finally {
      publishLock.unlock();
    }
  }

  void unregister(Channel ch) {
    index.remove(ch, visibleDomains(ch.connection.session));
    progressChannels.remove(ch);
  }

  /**
   * Replays (since, upTo] from the log into a REPLAYING channel, waiting for outbox room, then
   * turns it live. Runs on its own virtual thread.
   */
  void replay(Channel ch, long since, long upTo) {
    Connection conn = ch.connection;
    Set<Long> domains = visibleDomains(conn.session);
    FrameCache cache = new FrameCache(this::renderStatus);
    long cursor = since;
    try {
      replays.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      while (cursor < upTo && ch.open) {
        List<Change> page = recent.readAfter(cursor, upTo, PAGE);
        if (page == null) {
          page = log.readAfter(cursor, PAGE);
        }
        if (page.isEmpty()) {
          break;
        }
        if (page.get(0).seq() != cursor + 1) {
          // seqs are dense: rows after the cursor were pruned while this replay ran; the
          // client resumes and gets history_expired rather than a silent gap
          LOG.info("subscription {}: changes after seq {} were pruned during its replay", ch.id, cursor);
          conn.close(CloseCode.REPLAY_FAILED.code(), CloseCode.REPLAY_FAILED.reason());
          return;
        }
        for (Change c : page) {
          if (c.seq() > upTo) {
            break;
          }
          cursor = c.seq();
          if (domains.contains(c.domainKey()) && ch.accepts(c)) {
            if (!conn.awaitRoom()) {
              return;
            }
            ch.replayed(c, cache.render(c, conn.base(), ch));
          }
        }
        cursor = Math.min(Math.max(cursor, page.get(page.size() - 1).seq()), upTo);
      }
      ch.goLive(cache);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("replay for subscription {} failed: {}", ch.id, e.toString());
      conn.close(CloseCode.REPLAY_FAILED.code(), CloseCode.REPLAY_FAILED.reason());
    } finally {
      replays.release();
    }
  }

  // ---- the feed ----

  private void runFeed() {
    long backoffMs = 100;
    while (running) {
      long stalled = stallUntilMs - clock.millis();
      if (stalled > 0) {
        // an injected stall: changes wait in the log and arrive, in order, once it ends
        housekeeping();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(stalled, 50)));
        continue;
      }
      try {
        List<Change> batch = log.readAfter(position, PAGE);
        if (!batch.isEmpty()) {
          publish(batch);
          caughtUp = batch.size() < PAGE;
          backoffMs = 100;
          housekeeping(); // due items only: heartbeats keep going under sustained load too
          continue;
        }
        caughtUp = true;
        backoffMs = 100;
        housekeeping();
        if (wanted.get() <= position) {
          LockSupport.parkNanos(POLL.toNanos());
        }
      } catch (RuntimeException | Error e) {
        caughtUp = false;
        LOG.warn("change feed cannot read the log (retrying in {} ms): {}", backoffMs, e.toString());
        // sockets stay open while the database is away: their heartbeats go on
        housekeeping();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
        // short: while the database is down reads fail at once (Database.connection)
        backoffMs = Math.min(backoffMs * 2, 1_000);
      }
    }
  }

  private void publish(List<Change> batch) {
    publishLock.lock();
    try {
      for (Change c : batch) {
        if (c.seq() <= floor) {
          continue; // read before a reset replaced them
        }
        dispatch(c, index.all(c.domainKey()));
        dispatch(c, index.byType(c.domainKey(), c.type()));
        recent.add(c);
        position = c.seq();
      }
    } finally {
      publishLock.unlock();
      // One wake-up per touched connection per batch, on this thread. Only writers that were
      // idle are touched (a running writer drains its outbox by itself); each then sends all the
      // batch's frames in as few flushes as possible. (Handing the wake-ups to other threads
      // measured slower on 2 cores: docs/benchmarks.md.)
      for (Connection conn : touched) {
        conn.kickPending = false;
        conn.kick();
      }
      touched.clear();
    }
    published.increment(batch.size());
  }

  private void dispatch(Change c, Channel[] channels) {
    for (Channel ch : channels) {
      if (ch.accepts(c) && ch.live(c, liveCache.render(c, ch.connection.base(), ch))) {
        Connection conn = ch.connection;
        if (!conn.kickPending) {
          conn.kickPending = true;
          touched.add(conn);
        }
      }
    }
  }

  /** Progress marks, heartbeats and keeping sessions with open sockets alive (feed thread). */
  private void housekeeping() {
    long now = clock.millis();
    if (now < housekeepingDueMs) {
      return;
    }
    housekeepingDueMs = now + 100;
    long pos = position;
    for (Channel ch : progressChannels) {
      if (now >= ch.progressDueMs && !ch.isReplaying()) {
        ch.progressDueMs = now + ch.command.progressSeconds().orElse(1) * 1000L;
        if (pos > Math.max(ch.progressSeq, ch.lastSeq())) {
          ch.progressSeq = pos;
          ch.connection.control(Frames.progress(ch.id, pos));
        }
      }
    }
    for (Connection c : heartbeatConnections) {
      if (now >= c.heartbeatDueMs) {
        c.heartbeatDueMs = now + c.heartbeatMs;
        c.control(Frames.heartbeat(pos));
      }
    }
    if (now >= touchDueMs) {
      touchDueMs = now + 10_000;
      for (String hash : bySession.keySet()) {
        sessions.touch(hash);
      }
    }
    if (now >= verifyDueMs) {
      // a logout on another node removes the session row: close its sockets here within ~1 s
      verifyDueMs = now + 1_000;
      try {
        sessions.revalidate(bySession.keySet());
      } catch (HeraldException e) {
        // the database is away: keep the sockets, check again in a second
      }
    }
  }
}
