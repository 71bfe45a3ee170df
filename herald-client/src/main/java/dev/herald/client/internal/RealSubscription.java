package dev.herald.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.Event;
import dev.herald.client.HeraldClient;
import dev.herald.client.NotificationListener;
import dev.herald.client.Subscription;
import dev.herald.protocol.Json;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription on its own notification socket, with reconnect and resume.
 *
 * <p>It subscribes with {@code "seq": true}; a server with Herald's extensions then numbers the
 * events and the subscription resumes after a disconnect with {@code since} = the last seq the
 * listener got (deduplicating by seq as a second line of defence). A server without them (a
 * real SMC) gets a plain re-subscribe; changes made while disconnected are then not replayed.
 *
 * <p>Threads: the JDK WebSocket calls {@link Listener} sequentially; the listener is called on
 * that thread. Reconnects run on a virtual thread of this subscription.
 */
public final class RealSubscription implements Subscription {
  private static final Logger LOG = LoggerFactory.getLogger(RealSubscription.class);

  private final HeraldClient client;
  private final HttpClient http;
  private final Subscription.Spec spec;
  private final NotificationListener listener;
  private final Duration maxBackoff;
  private final Object lock = new Object();
  private volatile WebSocket socket;
  private volatile boolean closed;
  private volatile State state = State.RECONNECTING;
  /** Last seq handed to the listener, or -1. Guarded by the socket's sequential callbacks. */
  private volatile long lastSeq = -1;
  private volatile boolean serverHasSeq;
  private volatile boolean reconnecting;
  private int attempt;

  public RealSubscription(HeraldClient client, HttpClient http, Subscription.Spec spec,
      NotificationListener listener, Duration maxBackoff) {
    this.client = client;
    this.http = http;
    this.spec = spec;
    this.listener = listener;
    this.maxBackoff = maxBackoff;
    spec.since().ifPresent(s -> lastSeq = s);
  }

  /** Connects once now (errors surface to the caller), later reconnects by itself. */
  public void start() {
    connect();
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
    closed = true;
    state = State.CLOSED;
    WebSocket s = socket;
    if (s != null) {
      s.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS)
          .whenComplete((ok, err) -> s.abort());
    }
    listener.onState(State.CLOSED, null);
  }

  private void connect() {
    WebSocket ws = http.newWebSocketBuilder().header("Cookie", client.sessionCookie())
        .connectTimeout(Duration.ofSeconds(10))
        .buildAsync(client.socketUri(), new Listener()).join();
    socket = ws;
    ws.sendText(subscribeMessage(), true).join();
  }

  private String subscribeMessage() {
    ObjectNode o = Json.object().put("context", spec.context()).put("seq", true);
    if (lastSeq >= 0) {
      o.put("since", lastSeq);
    }
    if (!spec.types().isEmpty()) {
      ArrayNode a = o.putArray("types");
      spec.types().forEach(a::add);
    }
    if (!spec.names().isEmpty()) {
      ArrayNode a = o.putArray("names");
      spec.names().forEach(a::add);
    }
    if (!spec.keys().isEmpty()) {
      ArrayNode a = o.putArray("keys");
      spec.keys().forEach(a::add);
    }
    return Json.write(o);
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
      client.login();
    } catch (RuntimeException e) {
      LOG.debug("re-login failed: {}", e.toString());
    }
  }

  private void deliver(JsonNode event, OptionalLong seq) {
    if (seq.isPresent()) {
      serverHasSeq = true;
      if (seq.getAsLong() <= lastSeq) {
        return; // already delivered before a reconnect
      }
      lastSeq = seq.getAsLong();
    }
    listener.onEvent(new Event(spec.context(), event.path("type").asText(),
        event.path("element").asText(), seq));
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder part = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      part.append(data);
      if (last) {
        String text = part.toString();
        part.setLength(0);
        try {
          handle(ws, text);
        } catch (RuntimeException e) {
          LOG.warn("notification listener failed: {}", e.toString(), e);
        }
      }
      ws.request(1);
      return null;
    }

    private void handle(WebSocket ws, String text) {
      JsonNode m = Json.parseObject(text).orElse(null);
      if (m == null) {
        return;
      }
      OptionalLong seq = m.has("seq") ? OptionalLong.of(m.get("seq").asLong()) : OptionalLong.empty();
      if (m.has("event")) {
        deliver(m.get("event"), seq);
      } else if (m.has("events")) {
        for (JsonNode e : m.get("events")) {
          deliver(e, seq);
        }
      } else if (m.has("success")) {
        attempt = 0;
        state = State.CONNECTED;
        listener.onState(State.CONNECTED, null);
      } else if (m.has("progress")) {
        long p = m.get("progress").path("seq").asLong();
        if (p > lastSeq) {
          lastSeq = p;
        }
      } else if (m.has("history_expired")) {
        JsonNode h = m.get("history_expired");
        long head = h.path("head_seq").asLong();
        listener.onHistoryExpired(h.path("since").asLong(), h.path("oldest_seq").asLong(), head);
        lastSeq = head; // continue live from the head, explicitly
        ws.sendText(subscribeMessage(), true);
      } else if (m.has("failure")) {
        LOG.warn("server refused the subscription {}: {}", spec.context(), m.get("failure").asText());
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      if (!closed) {
        if (reason != null && reason.startsWith("session ended")) {
          relogin();
        }
        if (!serverHasSeq && lastSeq < 0) {
          LOG.debug("socket closed ({} {}); the server numbers no events, so changes made while"
              + " disconnected will not be replayed", code, reason);
        }
        scheduleReconnect(new java.io.IOException("socket closed: " + code + " " + reason));
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      if (!closed) {
        scheduleReconnect(error);
      }
    }
  }
}
