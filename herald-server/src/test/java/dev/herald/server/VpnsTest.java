package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Policy-based VPNs as smc-python's PolicyVPN builds them (the requests recorded from a run of the
 * real smc-python 1.0.31 against Herald: engine.vpn.internal_gateway, PolicyVPN.create, open,
 * add_central_gateway, add_satellite_gateway, save, close, tunnels, enable_disable,
 * MonitoringStatus.get_status of the VPN and of each tunnel), the status of VPNs and tunnels
 * following their engines and a test's simulation, on REST and on the status socket; a node's
 * health figures; bad input.
 */
class VpnsTest {
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

  private static String rel(JsonNode o, String rel) {
    for (JsonNode l : o.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + o.get("link"));
  }

  /** engine.vpn.internal_gateway.href: GET the engine's internal_gateway link, take result[0]. */
  private static String internalGateway(String engine) throws Exception {
    Response r = py.getUrl(rel(py.getUrl(engine).json(), "internal_gateway"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode first = r.json().get("result").get(0);
    assertThat(first.get("type").asText()).isEqualTo("internal_gateway");
    return first.get("href").asText();
  }

  /** PolicyVPN.create(name): the body smc-python sends (the default VPN profile by name). */
  private static String vpn(String name) throws Exception {
    String profile = py.get("/elements/vpn_profile?filter=Suite-B-GCM-128&exact_match=True").json()
        .get("result").get(0).get("href").asText();
    return py.create("vpn", "{\"mobile_vpn_topology_mode\": null, \"name\": \"" + name + "\", \"nat\": false,"
        + " \"vpn_profile\": \"" + profile + "\"}");
  }

  private static Response addGateway(String vpn, String usage, String gateway) throws Exception {
    return py.postUrl(rel(py.getUrl(vpn).json(), usage + "_gateway_node"),
        "{\"gateway\": \"" + gateway + "\", \"node_usage\": \"" + usage + "\"}");
  }

  private static List<JsonNode> tunnels(String vpn) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    py.getUrl(rel(py.getUrl(vpn).json(), "gateway_tunnel")).json().get("result").forEach(out::add);
    return out;
  }

  private static JsonNode status(String href) throws Exception {
    Response r = py.post("/monitoring_status", "{\"value\":\"" + href + "\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static Response simulate(String json) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/simulate"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private static String node(String engine) throws Exception {
    return py.getUrl(engine).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
  }

  /** Initial contact and a policy upload: the engine's node is online with a policy. */
  private static void bringOnline(String engine, String policyName) throws Exception {
    assertThat(py.postUrl(node(engine) + "/initial_contact", "{}").status()).isEqualTo(200);
    Response started = py.postUrl(rel(py.getUrl(engine).json(), "upload") + "?filter=" + policyName, "{}");
    assertThat(started.status()).as(started.body()).isEqualTo(200);
    String follower = started.json().get("follower").asText();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !py.getUrl(follower).json().get("in_progress").asBoolean());
    assertThat(py.getUrl(node(engine) + "/status").json().get("engine_node_status").asText()).isEqualTo("Online");
  }

  private static String policy(String name) throws Exception {
    String template = py.get("/elements?filter=Firewall+Inspection+Template&filter_context=fw_template_policy&exact_match=True")
        .json().get("result").get(0).get("href").asText();
    return py.create("fw_policy", "{\"name\":\"" + name + "\",\"template\":\"" + template + "\"}");
  }

  /** Two central engines, one satellite engine and one external gateway in a new VPN. */
  private record Topology(String vpn, String east, String west, String north, String partner) {}

  private static Topology topology(String prefix) throws Exception {
    String east = EnginesTest.createSingleFw(py, unique(prefix + "-east"));
    String west = EnginesTest.createSingleFw(py, unique(prefix + "-west"));
    String north = EnginesTest.createSingleFw(py, unique(prefix + "-north"));
    String partner = py.create("external_gateway", "{\"name\":\"" + unique(prefix + "-partner") + "\"}");
    String vpn = vpn(unique(prefix + "-vpn"));
    JsonNode v = py.getUrl(vpn).json();
    assertThat(py.postUrl(rel(v, "open"), "{}").status()).isEqualTo(200);
    assertThat(addGateway(vpn, "central", internalGateway(east)).status()).isEqualTo(201);
    assertThat(addGateway(vpn, "central", internalGateway(west)).status()).isEqualTo(201);
    assertThat(addGateway(vpn, "satellite", internalGateway(north)).status()).isEqualTo(201);
    assertThat(addGateway(vpn, "satellite", partner).status()).isEqualTo(201);
    assertThat(py.postUrl(rel(v, "save"), "{}").status()).isEqualTo(200);
    assertThat(py.postUrl(rel(v, "close"), "{}").status()).isEqualTo(200);
    return new Topology(vpn, east, west, north, partner);
  }

  @Test
  void aPolicyVpn_builtAsSmcPythonDoes_hasTheTunnelsSmcDerives() throws Exception {
    Topology t = topology("build");
    String eastName = py.getUrl(t.east()).json().get("name").asText();
    JsonNode gw = py.getUrl(internalGateway(t.east())).json();
    assertThat(gw.get("name").asText()).isEqualTo(eastName + " Primary");
    assertThat(gw.get("cluster_ref").asText()).isEqualTo(t.east());

    // the gateway nodes: GatewayNode.gateway is GET back, its name is the gateway's
    JsonNode centrals = py.getUrl(rel(py.getUrl(t.vpn()).json(), "central_gateway_node")).json().get("result");
    assertThat(centrals).hasSize(2);
    JsonNode first = py.getUrl(centrals.get(0).get("href").asText()).json();
    assertThat(first.get("node_usage").asText()).isEqualTo("central");
    assertThat(py.getUrl(first.get("gateway").asText()).json().get("name").asText()).isEqualTo(eastName + " Primary");

    // central-central, and each central with each satellite: 1 + 2 × 2; satellites never pair
    List<JsonNode> tunnels = tunnels(t.vpn());
    assertThat(tunnels).hasSize(5);
    assertThat(tunnels).allSatisfy(x -> assertThat(x.get("type").asText()).isEqualTo("gateway_tunnel"));
    assertThat(tunnels.get(0).get("name").asText()).isEqualTo("Gateway Tunnel " + eastName + " Primary-"
        + py.getUrl(t.west()).json().get("name").asText() + " Primary");
    // ids as in SMC's guide: base64 of "A#B" (the gateway nodes' ids)
    String id = tunnels.get(0).get("href").asText().replaceAll(".*/tunnels/", "");
    assertThat(new String(Base64.getDecoder().decode(id), StandardCharsets.US_ASCII)).matches("\\d+#\\d+");

    // GatewayTunnel.enable_disable: GET, then PUT the JSON back with enabled flipped and its Etag
    String tunnel = tunnels.get(0).get("href").asText();
    Response read = py.getUrl(tunnel);
    assertThat(read.json().get("enabled").asBoolean()).isTrue();
    assertThat(py.getUrl(read.json().get("gateway_node_1").asText()).json().get("node_usage").asText()).isEqualTo("central");
    String body = ((com.fasterxml.jackson.databind.node.ObjectNode) read.json()).put("enabled", false).toString();
    Response put = py.put(tunnel, body, read.header("ETag").replace("\"", ""));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(py.getUrl(tunnel).json().get("enabled").asBoolean()).isFalse();
    assertThat(py.put(tunnel, body, read.header("ETag")).status()).isEqualTo(412); // a stale ETag

    // engine.vpn_mappings: the VPNs the engine's gateway is in, and as what
    JsonNode mapping = py.getUrl(rel(py.getUrl(t.east()).json(), "vpn_mapping")).json().get("vpnMappings");
    assertThat(mapping).hasSize(1);
    JsonNode entry = mapping.get(0).get("vpn_mapping_entry");
    assertThat(entry.get("vpn_ref").asText()).isEqualTo(t.vpn());
    assertThat(entry.get("gateway_ref").asText()).isEqualTo(internalGateway(t.east()));
    assertThat(entry.get("gateway_nodes_usage").fieldNames()).toIterable().containsExactly("central_gateway_node_ref");
    assertThat(py.getUrl(rel(py.getUrl(t.north()).json(), "vpn_mapping")).json().get("vpnMappings").get(0)
        .get("vpn_mapping_entry").get("gateway_nodes_usage").has("satellite_gateway_node_ref")).isTrue();

    // a gateway taken out takes its tunnels with it
    JsonNode satellites = py.getUrl(rel(py.getUrl(t.vpn()).json(), "satellite_gateway_node")).json().get("result");
    assertThat(py.delete(satellites.get(1).get("href").asText(), null).status()).isEqualTo(204);
    assertThat(tunnels(t.vpn())).hasSize(3);
    // and lets the gateway go: no longer referenced by the VPN
    assertThat(py.delete(t.partner(), py.getUrl(t.partner()).header("ETag")).status()).isEqualTo(204);
  }

  /** engine.vpn.internal_endpoint: the engine's addresses as VPN endpoints, enabled with update(). */
  @Test
  void internalEndpoints_areTheEnginesAddresses_enabledByAnUpdate() throws Exception {
    String engine = EnginesTest.createSingleFw(py, unique("ep"));
    String gateway = internalGateway(engine);
    JsonNode list = py.getUrl(rel(py.getUrl(gateway).json(), "internal_endpoint")).json().get("result");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("192.168.10.1");
    String ep = list.get(0).get("href").asText();
    Response read = py.getUrl(ep);
    assertThat(read.json().get("enabled").asBoolean()).isFalse();
    assertThat(py.getUrl(read.json().get("physical_interface").asText()).json().get("interface_id").asText()).isEqualTo("0");
    assertThat(py.getUrl(gateway).json().get("end_point")).isEmpty();
    com.fasterxml.jackson.databind.node.ObjectNode body = ((com.fasterxml.jackson.databind.node.ObjectNode) read.json())
        .put("enabled", true).put("ipsec_vpn", true).put("force_nat_t", true);
    Response put = py.put(ep, body.toString(), read.header("ETag").replace("\"", ""));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.json().get("ipsec_vpn").asBoolean()).isTrue();
    assertThat(py.getUrl(gateway).json().get("end_point").get(0).asText()).isEqualTo(ep);
    for (String bad : List.of("{\"enabled\":\"yes\"}", "{\"balancing_mode\":\"fast\"}", "{\"nat_t\":null}",
        "{\"ike_phase1_id_type\":\"9\"}", "{\"connection_type_ref\":\"" + gateway.replaceAll("/elements/.*", "/elements/connection_type/999999999") + "\"}")) {
      assertThat(py.put(ep, bad, null).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(ep).json().get("force_nat_t").asBoolean()).isTrue();
    assertThat(py.getUrl(gateway + "/internal_endpoint/1-9").status()).isEqualTo(404);
  }

  /** PolicyVPN.validate (a GET): no central gateway is an error, gateways (internal or external) without an enabled endpoint warnings. */
  @Test
  void aVpnsValidate_saysWhatCannotWork() throws Exception {
    Topology t = topology("validate");
    JsonNode found = py.getUrl(rel(py.getUrl(t.vpn()).json(), "validate")).json();
    assertThat(found.get("status").asText()).isEqualTo("WARNING");
    assertThat(found.get("problems").findValuesAsText("message")).allMatch(m -> m.contains("no enabled endpoint")).hasSize(4)
        .anyMatch(m -> m.contains("external_endpoint"));
    String lonely = vpn(unique("lonely"));
    assertThat(addGateway(lonely, "satellite", t.partner()).status()).isEqualTo(201);
    JsonNode bad = py.getUrl(rel(py.getUrl(lonely).json(), "validate")).json();
    assertThat(bad.get("status").asText()).isEqualTo("ERROR");
    assertThat(bad.get("problems").findValuesAsText("message")).anyMatch(m -> m.contains("no central gateway"))
        .anyMatch(m -> m.contains("no tunnel"));
  }

  /** GatewayTunnel.endpoint_tunnels: one per pair of enabled endpoints, enabled until disabled, with a status. */
  @Test
  void endpointTunnels_joinTheGatewaysEnabledEndpoints() throws Exception {
    Topology t = topology("ept");
    for (String engine : List.of(t.east(), t.west())) {
      String ep = py.getUrl(rel(py.getUrl(internalGateway(engine)).json(), "internal_endpoint")).json().get("result").get(0)
          .get("href").asText();
      assertThat(py.put(ep, "{\"enabled\":true,\"ipsec_vpn\":true}", null).status()).isEqualTo(200);
    }
    List<JsonNode> tunnels = tunnels(t.vpn());
    JsonNode eastWest = py.getUrl(tunnels.get(0).get("href").asText()).json(); // central east - central west
    JsonNode list = py.getUrl(rel(eastWest, "gateway_endpoint_tunnel")).json().get("result");
    assertThat(list).hasSize(1);
    String et = list.get(0).get("href").asText();
    Response read = py.getUrl(et);
    assertThat(read.json().get("enabled").asBoolean()).isTrue();
    assertThat(py.getUrl(read.json().get("endpoint_1").asText()).json().get("address").asText()).isEqualTo("192.168.10.1");
    JsonNode status = status(et);
    assertThat(status.get("endpointA").asText()).isEqualTo("192.168.10.1");
    assertThat(status.get("gatewayA").asText()).endsWith(" Primary");
    Response off = py.put(et, ((com.fasterxml.jackson.databind.node.ObjectNode) read.json()).put("enabled", false).toString(),
        read.header("ETag"));
    assertThat(off.status()).as(off.body()).isEqualTo(200);
    assertThat(status(et).get("monitoring_status").asText()).isEqualTo("NOT_MONITORED");
    assertThat(py.put(et, "{\"enabled\":\"no\"}", null).status()).isEqualTo(400);
    // on the status socket: an endpoint tunnel's subscriber gets its status whenever its tunnel's moves
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      assertThat(ws.subscribe("{\"element\":\"" + et + "\"}")).contains("Subscribed for status");
      assertThat(py.put(et, "{\"enabled\":true}", null).status()).isEqualTo(200);
      JsonNode frame = Json.mapper().readTree(ws.next()).get("status").get("status");
      assertThat(frame.get("endpointA").asText()).isEqualTo("192.168.10.1");
      assertThat(frame.get("name").asText()).startsWith("Endpoint Tunnel ");
      assertThat(frame.get("monitoring_status").asText()).isNotEqualTo("NOT_MONITORED");
      assertThat(simulate("{\"element\":\"" + tunnels.get(0).get("href").asText() + "\",\"monitoring_status\":\"WARNING\"}")
          .status()).isEqualTo(200);
      JsonNode simulated = Json.mapper().readTree(ws.next()).get("status").get("status");
      assertThat(simulated.get("monitoring_status").asText()).isEqualTo("WARNING");
      assertThat(simulated.get("endpointB").asText()).isEqualTo(frame.get("endpointB").asText());
      assertThat(ws.subscribe("{\"element\":\"" + rel(eastWest, "gateway_endpoint_tunnel") + "/bm9wZQ==\"}")).contains("failure");
    }
    // a tunnel to an external gateway: none until it has an enabled endpoint, then one per pair
    JsonNode toPartner = py.getUrl(tunnels.get(2).get("href").asText()).json();
    assertThat(py.getUrl(rel(toPartner, "gateway_endpoint_tunnel")).json().get("result")).isEmpty();
    String endpoints = rel(py.getUrl(t.partner()).json(), "external_endpoint");
    assertThat(py.postUrl(endpoints, "{\"name\":\"off\",\"address\":\"203.0.113.9\",\"enabled\":false}").status()).isEqualTo(201);
    assertThat(py.getUrl(rel(toPartner, "gateway_endpoint_tunnel")).json().get("result")).isEmpty();
    assertThat(py.postUrl(endpoints, "{\"name\":\"on\",\"address\":\"203.0.113.10\"}").status()).isEqualTo(201);
    JsonNode toEndpoint = py.getUrl(rel(toPartner, "gateway_endpoint_tunnel")).json().get("result");
    assertThat(toEndpoint).hasSize(1);
    JsonNode partnerSide = py.getUrl(toEndpoint.get(0).get("href").asText()).json();
    assertThat(partnerSide.get("endpoint_2").asText()).startsWith(endpoints + "/");
    assertThat(py.getUrl(partnerSide.get("endpoint_2").asText()).json().get("address").asText()).isEqualTo("203.0.113.10");
    assertThat(status(toEndpoint.get(0).get("href").asText()).get("endpointB").asText()).isEqualTo("203.0.113.10");
    assertThat(py.getUrl(rel(eastWest, "gateway_endpoint_tunnel") + "/bm9wZQ==").status()).isEqualTo(404);
  }

  @Test
  void badGateways_andBadTunnelValues_areRefused_andChangeNothing() throws Exception {
    Topology t = topology("bad");
    String host = py.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"192.0.2.7\"}");
    String layer2 = py.create("single_layer2", "{\"name\":\"" + unique("l2") + "\",\"nodes\":[{\"fwlayer2_node\":{\"nodeid\":1}}]}");
    String missing = t.east().replaceAll("/\\d+$", "/999999999") + "/internal_gateway/999999999";
    List<Response> refused = new ArrayList<>();
    refused.add(addGateway(t.vpn(), "central", host)); // not a gateway
    refused.add(addGateway(t.vpn(), "central", missing)); // no such engine
    refused.add(addGateway(t.vpn(), "central", internalGateway(t.east()))); // already in the VPN
    refused.add(py.postUrl(rel(py.getUrl(t.vpn()).json(), "central_gateway_node"),
        "{\"gateway\": \"" + t.partner() + "\", \"node_usage\": \"satellite\"}")); // the collection's usage differs
    refused.add(py.getUrl(rel(py.getUrl(layer2).json(), "internal_gateway"))); // a layer 2 engine has none
    String tunnel = tunnels(t.vpn()).get(0).get("href").asText();
    refused.add(py.put(tunnel, "{\"enabled\":\"yes\"}", null));
    refused.add(py.put(tunnel, "{\"preshared_key\":\"\"}", null));
    for (Response r : refused) {
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().get("message").asText()).isNotBlank();
    }
    assertThat(tunnels(t.vpn())).hasSize(5);
    assertThat(py.getUrl(tunnel).json().get("enabled").asBoolean()).isTrue();

