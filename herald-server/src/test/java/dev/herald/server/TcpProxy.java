package dev.herald.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for a load balancer in front of several nodes: each accepted TCP connection goes
 * to the first backend that accepts one (so when a node stops, new connections reach the next).
 * Bytes are copied both ways; when either side closes, both do.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final List<Integer> backends;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  TcpProxy(List<Integer> backendPorts) throws IOException {
    this.backends = List.copyOf(backendPorts);
    this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("proxy-accept").start(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket backend = connectToFirstLiveBackend();
        if (backend == null) {
          client.close();
          continue;
        }
        open.add(client);
        open.add(backend);
        Thread.ofVirtual().start(() -> pipe(client, backend));
        Thread.ofVirtual().start(() -> pipe(backend, client));
      } catch (IOException e) {
        // closed
      }
    }
  }

  private Socket connectToFirstLiveBackend() {
    for (int port : backends) {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
        return s;
      } catch (IOException e) {
        closeQuietly(s);
      }
    }
    return null;
  }

  private void pipe(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    open.forEach(TcpProxy::closeQuietly);
  }
}
