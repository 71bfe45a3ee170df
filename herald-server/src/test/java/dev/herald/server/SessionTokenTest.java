package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SMC's "Use SSL for session ID" token mode as smc-python 1.0.31 uses it (SMC-API.md §3.4): the
 * login answers an Authorization header, REST calls send it back verbatim without a cookie, the
 * notification socket offers {@code Sec-WebSocket-Protocol: access_token,<token>} in either
 * order and needs {@code access_token} echoed.
 */
class SessionTokenTest {
  private static String login(HttpClient http, String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/7.2/login"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().firstValue("Authorization").orElse(null);
  }

  private static int get(HttpClient http, String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/7.2/elements/host"));
    if (token != null) {
      b.header("Authorization", token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void tokenMode_restAndBothSocketsAuthenticateWithTheToken() throws Exception {
    try (TestServer server = TestServer.start(b -> b.sessionTokens(true))) {
      HttpClient http = HttpClient.newHttpClient(); // no cookie handler: the token alone
      String token = login(http, server.url());
      assertThat(token).isNotBlank().doesNotContain(" ");
      assertThat(get(http, server.url(), token)).isEqualTo(200);
      assertThat(get(http, server.url(), "not-a-session")).isEqualTo(401);
      assertThat(get(http, server.url(), null)).isEqualTo(401);

      for (String[] order : new String[][] {{"access_token", token}, {token, "access_token"}}) {
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder().subprotocols(order[0], order[1])
            .buildAsync(URI.create(server.url().replace("http://", "ws://") + "/7.2/notification/socket"),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    got.add(data.toString());
                    w.request(1);
                    return null;
                  }
                }).join();
        assertThat(ws.getSubprotocol()).isEqualTo("access_token");
        ws.sendText("{\"context\":\"host\"}", true).join();
        assertThat(got.poll(10, TimeUnit.SECONDS)).contains("Subscribed for notifications");
        ws.abort();
      }
    }
  }

  @Test
  void withoutTokenMode_noTokenIsGiven_andOneIsNotAccepted() throws Exception {
    try (TestServer server = TestServer.start()) {
      HttpClient http = HttpClient.newHttpClient();
      assertThat(login(http, server.url())).isNull();
      HttpClient withCookies = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
      login(withCookies, server.url());
      String cookie = ((java.net.CookieManager) withCookies.cookieHandler().orElseThrow()).getCookieStore()
          .getCookies().get(0).getValue();
      assertThat(get(http, server.url(), cookie)).isEqualTo(401); // the session id is not a token here
      try {
        // a client of its own: on the connection that logged in, the upgrade would be
        // authenticated by the connection itself (ConnectionAuthTest), not by the token
        HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("access_token", cookie)
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create(server.url().replace("http://", "ws://") + "/7.2/notification/socket"),
                new WebSocket.Listener() {}).join();
        throw new AssertionError("the upgrade was accepted without a session");
      } catch (CompletionException e) {
        assertThat(e.getCause()).isInstanceOf(java.net.http.WebSocketHandshakeException.class);
        assertThat(((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(401);
      }
    }
  }
}
