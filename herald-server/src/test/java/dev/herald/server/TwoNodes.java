package dev.herald.server;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Two servers on one database, and one session opened on node A whose cookie is presented to
 * both: {@link #onA} talks to A, {@link #onB} to B with A's cookie.
 */
final class TwoNodes implements AutoCloseable {
  final HeraldServer a;
  final HeraldServer b;
  final SmcClient onA;
  final SmcClient onB;
  private final Path dir;
  private boolean aStopped;

  private TwoNodes(Path dir, HeraldServer a, HeraldServer b) throws Exception {
    this.dir = dir;
    this.a = a;
    this.b = b;
    this.onA = SmcClient.loggedInTo(url(a));
    this.onB = withCookieOf(onA, url(b));
  }

  /** Starts both nodes on the database {@code database} points at. */
  static TwoNodes start(UnaryOperator<ServerConfig.Builder> database) throws Exception {
    Path dir = Files.createTempDirectory("herald-nodes");
    HeraldServer a = HeraldServer.start(TestServer.config(dir, database));
    HeraldServer b;
    try {
      b = HeraldServer.start(TestServer.config(dir, database));
    } catch (Exception | Error e) {
      a.close();
      TestServer.deleteTree(dir);
      throw e;
    }
    try {
      return new TwoNodes(dir, a, b);
    } catch (Exception | Error e) {
      b.close();
      a.close();
      TestServer.deleteTree(dir);
      throw e;
    }
  }

  static String url(HeraldServer s) {
    return "http://127.0.0.1:" + s.port();
  }

  /** A client of {@code url} presenting the session cookie {@code of} holds. */
  static SmcClient withCookieOf(SmcClient of, String url) {
    SmcClient c = new SmcClient(url, of.version);
    c.cookies.getCookieStore().add(URI.create(url), of.cookies.getCookieStore().getCookies().get(0));
    return c;
  }

  /** Node A stops (its sockets close with 1001); B goes on. */
  void stopA() throws Exception {
    if (!aStopped) {
      aStopped = true;
      a.close();
    }
  }

  @Override
  public void close() throws Exception {
    try {
      b.close();
    } finally {
      try {
        stopA();
      } finally {
        TestServer.deleteTree(dir);
      }
    }
  }
}
