package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API's security, fault injection and journal, with JDK clients on a real server. */
class AdminApiTest {
  static TestServer server;
  static SmcClient py;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(b -> b.adminApi(true).journalSize(200));
    py = SmcClient.loggedIn(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @BeforeEach
  void clean() throws Exception {
    assertThat(admin(py, "DELETE", "/faults", "").status()).isEqualTo(200);
    assertThat(admin(py, "DELETE", "/journal", "").status()).isEqualTo(200);
  }

  static Response admin(SmcClient c, String method, String path, String body) throws Exception {
    return admin(server, c, method, path, body);
  }

  static Response admin(TestServer on, SmcClient c, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(on.url() + "/herald/admin" + path))
        .header("Content-Type", "application/json")
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return c.send(b);
  }

  @Test
  void withoutASession_401_notASuperuser_403_andOffUnlessAsked() throws Exception {
    SmcClient anonymous = new SmcClient(server.url(), "7.2");
    assertThat(admin(anonymous, "POST", "/reset", "").status()).isEqualTo(401);
    assertThat(admin(anonymous, "POST", "/faults", "{\"status\":503}").status()).isEqualTo(401);

    String viewer = py.get("/elements/role?filter=Viewer&exact_match=True").json().get("result").get(0).get("href").asText();
    String shared = py.get("/elements/admin_domain?filter=Shared%20Domain&exact_match=True").json().get("result").get(0).get("href").asText();
    py.create("admin_user", "{\"name\":\"looker\",\"enabled\":true,\"superuser\":false,"
        + "\"allowed_to_login_in_shared\":true,\"password\":\"looker-password-1\",\"permissions\":{\"permission\":["
        + "{\"granted_elements\":[],\"role_ref\":\"" + viewer + "\",\"granted_domain_ref\":\"" + shared + "\"}]}}");
    SmcClient looker = new SmcClient(server.url(), "7.2");
    assertThat(looker.post("/lms_login?login=looker&pwd=looker-password-1", "{}").status()).isEqualTo(200);
    for (String[] call : List.of(new String[] {"POST", "/reset"}, new String[] {"GET", "/snapshot"},
        new String[] {"GET", "/journal"}, new String[] {"POST", "/faults/database"})) {
      assertThat(admin(looker, call[0], call[1], call[0].equals("POST") ? "{\"unreachable_ms\":1}" : "").status())
          .as(call[1]).isEqualTo(403);
    }
    assertThat(py.get("/elements/host").status()).isEqualTo(200);
    // the node's operating figures (the console's Operations view): superusers only as well
    assertThat(anonymous.getUrl(server.url() + "/herald/ops").status()).isEqualTo(401);
    assertThat(looker.getUrl(server.url() + "/herald/ops").status()).isEqualTo(403);

    try (TestServer plain = TestServer.start()) {
      SmcClient c = SmcClient.loggedIn(plain);
      Response r = c.send(HttpRequest.newBuilder(URI.create(plain.url() + "/herald/admin/reset"))
          .POST(HttpRequest.BodyPublishers.noBody()));
      assertThat(r.status()).isEqualTo(404);
    }
  }

