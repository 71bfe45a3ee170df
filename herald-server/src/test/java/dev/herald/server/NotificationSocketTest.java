package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The notification socket over real sockets: the SMC protocol exactly, then Herald's extensions. */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class NotificationSocketTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient smc;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend);
    smc = SmcClient.loggedIn(server);
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    server.close();
  }

  private static String unique(String p) {
    return p + "-" + System.nanoTime();
  }

  private static String hostJson() {
    return "{\"name\":\"" + unique("h") + "\",\"address\":\"10.0.0.1\"}";
  }

  private static long key(String href) {
    return Long.parseLong(href.substring(href.lastIndexOf('/') + 1));
  }

  @Test
  void seedExample_isReproducedMessageForMessage() throws Exception {
    SmcClient c = SmcClient.loggedIn(server, "7.2.1", "Shared Domain");
    try (WsClient ws = WsClient.open(c)) {
      assertThat(ws.subscribe("{\"context\":\"*\"}"))
          .isEqualTo("{\"success\":\"Subscribed for notifications\",\"context\":\"*\",\"subscription_id\":0}");
      assertThat(ws.subscribe("{\"context\":\"host\"}"))
          .isEqualTo("{\"success\":\"Subscribed for notifications\",\"context\":\"host\",\"subscription_id\":1}");
      String router = c.create("router", "{\"name\":\"" + unique("r") + "\",\"address\":\"10.0.0.2\"}");
      String host = c.create("host", hostJson());
      assertThat(router).contains("/7.2.1/elements/router/");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + router + "\"},\"subscription_id\":0}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + host + "\"},\"subscription_id\":0}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + host + "\"},\"subscription_id\":1}");
      String etag = c.getUrl(host).header("ETag");
      assertThat(c.put(host, hostJson(), etag).status()).isEqualTo(200);
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"update\",\"element\":\"" + host + "\"},\"subscription_id\":0}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"update\",\"element\":\"" + host + "\"},\"subscription_id\":1}");
    }
  }

  /**
   * A change that comes alone is published from its commit; a stream of them by the feed, which
   * reads the log. Whichever publishes, a subscriber gets every seq once, in order, no gap.
   */
  @Test
  void changesAloneAndInAStream_arriveOnceEach_inSeqOrder() throws Exception {
    double before = metric("herald_notify_changes_at_commit_total");
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"host\",\"seq\":true}");
      List<String> frames = new ArrayList<>();
      // changes alone, one per poll (each waits for its event, so nothing else is in flight),
      // until one was published at its commit: the direct path ran
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .pollInterval(java.time.Duration.ofMillis(20)).until(() -> {
            smc.create("host", hostJson());
            frames.add(ws.next());
            return metric("herald_notify_changes_at_commit_total") > before;
          });
      int writers = 4;
      int each = 25;
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            smc.create("host", hostJson());
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      for (int i = 0; i < writers * each; i++) {
        frames.add(ws.next());
      }
      List<Long> seqs = frames.stream().map(f -> Json.parseObject(f).orElseThrow().path("seq").asLong()).toList();
      assertThat(seqs).hasSize(frames.size()).hasSizeGreaterThan(writers * each);
      for (int i = 1; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).as("seq after %s", seqs.get(i - 1)).isEqualTo(seqs.get(i - 1) + 1);
      }
    }
  }

  /** Herald's GET /herald/changes/{seq}: the element as each change left it, while retained. */
  @Test
  void eachChange_showsTheElementAsItLeftIt() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"host\",\"seq\":true}");
      String name = unique("was");
      String href = smc.create("host", "{\"name\":\"" + name + "\",\"address\":\"192.0.2.21\"}");
      long created = Json.parseObject(ws.next()).orElseThrow().get("seq").asLong();
      String etag = smc.getUrl(href).header("ETag");
      assertThat(smc.put(href, "{\"name\":\"" + name + "\",\"address\":\"192.0.2.22\"}", etag).status()).isEqualTo(200);
      long updated = Json.parseObject(ws.next()).orElseThrow().get("seq").asLong();
      assertThat(smc.delete(href, null).status()).isEqualTo(204);
      long deleted = Json.parseObject(ws.next()).orElseThrow().get("seq").asLong();

      JsonNode c = smc.getUrl(server.url() + "/herald/changes/" + created).json();
      assertThat(c.get("event").asText()).isEqualTo("create");
      assertThat(c.get("name").asText()).isEqualTo(name);
      assertThat(c.get("key").asLong()).isEqualTo(key(href));
      assertThat(c.get("element").get("address").asText()).isEqualTo("192.0.2.21");
      JsonNode u = smc.getUrl(server.url() + "/herald/changes/" + updated).json();
      assertThat(u.get("element").get("address").asText()).isEqualTo("192.0.2.22");
      assertThat(u.has("element_from_seq")).isFalse();
      JsonNode d = smc.getUrl(server.url() + "/herald/changes/" + deleted).json();
      assertThat(d.get("event").asText()).isEqualTo("delete");
      assertThat(d.get("element").get("address").asText()).isEqualTo("192.0.2.22"); // as its last change left it
      assertThat(d.get("element_from_seq").asLong()).isEqualTo(updated);
    }
    assertThat(smc.getUrl(server.url() + "/herald/changes/999999999").status()).isEqualTo(404);
    assertThat(smc.getUrl(server.url() + "/herald/changes/x").status()).isEqualTo(400);
    assertThat(new SmcClient(server.url(), "7.2").getUrl(server.url() + "/herald/changes/1").status()).isEqualTo(401);
  }

  private static double metric(String name) throws Exception {
    for (String line : server.metrics().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  @Test
  void allSevenEventTypes_reachTheSocket() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"fw_policy\"}");
      String p = smc.create("fw_policy", "{\"name\":\"" + unique("p") + "\"}");
      assertThat(smc.postUrl(p + "/trash", "{}").status()).isEqualTo(200);
      assertThat(smc.postUrl(p + "/untrash", "{}").status()).isEqualTo(200);
      assertThat(smc.postUrl(p + "/validate", "{}").status()).isEqualTo(200);
      assertThat(smc.put(p, "{\"name\":\"" + unique("p") + "\"}", smc.getUrl(p).header("ETag")).status()).isEqualTo(200);
      assertThat(smc.delete(p, null).status()).isEqualTo(204);
      for (String type : new String[] {"create", "trashed", "untrashed", "validating", "validated", "update", "delete"}) {
        JsonNode e = Json.mapper().readTree(ws.next()).get("event");
        assertThat(e.get("type").asText()).isEqualTo(type);
        assertThat(e.get("element").asText()).isEqualTo(p);
      }
    }
  }

  @Test
  void legacyVersion_getsTheEventsList() throws Exception {
    SmcClient c = SmcClient.loggedIn(server, "6.5", "Shared Domain");
    try (WsClient ws = WsClient.open(c)) {
      ws.subscribe("{\"context\": \"host\"}");
      String host = c.create("host", hostJson());
      assertThat(host).contains("/6.5/");
      assertThat(ws.next()).isEqualTo("{\"events\":[{\"type\":\"create\",\"element\":\"" + host + "\"}],\"subscription_id\":0}");
    }
  }

  @Test
  void commaLists_withAndWithoutSpaces_openOneChannelEach() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      assertThat(Json.mapper().readTree(ws.subscribe("{\"context\": \"host, router\"}")).get("subscription_id").asLong()).isEqualTo(0);
      assertThat(Json.mapper().readTree(ws.subscribe("{\"context\": \"network,router\"}")).get("context").asText()).isEqualTo("network,router");
      String r = smc.create("router", "{\"name\":\"" + unique("r") + "\",\"address\":\"10.0.0.3\"}");
      String n = smc.create("network", "{\"name\":\"" + unique("n") + "\",\"ipv4_network\":\"10.7.0.0/16\"}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + r + "\"},\"subscription_id\":0}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + r + "\"},\"subscription_id\":1}");
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + n + "\"},\"subscription_id\":1}");
    }
  }

  @Test
  void unsubscribe_isAcknowledged_andStopsThatChannelOnly() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"host\"}");
      ws.subscribe("{\"context\":\"router\"}");
      assertThat(ws.subscribe("{\"unsubscribe\":0}")).isEqualTo("{\"success\":\"Unsubscribed\",\"subscription_id\":0}");
      smc.create("host", hostJson());
      String r = smc.create("router", "{\"name\":\"" + unique("r") + "\",\"address\":\"10.0.0.3\"}");
      // the host event would have come first on channel 0; the next message is the router's
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + r + "\"},\"subscription_id\":1}");
    }
  }

  @Test
  void badMessages_getFailureAnswers_andTheConnectionKeepsWorking() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"host\"}");
      assertThat(ws.subscribe("not json")).startsWith("{\"failure\":\"Not a JSON object");
      assertThat(ws.subscribe("{\"context\":\"hots\"}")).contains("Unknown element type hots");
      assertThat(ws.subscribe("{\"context\":5}")).contains("context must be a string");
      assertThat(ws.subscribe("{\"unsubscribe\":42}")).isEqualTo("{\"failure\":\"No subscription with id 42.\",\"subscription_id\":42}");
      assertThat(ws.subscribe("{\"hello\":1}")).contains("Unknown command");
      assertThat(ws.subscribe("{\"context\":\"*\",\"types\":[\"explode\"]}")).contains("unknown event type explode");
      assertThat(ws.subscribe("{\"context\":\"*\",\"since\":-4}")).contains("since must be");
      assertThat(Json.mapper().readTree(ws.subscribe("{\"context\":\"router\"}")).get("subscription_id").asLong()).isEqualTo(1);
      String host = smc.create("host", hostJson());
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"" + host + "\"},\"subscription_id\":0}");
    }
  }

  @Test
  void binaryAndOversizedMessages_getClearAnswers_andNothingElseIsSent() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(server.server().port(), "/7.2/notification/socket",
        Map.of("Cookie", smc.sessionCookie()), 0)) {
      assertThat(raw.status).isEqualTo(101);
      assertThat(raw.responseHead.toLowerCase()).doesNotContain("sec-websocket-extensions");
      raw.send(0x2, new byte[] {1, 2, 3});
      assertThat(raw.readText()).contains("Binary messages are not supported");
      raw.sendText("{\"context\":\"host\"}");
      assertThat(raw.readText()).contains("\"subscription_id\":0");
      String host = smc.create("host", hostJson());
      // readText fails on anything that is not a text frame (no pings, no binary)
      assertThat(raw.readText()).contains(host);
      raw.sendText("{\"context\":\"" + "x".repeat(70_000) + "\"}");
      assertThat(raw.readText()).contains("Message too large: the limit is 65536 bytes.");
      raw.sendText("{\"unsubscribe\":0}");
      assertThat(raw.readText()).isEqualTo("{\"success\":\"Unsubscribed\",\"subscription_id\":0}");
    }
  }

  @Test
  void upgradeWithoutSession_is401_andForeignOrigin_is403() throws Exception {
    SmcClient anon = new SmcClient(server.url(), "7.2");
    URI uri = URI.create(server.url("/7.2/notification/socket").replace("http", "ws"));
    assertThatThrownBy(() -> anon.http.newWebSocketBuilder().buildAsync(uri, new java.net.http.WebSocket.Listener() {}).join())
        .isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(WebSocketHandshakeException.class)
        .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(401));
    try (RawWebSocket bad = RawWebSocket.connect(server.server().port(), "/7.2/notification/socket",
        Map.of("Cookie", "JSESSIONID=forged"), 0)) {
      assertThat(bad.status).isEqualTo(401);
    }
    try (RawWebSocket foreign = RawWebSocket.connect(server.server().port(), "/7.2/notification/socket",
        Map.of("Cookie", smc.sessionCookie(), "Origin", "https://evil.example"), 0)) {
      assertThat(foreign.status).isEqualTo(403);
    }
    try (RawWebSocket own = RawWebSocket.connect(server.server().port(), "/7.2/notification/socket",
        Map.of("Cookie", smc.sessionCookie(), "Origin", "http://127.0.0.1:" + server.server().port()), 0)) {
      assertThat(own.status).isEqualTo(101);
    }
  }

  @Test
  void logout_closesThatSessionsSockets() throws Exception {
    SmcClient c = SmcClient.loggedIn(server);
    try (WsClient ws = WsClient.open(c); WsClient other = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"*\"}");
      other.subscribe("{\"context\":\"*\"}");
      assertThat(c.send(HttpRequest.newBuilder(URI.create(c.v("/logout"))).PUT(HttpRequest.BodyPublishers.noBody())).status()).isEqualTo(204);
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 session ended");
      String host = smc.create("host", hostJson());
      assertThat(other.next()).contains(host);
      assertThat(other.closed).isNotDone();
    }
  }

  @Test
  void domains_isolateEvents() throws Exception {
    String d = unique("dom");
    smc.create("admin_domain", "{\"name\":\"" + d + "\"}");
    SmcClient inA = SmcClient.loggedIn(server, "7.2", d);
    String d2 = unique("dom");
    smc.create("admin_domain", "{\"name\":\"" + d2 + "\"}");
    SmcClient inB = SmcClient.loggedIn(server, "7.2", d2);
    try (WsClient a = WsClient.open(inA); WsClient b = WsClient.open(inB); WsClient shared = WsClient.open(smc)) {
      a.subscribe("{\"context\":\"host\"}");
      b.subscribe("{\"context\":\"host\"}");
      shared.subscribe("{\"context\":\"host\"}");
      String aHost = inA.create("host", hostJson());
      String bHost = inB.create("host", hostJson());
      String sharedHost = smc.create("host", hostJson());
      assertThat(a.next()).contains(aHost);
      assertThat(a.next()).contains(sharedHost); // Shared Domain is visible to every domain
      assertThat(b.next()).contains(bHost);
      assertThat(b.next()).contains(sharedHost);
      assertThat(shared.next()).contains(sharedHost); // not aHost, not bHost
    }
  }

  @Test
  void filters_onTypeNameAndKey_andSeqOptIn() throws Exception {
    try (WsClient ws = WsClient.open(smc)) {
      String target = smc.create("host", hostJson());
      ws.subscribe("{\"context\":\"host\",\"types\":[\"delete\"]}");
      ws.subscribe("{\"context\":\"*\",\"keys\":[" + key(target) + "],\"seq\":true}");
      String other = smc.create("host", hostJson());
      assertThat(smc.delete(other, null).status()).isEqualTo(204);
      assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"delete\",\"element\":\"" + other + "\"},\"subscription_id\":0}");
      assertThat(smc.delete(target, null).status()).isEqualTo(204);
      // one change, two channels: both get it (in either order)
      java.util.List<String> two = java.util.List.of(ws.next(), ws.next());
      assertThat(two).contains("{\"event\":{\"type\":\"delete\",\"element\":\"" + target + "\"},\"subscription_id\":0}");
      // the seq extension: the change's seq and its commit time
      assertThat(two).anySatisfy(f -> assertThat(f).matches(java.util.regex.Pattern.quote(
          "{\"event\":{\"type\":\"delete\",\"element\":\"" + target + "\"},\"subscription_id\":1,\"seq\":"
          + server.server().changeLogHead() + ",\"at\":\"") + "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\"}"));
    }
  }
}
