package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status socket {@code /{version}/status/socket} on the wire (JDK WebSocket): family and
 * element subscriptions, unsubscribe, bad commands, a status change reaching exactly the
 * subscribed channels (and never the notification socket), session end, two nodes on PostgreSQL;
 * the Management and Log Servers as monitored elements.
 */
class StatusSocketTest {
  static TestServer server;
  static SmcClient py;
  private static int n;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(b -> b.adminApi(true));
    py = SmcClient.loggedIn(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static String engine(SmcClient c, String type) throws Exception {
    return EnginesTest.createSingleFw(c, "st-" + type + "-" + (++n));
  }

  private static String nodeHref(SmcClient c, String engine) throws Exception {
    return c.getUrl(engine).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
  }

  private static JsonNode next(WsClient ws) throws Exception {
    return Json.mapper().readTree(ws.next());
  }

  @Test
  void aFamilySubscription_getsTheEnginesCompositeStatus_onEveryChange() throws Exception {
    String engine = engine(py, "fam");
    String node = nodeHref(py, engine);
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      JsonNode ack = Json.mapper().readTree(ws.subscribe("{\"context\":\"fw_single\"}"));
      assertThat(ack.get("success").asText()).isEqualTo("Subscribed for status");
      long id = ack.get("subscription_id").asLong();
      assertThat(py.postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
      JsonNode frame = next(ws);
      assertThat(frame.get("subscription_id").asLong()).isEqualTo(id);
      JsonNode status = frame.get("status").get("status");
      assertThat(status.get("name").asText()).startsWith("st-fam-");
      assertThat(status.get("monitoring_status").asText()).isEqualTo("OK");
      assertThat(status.get("monitoring_state").asText()).isEqualTo("READY");
      assertThat(status.get("result").get(0).get("href").asText()).isEqualTo(node);
    }
  }

  @Test
  void anElementSubscription_onANode_getsThatNodesStatusOnly() throws Exception {
    String mine = engine(py, "mine");
    String other = engine(py, "other");
    String myNode = nodeHref(py, mine);
    String otherNode = nodeHref(py, other);
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      assertThat(ws.subscribe("{\"element\":\"" + myNode + "\"}")).contains("Subscribed for status");
      assertThat(py.postUrl(otherNode + "/initial_contact", "{}").status()).isEqualTo(200); // not mine
      assertThat(py.postUrl(myNode + "/initial_contact", "{}").status()).isEqualTo(200);
      JsonNode status = next(ws).get("status").get("status");
      assertThat(status.get("name").asText()).isEqualTo(py.getUrl(mine).json().get("name").asText() + " node 1");
      assertThat(status.get("engine_node_status").asText()).isEqualTo("No Policy Installed");
      // the next frame is again mine: the other engine's change never came
      assertThat(py.send(HttpRequest.newBuilder(URI.create(myNode + "/reset_to_factory")).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
      JsonNode again = next(ws).get("status").get("status");
      assertThat(again.get("name").asText()).isEqualTo(status.get("name").asText());
      assertThat(again.get("configuration_status").asText()).isEqualTo("Initial");
    }
  }

  /** The Management and Log Servers are monitored: subscribed by type or href, a test's status reaches them. */
  @Test
  void theServers_areMonitored_andATestsStatusReachesTheirSubscribers() throws Exception {
    String mgt = py.get("/elements/mgt_server").json().get("result").get(0).get("href").asText();
    String log = py.get("/elements/log_server").json().get("result").get(0).get("href").asText();
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      long byType = Json.mapper().readTree(ws.subscribe("{\"context\":\"mgt_server\"}")).get("subscription_id").asLong();
      long byHref = Json.mapper().readTree(ws.subscribe("{\"element\":\"" + log + "\"}")).get("subscription_id").asLong();
      SmcClient.Response set = py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"element\":\"" + mgt + "\",\"monitoring_status\":\"WARNING\"}")));
      assertThat(set.status()).as(set.body()).isEqualTo(200);
      JsonNode frame = next(ws);
      assertThat(frame.get("subscription_id").asLong()).isEqualTo(byType);
      assertThat(frame.get("status").get("status").get("monitoring_status").asText()).isEqualTo("WARNING");
      assertThat(frame.get("status").get("status").get("name").asText()).isEqualTo("Management Server");
      assertThat(py.post("/monitoring_status", "{\"value\":\"" + mgt + "\"}").json().get("monitoring_status").asText())
          .isEqualTo("WARNING");
      SmcClient.Response bad = py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"element\":\"" + log + "\",\"monitoring_status\":\"FINE\"}")));
      assertThat(bad.status()).isEqualTo(400);
      SmcClient.Response logDown = py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"element\":\"" + log + "\",\"monitoring_status\":\"ERROR\"}")));
      assertThat(logDown.status()).isEqualTo(200);
      JsonNode logFrame = next(ws); // the bad one changed nothing: this is the log server's ERROR
      assertThat(logFrame.get("subscription_id").asLong()).isEqualTo(byHref);
      assertThat(logFrame.get("status").get("status").get("monitoring_status").asText()).isEqualTo("ERROR");
      SmcClient.Response clear = py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"element\":\"" + mgt + "\",\"clear\":true}")));
      assertThat(clear.status()).isEqualTo(200);
      assertThat(next(ws).get("status").get("status").get("monitoring_status").asText()).isEqualTo("OK");
    }
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + mgt + "\"}").json().get("monitoring_status").asText()).isEqualTo("OK");
  }

  @Test
  void unsubscribe_andBadCommands_areAnswered_theSocketStays() throws Exception {
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      assertThat(ws.subscribe("not json")).contains("failure");
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("failure").contains("No monitored elements");
      assertThat(ws.subscribe("{\"element\":\"" + py.create("host", "{\"name\":\"st-h-" + (++n) + "\",\"address\":\"192.0.2.1\"}")
          + "\"}")).contains("failure").contains("Not a monitored element");
      assertThat(ws.subscribe("{\"element\":\"" + server.url() + "/7.2/elements/single_fw/999999999\"}")).contains("failure");
      assertThat(ws.subscribe("{\"unsubscribe\":42}")).contains("failure");
      JsonNode ack = Json.mapper().readTree(ws.subscribe("{\"context\":\"engine_clusters\"}"));
      long id = ack.get("subscription_id").asLong();
      JsonNode bye = Json.mapper().readTree(ws.subscribe("{\"unsubscribe\":" + id + "}"));
      assertThat(bye.get("success").asText()).isEqualTo("Unsubscribed");
      // nothing more arrives for it: the next message is the answer to the next command
      String engine = engine(py, "after");
      py.postUrl(nodeHref(py, engine) + "/initial_contact", "{}");
      assertThat(ws.subscribe("{\"unsubscribe\":" + id + "}")).contains("failure");
    }
  }

  @Test
  void theNotificationSocket_neverCarriesStatusChanges() throws Exception {
    String engine = engine(py, "notif");
    String node = nodeHref(py, engine);
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"*\"}")).contains("Subscribed for notifications");
      py.postUrl(node + "/initial_contact", "{}");
      String host = py.create("host", "{\"name\":\"st-n-" + (++n) + "\",\"address\":\"192.0.2.1\"}");
      JsonNode first = next(ws);
      assertThat(first.get("event").get("element").asText()).isEqualTo(host);
    }
  }

  @Test
  void aLogout_closesTheStatusSocket() throws Exception {
    SmcClient mine = SmcClient.loggedIn(server);
    try (WsClient ws = WsClient.openAt(mine, "/7.2/status/socket")) {
      assertThat(ws.subscribe("{\"context\":\"*\"}")).contains("Subscribed for status");
      mine.send(HttpRequest.newBuilder(URI.create(server.url() + "/7.2/logout")).PUT(HttpRequest.BodyPublishers.noBody()));
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).startsWith("1000");
    }
  }

  @Test
  void twoNodesOnPostgres_aStatusChangeOnOneReachesTheOther() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(Backend.POSTGRES.newDatabase())) {
      String engine = engine(nodes.onA, "pg");
      String node = nodeHref(nodes.onA, engine);
      try (WsClient ws = WsClient.openAt(nodes.onB, "/7.2/status/socket")) {
        assertThat(ws.subscribe("{\"element\":\"" + engine.replace(TwoNodes.url(nodes.a), TwoNodes.url(nodes.b)) + "\"}"))
            .contains("Subscribed for status");
        assertThat(nodes.onA.postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
        JsonNode status = next(ws).get("status").get("status");
        assertThat(status.get("monitoring_status").asText()).isEqualTo("OK");
        // hrefs are the receiving node's
        assertThat(status.get("result").get(0).get("href").asText()).startsWith(TwoNodes.url(nodes.b));
      }
    }
  }
}