  @Test
  void theOperatingFigures_countSocketsSubscriptionsChangesAndDeliveries() throws Exception {
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"host\"}");
      JsonNode before = py.getUrl(server.url() + "/herald/ops").json();
      assertThat(before.get("ready").asBoolean()).isTrue();
      assertThat(before.get("database").asText()).isEqualTo("UP");
      assertThat(before.get("sockets").asLong()).isGreaterThanOrEqualTo(1);
      assertThat(before.get("subscriptions").asLong()).isGreaterThanOrEqualTo(1);
      assertThat(before.get("sessions").asLong()).isGreaterThanOrEqualTo(1);
      py.create("host", "{\"name\":\"ops-" + System.nanoTime() + "\",\"address\":\"192.0.2.9\"}");
      assertThat(ws.next()).contains("\"create\"");
      // counted as they happen, which may be just after the client read the event
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
        JsonNode now = py.getUrl(server.url() + "/herald/ops").json();
        return now.get("frames_written").asLong() > before.get("frames_written").asLong()
            && now.get("changes_published").asLong() > before.get("changes_published").asLong();
      });
      JsonNode after = py.getUrl(server.url() + "/herald/ops").json();
      assertThat(after.get("head_seq").asLong()).isGreaterThan(before.get("head_seq").asLong());
      assertThat(after.get("changes_published").asLong()).isGreaterThan(before.get("changes_published").asLong());
      assertThat(after.get("http_requests").asLong()).isGreaterThan(before.get("http_requests").asLong());
      assertThat(after.get("at").asLong()).isGreaterThanOrEqualTo(before.get("at").asLong());
    }
  }

  @Test
  void aStatusFault_answersTheNextNMatchingRequests_thenEnds() throws Exception {
    Response added = admin(py, "POST", "/faults",
        "{\"method\":\"GET\",\"path\":\"/7.2/elements/host\",\"status\":503,\"retry_after\":1,\"times\":2}");
    assertThat(added.status()).isEqualTo(201);
    long id = added.json().get("id").asLong();
    assertThat(py.get("/elements/network").status()).isEqualTo(200); // another path: untouched
    Response first = py.get("/elements/host");
    assertThat(first.status()).isEqualTo(503);
    assertThat(first.header("Retry-After")).isEqualTo("1");
    assertThat(first.json().get("message").asText()).contains("Fault injected");
    assertThat(py.get("/elements/host").status()).isEqualTo(503);
    assertThat(py.get("/elements/host").status()).isEqualTo(200);
    assertThat(admin(py, "GET", "/faults", "").json().get("faults")).isEmpty();
    assertThat(admin(py, "DELETE", "/faults/" + id, "").status()).isEqualTo(404);

    JsonNode journal = admin(py, "GET", "/journal?path=/7.2/elements/host", "").json().get("entries");
    assertThat(journal).extracting(e -> e.get("status").asInt()).containsExactly(503, 503, 200);
    assertThat(journal.get(0).get("fault").asText()).contains("status 503");
    String metrics = server.metrics();
    assertThat(metrics).contains("herald_faults_injected_total{kind=\"status\"} 2.0");
  }

  @Test
  void aDelayFault_delays_andADropFault_dropsTheConnection() throws Exception {
    admin(py, "POST", "/faults", "{\"method\":\"GET\",\"path\":\"/7.2/elements/*\",\"delay_ms\":300}");
    long t0 = System.nanoTime();
    assertThat(py.get("/elements/router").status()).isEqualTo(200);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(300);
    JsonNode delayed = admin(py, "GET", "/journal?path=/7.2/elements/router", "").json().get("entries").get(0);
    assertThat(delayed.get("millis").asDouble()).isGreaterThanOrEqualTo(300);

    // the JDK client retries an idempotent request once on a dropped connection: drop two
    admin(py, "POST", "/faults", "{\"path\":\"/7.2/elements/network\",\"drop\":true,\"times\":2}");
    assertThatThrownBy(() -> py.get("/elements/network")).isInstanceOf(java.io.IOException.class);
    assertThat(py.get("/elements/network").status()).isEqualTo(200);
  }

  @Test
  void aRequestBeingAnsweredWhenTheServerStops_getsItsAnswer_besideAnIdleKeepAliveConnection() throws Exception {
    TestServer s = TestServer.start(b -> b.adminApi(true));
    try {
      SmcClient c = SmcClient.loggedIn(s);
      assertThat(admin(s, c, "POST", "/faults", "{\"method\":\"GET\",\"path\":\"/7.2/elements/host\",\"delay_ms\":600}")
          .status()).isEqualTo(201);
      // an idle keep-alive connection of another client
      SmcClient idle = SmcClient.loggedIn(s);
      assertThat(idle.get("/api").status()).isEqualTo(200);
      java.util.concurrent.CompletableFuture<Response> slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return c.get("/elements/host");
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      // the fault is counted when the request meets it, before its delay: the request is being answered
      String injected = "herald_faults_injected_total{kind=\"delay\"} 1.0";
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> s.metrics().contains(injected));
      s.close();
      Response answered = slow.get(30, TimeUnit.SECONDS);
      assertThat(answered.status()).isEqualTo(200);
      assertThat(answered.json().get("result")).isNotNull();
    } finally {
      s.close();
    }
  }

  @Test
  void badFaults_get400_andAddNothing() throws Exception {
    for (String bad : List.of("{\"status\":200}", "{\"status\":503,\"share\":2}", "{\"status\":503,\"times\":0}",
        "{\"delay_ms\":999999999}", "{\"status\":503,\"drop\":true}", "{\"path\":\"no-slash\",\"status\":500}",
        "{\"method\":\"BREW\",\"status\":500}", "{\"status\":503,\"colour\":\"red\"}", "{}", "[1]",
        "{\"status\":503,\"ttl_ms\":-5}", "{\"delay_ms\":10,\"retry_after\":3}")) {
      Response r = admin(py, "POST", "/faults", bad);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.json().get("message").asText()).as(bad).isNotEmpty();
    }
    assertThat(admin(py, "POST", "/faults/sockets", "{\"code\":1006}").status()).isEqualTo(400);
    assertThat(admin(py, "POST", "/faults/feed", "{\"stall_ms\":0}").status()).isEqualTo(400);
    assertThat(admin(py, "POST", "/faults/database", "{\"unreachable_ms\":\"soon\"}").status()).isEqualTo(400);
    assertThat(admin(py, "GET", "/faults", "").json().get("faults")).isEmpty();
    assertThat(py.get("/elements/host").status()).isEqualTo(200);
  }

  @Test
  void closeSockets_closesThemWithTheChosenCode() throws Exception {
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("success");
      Response r = admin(py, "POST", "/faults/sockets", "{\"code\":4000,\"reason\":\"chaos\"}");
      assertThat(r.json().get("closed").asInt()).isEqualTo(1);
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000 chaos");
    }
    // one user's sockets only
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("success");
      assertThat(admin(py, "POST", "/faults/sockets", "{\"user\":\"nobody\"}").json().get("closed").asInt()).isZero();
      assertThat(admin(py, "POST", "/faults/sockets", "{\"user\":\"herald\"}").json().get("closed").asInt()).isEqualTo(1);
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).startsWith("1011");
    }
  }

  @Test
  void aStalledFeed_deliversLate_inOrder_nothingLost() throws Exception {
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("success");
      long t0 = System.nanoTime();
      assertThat(admin(py, "POST", "/faults/feed", "{\"stall_ms\":800}").status()).isEqualTo(200);
      List<String> hrefs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        hrefs.add(py.create("host", "{\"name\":\"stall-" + i + "-" + System.nanoTime() + "\",\"address\":\"192.0.2.1\"}"));
      }
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        got.add(Json.mapper().readTree(ws.next()).get("event").get("element").asText());
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(800);
      assertThat(got).containsExactlyElementsOf(hrefs);
    }
  }

  @Test
  void aDatabaseOutage_gives503AndNotReady_thenRecovers_andTheFeedCatchesUp() throws Exception {
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("success");
      assertThat(admin(py, "POST", "/faults/database", "{\"unreachable_ms\":700}").status()).isEqualTo(200);
      Response during = py.get("/elements/host");
      assertThat(during.status()).isEqualTo(503);
      assertThat(during.header("Retry-After")).isNotNull();
      assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/ready")).GET()).status()).isEqualTo(503);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> py.get("/elements/host").status() == 200);
      String h = py.create("host", "{\"name\":\"after-outage\",\"address\":\"192.0.2.2\"}");
      assertThat(ws.next()).contains(h);
    }
  }

  @Test
  void theJournal_recordsExchangesAndSocketCommands_withSecretsMasked() throws Exception {
    SmcClient other = SmcClient.loggedIn(server);
    String h = other.create("host", "{\"name\":\"journal-host\",\"address\":\"192.0.2.3\"}");
    try (WsClient ws = WsClient.open(other)) {
      ws.subscribe("{\"context\":\"host\"}");
    }
    JsonNode all = admin(py, "GET", "/journal", "").json();
    assertThat(all.get("enabled").asBoolean()).isTrue();
    JsonNode entries = all.get("entries");
    JsonNode login = find(entries, "POST", "/7.2/login");
    assertThat(login.get("request_body").asText()).contains("\"authenticationkey\":\"***\"")
        .doesNotContain(TestServer.API_KEY);
    JsonNode create = find(entries, "POST", "/7.2/elements/host");
    assertThat(create.get("status").asInt()).isEqualTo(201);
    assertThat(create.get("user").asText()).isEqualTo("herald");
    assertThat(create.get("request_body").asText()).contains("journal-host");
    assertThat(h).isNotEmpty();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        admin(py, "GET", "/journal?kind=socket", "").json().get("entries").size() == 1);
    JsonNode socket = admin(py, "GET", "/journal?kind=socket", "").json().get("entries").get(0);
    assertThat(socket.get("request_body").asText()).contains("\"context\":\"host\"");
    // filters, paging and clearing
    JsonNode after = admin(py, "GET", "/journal?after=" + create.get("id").asLong() + "&method=POST", "").json().get("entries");
    assertThat(after).allMatch(e -> e.get("id").asLong() > create.get("id").asLong() && e.get("method").asText().equals("POST"));
    assertThat(admin(py, "GET", "/journal?limit=x", "").status()).isEqualTo(400);
    assertThat(admin(py, "DELETE", "/journal", "").json().get("removed").asInt()).isGreaterThan(0);
    assertThat(admin(py, "GET", "/journal", "").json().get("entries")).isEmpty();
  }

  @Test
  void theJournal_isBounded_andOffByDefault() throws Exception {
    for (int i = 0; i < 250; i++) {
      py.get("/elements/host");
    }
    JsonNode entries = admin(py, "GET", "/journal?limit=10000", "").json().get("entries");
    assertThat(entries.size()).isEqualTo(200);
    try (TestServer plain = TestServer.start(b -> b.adminApi(true))) {
      SmcClient c = SmcClient.loggedIn(plain);
      c.get("/elements/host");
      JsonNode j = c.send(HttpRequest.newBuilder(URI.create(plain.url() + "/herald/admin/journal")).GET()).json();
      assertThat(j.get("enabled").asBoolean()).isFalse();
      assertThat(j.get("entries")).isEmpty();
    }
  }

  private static JsonNode find(JsonNode entries, String method, String path) {
    for (JsonNode e : entries) {
      if (e.get("method").asText().equals(method) && e.get("path").asText().equals(path)) {
        return e;
      }
    }
    throw new AssertionError("no " + method + " " + path + " in " + entries);
  }
}
