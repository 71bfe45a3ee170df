package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reset and snapshots through the admin API, on each database: what a reset removes and keeps,
 * what sockets are told, and a snapshot's round trip (elements, ETags, references).
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class WholeStateTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient py;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend, b -> b.adminApi(true));
    py = SmcClient.loggedIn(server);
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    server.close();
  }

  @BeforeEach
  void fresh() throws Exception {
    assertThat(admin("POST", "/reset", "").status()).isEqualTo(200);
  }

  static Response admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin" + path))
        .header("Content-Type", "application/json")
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return py.send(b);
  }

  private static String host(String name) throws Exception {
    return py.create("host", "{\"name\":\"" + name + "\",\"address\":\"192.0.2.10\"}");
  }

  private static int count(String type) throws Exception {
    return py.get("/elements/" + type).json().get("result").size();
  }

  /** The names of a type's elements that are not built-in ones. */
  private static java.util.List<String> made(String type) throws Exception {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (JsonNode e : py.get("/elements/" + type).json().get("result")) {
      if (!py.getUrl(e.get("href").asText()).json().path("system").asBoolean(false)) {
        out.add(e.get("name").asText());
      }
    }
    return out;
  }

  @Test
  void reset_removesWhatTestsMade_keepsBuiltInsUsersAndSessions() throws Exception {
    int builtInServices = count("tcp_service");
    int builtInHosts = count("host");
    String fwTemplate = py.get("/elements/fw_template_policy?filter=Firewall%20Inspection%20Template&exact_match=True")
        .json().get("result").get(0).get("href").asText();
    String h = host("web-1");
    py.create("group", "{\"name\":\"web\",\"element\":[\"" + h + "\"]}");
    py.create("tcp_service", "{\"name\":\"app-8080\",\"min_dst_port\":8080}");
    String user = py.create("admin_user", "{\"name\":\"tester\",\"enabled\":true,\"superuser\":true}");
    long before = server.server().changeLogHead();

    Response r = admin("POST", "/reset", "");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("elements_removed").asInt()).isEqualTo(3);
    assertThat(r.json().get("head_seq").asLong()).isGreaterThan(before);

    assertThat(py.getUrl(h).status()).isEqualTo(404);
    assertThat(count("host")).isEqualTo(builtInHosts);
    assertThat(made("host")).isEmpty();
    assertThat(made("group")).isEmpty();
    assertThat(count("tcp_service")).isEqualTo(builtInServices);
    assertThat(py.getUrl(fwTemplate).status()).isEqualTo(200);
    assertThat(py.getUrl(user).status()).isEqualTo(200); // users stay unless asked
    // the same names are free again; keys are never reused
    String again = host("web-1");
    assertThat(again).isNotEqualTo(h);
  }

  @Test
  void reset_withoutUsers_removesThemAndEndsTheirSessions() throws Exception {
    py.create("admin_user", "{\"name\":\"tester\",\"enabled\":true,\"superuser\":true,\"password\":\"tester-password-1\"}");
    SmcClient tester = new SmcClient(server.url(), "7.2");
    assertThat(tester.post("/lms_login?login=tester&pwd=tester-password-1", "{}").status()).isEqualTo(200);
    assertThat(tester.get("/elements/host").status()).isEqualTo(200);

    assertThat(admin("POST", "/reset?keep_users=False", "").status()).isEqualTo(200);
    assertThat(count("admin_user")).isEqualTo(1); // the built-in admin
    assertThat(tester.get("/elements/host").status()).isEqualTo(401);
    assertThat(tester.post("/lms_login?login=tester&pwd=tester-password-1", "{}").status()).isEqualTo(401);
    assertThat(py.get("/elements/host").status()).isEqualTo(200); // the configured key's session stays
  }

  @Test
  void reset_closesSockets_andAResumeFromBeforeGetsHistoryExpired() throws Exception {
    try (WsClient ws = WsClient.open(py)) {
      assertThat(ws.subscribe("{\"context\":\"host\"}")).contains("success");
      String h1 = host("h1");
      assertThat(ws.next()).contains(h1);
      long position = server.server().changeLogHead();
      assertThat(admin("POST", "/reset", "").json().get("sockets_closed").asInt()).isGreaterThanOrEqualTo(1);
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("4002 server reset");

      try (WsClient again = WsClient.open(py)) {
        JsonNode answer = Json.mapper().readTree(again.subscribe("{\"context\":\"host\",\"since\":" + position + "}"));
        assertThat(answer.has("history_expired")).as(answer.toString()).isTrue();
        // a subscription from now on gets what comes after the reset
        assertThat(again.subscribe("{\"context\":\"host\"}")).contains("success");
        String h2 = host("h2");
        assertThat(again.next()).contains(h2);
      }
    }
  }

  @Test
  void snapshot_roundTrip_keepsElementsETagsAndReferences() throws Exception {
    String h = host("db-1");
    String g = py.create("group", "{\"name\":\"dbs\",\"element\":[\"" + h + "\"]}");
    String etagH = py.getUrl(h).header("ETag");
    String etagG = py.getUrl(g).header("ETag");
    Response saved = admin("GET", "/snapshot", "");
    assertThat(saved.status()).isEqualTo(200);
    JsonNode file = saved.json();
    assertThat(file.get("format").asText()).isEqualTo("herald-snapshot");
    assertThat(file.get("version").asInt()).isEqualTo(1);

    admin("POST", "/reset", "");
    assertThat(py.getUrl(h).status()).isEqualTo(404);

    Response loaded = admin("POST", "/snapshot", saved.body());
    assertThat(loaded.status()).as(loaded.body()).isEqualTo(200);
    // a load ends every session: log in again, as smc-python does on 401
    py = SmcClient.loggedIn(server);
    assertThat(py.getUrl(h).header("ETag")).isEqualTo(etagH);
    assertThat(py.getUrl(g).header("ETag")).isEqualTo(etagG);
    Response refused = py.delete(h, null);
    assertThat(refused.status()).isEqualTo(400); // still referenced by the group, as SMC answers
    assertThat(refused.body()).contains("dbs");
    // keys handed out before the load are not handed out again
    assertThat(host("db-2")).isNotEqualTo(h).isNotEqualTo(g);
  }

  @Test
  void snapshot_ofThePreviousFormatVersion_loads() throws Exception {
    byte[] v1 = WholeStateTest.class.getResourceAsStream("/snapshots/herald-snapshot-v1.json").readAllBytes();
    Response loaded = admin("POST", "/snapshot", new String(v1, StandardCharsets.UTF_8));
    assertThat(loaded.status()).as(loaded.body()).isEqualTo(200);
    assertThat(loaded.json().get("format_version").asInt()).isEqualTo(1);
    py = SmcClient.loggedIn(server);
    assertThat(made("host")).containsExactly("snapshot-host");
    // the built-ins of this Herald are there even though the file holds none
    assertThat(py.get("/elements/fw_template_policy?filter=Firewall%20Inspection%20Template&exact_match=True")
        .json().get("result")).hasSize(1);
  }

  /**
   * A built-in added by a later version whose name a user already gave an element of Shared
   * Domain (here the zone Guest, in a file saved before the system zones existed): the user's
   * element stands, the other built-ins are created, the load succeeds.
   */
  @Test
  void snapshot_withAUserElementNamedLikeALaterBuiltIn_keepsIt() throws Exception {
    ObjectNode v1 = (ObjectNode) Json.mapper().readTree(WholeStateTest.class.getResourceAsStream("/snapshots/herald-snapshot-v1.json"));
    java.util.List<String> cols = columns(v1, "element");
    ArrayNode row = Json.mapper().createArrayNode();
    for (String c : cols) {
      switch (c) {
        case "element_key" -> row.add(1126);
        case "domain_key", "version" -> row.add(1);
        case "type" -> row.add("interface_zone");
        case "name", "name_key" -> row.add("Guest");
        case "search_text" -> row.add("guest\n");
        case "body" -> row.add("{\"name\":\"Guest\",\"comment\":\"mine\"}");
        case "trashed", "system_elem" -> row.add(false);
        default -> row.addNull();
      }
    }
    ((ArrayNode) v1.get("tables").get("element").get("rows")).add(row);
    Response loaded = admin("POST", "/snapshot", v1.toString());
    assertThat(loaded.status()).as(loaded.body()).isEqualTo(200);
    py = SmcClient.loggedIn(server);
    assertThat(made("interface_zone")).containsExactly("Guest");
    JsonNode zones = py.get("/elements/interface_zone").json().get("result");
    java.util.List<String> names = new java.util.ArrayList<>();
    zones.forEach(z -> names.add(z.get("name").asText()));
    assertThat(names).contains("DMZ", "External", "Guest", "Internal", "Node-internal").hasSize(5);
  }

  @Test
  void badSnapshots_areRefused_andChangeNothing() throws Exception {
    String h = host("keep-me");
    JsonNode good = admin("GET", "/snapshot", "").json();

    assertThat(admin("POST", "/snapshot", "{not json").status()).isEqualTo(400);
    assertThat(admin("POST", "/snapshot", "{\"hello\":1}").json().get("details").get(0).asText())
        .contains("not a Herald snapshot");
    ObjectNode newer = good.deepCopy();
    newer.put("version", 99);
    assertThat(admin("POST", "/snapshot", newer.toString()).json().get("details").get(0).asText())
        .contains("newer Herald");
    ObjectNode unknownType = good.deepCopy();
    ArrayNode rows = (ArrayNode) unknownType.get("tables").get("element").get("rows");
    int typeAt = columns(unknownType, "element").indexOf("type");
    ((ArrayNode) rows.get(rows.size() - 1)).set(typeAt, Json.mapper().getNodeFactory().textNode("warp_drive"));
    assertThat(admin("POST", "/snapshot", unknownType.toString()).json().get("details").get(0).asText())
        .contains("warp_drive");
    ObjectNode duplicate = good.deepCopy();
    ArrayNode dupRows = (ArrayNode) duplicate.get("tables").get("element_ref").get("rows");
    dupRows.add(Json.mapper().readTree("[1,2]"));
    dupRows.add(Json.mapper().readTree("[1,2]"));
    Response dup = admin("POST", "/snapshot", duplicate.toString());
    assertThat(dup.status()).isEqualTo(400);
    assertThat(dup.json().get("details").get(0).asText()).contains("element_ref");

    // nothing changed, and the session still works
    assertThat(py.getUrl(h).status()).isEqualTo(200);
    assertThat(made("host")).containsExactly("keep-me");
  }

  private static java.util.List<String> columns(JsonNode snapshot, String table) {
    java.util.List<String> out = new java.util.ArrayList<>();
    snapshot.get("tables").get(table).get("columns").forEach(c -> out.add(c.asText()));
    return out;
  }
}
