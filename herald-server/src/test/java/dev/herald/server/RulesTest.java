package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Policies and their rules as smc-python 1.0.31 and the Terraform provider drive them: the
 * requests they send (bodies, positions, links), read back as they read them, with the events
 * each step makes.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class RulesTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient py;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend);
    py = SmcClient.loggedIn(server);
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    server.close();
  }

  private static int n;

  private static String unique(String p) {
    return p + "-" + (++n) + "-" + System.nanoTime() % 1_000_000;
  }

  private static String href(String type, String name) throws Exception {
    return py.get("/elements/" + type + "?filter=" + name.replace(" ", "%20") + "&exact_match=True").json()
        .get("result").get(0).get("href").asText();
  }

  private static String link(JsonNode el, String rel) {
    for (JsonNode l : el.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + el);
  }

  /** FirewallPolicy.create(name, template="Firewall Inspection Template"). */
  private static String policy() throws Exception {
    String template = href("fw_template_policy", "Firewall Inspection Template");
    return py.create("fw_policy", "{\"name\": \"" + unique("pol") + "\", \"template\": \"" + template + "\"}");
  }

  /** smc-python's IPv4Rule.create body (§3.3 of the facts), services given, cells any. */
  private static String ruleBody(String name, String service) {
    return "{\"sources\":{\"any\":true},\"destinations\":{\"any\":true},\"services\":{\"any\":false,\"service\":[\""
        + service + "\"]},\"name\":\"" + name + "\",\"comment\":null,"
        + "\"action\":{\"action\":[\"allow\"],\"connection_tracking_options\":{\"mss_enforced\":false,"
        + "\"mss_enforced_max\":0,\"mss_enforced_min\":0,\"timeout\":-1},\"scan_detection\":\"undefined\"},"
        + "\"options\":{\"log_accounting_info_mode\":false,\"log_closing_mode\":true,\"log_level\":\"undefined\","
        + "\"log_payload_excerpt\":false,\"log_payload_record\":false,\"log_severity\":-1},"
        + "\"authentication_options\":{\"methods\":[],\"require_auth\":false,\"users\":[]},"
        + "\"match_vpn_options\":null,\"is_disabled\":false}";
  }

  private static List<String> names(String collection) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode m : py.getUrl(collection).json().get("result")) {
      assertThat(m.properties()).as("Meta(**entry)").hasSize(3);
      out.add(m.get("name").asText());
    }
    return out;
  }

  private static Response post(String url, String body) throws Exception {
    return py.postUrl(url, body);
  }

  @Test
  void rulesAtPositions_asSmcPythonAndTerraformPlaceThem_withTheirEvents() throws Exception {
    String pol = policy();
    JsonNode policy = py.getUrl(pol).json();
    String rules = link(policy, "fw_ipv4_access_rules");
    assertThat(rules).as("the rel is plural, the href singular").isEqualTo(pol + "/fw_ipv4_access_rule");
    String http = href("tcp_service", "HTTP");
    try (WsClient all = WsClient.open(py); WsClient ruleSocket = WsClient.open(py)) {
      all.subscribe("{\"context\":\"*\"}");
      ruleSocket.subscribe("{\"context\":\"fw_ipv4_access_rule\"}");
      // IPv4Rule.create(...): POST the collection; the href comes from Location only
      Response r1 = post(rules, ruleBody("r1", http));
      assertThat(r1.status()).isEqualTo(201);
      String r1Href = r1.header("Location");
      assertThat(r1Href).startsWith(rules + "/");
      JsonNode rule1 = py.getUrl(r1Href).json();
      assertThat(rule1.get("tag").asText()).matches("\\d+\\.0");
      assertThat(rule1.get("rank").isNumber()).isTrue();
      assertThat(rule1.get("parent_policy").asText()).isEqualTo(pol);
      assertThat(rule1.get("link").get(0).get("type").asText()).isEqualTo("fw_ipv4_access_rule");
      assertThat(link(rule1, "self")).isEqualTo(r1Href);
      assertThat(rule1.get("services").get("service").get(0).asText()).isEqualTo(http);
      String created = "{\"event\":{\"type\":\"create\",\"element\":\"" + r1Href + "\"},\"subscription_id\":0}";
      assertThat(all.next()).isEqualTo(created);
      assertThat(ruleSocket.next()).isEqualTo(created);

      // no position: the top
      String r2Href = post(rules, ruleBody("r2", http)).header("Location");
      // after / before carry the neighbour's tag
      String r3Href = post(rules + "?after=" + rule1.get("tag").asText(), ruleBody("r3", http)).header("Location");
      String r4Href = post(rules + "?before=" + rule1.get("tag").asText(), ruleBody("r4", http)).header("Location");
      assertThat(names(rules)).containsExactly("r2", "r4", "r1", "r3");
      // add_pos=1 in smc-python: POST to the first rule's add_before link
      JsonNode first = py.getUrl(r2Href).json();
      post(link(first, "add_before"), ruleBody("r0", http));
      assertThat(names(rules)).containsExactly("r0", "r2", "r4", "r1", "r3");
      // a section (body {"comment": …}) and an insert point ({"name", "type"})
      Response section = post(rules + "?after=" + first.get("tag").asText(), "{\"comment\":\"Section A\"}");
      assertThat(section.status()).isEqualTo(201);
      JsonNode s = py.getUrl(section.header("Location")).json();
      assertThat(s.has("sources")).as("a section has no cells").isFalse();
      assertThat(s.get("comment").asText()).isEqualTo("Section A");
      JsonNode ip = py.getUrl(post(rules, "{\"name\":\"ip\",\"type\":\"normal\"}").header("Location")).json();
      assertThat(ip.get("type").asText()).isEqualTo("normal");
      // the Terraform provider: POST <policy>/fw_ipv4_access_rule with a rank
      JsonNode r1Now = py.getUrl(r1Href).json();
      double between = (r1Now.get("rank").asDouble() + py.getUrl(r3Href).json().get("rank").asDouble()) / 2;
      post(pol + "/fw_ipv4_access_rule", "{\"action\":{\"action\":[\"allow\"]},\"destinations\":{\"any\":true},"
          + "\"name\":\"tf\",\"services\":{\"service\":[\"" + http + "\"]},\"sources\":{\"any\":true},\"rank\":" + between + "}");
      assertThat(names(rules)).containsExactly("ip", "r0", "r2", "", "r4", "r1", "tf", "r3");

      // update: the whole JSON back with Etag; the tag's suffix counts changes
      Response got = py.getUrl(r4Href);
      ObjectNode changed = ((ObjectNode) got.json()).put("comment", "changed");
      Response put = py.put(r4Href, changed.toString(), got.header("ETag"));
      assertThat(put.status()).isEqualTo(200);
      assertThat(put.header("Location")).isEqualTo(r4Href);
      JsonNode r4 = py.getUrl(r4Href).json();
      assertThat(r4.get("comment").asText()).isEqualTo("changed");
      assertThat(r4.get("tag").asText()).endsWith(".1");
      assertThat(r4.get("parent_policy").asText()).isEqualTo(pol);
      // move_rule_before: POST the whole old rule to the other's add_before, then delete it
      JsonNode r3 = py.getUrl(r3Href).json();
      Response moved = post(link(py.getUrl(r2Href).json(), "add_before"), r3.toString());
      assertThat(moved.status()).isEqualTo(201);
      assertThat(py.delete(r3Href, py.getUrl(r3Href).header("ETag")).status()).isEqualTo(204);
      assertThat(names(rules)).containsExactly("ip", "r0", "r3", "r2", "", "r4", "r1", "tf");
      // the rule socket saw every rule change after r1's: 7 creates, an update, the move's create and delete
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        seen.add(ruleSocket.next());
      }
      assertThat(seen).allSatisfy(e -> assertThat(e).contains(rules + "/"));
      assertThat(String.join("\n", seen)).contains("\"type\":\"update\",\"element\":\"" + r4Href + "\"")
          .contains("\"type\":\"delete\",\"element\":\"" + r3Href + "\"");
      // and the * socket the same ten, in the same order (the policy's create came before r1's)
      for (String e : seen) {
        assertThat(all.next()).isEqualTo(e);
      }
    }
  }

  @Test
  void rulesReferToElements_bothWays_andSearchRuleFindsThem() throws Exception {
    String pol = policy();
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    String host = py.create("host", "{\"name\":\"" + unique("src") + "\",\"address\":\"10.60.0.1\"}");
    String name = unique("uses-host");
    String body = ruleBody(name, href("tcp_service", "HTTPS")).replace("\"sources\":{\"any\":true}",
        "\"sources\":{\"any\":false,\"src\":[\"" + host + "\"]}");
    String rule = post(rules, body).header("Location");
    // a host used in a rule cannot be deleted; references_by_element names the rule by its href
    Response del = py.delete(host, null);
    assertThat(del.status()).isEqualTo(400);
    JsonNode refs = py.post("/references_by_element", "{\"value\":\"" + host + "\"}").json().get("result");
    assertThat(refs).extracting(r -> r.get("href").asText()).containsExactly(rule);
    // search_rule: by name, and by '@' + the tag's static part (Ansible)
    String search = link(py.getUrl(pol).json(), "search_rule");
    assertThat(py.getUrl(search + "?filter=" + name).json().get("result")).extracting(r -> r.get("href").asText())
        .containsExactly(rule);
    String tag = py.getUrl(rule).json().get("tag").asText();
    assertThat(py.getUrl(search + "?filter=@" + tag.substring(0, tag.indexOf('.'))).json().get("result"))
        .extracting(r -> r.get("type").asText()).containsExactly("fw_ipv4_access_rule");
    // names of rules need not be unique
    assertThat(post(rules, ruleBody(name, href("tcp_service", "HTTPS"))).status()).isEqualTo(201);
    // the rule is reachable by its flat href too, and a rule under another policy is not this one's
    String key = rule.substring(rule.lastIndexOf('/') + 1);
    assertThat(py.get("/elements/fw_ipv4_access_rule/" + key).status()).isEqualTo(200);
    String other = policy();
    assertThat(py.getUrl(other + "/fw_ipv4_access_rule/" + key).status()).isEqualTo(404);
    // deleting the policy deletes its rules, and the host is free again
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"fw_ipv4_access_rule\"}");
      assertThat(py.delete(pol, null).status()).isEqualTo(204);
      assertThat(ws.next()).contains("\"type\":\"delete\"");
    }
    assertThat(py.getUrl(rule).status()).isEqualTo(404);
    assertThat(py.delete(host, null).status()).isEqualTo(204);
  }

  @Test
  void manyAddsAtOnePlace_keepTheOrder_byMovingAFewNeighbours() throws Exception {
    String pol = policy();
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    String http = href("tcp_service", "HTTP");
    String anchor = post(rules, ruleBody("anchor", http)).header("Location");
    post(rules + "?after=" + py.getUrl(anchor).json().get("tag").asText(), ruleBody("last", http));
    String anchorTag = py.getUrl(anchor).json().get("tag").asText();
    List<String> expected = new ArrayList<>(List.of("anchor"));
    // each new rule right after the anchor: the gap halves each time until the neighbours are spread out
    for (int i = 0; i < 120; i++) {
      assertThat(post(rules + "?after=" + anchorTag, ruleBody("a" + i, http)).status()).isEqualTo(201);
      expected.add(1, "a" + i);
    }
    expected.add("last");
    assertThat(names(rules)).containsExactlyElementsOf(expected);
    double previous = Double.NEGATIVE_INFINITY;
    for (JsonNode m : py.getUrl(rules).json().get("result")) {
      double rank = py.getUrl(m.get("href").asText()).json().get("rank").asDouble();
      assertThat(rank).isGreaterThan(previous);
      previous = rank;
    }
  }

  @Test
  void natRules_asSmcPythonSendsThem() throws Exception {
    String pol = policy();
    String nat = link(py.getUrl(pol).json(), "fw_ipv4_nat_rules");
    assertThat(nat).isEqualTo(pol + "/fw_ipv4_nat_rule");
    String src = py.create("host", "{\"name\":\"" + unique("natsrc") + "\",\"address\":\"10.61.0.1\"}");
    String body = "{\"sources\":{\"any\":false,\"src\":[\"" + src + "\"]},\"destinations\":{\"any\":true},"
        + "\"services\":{\"any\":true},\"options\":{\"log_accounting_info_mode\":false,\"log_closing_mode\":true,"
        + "\"log_level\":\"undefined\",\"log_payload_excerpt\":false,\"log_payload_record\":false,\"log_severity\":-1,"
        + "\"dynamic_src_nat\":{\"automatic_proxy\":null,\"translation_values\":[{\"ip_descriptor\":\"192.0.2.1\","
        + "\"min_port\":1024,\"max_port\":65535}]}},\"name\":\"nat1\",\"comment\":null,\"is_disabled\":false,"
        + "\"used_on\":{\"any\":true}}";
    Response created = post(nat, body);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonNode r = py.getUrl(created.header("Location")).json();
    assertThat(r.get("options").get("dynamic_src_nat").get("translation_values").get(0).get("ip_descriptor").asText())
        .isEqualTo("192.0.2.1");
    assertThat(r.get("used_on").get("any").asBoolean()).isTrue();
    assertThat(names(nat)).containsExactly("nat1");
  }

  @Test
  void badRules_are400NamingTheField_changeNothing_andSendNoEvent() throws Exception {
    String pol = policy();
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    String http = href("tcp_service", "HTTP");
    post(rules, ruleBody("keep", http));
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"*\"}");
      String missing = server.url() + "/7.2/elements/host/987654321";
      Response dangling = post(rules, ruleBody("bad", http).replace("\"sources\":{\"any\":true}",
          "\"sources\":{\"any\":false,\"src\":[\"" + missing + "\"]}"));
      assertThat(dangling.status()).isEqualTo(400);
      assertThat(dangling.json().get("details").toString()).contains("sources.src");
      Response badAction = post(rules, ruleBody("bad", http).replace("\"action\":[\"allow\"]", "\"action\":\"allow\""));
      assertThat(badAction.status()).isEqualTo(400);
      assertThat(badAction.json().get("details").toString()).contains("action.action");
      // actions as smc-python lists them for the rule type; a jump to a sub-policy of its family
      Response unknownAction = post(rules, ruleBody("bad", http).replace("\"action\":[\"allow\"]", "\"action\":[\"allow\",\"fly\"]"));
      assertThat(unknownAction.status()).isEqualTo(400);
      assertThat(unknownAction.json().get("details").toString()).contains("fly").contains("apply_vpn");
      Response jumpNowhere = post(rules, ruleBody("bad", http).replace("\"action\":[\"allow\"]", "\"action\":[\"jump\"]"));
      assertThat(jumpNowhere.status()).isEqualTo(400);
      assertThat(jumpNowhere.json().get("details").toString()).contains("sub_policy").contains("sub_ipv4_fw_policy");
      Response jumpToPolicy = post(rules, ruleBody("bad", http).replace("\"action\":[\"allow\"]",
          "\"action\":[\"jump\"],\"sub_policy\":\"" + pol + "\""));
      assertThat(jumpToPolicy.status()).isEqualTo(400);
      assertThat(jumpToPolicy.json().get("details").toString()).contains("not a fw_policy");
      Response badPlace = post(rules + "?after=999999999.0", ruleBody("bad", http));
      assertThat(badPlace.status()).isEqualTo(400);
      assertThat(names(rules)).containsExactly("keep");
      // a rule cannot be created outside a policy
      assertThat(py.post("/elements/fw_ipv4_access_rule", ruleBody("loose", http)).status()).isEqualTo(400);
      String marker = py.create("host", "{\"name\":\"" + unique("marker") + "\",\"address\":\"10.62.0.1\"}");
      assertThat(ws.next()).contains(marker);
    }
    // a jump to a firewall sub-policy is stored, and the sub-policy is then in use
    String sub = py.create("sub_ipv4_fw_policy", "{\"name\":\"" + unique("sub") + "\"}");
    Response jump = post(rules, ruleBody("jump", http).replace("\"action\":[\"allow\"]",
        "\"action\":[\"jump\"],\"sub_policy\":\"" + sub + "\""));
    assertThat(jump.status()).as(jump.body()).isEqualTo(201);
    assertThat(py.delete(sub, py.getUrl(sub).header("ETag")).status()).isNotIn(200, 204);
  }

  /** A policy's validate lists what cannot work, rule by rule; a sound policy is OK. */
  @Test
  void validate_listsWhatCannotWork_ruleByRule() throws Exception {
    String pol = policy();
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    String http = href("tcp_service", "HTTP");
    JsonNode clean = py.postUrl(link(py.getUrl(pol).json(), "validate"), "{}").json();
    assertThat(clean.get("status").asText()).isEqualTo("OK");
    assertThat(clean.get("problems")).isEmpty();

    String sub = py.create("sub_ipv4_fw_policy", "{\"name\":\"" + unique("empty-sub") + "\"}");
    String host = py.create("host", "{\"name\":\"" + unique("doomed") + "\",\"address\":\"10.63.0.1\"}");
    // each added at the top: the last, allowing everything, comes first
    post(rules, ruleBody("jumps-to-empty", http).replace("\"action\":[\"allow\"]", "\"action\":[\"jump\"],\"sub_policy\":\"" + sub + "\""));
    post(rules, ruleBody("uses-trashed", http).replace("\"sources\":{\"any\":true}", "\"sources\":{\"any\":false,\"src\":[\"" + host + "\"]}"));
    post(rules, ruleBody("vpn-without-vpn", http).replace("\"action\":[\"allow\"]", "\"action\":[\"allow\",\"apply_vpn\"]"));
    post(rules, ruleBody("matches-nothing", http).replace("\"sources\":{\"any\":true}", "\"sources\":{\"none\":true}"));
    post(rules, ruleBody("everything", http).replace("\"services\":{\"any\":false,\"service\":[\"" + http + "\"]}",
        "\"services\":{\"any\":true}"));
    assertThat(py.postUrl(host + "/trash", "{}").status()).isEqualTo(200);

    JsonNode found = py.postUrl(link(py.getUrl(pol).json(), "validate"), "{}").json();
    assertThat(found.get("status").asText()).isEqualTo("ERROR");
    java.util.Map<String, List<String>> byRule = new java.util.TreeMap<>();
    found.get("problems").forEach(p -> byRule.computeIfAbsent(p.get("rule").asText().replaceAll(" \\(@.*", ""),
        k -> new java.util.ArrayList<>()).add(p.get("severity").asText() + ": " + p.get("message").asText()));
    assertThat(byRule).doesNotContainKey("everything");
    assertThat(byRule.get("matches-nothing")).anyMatch(m -> m.startsWith("warning: It never matches: its sources are none"));
    assertThat(byRule.get("vpn-without-vpn")).anyMatch(m -> m.startsWith("error:") && m.contains("needs a VPN"));
    assertThat(byRule.get("uses-trashed")).anyMatch(m -> m.startsWith("error:") && m.contains("in the trash"));
    assertThat(byRule.get("jumps-to-empty")).anyMatch(m -> m.startsWith("warning:") && m.contains("has no rules"));
    assertThat(byRule.values()).allMatch(ms -> ms.stream().anyMatch(m -> m.contains("No packet reaches it: everything")));
    assertThat(found.get("problems").get(0).get("href").asText()).startsWith(pol + "/fw_ipv4_access_rule/");
  }

  /** Policy.save_as(name): POST save_as?name=NEW, the new policy's href in Location, its rules copied in order. */
  @Test
  void saveAs_copiesThePolicyAndItsRulesInOrder() throws Exception {
    String pol = policy();
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    String http = href("tcp_service", "HTTP");
    for (String n : List.of("c", "b", "a")) {
      post(rules, ruleBody(n, http)); // each at the top: a, b, c
    }
    String name = unique("copy");
    Response saved = py.postUrl(link(py.getUrl(pol).json(), "save_as") + "?name=" + name, "{}");
    assertThat(saved.status()).as(saved.body()).isEqualTo(201);
    String copy = saved.header("Location");
    assertThat(py.getUrl(copy).json().get("name").asText()).isEqualTo(name);
    assertThat(names(link(py.getUrl(copy).json(), "fw_ipv4_access_rules"))).containsExactly("a", "b", "c");
    assertThat(names(rules)).containsExactly("a", "b", "c");
    assertThat(py.getUrl(copy).json().get("template").asText()).isEqualTo(py.getUrl(pol).json().get("template").asText());
    // the name is taken now: nothing more is made
    assertThat(py.postUrl(link(py.getUrl(pol).json(), "save_as") + "?name=" + name, "{}").status()).isEqualTo(400);
    // a duplicate (PUT duplicate?name=) of a policy copies its rules too
    String dupName = unique("dup");
    Response dup = py.send(HttpRequest.newBuilder(URI.create(link(py.getUrl(pol).json(), "duplicate") + "?name=" + dupName))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(dup.status()).as(dup.body()).isEqualTo(200);
    assertThat(names(link(py.getUrl(dup.header("Location")).json(), "fw_ipv4_access_rules"))).containsExactly("a", "b", "c");
    assertThat(py.postUrl(link(py.getUrl(pol).json(), "save_as"), "{}").status()).isEqualTo(400);
  }

  /** QoS limit rules and inspection rules, POSTed to the policy's href + "/" + the rule type as the Terraform provider does. */
  @Test
  void qosAndInspectionRules_inTheirPolicies() throws Exception {
    String qos = py.create("qos_policy", "{\"name\":\"" + unique("qos") + "\"}");
    String limits = link(py.getUrl(qos).json(), "limit_rules");
    assertThat(limits).isEqualTo(qos + "/limit_rule");
    Response limit = post(limits, "{\"name\":\"voice\",\"priority\":1,\"guarantee\":1000,\"limit\":-50,\"rank\":1.0}");
    assertThat(limit.status()).as(limit.body()).isEqualTo(201);
    assertThat(post(limits, "{\"name\":\"bad\",\"priority\":\"high\"}").status()).isEqualTo(400);
    assertThat(names(limits)).containsExactly("voice");

    String insp = py.create("inspection_template_policy", "{\"name\":\"" + unique("insp") + "\"}");
    String exceptions = link(py.getUrl(insp).json(), "inspection_exception_rules");
    Response exc = post(exceptions, "{\"name\":\"exc\",\"min_severity\":1,\"max_severity\":10,\"sources\":{\"any\":true},"
        + "\"destinations\":{\"any\":true}}");
    assertThat(exc.status()).as(exc.body()).isEqualTo(201);
    assertThat(names(exceptions)).containsExactly("exc");
    assertThat(names(link(py.getUrl(insp).json(), "inspection_global_rules"))).isEmpty();
  }

  @Test
  void upload_toAMissingEngine_isATaskThatFailsSayingWhy() throws Exception {
    String pol = policy();
    JsonNode task = py.postUrl(link(py.getUrl(pol).json(), "upload") + "?filter=fw1",
        "{\"preserve_connections\": true, \"snapshot_creation\": true}").json();
    assertThat(task.get("in_progress").asBoolean()).isTrue();
    JsonNode done = SystemTest.poll(py, task);
    assertThat(done.get("success").asBoolean()).isFalse();
    assertThat(done.get("last_message").asText()).contains("fw1");
    // rule_counter: no engine, no hits
    assertThat(py.postUrl(link(py.getUrl(pol).json(), "rule_counter"),
        "{\"duration_type\":\"one_day\",\"target_ref\":null,\"duration\":86400}").json().get("result")).isEmpty();
    assertThat(py.send(HttpRequest.newBuilder(URI.create(link(py.getUrl(pol).json(), "force_unlock")))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
  }

  /**
   * A template's insert points (smc-python's examples/template_policies.py builds one), and a
   * policy based on it: its rules go in the template's normal insert points (the first by default,
   * another by {@code ?insert_point=}), each says where in {@code parent_insert_point}, the policy's
   * collection lists its own rules insert point by insert point, and validation sees the rules as
   * the engine gets them — the template's around the policy's.
   */
  @Test
  void policyFromATemplate_rulesGoInItsInsertPoints() throws Exception {
    String http = href("tcp_service", "HTTP");
    String tpl = py.create("fw_template_policy", "{\"name\":\"" + unique("tpl") + "\",\"template\":null}");
    String tplRules = link(py.getUrl(tpl).json(), "fw_ipv4_access_rules");
    // the template, top to bottom: an automatic insert point, "second" insert point, a rule
    // allowing everything, "first"... built as template_policies.py does: add, then place
    String everything = post(tplRules, ruleBody("tpl-everything", http).replace(
        "\"services\":{\"any\":false,\"service\":[\"" + http + "\"]}", "\"services\":{\"any\":true}")).header("Location");
    String everythingTag = py.getUrl(everything).json().get("tag").asText();
    String first = post(tplRules + "?before=" + everythingTag, "{\"name\":\"first\",\"type\":\"normal\"}").header("Location");
    String second = post(tplRules + "?after=" + everythingTag, "{\"name\":\"second\",\"type\":\"normal\"}").header("Location");
    Response auto = post(tplRules, "{\"name\":\"Automatic Rules insert point\",\"type\":\"automatic\"}");
    assertThat(auto.status()).as(auto.body()).isEqualTo(201);
    assertThat(names(tplRules)).containsExactly("Automatic Rules insert point", "first", "tpl-everything", "second");
    assertThat(py.getUrl(first).json().get("type").asText()).isEqualTo("normal");

    String pol = py.create("fw_policy", "{\"name\":\"" + unique("based") + "\",\"template\":\"" + tpl + "\"}");
    String rules = link(py.getUrl(pol).json(), "fw_ipv4_access_rules");
    // no insert point named: the template's first normal one
    String a = post(rules, ruleBody("a", http)).header("Location");
    assertThat(py.getUrl(a).json().get("parent_insert_point").asText()).isEqualTo(first);
    // another one by its href (or tag): its rules come after the first's, whatever their ranks
    Response c = post(rules + "?insert_point=" + second, ruleBody("c", http));
    assertThat(c.status()).as(c.body()).isEqualTo(201);
    assertThat(py.getUrl(c.header("Location")).json().get("parent_insert_point").asText()).isEqualTo(second);
    String cTag = py.getUrl(c.header("Location")).json().get("tag").asText();
    post(rules, ruleBody("b", http)); // the top of the first insert point
    post(rules + "?after=" + cTag, ruleBody("d", http)); // beside c: the second insert point
    assertThat(names(rules)).as("the policy's own rules, insert point by insert point").containsExactly("b", "a", "c", "d");
    // refused, nothing made: not an insert point of the template, or not the neighbour's
    String secondTag = py.getUrl(second).json().get("tag").asText();
    assertThat(post(rules + "?insert_point=" + everything, ruleBody("x", http)).body()).contains("not an insert point");
    Response mismatch = post(rules + "?after=" + cTag + "&insert_point=" + first, ruleBody("y", http));
    assertThat(mismatch.status()).isEqualTo(400);
    assertThat(mismatch.body()).contains("is not in the insert point");
    Response byTag = post(rules + "?insert_point=" + secondTag, ruleBody("e", http));
    assertThat(byTag.status()).as(byTag.body()).isEqualTo(201);
    assertThat(names(rules)).containsExactly("b", "a", "e", "c", "d");

    // where a rule sits is the server's: a PUT naming another "insert point" (here a host) changes
    // nothing, and that element is not pinned by it
    String host = py.create("host", "{\"name\":\"" + unique("pinned") + "\",\"address\":\"10.64.0.1\"}");
    JsonNode aJson = py.getUrl(a).json();
    Response moved = py.put(a, ((ObjectNode) aJson.deepCopy()).put("parent_insert_point", host).toString(), py.getUrl(a).header("ETag"));
    assertThat(moved.status()).as(moved.body()).isEqualTo(200);
    assertThat(py.getUrl(a).json().get("parent_insert_point").asText()).isEqualTo(first);
    assertThat(py.delete(host, py.getUrl(host).header("ETag")).status()).isIn(200, 204);

    // an insert point that holds rules cannot be deleted; the template of such a policy stays
    Response del = py.delete(first, py.getUrl(first).header("ETag"));
    assertThat(del.status()).isEqualTo(400);
    assertThat(del.body()).contains("referenced by");
    String other = href("fw_template_policy", "Firewall Inspection Template");
    JsonNode polJson = py.getUrl(pol).json();
    Response change = py.put(pol, ((ObjectNode) polJson.deepCopy()).put("template", other).toString(), py.getUrl(pol).header("ETag"));
    assertThat(change.status()).isEqualTo(400);
    assertThat(change.body()).contains("insert points of its template");
    assertThat(py.getUrl(pol).json().get("template").asText()).isEqualTo(tpl);

    // validation sees the template's rule allowing everything before the second insert point
    JsonNode found = py.postUrl(link(py.getUrl(pol).json(), "validate"), "{}").json();
    List<String> unreachable = new ArrayList<>();
    found.get("problems").forEach(pr -> {
      if (pr.get("message").asText().startsWith("No packet reaches it: tpl-everything")) {
        unreachable.add(pr.get("rule").asText().replaceAll(" \\(@.*", ""));
      }
    });
    assertThat(unreachable).containsExactlyInAnyOrder("e", "c", "d");

    // save_as keeps each rule in its insert point
    String copyName = unique("copy");
    String copy = py.postUrl(link(py.getUrl(pol).json(), "save_as") + "?name=" + copyName, "{}").header("Location");
    assertThat(names(link(py.getUrl(copy).json(), "fw_ipv4_access_rules"))).containsExactly("b", "a", "e", "c", "d");
  }

}
