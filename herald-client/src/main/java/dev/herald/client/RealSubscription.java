package dev.herald.client;

import dev.herald.protocol.CloseCode;
import dev.herald.protocol.Command;
import dev.herald.protocol.ServerMessage;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription on its own notification socket, with reconnect and resume.
 *
 * <p>It subscribes with Herald's seq extension. The server's acknowledgement then names the
 * position the subscription starts after, and every event its seq, so the subscription always
 * knows where to resume — also before its first event. After a disconnect it subscribes again
 * with {@code since} = that position (deduplicating by seq as a second line of defence). A
 * server without the extension (a real SMC) gets a plain re-subscribe; changes made while
 * disconnected are then not replayed.
 *
 * <p>Threads: the JDK WebSocket calls {@link Listener} sequentially; the listener is called on
 * that thread. Reconnects run on a virtual thread of this subscription.
 */
final class RealSubscription implements Subscription {
  private static final Logger LOG = LoggerFactory.getLogger(RealSubscription.class);

  private final SocketSession session;
  private final Command.Subscribe spec;
  private final NotificationListener listener;
  private final Duration maxBackoff;
  private final Object lock = new Object();
  private final CompletableFuture<Void> firstAck = new CompletableFuture<>();
  private volatile WebSocket socket;
  private volatile boolean closed;
  private volatile State state = State.RECONNECTING;
  /**
   * The position to resume after: the seq of the last change handed to the listener, or the
   * position the server acknowledged; -1 while unknown (a server without the extension).
   * Written on the socket's sequential callbacks.
   */
  private volatile long lastSeq = -1;
  private volatile boolean reconnecting;
  private int attempt;

  RealSubscription(SocketSession session, Command.Subscribe spec, NotificationListener listener,
      Duration maxBackoff) {
    this.session = session;
    this.spec = spec.numbered();
    this.listener = listener;
    this.maxBackoff = maxBackoff;
    spec.since().ifPresent(s -> lastSeq = s);
  }

  /**
   * Connects and subscribes; returns once the server acknowledged the subscription (every
   * change committed after this returns reaches the listener).
   *
   * @throws SubscriptionRefusedException the server refused it
   * @throws java.io.UncheckedIOException no connection or no answer in time
   */
  void start() {
    try {
      connect();
      firstAck.get(session.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      abort();
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new java.io.UncheckedIOException(new java.io.IOException(e.getCause()));
    } catch (TimeoutException e) {
      abort();
      throw new java.io.UncheckedIOException(new java.io.IOException(
          "the server did not acknowledge the subscription within " + session.timeout()));
    } catch (InterruptedException e) {
      abort();
      Thread.currentThread().interrupt();
      throw new java.io.UncheckedIOException(new java.io.InterruptedIOException("interrupted"));
    } catch (RuntimeException e) {
      abort();
      throw e;
    }
  }

  @Override
  public OptionalLong lastSeq() {
    return lastSeq < 0 ? OptionalLong.empty() : OptionalLong.of(lastSeq);
  }

  @Override
  public State state() {
    return state;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    state = State.CLOSED;
    WebSocket s = socket;
    if (s != null) {
      s.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS)
          .whenComplete((ok, err) -> s.abort());
    }
    session.closed(this);
    listener.onState(State.CLOSED, null);
  }

  private void abort() {
    closed = true;
    state = State.CLOSED;
    WebSocket s = socket;
    if (s != null) {
      s.abort();
    }
    session.closed(this);
  }

  private void connect() {
    WebSocket ws;
    try {
      ws = session.http().newWebSocketBuilder().header("Cookie", session.cookie())
          .connectTimeout(session.timeout())
          .buildAsync(session.socketUri(), new Listener()).join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new java.io.UncheckedIOException(describe(cause), cause instanceof java.io.IOException io
          ? io : new java.io.IOException(describe(cause), cause));
    }
    synchronized (this) {
      socket = ws;
      sends = java.util.concurrent.CompletableFuture.completedFuture(null); // a new socket: nothing pending
    }
    send(ws, subscribeMessage()).join();
  }

  /** Sends are chained: the JDK refuses a send while the previous one has not completed. */
  private java.util.concurrent.CompletableFuture<?> sends = java.util.concurrent.CompletableFuture.completedFuture(null);

  /**
   * Sends one text frame after those already sent. The listener may answer a frame (a
   * history_expired, say) before the send that caused it has completed on the caller's thread.
   */
  private synchronized java.util.concurrent.CompletableFuture<?> send(WebSocket ws, String text) {
    sends = sends.handle((r, e) -> null).thenCompose(x -> ws.sendText(text, true));
    return sends;
  }

  private String subscribeMessage() {
    return (lastSeq >= 0 ? spec.since(lastSeq) : spec.live()).toJson();
  }

