package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Engines as smc-python drives them: the requests it sends (recorded from a run of the real
 * smc-python 1.0.31 against Herald: Layer3Firewall.create, nodes, status, initial_contact, a
 * policy upload, node commands, MonitoringStatus, add_layer3_interface), checked the way it
 * reads the answers; the simulated life of a node; bad input.
 */
class EnginesTest {
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

  private static String unique(String p) {
    return p + "-" + (++n);
  }

  /** Layer3Firewall.create(name, mgmt_ip="192.168.10.1", mgmt_network="192.168.10.0/24"), as sent. */
  static String createSingleFw(String name) throws Exception {
    return createSingleFw(py, name);
  }

  static String createSingleFw(SmcClient py, String name) throws Exception {
    String logServer = py.get("/elements/log_server").json().get("result").get(0).get("href").asText();
    String body = "{\"name\": \"" + name + "\", \"nodes\": [{\"firewall_node\": {\"activate_test\": true,"
        + " \"disabled\": false, \"comment\": null, \"loopback_node_dedicated_interface\": [], \"name\": \"" + name
        + " node 1\", \"nodeid\": 1}}], \"domain_server_address\": [], \"log_server_ref\": \"" + logServer + "\","
        + " \"physicalInterfaces\": [{\"physical_interface\": {\"interface_id\": 0, \"interfaces\": [{\"single_node_interface\":"
        + " {\"address\": \"192.168.10.1\", \"network_value\": \"192.168.10.0/24\", \"nicid\": \"0\", \"nodeid\": 1,"
        + " \"auth_request\": true, \"auth_request_source\": false, \"primary_heartbeat\": false, \"backup_heartbeat\": false,"
        + " \"backup_mgt\": false, \"dynamic\": false, \"outgoing\": true, \"primary_mgt\": true, \"reverse_connection\": false}}],"
        + " \"vlanInterfaces\": []}}], \"default_nat\": \"automatic\", \"discard_quic_if_cant_inspect\": \"true\","
        + " \"comment\": null, \"quic_enabled\": \"true\"}";
    Response r = py.post("/elements/single_fw", body);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.header("Location"); // smc-python reads nothing else of the answer
  }

  private static String rel(JsonNode o, String rel) {
    for (JsonNode l : o.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + o.get("link"));
  }

  /** A single firewall whose node made initial contact (it answers, takes policies). */
  private static String contactedSingleFw(String name) throws Exception {
    String engine = createSingleFw(name);
    py.postUrl(firstNode(engine).get("link").get(0).get("href").asText() + "/initial_contact", "{}");
    return engine;
  }

  private static JsonNode firstNode(String engine) throws Exception {
    return py.getUrl(engine).json().get("nodes").get(0).get("firewall_node");
  }

  private static JsonNode status(JsonNode node) throws Exception {
    return py.getUrl(rel(node, "status")).json();
  }

