package dev.herald.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A notification-socket client on the JDK WebSocket (an independent implementation). */
final class WsClient implements AutoCloseable {
  final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<String> closed = new CompletableFuture<>(); // "code reason"
  private final WebSocket ws;

  private WsClient(HttpClient http, URI uri, String cookie) {
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    this.ws = b.buildAsync(uri, new WebSocket.Listener() {
      private final StringBuilder part = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        part.append(data);
        if (last) {
          messages.add(part.toString());
          part.setLength(0);
        }
        w.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
        closed.complete(code + " " + reason);
        return null;
      }

      @Override
      public void onError(WebSocket w, Throwable error) {
        closed.complete("error " + error);
      }
    }).join();
  }

  static WsClient open(SmcClient smc) {
    String uri = smc.base.replace("http://", "ws://") + "/" + smc.version + "/notification/socket";
    return new WsClient(smc.http, URI.create(uri), smc.sessionCookie());
  }

  static WsClient open(SmcClient smc, String version) {
    String uri = smc.base.replace("http://", "ws://") + "/" + version + "/notification/socket";
    return new WsClient(smc.http, URI.create(uri), smc.sessionCookie());
  }

  /** A socket at another path of the API ({@code /7.2/status/socket}). */
  static WsClient openAt(SmcClient smc, String path) {
    return new WsClient(smc.http, URI.create(smc.base.replace("http://", "ws://") + path), smc.sessionCookie());
  }

  void send(String text) {
    ws.sendText(text, true).join();
  }

  /** The next message; fails after 10 s. */
  String next() throws InterruptedException {
    String m = messages.poll(10, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no message within 10 s");
    }
    return m;
  }

  String subscribe(String json) throws InterruptedException {
    send(json);
    return next();
  }

  @Override
  public void close() {
    ws.abort();
  }
}
