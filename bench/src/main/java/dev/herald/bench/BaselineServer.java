package dev.herald.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.server.WebSocketMappings;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;

/**
 * The raw baseline: a minimal broadcaster on the same Jetty that, for every POST, writes the
 * event frame to every socket straight from its broadcast loop (one write per socket, no
 * outbox, no batching, no database). Same URLs and frame format as Herald, no authentication.
 */
final class BaselineServer {
  private BaselineServer() {}

  static AutoCloseable start(int port) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(200, 8);
    pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    Server server = new Server(pool);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    WebSocketMappings mappings =
        new WebSocketMappings(WebSocketServerComponents.ensureWebSocketComponents(server));
    Set<CoreSession> sessions = ConcurrentHashMap.newKeySet();
    AtomicLong keys = new AtomicLong(1000);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        if (path.endsWith("/notification/socket")) {
          WebSocketNegotiator n = new WebSocketNegotiator.AbstractNegotiator() {
            @Override
            public FrameHandler negotiate(org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest rq,
                org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse rs, Callback cb) {
              rs.setExtensions(java.util.List.of());
              return new BroadcastListener(sessions);
            }
          };
          if (mappings.upgrade(n, request, response, callback, null)) {
            return true;
          }
        }
        if (request.getMethod().equals("POST")) {
          Content.Source.consumeAll(request);
          long key = keys.incrementAndGet();
          String href = "http://" + request.getHttpURI().getAuthority() + "/7.2/elements/host/" + key;
          byte[] frame = ("{\"event\":{\"type\":\"create\",\"element\":\"" + href
              + "\"},\"subscription_id\":0}").getBytes(StandardCharsets.UTF_8);
          for (CoreSession s : sessions) {
            s.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(frame)), Callback.NOOP, false);
          }
          response.setStatus(201);
          response.getHeaders().put("Location", href);
          callback.succeeded();
          return true;
        }
        response.setStatus(200);
        response.getHeaders().put("Content-Type", "application/json");
        Content.Sink.write(response, true, "{}", callback);
        return true;
      }
    });
    server.start();
    return server::stop;
  }

  private static final class BroadcastListener implements FrameHandler {
    private final Set<CoreSession> sessions;
    private CoreSession session;

    BroadcastListener(Set<CoreSession> sessions) {
      this.sessions = sessions;
    }

    @Override
    public void onOpen(CoreSession s, Callback callback) {
      session = s;
      sessions.add(s);
      callback.succeeded();
      s.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
      if (frame.getOpCode() == OpCode.TEXT) {
        session.sendFrame(new Frame(OpCode.TEXT, true,
            "{\"success\":\"Subscribed for notifications\",\"context\":\"*\",\"subscription_id\":0}"),
            Callback.NOOP, false);
      }
      callback.succeeded();
      session.demand();
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
      callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
      sessions.remove(session);
      callback.succeeded();
    }
  }
}