  private static Response put(String url) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}")));
  }

  private static JsonNode awaitTask(Response started) throws Exception {
    assertThat(started.status()).as(started.body()).isEqualTo(200);
    String follower = started.json().get("follower").asText();
    JsonNode[] t = new JsonNode[1];
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      t[0] = py.getUrl(follower).json();
      return !t[0].get("in_progress").asBoolean();
    });
    return t[0];
  }

  private static String policy(String name) throws Exception {
    String template = py.get("/elements?filter=Firewall+Inspection+Template&filter_context=fw_template_policy&exact_match=True")
        .json().get("result").get(0).get("href").asText();
    return py.create("fw_policy", "{\"name\":\"" + name + "\",\"template\":\"" + template + "\"}");
  }

  private static String hrefOf(String type, String name) throws Exception {
    return py.get("/elements/" + type + "?filter=" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8)
        + "&exact_match=True").json().get("result").get(0).get("href").asText();
  }

  /**
   * engine.permissions as smc-python reads and sets it: GET (the ETag, quotes stripped), then PUT
   * the GrantedElementPermissions dict with an Etag header; the change is an update of the engine.
   */
  @Test
  void permissions_readAndGrantedAsSmcPythonDoes_badOnesChangeNothing() throws Exception {
    String engine = createSingleFw(unique("perm-fw"));
    String link = engine + "/permissions";
    SmcClient.Response fresh = py.getUrl(link);
    assertThat(fresh.status()).isEqualTo(200);
    assertThat(fresh.json().get("cluster_ref").asText()).isEqualTo(engine);
    assertThat(fresh.json().get("granted_access_control_list")).isEmpty();
    assertThat(fresh.json().get("role_containers")).isEmpty();
    String etag = fresh.header("ETag").replace("\"", "");

    String acl = hrefOf("access_control_list", "ALL Elements");
    String viewer = hrefOf("role", "Viewer");
    String admin = hrefOf("admin_user", "admin");
    String shared = hrefOf("admin_domain", "Shared Domain");
    String granted = "{\"cluster_ref\":\"" + engine + "\",\"granted_access_control_list\":[\"" + acl + "\"],"
        + "\"role_containers\":[{\"roles\":[\"" + viewer + "\"],\"admin_ref\":\"" + admin + "\","
        + "\"granted_domain_ref\":\"" + shared + "\"}]}";
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"single_fw\"}");
      SmcClient.Response put = py.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(link))
          .header("Content-Type", "application/json").header("Etag", etag)
          .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(granted)));
      assertThat(put.status()).as(put.body()).isEqualTo(200);
      assertThat(ws.next()).contains("\"update\"").contains(engine);
    }
    JsonNode now = py.getUrl(link).json();
    assertThat(now.get("granted_access_control_list").get(0).asText()).isEqualTo(acl);
    assertThat(now.get("role_containers").get(0).get("roles").get(0).asText()).isEqualTo(viewer);
    assertThat(now.get("role_containers").get(0).get("admin_ref").asText()).isEqualTo(admin);

    // a stale ETag: 412; an href of the wrong kind: 400 naming it; nothing changed either time
    SmcClient.Response stale = py.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(link))
        .header("Content-Type", "application/json").header("Etag", etag)
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(granted.replace(acl, hrefOf("access_control_list", "ALL Engines")))));
    assertThat(stale.status()).isEqualTo(412);
    String current = py.getUrl(link).header("ETag");
    SmcClient.Response wrong = py.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(link))
        .header("Content-Type", "application/json").header("If-Match", current)
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(granted.replace(acl, viewer))));
    assertThat(wrong.status()).isEqualTo(400);
    assertThat(wrong.json().get("details").toString()).contains("is not an element of type access_control_list");
    assertThat(py.getUrl(link).json()).isEqualTo(now);
  }

  @Test
  void layer3Firewall_createdAsSmcPythonSendsIt_readsBackAsItExpects() throws Exception {
    String name = unique("fw");
    String engine = createSingleFw(name);
    Response got = py.getUrl(engine);
    JsonNode e = got.json();
    assertThat(got.header("ETag")).isNotBlank();
    for (String r : List.of("nodes", "interfaces", "physical_interface", "routing", "antispoofing",
        "pending_changes", "upload", "refresh")) {
      assertThat(rel(e, r)).startsWith(engine + "/");
    }
    // string booleans read as booleans, the interface id as a string (smc-python compares strings)
    assertThat(e.get("quic_enabled").isBoolean()).isTrue();
    JsonNode itf = e.get("physicalInterfaces").get(0).get("physical_interface");
    assertThat(itf.get("interface_id").asText()).isEqualTo("0");
    assertThat(itf.get("interface_id").isTextual()).isTrue();
    assertThat(itf.get("link").get(0).get("type").asText()).isEqualTo("physical_interface");
    JsonNode node = e.get("nodes").get(0).get("firewall_node");
    assertThat(node.get("name").asText()).isEqualTo(name + " node 1");
    JsonNode self = node.get("link").get(0);
    assertThat(self.get("rel").asText()).isEqualTo("self");
    assertThat(self.get("type").asText()).isEqualTo("firewall_node");
    assertThat(self.get("href").asText()).matches(java.util.regex.Pattern.quote(engine) + "/firewall_node/\\d+");
    for (String r : List.of("initial_contact", "go_online", "go_offline", "reboot", "status", "appliance_status", "bind")) {
      assertThat(rel(node, r)).isEqualTo(self.get("href").asText() + "/" + r);
    }
    assertThat(py.getUrl(rel(e, "nodes")).json().get("result").get(0).get("type").asText()).isEqualTo("firewall_node");
    assertThat(py.getUrl(rel(e, "pending_changes")).json().isArray()).isTrue();

    // the routing tree: every node has routing_node, a self link and related_element_type
    JsonNode routing = py.getUrl(rel(e, "routing")).json();
    assertThat(routing.get("related_element_type").asText()).isEqualTo("single_fw");
    JsonNode i0 = routing.get("routing_node").get(0);
    assertThat(i0.get("level").asText()).isEqualTo("interface");
    assertThat(i0.get("nic_id").asText()).isEqualTo("0");
    JsonNode net = i0.get("routing_node").get(0);
    assertThat(net.get("ip").asText()).isEqualTo("192.168.10.0/24");
    assertThat(net.get("routing_node").isArray()).isTrue();
    assertThat(net.get("link").get(0).get("rel").asText()).isEqualTo("self");

    // smc-python's update() PUTs the whole engine back, links and all: nodes keep their keys
    Response saved = py.put(engine, e.toString(), got.header("ETag"));
    assertThat(saved.status()).as(saved.body()).isEqualTo(200);
    assertThat(firstNode(engine).get("link").get(0).get("href").asText()).isEqualTo(self.get("href").asText());
  }

  @Test
  void aNode_livesAsInSmcsDemoMode_contactUploadCommandsReboot() throws Exception {
    String name = unique("life");
    String engine = createSingleFw(name);
    JsonNode node = firstNode(engine);
    JsonNode fresh = status(node);
    assertThat(fresh.get("monitoring_state").asText()).isEqualTo("NO_STATUS");
    assertThat(fresh.get("monitoring_status").asText()).isEqualTo("UNKNOWN");
    assertThat(fresh.get("engine_node_status").asText()).isEqualTo("Unknown");
    assertThat(fresh.get("configuration_status").asText()).isEqualTo("Initial");

    // a command before initial contact: SMC's refusal, nothing changed
    Response early = put(rel(node, "go_online"));
    assertThat(early.status()).isEqualTo(400);
    assertThat(early.json().get("details").get(0).asText()).contains("initial contact");
    assertThat(status(node).get("configuration_status").asText()).isEqualTo("Initial");

    Response contact = py.postUrl(rel(node, "initial_contact") + "?enable_ssh=True&export_to_base64=False", "{}");
    assertThat(contact.status()).isEqualTo(200);
    assertThat(contact.header("Content-Type")).startsWith("text/plain");
    assertThat(contact.body()).contains(name + " node 1");
    JsonNode contacted = status(node);
    assertThat(contacted.get("monitoring_state").asText()).isEqualTo("READY");
    assertThat(contacted.get("engine_node_status").asText()).isEqualTo("No Policy Installed");
    assertThat(contacted.get("configuration_status").asText()).isEqualTo("Configured");
    assertThat(put(rel(node, "go_offline")).status()).isEqualTo(400); // no policy yet

    String policy = policy(name + "-policy");
    JsonNode task = awaitTask(py.postUrl(rel(py.getUrl(engine).json(), "upload")
        + "?filter=" + name + "-policy&preserve_connections=True&generate_snapshot=True", "{}"));
    assertThat(task.get("success").asBoolean()).as(task.toString()).isTrue();
    JsonNode installed = status(node);
    assertThat(installed.get("installed_policy").asText()).isEqualTo(name + "-policy");
    assertThat(installed.get("installed_policy_ref").asText()).isEqualTo(policy);
    assertThat(installed.get("engine_node_status").asText()).isEqualTo("Online");
    assertThat(installed.get("configuration_status").asText()).isEqualTo("Installed");

    assertThat(put(rel(node, "go_offline") + "?comment=maintenance").status()).isEqualTo(200);
    assertThat(status(node).get("engine_node_status").asText()).isEqualTo("Offline");
    JsonNode composite = py.post("/monitoring_status", "{\"value\":\"" + engine + "\"}").json();
    assertThat(composite.get("monitoring_status").asText()).isEqualTo("WARNING");
    assertThat(composite.get("result").get(0).get("href").asText()).isEqualTo(node.get("link").get(0).get("href").asText());
    assertThat(composite.has("history")).isFalse(); // smc-python's MonitoringStatus cannot take one
    // status.history (API 7.1+): POST the status's history link, a History of the engine's keys
    JsonNode history = py.postUrl(rel(composite, "history"), "{}").json();
    assertThat(history.fieldNames()).toIterable().isSubsetOf("creation_time", "creator", "creator_name", "is_locked",
        "is_obsolete", "is_trashed", "last_modification_time", "modifier", "modifier_name", "follower", "in_progress",
        "last_message", "progress", "success", "waiting_inputs");
    assertThat(history.get("is_trashed").asBoolean()).isFalse();
    assertThat(put(rel(node, "go_online")).status()).isEqualTo(200);
    JsonNode viaEntryPoint = py.post("/monitoring_status",
        "{\"value\":\"" + node.get("link").get(0).get("href").asText() + "\"}").json();
    assertThat(viaEntryPoint.get("engine_node_status").asText()).isEqualTo("Online");
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + engine + "\"}").json()
        .get("monitoring_status").asText()).isEqualTo("OK");

    // a reboot: it stops answering, then comes back as it was
    assertThat(put(rel(node, "reboot")).status()).isEqualTo(200);
    assertThat(status(node).get("monitoring_state").asText()).isEqualTo("TIMEOUT");
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> status(node).get("engine_node_status").asText().equals("Online"));

    // interfaces and hardware, in the nested shapes smc-python reads
    JsonNode appliance = py.getUrl(rel(node, "appliance_status")).json();
    assertThat(appliance.get("interface_statuses").get("interface_statuses").get(0).get("name").asText()).isEqualTo("eth0_0");
    JsonNode fs = appliance.get("hardware_statuses").get("hardware_statuses").get(0);
    assertThat(fs.get("items").get(0).get("statuses").get(0).fieldNames()).toIterable()
        .containsExactlyInAnyOrder("label", "param", "sub_system", "value");
    JsonNode nodeJson = py.getUrl(node.get("link").get(0).get("href").asText()).json();
    assertThat(nodeJson.get("appliance_info").get("product_name").asText()).isNotEmpty();

    // node.sginfo(include_core_files=True): exactly 200, a gzip'd tar
    java.net.http.HttpResponse<byte[]> sginfo = py.http.send(HttpRequest.newBuilder(URI.create(rel(node, "sginfo")
        + "?include_core_files=True&include_slapcat_output=False")).header("Cookie", py.sessionCookie()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(sginfo.statusCode()).isEqualTo(200);
    List<String> files = new ArrayList<>();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(sginfo.body())))) {
      for (var entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        files.add(entry.getName().replaceAll(".*/", ""));
        if (entry.getName().endsWith("status.json") && !entry.getName().endsWith("appliance_status.json")) {
          assertThat(Json.mapper().readTree(tar.readAllBytes()).get("engine_node_status").asText()).isEqualTo("Online");
        }
      }
    }
    assertThat(files).containsExactly("README.txt", "status.json", "appliance_status.json", "engine.json", "core_files.txt");
  }

  @Test
  void interfaces_addedUpdatedDeleted_asUpdatesOfTheEngine() throws Exception {
    String engine = createSingleFw(unique("itf"));
    String collection = rel(py.getUrl(engine).json(), "physical_interface");
    String body = "{\"interface_id\": 1, \"interfaces\": [{\"single_node_interface\": {\"address\": \"10.0.0.1\","
        + " \"network_value\": \"10.0.0.0/24\", \"nicid\": \"1\", \"nodeid\": 1, \"outgoing\": false, \"primary_mgt\": false}}],"
        + " \"vlanInterfaces\": []}";
    Response added = py.postUrl(collection, body);
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    String itf = added.header("Location");
    assertThat(itf).matches(java.util.regex.Pattern.quote(engine) + "/physical_interface/\\d+");
    Response dup = py.postUrl(collection, body);
    assertThat(dup.status()).isEqualTo(400);
    assertThat(dup.json().get("details").get(0).asText()).contains("Interface 1 already exists");

    JsonNode routing = py.getUrl(engine + "/routing").json();
    assertThat(routing.get("routing_node")).extracting(r -> r.get("nic_id").asText()).containsExactly("0", "1");

    // Interface.update(): GET for the ETag, PUT the whole interface
    Response current = py.getUrl(itf);
    ObjectNode changed = (ObjectNode) current.json();
    changed.put("comment", "uplink");
    Response updated = py.put(itf, changed.toString(), current.header("ETag"));
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    assertThat(py.getUrl(itf).json().get("comment").asText()).isEqualTo("uplink");
    // a stale ETag is refused
    assertThat(py.put(itf, changed.toString(), current.header("ETag")).status()).isEqualTo(412);

    assertThat(py.delete(itf, py.getUrl(itf).header("ETag")).status()).isEqualTo(204);
    assertThat(py.getUrl(itf).status()).isEqualTo(404);
    assertThat(py.getUrl(engine).json().get("physicalInterfaces")).hasSize(1);
  }

  @Test
  void aCluster_hasANodeEach_andAStatusComposedOfThem() throws Exception {
    String name = unique("c");
    String logServer = py.get("/elements/log_server").json().get("result").get(0).get("href").asText();
    String node = "{\"firewall_node\": {\"activate_test\": true, \"disabled\": false, \"comment\": null,"
        + " \"loopback_node_dedicated_interface\": [], \"name\": \"" + name + " node %d\", \"nodeid\": %d}}";
    String body = "{\"name\": \"" + name + "\", \"nodes\": [" + node.formatted(1, 1) + ", " + node.formatted(2, 2) + "],"
        + " \"domain_server_address\": [], \"log_server_ref\": \"" + logServer + "\", \"physicalInterfaces\": [{\"physical_interface\": {"
        + " \"interface_id\": 0, \"interfaces\": [{\"cluster_virtual_interface\": {\"address\": \"1.1.1.1\", \"network_value\": \"1.1.1.0/24\","
        + " \"nicid\": \"0\", \"auth_request\": true}}, {\"node_interface\": {\"address\": \"1.1.1.2\", \"network_value\": \"1.1.1.0/24\","
        + " \"nicid\": \"0\", \"nodeid\": 1, \"primary_mgt\": true}}, {\"node_interface\": {\"address\": \"1.1.1.3\","
        + " \"network_value\": \"1.1.1.0/24\", \"nicid\": \"0\", \"nodeid\": 2, \"primary_mgt\": true}}], \"vlanInterfaces\": [],"
        + " \"macaddress\": \"02:02:02:02:02:02\", \"cvi_mode\": \"packetdispatch\", \"zone_ref\": null}}],"
        + " \"default_nat\": \"automatic\", \"comment\": null, \"cluster_mode\": \"balancing\"}";
    String engine = py.create("fw_cluster", body);
    JsonNode nodes = py.getUrl(engine).json().get("nodes");
    assertThat(nodes).hasSize(2);
    List<String> hrefs = new ArrayList<>();
    nodes.forEach(nd -> hrefs.add(nd.get("firewall_node").get("link").get(0).get("href").asText()));
    assertThat(hrefs).doesNotHaveDuplicates();
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + engine + "\"}").json().get("monitoring_status").asText())
        .isEqualTo("UNKNOWN");
    assertThat(py.postUrl(hrefs.get(0) + "/initial_contact", "{}").status()).isEqualTo(200);
    // one node reports, the other not yet: PARTIAL_OK, as smc-python documents it
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + engine + "\"}").json().get("monitoring_status").asText())
        .isEqualTo("PARTIAL_OK");

    // deleting the engine takes its nodes and their status with it
    assertThat(py.delete(engine, py.getUrl(engine).header("ETag")).status()).isEqualTo(204);
    assertThat(py.getUrl(hrefs.get(0)).status()).isEqualTo(404);
    assertThat(py.getUrl(hrefs.get(0) + "/status").status()).isEqualTo(404);
  }

  @Test
  void aSnapshot_carriesEnginesAndTheirSimulatedStatus() throws Exception {
    String engine = createSingleFw(unique("snap"));
    JsonNode node = firstNode(engine);
    py.postUrl(rel(node, "initial_contact"), "{}");
    String file = py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/snapshot")).GET()).body();
    assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/reset"))
        .POST(HttpRequest.BodyPublishers.noBody())).status()).isEqualTo(200);
    assertThat(py.getUrl(engine).status()).isEqualTo(404);
    assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/snapshot"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(file))).status()).isEqualTo(200);
    py = SmcClient.loggedIn(server);
    assertThat(status(firstNode(engine)).get("engine_node_status").asText()).isEqualTo("No Policy Installed");
  }

  @Test
  void aPolicysOwnUpload_installsItOnTheEngineNamed() throws Exception {
    String name = unique("pu");
    String engine = createSingleFw(name);
    JsonNode node = firstNode(engine);
    String policy = policy(name + "-policy");
    String upload = rel(py.getUrl(policy).json(), "upload");
    // before contact: the task fails, saying why
    JsonNode early = awaitTask(py.postUrl(upload + "?filter=" + name, "{}"));
    assertThat(early.get("success").asBoolean()).isFalse();
    assertThat(early.get("last_message").asText()).contains("initial contact");
    py.postUrl(rel(node, "initial_contact"), "{}");
    JsonNode done = awaitTask(py.postUrl(upload + "?filter=" + name, "{}"));
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    assertThat(status(node).get("installed_policy").asText()).isEqualTo(name + "-policy");
  }

  private static Response simulate(String json) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  /**
   * Switch interfaces as smc-python adds them (API 6.8+): switch_physical_interface.add_switch_interface
   * (a POST to the engine's switch_interface with the appliance module's href), then
   * add_port_group_interface (the switch interface PUT back with its port group and addresses).
   */
  @Test
  void aSwitchInterface_andItsPortGroups() throws Exception {
    String engine = createSingleFw(unique("sw"));
    String module = py.get("/elements/appliance_switch_module?filter=110").json().get("result").get(0).get("href").asText();
    String switches = rel(py.getUrl(engine).json(), "switch_interface");
    Response made = py.postUrl(switches, "{\"interface_id\":\"SWI_0\",\"switch_interface_switch_module_ref\":\"" + module
        + "\",\"comment\":null,\"interfaces\":[]}");
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    String sw = made.header("Location");
    assertThat(sw).startsWith(engine + "/switch_interface/");
    JsonNode listed = py.getUrl(switches).json().get("result");
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).get("name").asText()).isEqualTo("Interface SWI_0");
    Response read = py.getUrl(sw);
    com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode) read.json();
    body.putArray("port_group_interface").addObject().put("interface_id", "SWI_0.1")
        .set("switch_interface_port", Json.mapper().readTree("[{\"physical_switch_port_number\": 2}, {\"physical_switch_port_number\": 3}]"));
    Response put = py.put(sw, body.toString(), read.header("ETag"));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(py.getUrl(sw).json().get("port_group_interface").get(0).get("switch_interface_port")).hasSize(2);
    assertThat(py.postUrl(switches, "{\"interface_id\":\"SWI_0\"}").status()).as("an id the engine has").isEqualTo(400);
    String layer2 = py.create("single_layer2", "{\"name\":\"" + unique("l2") + "\",\"nodes\":[{\"fwlayer2_node\":{\"nodeid\":1}}]}");
    assertThat(py.getUrl(layer2 + "/switch_interface").status()).as("a single firewall's link").isEqualTo(404);
  }

  /** Node.debug(filter_enabled) and Node.set_debug(Debug): a GET of diagnostic, a POST of send_diagnostic. */
  @Test
  void aNodesDiagnostics_areReadAndSet_onceItAnswers() throws Exception {
    String engine = createSingleFw(unique("diag"));
    String node = firstNode(engine).get("link").get(0).get("href").asText();
    assertThat(py.getUrl(node + "/diagnostic?filter_enabled=False").status()).as("before contact").isEqualTo(400);
    py.postUrl(node + "/initial_contact", "{}");
    JsonNode all = py.getUrl(node + "/diagnostic?filter_enabled=False").json().get("diagnostics");
    assertThat(all.size()).isGreaterThan(40);
    assertThat(all.findValues("enabled")).allMatch(v -> !v.asBoolean());
    assertThat(all.findValuesAsText("name")).contains("management", "sandbox", "ipsec_vpn");
    Response set = py.postUrl(node + "/send_diagnostic",
        "{\"diagnostics\":[{\"diagnostic\":{\"name\":\"management\",\"enabled\":true}},"
            + "{\"diagnostic\":{\"name\":\"sandbox\",\"enabled\":true}}]}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    JsonNode on = py.getUrl(node + "/diagnostic?filter_enabled=True").json().get("diagnostics");
    assertThat(on.findValuesAsText("name")).containsExactlyInAnyOrder("management", "sandbox");
    for (String bad : List.of("{\"diagnostics\":[{\"diagnostic\":{\"name\":\"coffee\",\"enabled\":true}}]}",
        "{\"diagnostics\":[{\"diagnostic\":{\"name\":\"nat\",\"enabled\":\"yes\"}}]}", "{}")) {
      assertThat(py.postUrl(node + "/send_diagnostic", bad).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(node + "/diagnostic?filter_enabled=True").json().get("diagnostics")).hasSize(2);
    assertThat(py.postUrl(node + "/send_diagnostic", "{\"diagnostics\":[{\"diagnostic\":{\"name\":\"sandbox\","
        + "\"enabled\":false}}]}").status()).isEqualTo(200);
    assertThat(py.getUrl(node + "/diagnostic?filter_enabled=True").json().get("diagnostics").findValuesAsText("name"))
        .containsExactly("management");
  }

  @Test
  void aTest_drivesANodesStatus_forAWhile_thenItComesBack() throws Exception {
    String engine = createSingleFw(unique("sim"));
    String node = firstNode(engine).get("link").get(0).get("href").asText();
    py.postUrl(node + "/initial_contact", "{}");
    Response set = simulate("{\"node\":\"" + node + "\",\"engine_node_status\":\"Offline\",\"monitoring_status\":\"ERROR\",\"for_ms\":500}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(set.json().get("engine_node_status").asText()).isEqualTo("Offline");
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + engine + "\"}").json().get("monitoring_status").asText())
        .isEqualTo("ERROR");
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> py.getUrl(node + "/status").json().get("engine_node_status").asText().equals("No Policy Installed"));
    for (String bad : List.of("{\"node\":\"" + node + "\",\"engine_node_status\":\"Sleeping\"}",
        "{\"node\":\"" + node + "\"}", "{\"node\":\"" + engine + "\",\"monitoring_status\":\"OK\"}",
        "{\"node\":\"" + node + "\",\"monitoring_status\":\"OK\",\"for_ms\":-1}")) {
      assertThat(simulate(bad).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(node + "/status").json().get("monitoring_status").asText()).isEqualTo("OK");
  }

  /**
   * Static routes as smc-python adds them: engine.add_route(gateway, network) (POST add_route with
   * params), routing.get(0).add_static_route(Router, [Network]) (GET the interface node for its
   * ETag, PUT it back with a gateway node under the network), remove_route_gateway (DELETE the
   * gateway node), routing_monitoring; refusals change nothing.
   */
  @Test
  void staticRoutes_inTheRoutingTree_asSmcPythonAddsThem() throws Exception {
    String name = unique("routes");
    String engine = createSingleFw(name);
    JsonNode e = py.getUrl(engine).json();
    Response add = py.postUrl(rel(e, "add_route") + "?gateway=192.168.10.254%2F32&network=0.0.0.0%2F0", "{}");
    assertThat(add.status()).as(add.body()).isEqualTo(200);
    JsonNode itf = py.getUrl(rel(e, "routing")).json().get("routing_node").get(0);
    JsonNode gateway = itf.get("routing_node").get(0).get("routing_node").get(0);
    assertThat(gateway.get("level").asText()).isEqualTo("gateway");
    assertThat(gateway.get("ip").asText()).isEqualTo("192.168.10.254");
    assertThat(gateway.get("related_element_type").asText()).isEqualTo("router");
    assertThat(gateway.get("routing_node").get(0).get("level").asText()).isEqualTo("any");
    assertThat(py.getUrl(gateway.get("href").asText()).json().get("address").asText()).isEqualTo("192.168.10.254");

    // add_static_route: the interface node as read, plus a gateway node without link (the server adds them)
    String router = py.create("router", "{\"name\":\"" + unique("gw") + "\",\"address\":\"192.168.10.253\"}");
    String network = py.create("network", "{\"name\":\"" + unique("dst") + "\",\"ipv4_network\":\"172.16.0.0/16\"}");
    String itfHref = itf.get("link").get(0).get("href").asText();
    Response read = py.getUrl(itfHref);
    com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode) read.json();
    ((com.fasterxml.jackson.databind.node.ArrayNode) node.get("routing_node").get(0).get("routing_node")).addObject()
        .put("level", "gateway").put("href", router).put("name", "gw")
        .putArray("routing_node").addObject().put("href", network).put("name", "dst").put("level", "any");
    Response put = py.put(itfHref, node.toString(), read.header("ETag").replace("\"", ""));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    JsonNode gateways = put.json().get("routing_node").get(0).get("routing_node");
    assertThat(gateways).hasSize(2);
    assertThat(gateways.get(1).get("link").get(0).get("rel").asText()).isEqualTo("self");
    assertThat(py.put(itfHref, node.toString(), read.header("ETag")).status()).isEqualTo(412); // stale

    // refusals: a gateway on no network of the engine, a network the interface does not have, not an element
    String before = py.getUrl(rel(e, "routing")).body();
    assertThat(py.postUrl(rel(e, "add_route") + "?gateway=10.99.0.1&network=10.9.0.0%2F16", "{}").status()).isEqualTo(400);
    assertThat(py.postUrl(rel(e, "add_route") + "?gateway=192.168.10.9&network=10.9.0.1%2F16", "{}").status()).isEqualTo(400);
    com.fasterxml.jackson.databind.node.ObjectNode bad = node.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) bad.get("routing_node").get(0)).put("ip", "10.200.0.0/24");
    assertThat(py.put(itfHref, bad.toString(), null).status()).isEqualTo(400);
    com.fasterxml.jackson.databind.node.ObjectNode noElement = node.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) noElement.get("routing_node").get(0).get("routing_node").get(1))
        .put("href", engine.replaceAll("/single_fw/\\d+", "/router/999999999"));
    assertThat(py.put(itfHref, noElement.toString(), null).status()).isEqualTo(400);
    assertThat(py.getUrl(rel(e, "routing")).body()).isEqualTo(before);

    // a router in a route is referenced by the engine
    assertThat(py.delete(router, py.getUrl(router).header("ETag")).status()).isNotIn(200, 204);

    // routing_monitoring: nothing until the node answers, then the connected and static routes
    assertThat(py.getUrl(rel(e, "routing_monitoring")).json().get("routing_monitoring_entry")).isEmpty();
    py.postUrl(firstNode(engine).get("link").get(0).get("href").asText() + "/initial_contact", "{}");
    JsonNode routes = py.getUrl(rel(e, "routing_monitoring")).json().get("routing_monitoring_entry");
    List<String> seen = new ArrayList<>();
    routes.forEach(r -> seen.add(r.get("route_type").asText() + " " + r.get("route_network").asText() + "/"
        + r.get("route_netmask").asInt() + " via " + r.get("route_gateway").asText()));
    assertThat(seen).containsExactly("Connected 192.168.10.0/24 via null", "Static 0.0.0.0/0 via 192.168.10.254",
        "Static 172.16.0.0/16 via 192.168.10.253");

    // query_route (a GET with a JSON body, as smc-python sends it): the path to a destination
    java.util.function.Function<String, List<String>> query = json -> {
      try {
        Response q = py.send(HttpRequest.newBuilder(URI.create(rel(e, "query_route"))).header("Content-Type", "application/json")
            .method("GET", HttpRequest.BodyPublishers.ofString(json)));
        assertThat(q.status()).as(q.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        q.json().forEach(entry -> entry.get("entry").forEach(n -> names.add(n.get("level").asText() + ":" + n.get("name").asText())));
        return names;
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
    };
    assertThat(query.apply("{\"source_ip\":\"0.0.0.0\",\"destination_ip\":\"8.8.8.8\"}")).hasSize(4)
        .first().isEqualTo("interface:Interface 0");
    assertThat(query.apply("{\"destination_ip\":\"172.16.3.4\"}")).last().asString().startsWith("any:dst-");
    assertThat(query.apply("{\"destination_ip\":\"192.168.10.7\"}")).containsExactly("interface:Interface 0",
        "network:network-192.168.10.0/24"); // connected
    assertThat(query.apply("{\"destination_ref\":\"" + network + "\"}")).last().asString().startsWith("any:dst-");
    assertThat(py.send(HttpRequest.newBuilder(URI.create(rel(e, "query_route"))).header("Content-Type", "application/json")
        .method("GET", HttpRequest.BodyPublishers.ofString("{\"destination_ip\":\"nowhere\"}"))).status()).isEqualTo(400);

    // remove_route_gateway: DELETE the gateway node
    String gwNode = gateways.get(1).get("link").get(0).get("href").asText();
    Response deleted = py.delete(gwNode, py.getUrl(gwNode).header("ETag"));
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
    assertThat(py.getUrl(rel(e, "routing")).json().get("routing_node").get(0).get("routing_node").get(0)
        .get("routing_node")).hasSize(1);
    assertThat(py.delete(router, py.getUrl(router).header("ETag")).status()).isEqualTo(204); // no longer referenced
  }

  @Test
  void badInterfaces_areRefused_andChangeNothing() throws Exception {
    String itf = "{\"physical_interface\":{\"interface_id\":\"%s\",%s\"interfaces\":[{\"single_node_interface\":"
        + "{\"address\":\"%s\",\"network_value\":\"%s\",\"nicid\":\"%s\",\"nodeid\":1}}]}}";
    String zone = py.get("/elements").json().get("result").get(0).get("href").asText()
        .replaceAll("/elements.*", "/elements/interface_zone/999999999");
    java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("a missing zone", String.format(itf, "0", "\"zone_ref\":\"" + zone + "\",", "192.168.10.1", "192.168.10.0/24", "0"));
    bad.put("an address outside its network", String.format(itf, "0", "", "10.0.0.1", "192.168.10.0/24", "0"));
    bad.put("a network with host bits", String.format(itf, "0", "", "192.168.10.1", "192.168.10.1/24", "0"));
    bad.put("a duplicate interface id", String.format(itf, "0", "", "192.168.10.1", "192.168.10.0/24", "0") + ","
        + String.format(itf, "0", "", "192.168.11.1", "192.168.11.0/24", "0"));
    for (var b : bad.entrySet()) {
      String name = unique("badif");
      Response r = py.post("/elements/single_fw", "{\"name\":\"" + name + "\",\"nodes\":[{\"firewall_node\":{\"nodeid\":1}}],"
          + "\"physicalInterfaces\":[" + b.getValue() + "]}");
      assertThat(r.status()).as(b.getKey() + ": " + r.body()).isEqualTo(400);
      assertThat(r.json().get("message").asText()).as(b.getKey()).startsWith("Impossible to store the element");
      assertThat(py.get("/elements/single_fw?filter=" + name + "&exact_match=True").json().get("result")).as(b.getKey()).isEmpty();
    }
    // on an engine that exists: adding such an interface, or a second interface 0, changes nothing
    String engine = createSingleFw(unique("badif"));
    String before = py.getUrl(engine).body();
    String collection = rel(py.getUrl(engine).json(), "physical_interface");
    assertThat(py.postUrl(collection, String.format(itf, "1", "", "10.0.0.1", "192.168.20.0/24", "1")
        .replaceFirst("^\\{\"physical_interface\":", "").replaceFirst("}$", "")).status()).isEqualTo(400);
    assertThat(py.postUrl(collection, String.format(itf, "0", "", "192.168.30.1", "192.168.30.0/24", "0")
        .replaceFirst("^\\{\"physical_interface\":", "").replaceFirst("}$", "")).status()).isEqualTo(400);
    assertThat(py.getUrl(engine).body()).isEqualTo(before);
  }

  /**
   * A master engine and a virtual engine as smc-python makes them (MasterEngine.create,
   * engine.virtual_resource.create, Layer3VirtualEngine.create): the virtual engine's node runs
   * on the master's nodes — its status follows theirs, on REST and on the status socket.
   */
  @Test
  void aVirtualEngine_followsItsMasterEngine() throws Exception {
    String name = unique("master");
    String logServer = py.get("/elements/log_server").json().get("result").get(0).get("href").asText();
    String master = py.create("master_engine", "{\"name\":\"" + name + "\",\"master_type\":\"firewall\","
        + "\"cluster_mode\":\"standby\",\"log_server_ref\":\"" + logServer + "\",\"nodes\":[{\"master_node\":{\"nodeid\":1,"
        + "\"name\":\"" + name + " node 1\"}}],\"physicalInterfaces\":[{\"physical_interface\":{\"interface_id\":\"0\","
        + "\"interfaces\":[{\"node_interface\":{\"address\":\"10.5.0.1\",\"network_value\":\"10.5.0.0/24\",\"nicid\":\"0\","
        + "\"nodeid\":1,\"primary_mgt\":true,\"outgoing\":true}}]}}]}");
    String domain = py.get("/elements/admin_domain?filter=Shared+Domain&exact_match=True").json().get("result").get(0)
        .get("href").asText();
    String resources = rel(py.getUrl(master).json(), "virtual_resources");
    Response vr = py.postUrl(resources, "{\"name\":\"" + name + "-res\",\"connection_limit\":0,\"show_master_nic\":false,"
        + "\"vfw_id\":1,\"comment\":null,\"allocated_domain_ref\":\"" + domain + "\"}");
    assertThat(vr.status()).as(vr.body()).isEqualTo(201);
    String resource = vr.header("Location");
    // smc-python lists them from the engine's JSON
    JsonNode listed = py.getUrl(master).json().get("virtualResources").get(0).get("virtual_resource");
    assertThat(listed.get("name").asText()).isEqualTo(name + "-res");
    assertThat(listed.get("link").get(0).get("href").asText()).isEqualTo(resource);
    for (String bad : List.of("{\"name\":\"" + name + "-other\",\"vfw_id\":1}", "{\"name\":\"" + name + "-x\"}",
        "{\"name\":\"" + name + "-y\",\"vfw_id\":\"two\"}")) {
      assertThat(py.postUrl(resources, bad).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(resources).json().get("result")).hasSize(1);

    String virtual = py.create("virtual_fw", "{\"name\":\"" + name + "-ve\",\"nodes\":[{\"virtual_fw_node\":{\"nodeid\":1}}],"
        + "\"physicalInterfaces\":[{\"virtual_physical_interface\":{\"interface_id\":\"0\",\"interfaces\":"
        + "[{\"single_node_interface\":{\"address\":\"10.6.0.1\",\"network_value\":\"10.6.0.0/24\",\"nicid\":\"0\","
        + "\"nodeid\":1,\"outgoing\":true,\"auth_request\":true}}]}}],\"virtual_resource\":\"" + resource + "\"}");
    String vnode = py.getUrl(virtual).json().get("nodes").get(0).get("virtual_fw_node").get("link").get(0).get("href").asText();
    String mnode = py.getUrl(master).json().get("nodes").get(0).get("master_node").get("link").get(0).get("href").asText();
    assertThat(py.getUrl(vnode + "/status").json().get("monitoring_state").asText()).isEqualTo("NO_STATUS");
    // a virtual engine makes no contact of its own
    assertThat(py.postUrl(vnode + "/initial_contact", "{}").status()).isEqualTo(400);

    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      assertThat(ws.subscribe("{\"element\":\"" + vnode + "\"}")).contains("Subscribed for status");
      assertThat(py.postUrl(mnode + "/initial_contact", "{}").status()).isEqualTo(200);
      JsonNode frame = Json.mapper().readTree(ws.next()).get("status").get("status");
      assertThat(frame.get("engine_node_status").asText()).isEqualTo("No Policy Installed");
      assertThat(frame.get("master_node").asText()).isEqualTo(mnode);
    }
    policy(name + "-vp");
    JsonNode task = awaitTask(py.postUrl(rel(py.getUrl(virtual).json(), "upload") + "?filter=" + name + "-vp", "{}"));
    assertThat(task.get("success").asBoolean()).as(task.toString()).isTrue();
    JsonNode online = py.post("/monitoring_status", "{\"value\":\"" + vnode + "\"}").json();
    assertThat(online.get("engine_node_status").asText()).isEqualTo("Online");
    assertThat(online.get("installed_policy").asText()).isEqualTo(name + "-vp");

    // the master goes offline: so does the virtual engine, and back
    policy(name + "-mp");
    awaitTask(py.postUrl(rel(py.getUrl(master).json(), "upload") + "?filter=" + name + "-mp", "{}"));
    assertThat(put(mnode + "/go_offline").status()).isEqualTo(200);
    assertThat(py.getUrl(vnode + "/status").json().get("engine_node_status").asText()).isEqualTo("Offline");
    assertThat(put(mnode + "/go_online").status()).isEqualTo(200);
    assertThat(py.getUrl(vnode + "/status").json().get("engine_node_status").asText()).isEqualTo("Online");

    // the master and its resource are in use
    assertThat(py.delete(resource, null).status()).isEqualTo(400);
    assertThat(py.delete(master, py.getUrl(master).header("ETag")).status()).isNotIn(200, 204);
    assertThat(py.getUrl(master).status()).isEqualTo(200);
  }

  /** engine.block_list / System.block_list / engine.block_list_flush, with the bodies smc-python sends. */
  @Test
  void blockLists_addedCheckedAndFlushed() throws Exception {
    String engine = createSingleFw(unique("bl"));
    String other = createSingleFw(unique("bl"));
    JsonNode e = py.getUrl(engine).json();
    String entry = "{\"entries\": [{\"end_point1\": {\"address_mode\": \"address\", \"ip_network\": \"1.1.1.1/32\"},"
        + " \"end_point2\": {\"address_mode\": \"any\", \"port1\": 443, \"port2\": 443, \"port_mode\": \"predefined_tcp\"},"
        + " \"duration\": 3600}]}";
    assertThat(py.postUrl(rel(e, "block_list"), entry).status()).isEqualTo(200);
    JsonNode listed = py.getUrl(rel(e, "block_list")).json().get("result");
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).get("end_point1").get("ip_network").asText()).isEqualTo("1.1.1.1/32");
    assertThat(listed.get(0).get("expires_in").asLong()).isBetween(3590L, 3600L);
    for (String bad : List.of(entry.replace("1.1.1.1/32", "1.1.1.1"), entry.replace("\"address\", \"ip_network", "\"here\", \"ip_network"),
        entry.replace("\"duration\": 3600", "\"duration\": 0"), entry.replace("\"port1\": 443", "\"port1\": 70000"),
        entry.replace("predefined_tcp", "icmp"), "{\"entries\": []}", "{\"entries\": [" + entry.substring(13, entry.length() - 2)
            + ", {\"end_point1\": {}}]}")) {
      assertThat(py.postUrl(rel(e, "block_list"), bad).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(rel(e, "block_list")).json().get("result")).hasSize(1); // the refused changed nothing
    // the system's block list reaches every engine
    assertThat(py.post("/system/block_list", entry.replace("1.1.1.1/32", "2.2.2.0/24")).status()).isEqualTo(200);
    assertThat(py.getUrl(rel(e, "block_list")).json().get("result")).hasSize(2);
    assertThat(py.getUrl(rel(py.getUrl(other).json(), "block_list")).json().get("result")).hasSize(1);
    Response flushed = py.send(HttpRequest.newBuilder(URI.create(rel(e, "flush_block_list"))).DELETE());
    assertThat(flushed.status()).isEqualTo(204);
    assertThat(py.getUrl(rel(e, "block_list")).json().get("result")).isEmpty();
    assertThat(py.getUrl(rel(py.getUrl(other).json(), "block_list")).json().get("result")).hasSize(1);
  }

  private static Response admin(String method, String path, String json) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/" + path))
        .header("Content-Type", "application/json").method(method, json == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json)));
  }

  /** A scripted scenario: a node goes offline, then comes back, each step at its time. */
  @Test
  void aScenario_runsItsStepsAtTheirTimes_andBadOnesStartNothing() throws Exception {
    String engine = createSingleFw(unique("scn"));
    String node = firstNode(engine).get("link").get(0).get("href").asText();
    py.postUrl(node + "/initial_contact", "{}");
    String steps = "[{\"after_ms\":0,\"element\":\"" + node + "\",\"engine_node_status\":\"Offline\",\"monitoring_status\":\"WARNING\"},"
        + "{\"after_ms\":600,\"element\":\"" + node + "\",\"engine_node_status\":\"Online\",\"monitoring_status\":\"OK\",\"cpu_percent\":95}]";
    // one bad step: nothing starts
    Response bad = admin("POST", "scenarios", "{\"name\":\"bad\",\"steps\":" + steps.replace("\"Online\"", "\"Sleeping\"") + "}");
    assertThat(bad.status()).as(bad.body()).isEqualTo(400);
    assertThat(bad.json().get("details").get(0).asText()).startsWith("Step 2:");
    for (String worse : List.of("{}", "{\"steps\":[]}", "{\"steps\":[{\"after_ms\":-1,\"element\":\"" + node + "\",\"monitoring_status\":\"OK\"}]}",
        "{\"steps\":[{\"after_ms\":0,\"element\":\"" + engine + "\",\"monitoring_status\":\"OK\"}]}")) {
      assertThat(admin("POST", "scenarios", worse).status()).as(worse).isEqualTo(400);
    }
    assertThat(py.getUrl(node + "/status").json().get("engine_node_status").asText()).isEqualTo("No Policy Installed");

    Response started = admin("POST", "scenarios", "{\"name\":\"offline a while\",\"steps\":" + steps + "}");
    assertThat(started.status()).as(started.body()).isEqualTo(201);
    long id = started.json().get("id").asLong();
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> py.getUrl(node + "/status").json().get("engine_node_status").asText().equals("Offline"));
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> py.getUrl(node + "/status").json().get("engine_node_status").asText().equals("Online"));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !admin("GET", "scenarios/" + id, null).json()
        .get("running").asBoolean());
    JsonNode done = admin("GET", "scenarios/" + id, null).json();
    assertThat(done.get("steps")).allSatisfy(st -> assertThat(st.get("state").asText()).isEqualTo("done"));
    assertThat(py.getUrl(node + "/appliance_status").json().get("hardware_statuses").get("hardware_statuses").get(1)
        .get("status").asText()).isEqualTo("WARNING"); // the CPU at 95 %

    // a step still to come can be cancelled
    Response later = admin("POST", "scenarios", "{\"name\":\"later\",\"steps\":[{\"after_ms\":60000,\"element\":\"" + node
        + "\",\"engine_node_status\":\"Offline\"}]}");
    long laterId = later.json().get("id").asLong();
    JsonNode cancelled = admin("DELETE", "scenarios/" + laterId, null).json();
    assertThat(cancelled.get("steps").get(0).get("state").asText()).isEqualTo("cancelled");
    assertThat(cancelled.get("running").asBoolean()).isFalse();
    assertThat(admin("GET", "scenarios", null).json().get("scenarios").findValuesAsText("name")).contains("offline a while", "later");
    assertThat(admin("GET", "scenarios/999999", null).status()).isEqualTo(404);
  }

  /** engine.alias_resolving() and Alias.resolve(engine), after Alias.create and update_or_create. */
  @Test
  void aliases_resolvedOnAnEngine() throws Exception {
    String name = unique("alias-fw");
    String engine = createSingleFw(name);
    String host = py.create("host", "{\"name\":\"" + unique("ah") + "\",\"address\":\"192.0.2.10\"}");
    String net = py.create("network", "{\"name\":\"" + unique("an") + "\",\"ipv4_network\":\"198.51.100.0/24\"}");
    String web = py.create("alias", "{\"name\":\"" + unique("web") + "\",\"default_alias_value\":[\"" + host + "\"]}");
    String dmz = py.create("alias", "{\"name\":\"" + unique("dmz") + "\"}");
    // update_or_create(engine=…): the engine's own value for the alias, saved with a PUT of the engine
    Response read = py.getUrl(engine);
    com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode) read.json();
    body.putArray("alias_value").addObject().put("alias_ref", dmz).putArray("translated_element").add(net);
    assertThat(py.put(engine, body.toString(), read.header("ETag")).status()).isEqualTo(200);

    JsonNode resolving = py.getUrl(rel(py.getUrl(engine).json(), "alias_resolving")).json();
    java.util.Map<String, String> byRef = new java.util.HashMap<>();
    resolving.forEach(a -> byRef.put(a.get("alias_ref").asText(), a.get("resolved_value").toString()));
    assertThat(byRef).containsEntry(web, "[\"192.0.2.10\"]").containsEntry(dmz, "[\"198.51.100.0/24\"]");
    String itf0 = hrefOf("interface_nic_x_ip_alias", "$$ Interface ID 0.ip");
    assertThat(byRef).containsEntry(itf0, "[\"192.168.10.1\"]");

    JsonNode resolved = py.getUrl(rel(py.getUrl(dmz).json(), "resolve") + "?for=" + name).json();
    assertThat(resolved.get("resolved_value").get(0).asText()).isEqualTo("198.51.100.0/24");
    assertThat(resolved.get("translated_element").get(0).asText()).isEqualTo(net);
    assertThat(py.getUrl(rel(py.getUrl(dmz).json(), "resolve") + "?for=no-such-engine").status()).isEqualTo(404);
    assertThat(py.getUrl(rel(py.getUrl(itf0).json(), "resolve") + "?for=" + name).json().get("resolved_value").get(0).asText())
        .isEqualTo("192.168.10.1");
  }

  private static java.util.Map<String, String> unzip(String url) throws Exception {
    java.net.http.HttpResponse<byte[]> r = py.http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Cookie", py.sessionCookie()).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    java.util.Map<String, String> files = new java.util.TreeMap<>();
    try (var zip = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(r.body()))) {
      for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        files.put(e.getName(), new String(zip.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return files;
  }

  /** A policy upload takes a snapshot (smc-python's engine.snapshots, snapshot.download, generate_snapshot). */
  @Test
  void aPolicyUpload_takesASnapshot_toDownloadAndCompare() throws Exception {
    String name = unique("snap");
    String engine = createSingleFw(name);
    String node = firstNode(engine).get("link").get(0).get("href").asText();
    py.postUrl(node + "/initial_contact", "{}");
    assertThat(py.getUrl(rel(py.getUrl(engine).json(), "snapshots")).json().get("result")).isEmpty();
    policy(name + "-p");
    awaitTask(py.postUrl(rel(py.getUrl(engine).json(), "upload") + "?filter=" + name + "-p&generate_snapshot=True", "{}"));
    JsonNode list = py.getUrl(rel(py.getUrl(engine).json(), "snapshots")).json().get("result");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("type").asText()).isEqualTo("snapshot");
    JsonNode snap = py.getUrl(list.get(0).get("href").asText()).json();
    assertThat(snap.get("policy").asText()).isEqualTo(name + "-p");
    java.util.Map<String, String> content = unzip(rel(snap, "content"));
    assertThat(content).hasSize(1);
    assertThat(Json.mapper().readTree(content.values().iterator().next()).get("name").asText()).isEqualTo(name);
    assertThat(unzip(rel(snap, "html_content")).values().iterator().next()).contains("<pre>");
    // a change after the snapshot shows in the comparison
    Response read = py.getUrl(engine);
    com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode) read.json();
    body.put("comment", "changed after the upload");
    assertThat(py.put(engine, body.toString(), read.header("ETag")).status()).isEqualTo(200);
    assertThat(unzip(rel(snap, "compare_to_latest")).values().iterator().next()).contains("changed after the upload");
    assertThat(unzip(rel(py.getUrl(engine).json(), "generate_snapshot")).values().iterator().next())
        .contains("changed after the upload");
    // without generate_snapshot, none is taken
    awaitTask(py.postUrl(rel(py.getUrl(engine).json(), "upload") + "?filter=" + name + "-p&generate_snapshot=False", "{}"));
    assertThat(py.getUrl(rel(py.getUrl(engine).json(), "snapshots")).json().get("result")).hasSize(1);
    assertThat(py.getUrl(engine + "/snapshot/999999").status()).isEqualTo(404);
  }

  /**
   * smc-python's examples/tasks.py: one rule created in the installed policy is one pending change;
   * approve_all marks it; a refresh installs it, and none is pending.
   */
  @Test
  void pendingChanges_listWhatChangedSinceTheInstall_untilARefresh() throws Exception {
    String name = unique("pend");
    String engine = contactedSingleFw(name);
    JsonNode e = py.getUrl(engine).json();
    assertThat(py.getUrl(rel(e, "pending_changes")).json()).isEmpty(); // nothing installed yet
    String policy = policy(name + "-p");
    awaitTask(py.postUrl(rel(e, "upload") + "?filter=" + name + "-p", "{}"));
    assertThat(py.getUrl(rel(e, "pending_changes")).json()).isEmpty();
    String rules = rel(py.getUrl(policy).json(), "fw_ipv4_access_rules");
    Response rule = py.postUrl(rules, "{\"name\":\"new-rule\",\"sources\":{\"any\":true},\"destinations\":{\"any\":true},"
        + "\"services\":{\"any\":true},\"action\":{\"action\":[\"allow\"]}}");
    assertThat(rule.status()).isEqualTo(201);
    JsonNode pending = py.getUrl(rel(e, "pending_changes")).json();
    assertThat(pending).hasSize(1);
    assertThat(pending.get(0).get("element").asText()).isEqualTo(rule.header("Location"));
    assertThat(pending.get(0).get("event_type").asText()).isEqualTo("stonegate.object.insert");
    assertThat(pending.get(0).fieldNames()).toIterable().isSubsetOf("approved_on", "changed_on", "element",
        "element_name", "event_type", "modifier", "approver"); // smc-python's ChangeRecord takes no other key
    assertThat(py.postUrl(rel(e, "approve_all_changes"), "{}").status()).isEqualTo(200);
    assertThat(py.getUrl(rel(e, "pending_changes")).json().get(0).get("approved_on").asText()).isNotEmpty();
    assertThat(py.postUrl(rel(e, "disapprove_all_changes"), "{}").status()).isEqualTo(200);
    assertThat(py.getUrl(rel(e, "pending_changes")).json().get(0).get("approved_on").asText()).isEmpty();
    JsonNode refreshed = awaitTask(py.postUrl(rel(e, "refresh") + "?generate_snapshot=True&preserve_connections=True", "{}"));
    assertThat(refreshed.get("success").asBoolean()).as(refreshed.toString()).isTrue();
    assertThat(py.getUrl(rel(e, "pending_changes")).json()).isEmpty();
  }

  /** A change to the template an installed policy is based on is pending too: the engine gets the template's rules. */
  @Test
  void pendingChanges_includeTheTemplatesRules() throws Exception {
    String name = unique("pendtpl");
    String engine = createSingleFw(name);
    String node = firstNode(engine).get("link").get(0).get("href").asText();
    py.postUrl(node + "/initial_contact", "{}");
    String template = py.create("fw_template_policy", "{\"name\":\"" + name + "-t\"}");
    String tplRules = rel(py.getUrl(template).json(), "fw_ipv4_access_rules");
    assertThat(py.postUrl(tplRules, "{\"name\":\"policy rules\",\"type\":\"normal\"}").status()).isEqualTo(201);
    py.create("fw_policy", "{\"name\":\"" + name + "-p\",\"template\":\"" + template + "\"}");
    JsonNode e = py.getUrl(engine).json();
    awaitTask(py.postUrl(rel(e, "upload") + "?filter=" + name + "-p", "{}"));
    assertThat(py.getUrl(rel(e, "pending_changes")).json()).isEmpty();
    Response rule = py.postUrl(tplRules, "{\"name\":\"tpl-rule\",\"sources\":{\"any\":true},\"destinations\":{\"any\":true},"
        + "\"services\":{\"any\":true},\"action\":{\"action\":[\"discard\"]}}");
    assertThat(rule.status()).isEqualTo(201);
    JsonNode pending = py.getUrl(rel(e, "pending_changes")).json();
    assertThat(pending).hasSize(1);
    assertThat(pending.get(0).get("element").asText()).isEqualTo(rule.header("Location"));
  }

  /** engine.contact_addresses: every interface address a node; update_or_create PUTs its list back. */
  @Test
  void contactAddresses_perInterfaceAddress_withTheirLocations() throws Exception {
    String engine = createSingleFw(unique("ca"));
    JsonNode list = py.getUrl(rel(py.getUrl(engine).json(), "contact_addresses")).json().get("result");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("0_192.168.10.1"); // smc-python splits it at "_"
    String node = list.get(0).get("href").asText();
    Response read = py.getUrl(node);
    assertThat(read.json().get("contact_addresses")).isEmpty();
    String location = py.create("location", "{\"name\":\"" + unique("site") + "\"}");
    com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode) read.json();
    body.withArray("contact_addresses").addObject().put("address", "203.0.113.7").put("dynamic", "false")
        .put("location_ref", location);
    Response put = py.put(node, body.toString(), read.header("ETag").replace("\"", ""));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.json().get("contact_addresses").get(0).get("location_ref").asText()).isEqualTo(location);
    // the location is in use now
    assertThat(py.delete(location, py.getUrl(location).header("ETag")).status()).isNotIn(200, 204);
    for (String bad : List.of("{\"contact_addresses\":[{\"address\":\"not-an-ip\",\"dynamic\":\"false\",\"location_ref\":\"" + location + "\"}]}",
        "{\"contact_addresses\":[{\"address\":\"203.0.113.8\",\"dynamic\":\"false\",\"location_ref\":\"" + engine + "\"}]}",
        "{\"contact_addresses\":[{\"address\":\"203.0.113.8\",\"dynamic\":\"maybe\",\"location_ref\":\"" + location + "\"}]}",
        "{}")) {
      assertThat(py.put(node, bad, null).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(node).json().get("contact_addresses").get(0).get("address").asText()).isEqualTo("203.0.113.7");
    // emptied: the location is free again
    assertThat(py.put(node, "{\"contact_addresses\":[]}", null).status()).isEqualTo(200);
    assertThat(py.delete(location, py.getUrl(location).header("ETag")).status()).isEqualTo(204);
  }

  @Test
  void notAnEngine_andMissingNodes_are404_notYet_is501() throws Exception {
    String engine = createSingleFw(unique("nf"));
    assertThat(py.getUrl(engine + "/firewall_node/999999999").status()).isEqualTo(404);
    assertThat(py.getUrl(engine + "/firewall_node/999999999/status").status()).isEqualTo(404);
    JsonNode node = firstNode(engine);
    assertThat(py.getUrl(rel(node, "certificate_info")).status()).isEqualTo(501);
    assertThat(py.getUrl(rel(node, "sginfo")).status()).isEqualTo(400); // the node does not answer yet
    assertThat(py.getUrl(engine + "/upload_result").status()).isEqualTo(501);
    String host = py.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"192.0.2.1\"}");
    assertThat(py.post("/monitoring_status", "{\"value\":\"" + host + "\"}").status()).isEqualTo(400);
    assertThat(py.postUrl(rel(node, "initial_contact"), "{}").status()).isEqualTo(200);
    // change_ssh_pwd needs its value
    assertThat(py.send(HttpRequest.newBuilder(URI.create(rel(node, "change_ssh_pwd"))).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(400);
    assertThat(py.send(HttpRequest.newBuilder(URI.create(rel(node, "change_ssh_pwd"))).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"new-ssh-pwd\"}"))).status()).isEqualTo(200);
    assertThat(Json.mapper().readTree(py.getUrl(engine).body()).get("name").asText()).startsWith("nf-");
  }
}
