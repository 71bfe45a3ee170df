package dev.herald.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A status-socket subscription that outlives its socket: when the socket closes (a restart, a
 * proxy, a fault) it reconnects with jittered exponential back-off, logging in again when the
 * session is gone, and subscribes again. A status is a current state, not a history: on an
 * element, the status read over REST right after the new subscription is delivered first (what
 * changed during the gap), and the frames that came meanwhile after it, so the last status
 * delivered is never older than one before it. It stops when the element is no longer
 * monitored (deleted) or when closed.
 */
final class StatusWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWatch.class);

  private final SocketSession session;
  private final String target;
  private final String command;
  private final Consumer<JsonNode> onStatus;
  private final Function<String, JsonNode> readStatus;
  private final Duration maxBackoff;
  private final Object lock = new Object();
  /** Guarded by lock. */
  private boolean closed;
  private boolean reconnecting;
  private WebSocket socket;
  /** Guarded by lock: frames held while the state read after a reconnect is delivered. */
  private ArrayDeque<JsonNode> held;
  private int attempt;

  private final Consumer<StatusWatch> onClosed;

  StatusWatch(SocketSession session, String target, Consumer<JsonNode> onStatus, Function<String, JsonNode> readStatus,
      Duration maxBackoff, Consumer<StatusWatch> closed) {
    this.onClosed = closed;
    this.session = session;
    this.target = target;
    this.command = Json.write(target.contains("/elements/") ? Json.object().put("element", target)
        : Json.object().put("context", target));
    this.onStatus = onStatus;
    this.readStatus = readStatus;
    this.maxBackoff = maxBackoff;
  }

  private URI uri() {
    return URI.create(session.socketUri().toString().replace("/notification/socket", "/status/socket"));
  }

  /** Connects and subscribes; throws when the server refuses or does not answer. */
  void open() {
    WebSocket ws = connect();
    synchronized (lock) {
      if (closed) {
        ws.abort();
        return;
      }
      socket = ws;
    }
  }

  private WebSocket connect() {
    CompletableFuture<JsonNode> ack = new CompletableFuture<>();
    WebSocket ws;
    try {
      ws = session.http().newWebSocketBuilder().header("Cookie", session.cookie()).connectTimeout(session.timeout())
          .buildAsync(uri(), new Listener(ack)).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new UncheckedIOException(cause instanceof IOException io ? io : new IOException(cause.toString(), cause));
    }
    ws.sendText(command, true).join();
    JsonNode answer;
    try {
      answer = ack.get(session.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      ws.abort();
      throw new UncheckedIOException(new IOException("No answer to the status subscription: " + e));
    }
    if (answer.has("failure")) {
      ws.abort();
      throw new SubscriptionRefusedException(answer.path("failure").asText());
    }
    return ws;
  }

  private final class Listener implements WebSocket.Listener {
    private final CompletableFuture<JsonNode> ack;
    private final StringBuilder part = new StringBuilder();

    Listener(CompletableFuture<JsonNode> ack) {
      this.ack = ack;
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      part.append(data);
      if (last) {
        Json.parseObject(part.toString()).ifPresent(m -> {
          if (m.has("status")) {
            status(m.get("status").path("status"));
          } else {
            ack.complete(m);
          }
        });
        part.setLength(0);
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
      IOException cause = new IOException("status socket closed: " + code + " " + reason);
      ack.completeExceptionally(cause); // a close before the ack: no need to wait the timeout
      lost(w, cause);
      return null;
    }

    @Override
    public void onError(WebSocket w, Throwable error) {
      ack.completeExceptionally(error);
      lost(w, error);
    }
  }

  private void status(JsonNode s) {
    synchronized (lock) {
      if (held != null) {
        held.add(s);
        return;
      }
    }
    onStatus.accept(s);
  }

  /** The current socket went: reconnect (a socket replaced or closed by us is not lost). */
  private void lost(WebSocket w, Throwable cause) {
    synchronized (lock) {
      if (closed || reconnecting || w != socket) {
        return;
      }
      reconnecting = true;
      socket = null;
    }
    LOG.debug("status watch of {} lost its socket: {}", target, cause.toString());
    Thread.ofVirtual().name("herald-status-reconnect").start(this::reconnect);
  }

  private void reconnect() {
    try {
      while (true) {
        synchronized (lock) {
          if (closed) {
            return;
          }
        }
        long cap = Math.min(maxBackoff.toMillis(), 100L << Math.min(attempt, 10));
        attempt++;
        Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
        try {
          synchronized (lock) {
            held = new ArrayDeque<>();
          }
          WebSocket ws = connect();
          synchronized (lock) {
            if (closed) {
              ws.abort();
              return;
            }
            socket = ws;
          }
          attempt = 0;
          catchUp();
          if (ws.isInputClosed() || ws.isOutputClosed()) {
            continue; // lost while it was being set up (its loss was ignored then): again
          }
          return;
        } catch (SubscriptionRefusedException e) {
          if (String.valueOf(e.getMessage()).startsWith("Too many subscriptions")) {
            // the old socket's subscriptions are not released yet: a limit that passes, try again
            LOG.debug("status reconnect attempt {} refused for now: {}", attempt, e.getMessage());
            continue;
          }
          LOG.info("status watch of {} ends: {}", target, e.getMessage());
          return;
        } catch (RuntimeException e) {
          Throwable c = e.getCause() != null ? e.getCause() : e;
          if (c instanceof WebSocketHandshakeException h && h.getResponse().statusCode() == 401) {
            try {
              session.relogin();
            } catch (RuntimeException r) {
              LOG.debug("re-login failed: {}", r.toString());
            }
          }
          LOG.debug("status reconnect attempt {} failed: {}", attempt, c.toString());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      WebSocket again;
      synchronized (lock) {
        reconnecting = false;
        held = null;
        // a socket that went while this ran had its loss ignored: take it up now
        again = !closed && socket != null && (socket.isInputClosed() || socket.isOutputClosed()) ? socket : null;
      }
      if (again != null) {
        lost(again, new IOException("status socket closed while reconnecting"));
      }
    }
  }

  /** After a new subscription: the element's status now, then what came on the socket meanwhile. */
  private void catchUp() {
    if (target.contains("/elements/")) {
      try {
        onStatus.accept(readStatus.apply(target));
      } catch (RuntimeException e) {
        LOG.debug("reading the status of {} after a reconnect failed: {}", target, e.toString());
      }
    }
    while (true) {
      JsonNode next;
      synchronized (lock) {
        next = held == null ? null : held.poll();
        if (next == null) {
          held = null;
          return;
        }
      }
      onStatus.accept(next);
    }
  }

  @Override
  public void close() {
    WebSocket ws;
    synchronized (lock) {
      closed = true;
      ws = socket;
      socket = null;
    }
    onClosed.accept(this);
    if (ws != null) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> null).join();
    }
  }
}
