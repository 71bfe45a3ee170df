package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The second way the seed names to authenticate a socket, "share the socket itself" (SMC-API.md
 * §3.4): a WebSocket upgrade sent on the keep-alive connection that logged in needs no cookie.
 * Bytes on a raw TCP connection show exactly what travels on it.
 */
class ConnectionAuthTest {

  /** An HTTP/1.1 exchange on an open connection: the status line and the body. */
  record Answer(int status, String head, String body) {}

  static Answer exchange(Socket s, InputStream in, String method, String path, String headers, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
        + (b.length > 0 ? "Content-Type: application/json\r\n" : "")
        + "Content-Length: " + b.length + "\r\n\r\n";
    s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    String head = RawWebSocket.readHead(in);
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    for (int i = 0; i < length; i++) {
      got.write(in.read());
    }
    return new Answer(Integer.parseInt(head.substring(9, 12)), head, got.toString(StandardCharsets.UTF_8));
  }

  static Answer login(Socket s, InputStream in) throws IOException {
    return exchange(s, in, "POST", "/7.2/login", "",
        "{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}");
  }

  /**
   * Logs in on {@code s}, then upgrades the same connection with no cookie and subscribes; a
   * change made by another client arrives on it.
   */
  /** Makes a host change through another client. */
  interface Change {
    void make() throws Exception;
  }

  static void loginThenSubscribeOnTheSameConnection(Socket s, int port, Change byAnotherClient)
      throws Exception {
    InputStream in = s.getInputStream();
    Answer login = login(s, in);
    assertThat(login.status()).isEqualTo(200);
    try (RawWebSocket ws = RawWebSocket.upgrade(s, in, port, "/7.2/notification/socket", Map.of())) {
      assertThat(ws.status).as(ws.responseHead).isEqualTo(101);
      ws.sendText("{\"context\":\"host\"}");
      assertThat(ws.readText()).contains("\"success\"").contains("\"subscription_id\":0");
      byAnotherClient.make();
      assertThat(ws.readText()).contains("\"type\":\"create\"").contains("/elements/host/");
    }
  }

  @Test
  void anUpgradeOnTheConnectionThatLoggedIn_needsNoCookie() throws Exception {
    try (TestServer server = TestServer.start(); Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.server().port()), 5_000);
      s.setSoTimeout(20_000);
      SmcClient other = SmcClient.loggedIn(server);
      loginThenSubscribeOnTheSameConnection(s, server.server().port(),
          () -> other.create("host", "{\"name\":\"shared-conn\",\"address\":\"192.0.2.7\"}"));
    }
  }

  @Test
  void anotherConnection_orALoggedOutOne_isRefused() throws Exception {
    try (TestServer server = TestServer.start()) {
      int port = server.server().port();
      // logged in on one connection, upgrading on another: 401
      try (Socket a = connect(port); Socket b = connect(port)) {
        assertThat(login(a, a.getInputStream()).status()).isEqualTo(200);
        try (RawWebSocket ws = RawWebSocket.upgrade(b, b.getInputStream(), port, "/7.2/notification/socket", Map.of())) {
          assertThat(ws.status).isEqualTo(401);
        }
      }
      // a REST call without its cookie is not authenticated by the connection: only upgrades are
      try (Socket a = connect(port)) {
        InputStream in = a.getInputStream();
        assertThat(login(a, in).status()).isEqualTo(200);
        assertThat(exchange(a, in, "GET", "/7.2/elements/host", "", "").status()).isEqualTo(401);
      }
      // logged out on the connection (with its cookie): the next upgrade on it is refused
      try (Socket a = connect(port)) {
        InputStream in = a.getInputStream();
        Answer login = login(a, in);
        String cookie = login.head().lines().filter(l -> l.startsWith("Set-Cookie:"))
            .findFirst().orElseThrow().substring(11).split(";")[0].strip();
        assertThat(exchange(a, in, "PUT", "/7.2/logout", "Cookie: " + cookie + "\r\n", "").status()).isEqualTo(204);
        try (RawWebSocket ws = RawWebSocket.upgrade(a, in, port, "/7.2/status/socket", Map.of())) {
          assertThat(ws.status).isEqualTo(401);
        }
      }
      // the session ended elsewhere (an administrator's logout of all its sessions is the same
      // path): resolved again at the upgrade, never trusted from the connection alone
      try (Socket a = connect(port)) {
        InputStream in = a.getInputStream();
        Answer login = login(a, in);
        String cookie = login.head().lines().filter(l -> l.startsWith("Set-Cookie:"))
            .findFirst().orElseThrow().substring(11).split(";")[0].strip();
        HttpResponse<String> out = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url("/7.2/logout")))
            .header("Cookie", cookie).PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(out.statusCode()).isEqualTo(204);
        try (RawWebSocket ws = RawWebSocket.upgrade(a, in, port, "/7.2/notification/socket", Map.of())) {
          assertThat(ws.status).isEqualTo(401);
        }
      }
    }
  }

  @Test
  void behindAProxy_orAfterAFailedLogin_theConnectionAuthenticatesNothing() throws Exception {
    try (TestServer server = TestServer.start()) {
      int port = server.server().port();
      // a proxy says it forwarded the requests: it may carry several clients on one connection
      try (Socket a = connect(port)) {
        InputStream in = a.getInputStream();
        assertThat(exchange(a, in, "POST", "/7.2/login", "X-Forwarded-For: 198.51.100.7\r\n",
            "{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}").status()).isEqualTo(200);
        try (RawWebSocket ws = RawWebSocket.upgrade(a, in, port, "/7.2/notification/socket",
            Map.of("X-Forwarded-For", "198.51.100.8"))) {
          assertThat(ws.status).isEqualTo(401);
        }
      }
      // logged in, then a failed login on the same connection: the first is no longer shared
      try (Socket a = connect(port)) {
        InputStream in = a.getInputStream();
        assertThat(login(a, in).status()).isEqualTo(200);
        assertThat(exchange(a, in, "POST", "/7.2/login", "", "{\"authenticationkey\":\"wrong-key-0123456789\"}").status())
            .isEqualTo(401);
        try (RawWebSocket ws = RawWebSocket.upgrade(a, in, port, "/7.2/notification/socket", Map.of())) {
          assertThat(ws.status).isEqualTo(401);
        }
      }
    }
  }

  @Test
  void turnedOff_anUpgradeOnTheConnectionThatLoggedInNeedsItsCookie() throws Exception {
    try (TestServer server = TestServer.start(b -> b.connectionAuth(false)); Socket a = connect(server.server().port())) {
      int port = server.server().port();
      InputStream in = a.getInputStream();
      Answer login = login(a, in);
      assertThat(login.status()).isEqualTo(200);
      try (RawWebSocket ws = RawWebSocket.upgrade(a, in, port, "/7.2/notification/socket", Map.of())) {
        assertThat(ws.status).isEqualTo(401);
      }
    }
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(20_000);
    return s;
  }
}
