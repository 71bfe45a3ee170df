package dev.herald.server.notify;

import dev.herald.protocol.CloseCode;
import dev.herald.protocol.Frames;
import dev.herald.server.HeraldException;
import dev.herald.server.ServerConfig;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
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

/**
 * The socket endpoint and its registry: the WebSocket upgrade (both socket kinds), the open
 * connections by session with their limits (sockets per session, subscriptions per session on
 * all its sockets), closing them (logout, reset, shutdown, fault injection), heartbeats, keeping
 * the sessions of open sockets alive, and the scheduler for delayed aborts.
 */
final class SocketRegistry {
  /** How a connection is made for an upgrade. */
  @FunctionalInterface
  interface ConnectionFactory {
    Connection open(Session session, String base, boolean legacy, boolean statusSocket);
  }

  private final Sessions sessions;
  private final ServerConfig.Socket cfg;
  private final InstantSource clock;
  private final WebSocketMappings mappings;
  private final Map<String, Set<Connection>> bySession = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> subscriptionsBySession = new ConcurrentHashMap<>();
  private final List<Connection> withHeartbeat = new CopyOnWriteArrayList<>();
  private final AtomicLong connections = new AtomicLong();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("herald-socket-abort").daemon(true).factory());
  private final Counter slowConsumers;
  private final Counter frames;
  private volatile BiConsumer<Session, String> commands = (s, t) -> {};
  private long touchDueMs; // feed thread only
  private long verifyDueMs; // feed thread only

  SocketRegistry(Server jetty, Sessions sessions, ServerConfig.Socket cfg, InstantSource clock,
      MeterRegistry metrics) {
    this.sessions = sessions;
    this.cfg = cfg;
    this.clock = clock;
    WebSocketComponents components = WebSocketServerComponents.ensureWebSocketComponents(jetty);
    this.mappings = new WebSocketMappings(components);
    sessions.onEnd(this::sessionEnded);
    this.slowConsumers = Counter.builder("herald.notify.slow_consumers")
        .description("connections closed by the slow-consumer policy").register(metrics);
    Gauge.builder("herald.notify.connections", connections, AtomicLong::get).register(metrics);
    this.frames = Counter.builder("herald.notify.frames")
        .description("frames written to sockets (events, acks, marks): deliveries").register(metrics);
  }

  ServerConfig.Socket config() {
    return cfg;
  }

  /** Open sockets on this node. */
  long openSockets() {
    return connections.get();
  }

  /**
   * Upgrades an authenticated request; false when it is not a WebSocket upgrade.
   *
   * @throws HeraldException 429 when the session has its maximum of sockets open
   */
  boolean upgrade(Request request, Response response, Callback callback, Session session,
      boolean legacy, String base, boolean statusSocket, ConnectionFactory factory) {
    Set<Connection> mine = bySession.get(session.idHash());
    if (mine != null && mine.size() >= cfg.maxConnectionsPerSession()) {
      throw new HeraldException(429, "Too many notification sockets for this session.",
          List.of("The limit is " + cfg.maxConnectionsPerSession() + "; close one first."), null);
    }
    WebSocketNegotiator negotiator = new WebSocketNegotiator.AbstractNegotiator() {
      @Override
      public FrameHandler negotiate(ServerUpgradeRequest req, ServerUpgradeResponse res, Callback cb) {
        res.setExtensions(List.of()); // SMC negotiates no extension (no permessage-deflate)
        if (req.getSubProtocols().contains("access_token")) {
          // token mode: the session came with the token offered beside access_token; the client
          // (websocket-client in smc-python) needs one of its offers echoed
          res.setAcceptedSubProtocol("access_token");
        }
        return factory.open(session, base, legacy, statusSocket);
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
      // the session ended while this socket was registering
      c.close(CloseCode.SESSION_ENDED.code(), CloseCode.SESSION_ENDED.reason());
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
    withHeartbeat.remove(c);
  }

  /**
   * Takes one of the session's subscriptions (all its sockets together may hold
   * {@code maxSubscriptionsPerSession}); false when none is left.
   */
  boolean takeSubscription(Session s) {
    AtomicInteger n = subscriptionsBySession.computeIfAbsent(s.idHash(), k -> new AtomicInteger());
    if (n.incrementAndGet() > cfg.maxSubscriptionsPerSession()) {
      n.decrementAndGet();
      return false;
    }
    return true;
  }

  void releaseSubscription(Session s) {
    AtomicInteger n = subscriptionsBySession.get(s.idHash());
    if (n != null && n.decrementAndGet() <= 0) {
      subscriptionsBySession.remove(s.idHash(), n);
    }
  }

  /** Told every command a client sends on a socket (the journal). */
  void onCommand(BiConsumer<Session, String> observer) {
    commands = observer;
  }

  void commandReceived(Session s, String text) {
    commands.accept(s, text);
  }

  /** Heartbeats on {@code c} every {@code periodMs} (the shortest asked for wins). */
  void heartbeat(Connection c, long periodMs) {
    if (c.heartbeatMs == 0 || periodMs < c.heartbeatMs) {
      c.heartbeatMs = periodMs;
      c.heartbeatDueMs = clock.millis() + periodMs;
    }
    if (!withHeartbeat.contains(c)) {
      withHeartbeat.add(c);
    }
  }

  /** Runs {@code task} after {@code delayMs}. */
  void schedule(Runnable task, long delayMs) {
    try {
      scheduler.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  /** A socket sent its close frame: a reader that stopped reading cannot get it, so abort later. */
  void scheduleAbort(CoreSession core) {
    try {
      scheduler.schedule(() -> {
        if (!core.isClosed()) {
          core.abort();
        }
      }, 5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      core.abort(); // shutting down
    }
  }

  void countSlowConsumer() {
    slowConsumers.increment();
  }

  void countFrames(int n) {
    frames.increment(n);
  }

  /** Closes every socket with {@code code}. */
  int closeAll(CloseCode code) {
    return close(s -> true, code.code(), code.reason());
  }

  /**
   * Closes the sockets whose session {@code which} accepts.
   *
   * @return the number closed
   */
  int close(Predicate<Session> which, int code, String reason) {
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

  private void sessionEnded(String idHash) {
    Set<Connection> set = bySession.remove(idHash);
    if (set != null) {
      for (Connection c : set) {
        c.close(CloseCode.SESSION_ENDED.code(), CloseCode.SESSION_ENDED.reason());
      }
    }
  }

  /** Heartbeats, and the sessions of open sockets kept alive and checked (feed thread). */
  void housekeeping(long now, long position) {
    for (Connection c : withHeartbeat) {
      if (now >= c.heartbeatDueMs) {
        c.heartbeatDueMs = now + c.heartbeatMs;
        c.control(Frames.heartbeat(position));
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

  void stop() {
    closeAll(CloseCode.SHUTTING_DOWN);
    scheduler.shutdownNow();
  }
}