  /** Reconnects with jittered exponential back-off until it works or the subscription closes. */
  private void scheduleReconnect(Throwable cause) {
    synchronized (lock) {
      if (closed || reconnecting) {
        return;
      }
      reconnecting = true;
    }
    state = State.RECONNECTING;
    listener.onState(State.RECONNECTING, cause);
    Thread.ofVirtual().name("herald-reconnect").start(() -> {
      try {
        while (!closed) {
          long cap = Math.min(maxBackoff.toMillis(), 100L << Math.min(attempt, 10));
          attempt++;
          Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
          try {
            connect();
            return;
          } catch (RuntimeException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof WebSocketHandshakeException h && h.getResponse().statusCode() == 401) {
              relogin();
            }
            LOG.debug("reconnect attempt {} failed: {}", attempt, c.toString());
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        synchronized (lock) {
          reconnecting = false;
        }
      }
    });
  }

  private void relogin() {
    try {
      session.relogin();
    } catch (RuntimeException e) {
      LOG.debug("re-login failed: {}", e.toString());
    }
  }

  private void deliver(ServerMessage.Event m) {
    if (m.seq().isPresent()) {
      if (m.seq().getAsLong() <= lastSeq) {
        return; // already delivered before a reconnect
      }
      lastSeq = m.seq().getAsLong();
    }
    for (ServerMessage.EventObject e : m.events()) {
      listener.onEvent(new Event(spec.context(), e.type(), e.element(), m.seq(), m.at()));
    }
  }

  static String describe(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    String m = t.getMessage();
    String kind = t instanceof java.net.ConnectException ? "connection refused"
        : t instanceof java.net.http.HttpConnectTimeoutException ? "connect timed out"
        : t instanceof java.nio.channels.UnresolvedAddressException ? "unknown host"
        : t.getClass().getSimpleName();
    return m == null || m.isBlank() ? kind : m;
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder part = new StringBuilder();
    /** Whether this connection's subscribe was acknowledged. */
    private boolean acked;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      part.append(data);
      if (last) {
        String text = part.toString();
        part.setLength(0);
        try {
          handle(ws, ServerMessage.parse(text));
        } catch (RuntimeException e) {
          LOG.warn("notification listener failed: {}", e.toString(), e);
        }
      }
      ws.request(1);
      return null;
    }

    private void handle(WebSocket ws, ServerMessage m) {
      switch (m) {
        case ServerMessage.Event e -> deliver(e);
        case ServerMessage.Subscribed s -> {
          acked = true;
          if (s.seq().isPresent() && lastSeq < 0) {
            lastSeq = s.seq().getAsLong(); // the position, known before any event
          }
          attempt = 0;
          state = State.CONNECTED;
          listener.onState(State.CONNECTED, null);
          firstAck.complete(null);
        }
        case ServerMessage.Progress p -> {
          if (p.seq() > lastSeq) {
            lastSeq = p.seq();
          }
        }
        case ServerMessage.HistoryExpired h -> {
          listener.onHistoryExpired(h.since(), h.oldestSeq(), h.headSeq());
          lastSeq = h.headSeq(); // continue live from the head, explicitly
          send(ws, subscribeMessage());
        }
        case ServerMessage.Failure f when !acked -> refused(ws, f);
        case ServerMessage.Failure f ->
            LOG.warn("server answered {} on subscription {}: {}", spec.context(),
                f.subscriptionId(), f.reason());
        case ServerMessage.Unsubscribed u -> { }
        case ServerMessage.Heartbeat h -> { }
        case ServerMessage.Unknown u when !acked && !firstAck.isDone()
            && dev.herald.protocol.Json.parseObject(u.text()).isEmpty() ->
            // not even JSON before the ack: not Herald or an SMC (a JSON frame this client does
            // not know, from a newer server, is let pass)
            firstAck.completeExceptionally(new HeraldProtocolException(
                "The server answered the subscribe with a frame this client cannot read: "
                    + HeraldClient.abbreviate(u.text())));
        case ServerMessage.Unknown u -> LOG.debug("unknown frame ignored: {}", u.text());
      }
    }

    /** The subscribe of this connection was refused. */
    private void refused(WebSocket ws, ServerMessage.Failure f) {
      boolean beyond = f.code().filter(ServerMessage.Failure.SINCE_BEYOND_HEAD::equals).isPresent();
      if (!firstAck.isDone()) {
        firstAck.completeExceptionally(new SubscriptionRefusedException(f.reason()));
        return;
      }
      if (beyond && f.headSeq().isPresent()) {
        // a resume to a server that never had our position (replaced by an empty one): what
        // happened after it is unknown, said as history lost
        long head = f.headSeq().getAsLong();
        listener.onHistoryExpired(lastSeq, head + 1, head);
        lastSeq = head;
        send(ws, subscribeMessage());
        return;
      }
      SubscriptionRefusedException e = new SubscriptionRefusedException(f.reason());
      LOG.warn("server refused the resumed subscription {}: {}", spec.context(), f.reason());
      closed = true;
      state = State.CLOSED;
      ws.abort();
      session.closed(RealSubscription.this);
      listener.onState(State.CLOSED, e);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      if (!firstAck.isDone()) {
        firstAck.completeExceptionally(new java.io.UncheckedIOException(new java.io.IOException(
            "the server closed the socket before acknowledging the subscription: " + code + " " + reason)));
        return null;
      }
      if (!closed) {
        if (CloseCode.of(code, reason).orElse(null) == CloseCode.SESSION_ENDED) {
          relogin();
        }
        scheduleReconnect(new java.io.IOException("socket closed: " + code + " " + reason));
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      if (!firstAck.isDone()) {
        firstAck.completeExceptionally(new java.io.UncheckedIOException(
            new java.io.IOException(describe(error), error)));
        return;
      }
      if (!closed) {
        scheduleReconnect(error);
      }
    }
  }
}