    // an engine in a VPN is referenced by it: deleting it is refused while it is there
    Response delete = py.delete(t.north(), null);
    assertThat(delete.status()).as(delete.body()).isNotIn(200, 204);
    assertThat(py.getUrl(t.north()).status()).isEqualTo(200);
    assertThat(py.getUrl(t.vpn() + "/tunnels/bm9wZQ==").status()).isEqualTo(404);
  }

  @Test
  void aVpnsStatus_followsItsEnginesAndATestsSimulation() throws Exception {
    Topology t = topology("status");
    JsonNode before = status(t.vpn());
    assertThat(before.get("monitoring_status").asText()).isEqualTo("UNKNOWN"); // no engine made contact
    assertThat(before.get("result")).hasSize(5);
    assertThat(before.has("history")).isFalse();

    String policy = unique("vpn-policy");
    policy(policy);
    for (String e : List.of(t.east(), t.west(), t.north())) {
      bringOnline(e, policy);
    }
    JsonNode up = status(t.vpn());
    assertThat(up.get("monitoring_state").asText()).isEqualTo("READY");
    assertThat(up.get("monitoring_status").asText()).isEqualTo("OK");
    for (JsonNode child : up.get("result")) {
      JsonNode s = status(child.get("href").asText()); // smc-python posts each child's href back
      assertThat(s.get("monitoring_status").asText()).isEqualTo("OK");
      assertThat(s.get("latency_in_ms").asInt()).isBetween(1, 100);
      assertThat(s.get("health_in_percent").asInt()).isBetween(50, 100);
      assertThat(s.get("packet_loss_in_permyriad").asInt()).isBetween(0, 10000);
      assertThat(s.get("gatewayA").asText()).endsWith(" Primary");
      assertThat(s.fieldNames()).toIterable().containsOnly("name", "monitoring_state", "monitoring_status",
          "health_in_percent", "traffic_in_bits_per_sec", "packet_loss_in_permyriad", "latency_in_ms", "jitter_in_ms",
          "gatewayA", "gatewayB", "link"); // smc-python's VPNGatewayTunnelStatus keys, and its history link
      assertThat(s.get("link").get(0).get("href").asText()).isEqualTo(t.vpn() + "/history");
    }

    // a central engine goes offline: its tunnels fail, and so the VPN
    String eastNode = node(t.east());
    assertThat(py.send(HttpRequest.newBuilder(URI.create(eastNode + "/go_offline")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
    assertThat(status(t.vpn()).get("monitoring_status").asText()).isEqualTo("ERROR");
    assertThat(py.send(HttpRequest.newBuilder(URI.create(eastNode + "/go_online")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
    assertThat(status(t.vpn()).get("monitoring_status").asText()).isEqualTo("OK");

    // a test degrades one tunnel for a while: the VPN warns, then both come back
    String tunnel = up.get("result").get(1).get("href").asText();
    Response set = simulate("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"WARNING\",\"latency_in_ms\":450,"
        + "\"packet_loss_in_permyriad\":700,\"health_in_percent\":40,\"for_ms\":800}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(set.json().get("latency_in_ms").asInt()).isEqualTo(450);
    JsonNode degraded = status(t.vpn());
    assertThat(degraded.get("monitoring_status").asText()).isEqualTo("WARNING");
    assertThat(status(tunnel).get("packet_loss_in_permyriad").asInt()).isEqualTo(700);
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> status(t.vpn()).get("monitoring_status").asText().equals("OK"));
    for (String bad : List.of("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"SLOW\"}",
        "{\"element\":\"" + tunnel + "\",\"latency_in_ms\":-3}", "{\"element\":\"" + tunnel + "\"}",
        "{\"element\":\"" + t.vpn() + "/tunnels/bm9wZQ==\",\"monitoring_status\":\"OK\"}")) {
      assertThat(simulate(bad).status()).as(bad).isIn(400, 404);
    }
    assertThat(status(tunnel).get("monitoring_status").asText()).isEqualTo("OK");

    // a disabled tunnel is not monitored, and leaves the VPN's composite
    JsonNode read = py.getUrl(tunnel).json();
    assertThat(py.put(tunnel, "{\"enabled\":false}", null).status()).isEqualTo(200);
    assertThat(status(tunnel).get("monitoring_status").asText()).isEqualTo("NOT_MONITORED");
    assertThat(status(t.vpn()).get("monitoring_status").asText()).isEqualTo("OK");
    assertThat(read.get("name").asText()).isEqualTo(status(tunnel).get("name").asText());
  }

  /** Two timed simulations over each other: when both have run out, the tunnel is as its engines make it. */
  @Test
  void overlappingTimedSimulations_comeBackToTheLastingStatus() throws Exception {
    Topology t = topology("overlap");
    String tunnel = tunnels(t.vpn()).get(0).get("href").asText();
    String lasting = status(tunnel).get("monitoring_status").asText();
    assertThat(simulate("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"WARNING\",\"for_ms\":300}").status())
        .isEqualTo(200);
    assertThat(simulate("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"ERROR\",\"latency_in_ms\":900,\"for_ms\":600}")
        .status()).isEqualTo(200);
    assertThat(status(tunnel).get("monitoring_status").asText()).isEqualTo("ERROR");
    assertThat(status(tunnel).has("timed")).as("bookkeeping is not a figure").isFalse();
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> status(tunnel).get("monitoring_status").asText().equals(lasting));
    // a lasting simulation under a timed one stays once the timed one runs out
    assertThat(simulate("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"IDLE\"}").status()).isEqualTo(200);
    assertThat(simulate("{\"element\":\"" + tunnel + "\",\"monitoring_status\":\"ERROR\",\"for_ms\":300}").status()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(tunnel).get("monitoring_status").asText().equals("IDLE"));
    assertThat(simulate("{\"element\":\"" + tunnel + "\",\"clear\":true}").status()).isEqualTo(200);
    assertThat(status(tunnel).get("monitoring_status").asText()).isEqualTo(lasting);
  }

  @Test
  void theStatusSocket_carriesVpnAndTunnelStatus_toWhoSubscribed() throws Exception {
    Topology t = topology("socket");
    List<JsonNode> tunnels = tunnels(t.vpn());
    String mine = tunnels.get(0).get("href").asText();
    String other = tunnels.get(3).get("href").asText();
    try (WsClient family = WsClient.openAt(py, "/7.2/status/socket");
        WsClient one = WsClient.openAt(py, "/7.2/status/socket")) {
      assertThat(family.subscribe("{\"context\":\"vpn\"}")).contains("Subscribed for status");
      assertThat(one.subscribe("{\"element\":\"" + mine + "\"}")).contains("Subscribed for status");
      assertThat(simulate("{\"element\":\"" + other + "\",\"monitoring_status\":\"ERROR\"}").status()).isEqualTo(200);
      JsonNode vpnFrame = Json.mapper().readTree(family.next()).get("status").get("status");
      assertThat(vpnFrame.get("name").asText()).isEqualTo(py.getUrl(t.vpn()).json().get("name").asText());
      assertThat(vpnFrame.get("monitoring_status").asText()).isEqualTo("ERROR");
      assertThat(vpnFrame.get("result")).hasSize(5);
      assertThat(simulate("{\"element\":\"" + mine + "\",\"monitoring_status\":\"WARNING\",\"jitter_in_ms\":90}").status())
          .isEqualTo(200);
      // the tunnel's subscriber gets its tunnel's change only (not the other's, made first)
      JsonNode tunnelFrame = Json.mapper().readTree(one.next()).get("status").get("status");
      assertThat(tunnelFrame.get("monitoring_status").asText()).isEqualTo("WARNING");
      assertThat(tunnelFrame.get("jitter_in_ms").asInt()).isEqualTo(90);
      assertThat(tunnelFrame.get("name").asText()).isEqualTo(tunnels.get(0).get("name").asText());

      // an engine's node changing state changes its tunnels: their subscribers hear of it
      assertThat(py.postUrl(node(t.east()) + "/initial_contact", "{}").status()).isEqualTo(200);
      JsonNode after = Json.mapper().readTree(one.next()).get("status").get("status");
      assertThat(after.get("gatewayA").asText()).isEqualTo(tunnelFrame.get("gatewayA").asText());
    }
    try (WsClient ws = WsClient.openAt(py, "/7.2/status/socket")) {
      String host = py.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"192.0.2.9\"}");
      assertThat(ws.subscribe("{\"element\":\"" + host + "\"}")).contains("failure");
      assertThat(ws.subscribe("{\"element\":\"" + t.vpn() + "/tunnels/bm9wZQ==\"}")).contains("failure");
      assertThat(ws.subscribe("{\"element\":\"" + t.vpn() + "\"}")).contains("Subscribed for status");
    }
  }

  @Test
  void aNodesHealthFigures_moveAndCanBeSet() throws Exception {
    String engine = EnginesTest.createSingleFw(py, unique("health"));
    String node = node(engine);
    assertThat(py.getUrl(node + "/appliance_status").json().get("hardware_statuses").get("hardware_statuses")).isEmpty();
    assertThat(py.postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
    JsonNode hw = py.getUrl(node + "/appliance_status").json().get("hardware_statuses").get("hardware_statuses");
    List<String> labels = new ArrayList<>();
    hw.forEach(l -> labels.add(l.get("name").asText()));
    assertThat(labels).containsExactly("File Systems", "CPU", "Memory");
    for (JsonNode label : hw) {
      assertThat(label.fieldNames()).toIterable().containsExactlyInAnyOrder("name", "status", "items");
      assertThat(label.get("items").get(0).get("statuses").get(0).fieldNames()).toIterable()
          .containsExactlyInAnyOrder("label", "param", "sub_system", "value");
    }
    Response set = simulate("{\"element\":\"" + node + "\",\"cpu_percent\":97.5,\"for_ms\":60000}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    JsonNode cpu = py.getUrl(node + "/appliance_status").json().get("hardware_statuses").get("hardware_statuses").get(1);
    assertThat(cpu.get("status").asText()).isEqualTo("WARNING");
    assertThat(cpu.get("items").get(0).get("statuses").get(0).get("value").asText()).isEqualTo("97.5%");
    assertThat(simulate("{\"element\":\"" + node + "\",\"memory_percent\":140}").status()).isEqualTo(400);
  }

  /**
   * More internal gateways on one engine (smc-python's create_internal_gateway, all_vpns,
   * VPN.rename, VPN.remove): each with endpoints of its own, a VPN gateway of its own; the first
   * stays, a gateway in a VPN stays.
   */
  @Test
  void anEngine_takesMoreInternalGateways() throws Exception {
    String engine = EnginesTest.createSingleFw(py, unique("multi"));
    String gateways = rel(py.getUrl(engine).json(), "internal_gateway");
    String first = internalGateway(engine);
    Response made = py.postUrl(gateways, "{\"name\":\"second\"}");
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    String second = made.header("Location");
    assertThat(second).isNotEqualTo(first).startsWith(engine + "/internal_gateway/");
    JsonNode list = py.getUrl(gateways).json().get("result");
    assertThat(list).hasSize(2);
    assertThat(list.get(0).get("href").asText()).as("the first stays first").isEqualTo(first);
    assertThat(list.get(1).get("name").asText()).isEqualTo("second");
    assertThat(py.postUrl(gateways, "{\"name\":\"second\"}").status()).as("a name the engine has").isEqualTo(400);
    assertThat(py.postUrl(gateways, "{\"name\":\"\"}").status()).isEqualTo(400);
    assertThat(py.postUrl(gateways, "{\"name\":\"x\",\"vpn_client_mode\":\"sometimes\"}").status()).isEqualTo(400);
    // endpoints: the same addresses, settings of their own
    String ep2 = py.getUrl(rel(py.getUrl(second).json(), "internal_endpoint")).json().get("result").get(0).get("href").asText();
    assertThat(ep2).startsWith(second + "/internal_endpoint/");
    assertThat(py.put(ep2, "{\"enabled\":true}", null).status()).isEqualTo(200);
    assertThat(py.getUrl(second).json().get("end_point")).hasSize(1);
    assertThat(py.getUrl(first).json().get("end_point")).isEmpty();
    // what its settings name is the engine's reference
    String profile = py.create("gateway_profile", "{\"name\":\"" + unique("gp") + "\"}");
    assertThat(py.put(second, "{\"gateway_profile\":\"" + profile + "\"}", null).status()).isEqualTo(200);
    assertThat(py.delete(profile, null).status()).as("named by a gateway's settings").isEqualTo(400);
    // rename (a PUT), and a VPN with both as central gateways
    JsonNode g2 = py.getUrl(second).json();
    Response renamed = py.put(second, ((com.fasterxml.jackson.databind.node.ObjectNode) g2).put("name", "second Primary").toString(),
        py.getUrl(second).header("ETag"));
    assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
    String vpn = vpn(unique("two"));
    assertThat(addGateway(vpn, "central", second).status()).isEqualTo(201);
    assertThat(addGateway(vpn, "central", first).status()).isEqualTo(201);
    assertThat(addGateway(vpn, "satellite", second).status()).as("already in the VPN").isEqualTo(400);
    assertThat(tunnels(vpn)).hasSize(1);
    JsonNode mapping = py.getUrl(rel(py.getUrl(engine).json(), "vpn_mapping")).json().get("vpnMappings");
    assertThat(mapping).hasSize(2);
    assertThat(py.delete(second, null).status()).as("a gateway of a VPN").isEqualTo(400);
    assertThat(py.delete(vpn, null).status()).isEqualTo(204);
    assertThat(py.delete(second, null).status()).isEqualTo(204);
    assertThat(py.getUrl(second).status()).isEqualTo(404);
    assertThat(py.getUrl(gateways).json().get("result")).hasSize(1);
    assertThat(py.delete(first, null).status()).as("the first stays").isEqualTo(400);
  }
}
