package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The elements a gateway holds, as smc-python drives them (the requests of a run of the real
 * smc-python 1.0.31 against Herald: ExternalGateway.update_or_create with external_endpoint and
 * vpn_site lists, ExternalEndpoint.enable_disable, VPNSite.add_site_element, ExternalEndpoint
 * delete, engine.vpn.add_site and engine.vpn.sites): lists named as SMC names them, creates, PUTs
 * with If-Match, deletes, references held by the gateway, events of the gateway; bad input.
 */
class GatewayElementsTest {
  @RegisterExtension
  static final SmcServer SMC = SmcServer.start(b -> b.adminApi(true));

  private static String rel(JsonNode o, String rel) {
    return SmcServer.rel(o, rel);
  }

  /** element_default(clazz, name): the first of the type whose name contains it. */
  private static String first(String type, String name) throws Exception {
    return SMC.py().get("/elements/" + type + "?filter=" + name).json().get("result").get(0).get("href").asText();
  }

  /** ExternalGateway.create: trust_all_cas and the "Default" gateway profile. */
  private static String gateway(String name) throws Exception {
    return SMC.py().create("external_gateway", "{\"name\":\"" + name + "\",\"trust_all_cas\":true,\"gateway_profile\":\""
        + first("gateway_profile", "Default") + "\"}");
  }

  /** ExternalEndpoint.create's body. */
  private static Response endpoint(String gateway, String name, String address) throws Exception {
    return SMC.py().postUrl(rel(SMC.py().getUrl(gateway).json(), "external_endpoint"), "{\"name\":\"" + name + "\",\"address\":\"" + address
        + "\",\"dynamic\":false,\"enabled\":true,\"nat_t\":false,\"force_nat_t\":false,\"ipsec_vpn\":true,"
        + "\"connection_type_ref\":\"" + first("connection_type", "Active") + "\"}");
  }

  private static List<String> names(String collection) throws Exception {
    List<String> out = new ArrayList<>();
    SMC.py().getUrl(collection).json().get("result").forEach(m -> out.add(m.get("name").asText()));
    return out;
  }

  @Test
  void externalGateway_endpointsAndSites_asSmcPythonBuildsThem() throws Exception {
    String gw = gateway(SMC.unique("partner"));
    String net = SMC.py().create("network", "{\"name\":\"" + SMC.unique("remote") + "\",\"ipv4_network\":\"172.18.1.0/24\"}");
    String endpoints = rel(SMC.py().getUrl(gw).json(), "external_endpoint");
    try (WsClient ws = WsClient.open(SMC.py())) {
      ws.subscribe("{\"context\":\"external_gateway\"}");
      Response one = endpoint(gw, "endpoint1", "1.1.1.1");
      assertThat(one.status()).as(one.body()).isEqualTo(201);
      assertThat(ws.next()).contains("\"update\"").contains(gw);
      assertThat(endpoint(gw, "endpoint2", "2.2.2.2").status()).isEqualTo(201);
      assertThat(ws.next()).contains("\"update\"").contains(gw);
    }
    // SMC lists an endpoint as "NAME (ADDRESS)": update_or_create finds one by "(ADDRESS)"
    assertThat(names(endpoints)).containsExactly("endpoint1 (1.1.1.1)", "endpoint2 (2.2.2.2)");
    String href = SMC.py().getUrl(endpoints).json().get("result").get(1).get("href").asText();
    assertThat(href).startsWith(endpoints + "/");
    Response got = SMC.py().getUrl(href);
    assertThat(got.json().get("enabled").asBoolean()).isTrue();
    assertThat(got.json().get("connection_type_ref").asText()).endsWith(first("connection_type", "Active").replaceAll(".*/elements", "/elements"));
    assertThat(rel(got.json(), "self")).isEqualTo(href);
    // enable_disable: a PUT of the whole with the ETag it read
    com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode) got.json();
    body.put("enabled", false);
    Response put = SMC.py().put(href, body.toString(), got.header("ETag"));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(SMC.py().getUrl(href).json().get("enabled").asBoolean()).isFalse();
    assertThat(SMC.py().put(href, body.put("nat_t", true).toString(), got.header("ETag")).status())
        .as("a stale ETag").isEqualTo(412);
    assertThat(SMC.py().getUrl(href).json().get("nat_t").asBoolean()).isFalse();

    // a site: its networks are the gateway's references
    Response site = SMC.py().postUrl(rel(SMC.py().getUrl(gw).json(), "vpn_site"),
        "{\"name\":\"sitea\",\"site_element\":[\"" + net + "\"],\"automatic\":false}");
    assertThat(site.status()).as(site.body()).isEqualTo(201);
    String siteHref = site.header("Location");
    assertThat(SMC.py().getUrl(siteHref).json().get("gateway").asText()).isEqualTo(gw);
    Response refused = SMC.py().delete(net, null);
    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.body()).contains("external_gateway");
    // add_site_element: a PUT with one more; then the site emptied lets the network go
    JsonNode s = SMC.py().getUrl(siteHref).json();
    String host = SMC.py().create("host", "{\"name\":\"" + SMC.unique("h") + "\",\"address\":\"172.18.1.5\"}");
    ((com.fasterxml.jackson.databind.node.ArrayNode) s.get("site_element")).add(host);
    assertThat(SMC.py().put(siteHref, s.toString(), SMC.py().getUrl(siteHref).header("ETag")).status()).isEqualTo(200);
    assertThat(SMC.py().getUrl(siteHref).json().get("site_element")).hasSize(2);
    JsonNode now = SMC.py().getUrl(siteHref).json();
    ((com.fasterxml.jackson.databind.node.ObjectNode) now).putArray("site_element");
    assertThat(SMC.py().put(siteHref, now.toString(), null).status()).isEqualTo(200);
    assertThat(SMC.py().delete(net, null).status()).isEqualTo(204);

    // an endpoint's contact addresses (ElementContactAddress.create, then delete by location)
    String cas = rel(SMC.py().getUrl(href).json(), "contact_addresses");
    Response none = SMC.py().getUrl(cas);
    assertThat(none.json().get("contact_addresses")).isEmpty();
    String location = SMC.py().create("location", "{\"name\":\"" + SMC.unique("office") + "\"}");
    Response setCas = SMC.py().put(cas, "{\"contact_addresses\":[{\"location_ref\":\"" + location
        + "\",\"address\":\"203.0.113.5\",\"dynamic\":false}]}", none.header("ETag"));
    assertThat(setCas.status()).as(setCas.body()).isEqualTo(200);
    assertThat(SMC.py().getUrl(cas).json().get("contact_addresses").get(0).get("location_ref").asText()).isEqualTo(location);
    assertThat(SMC.py().put(cas, "{\"contact_addresses\":[]}", none.header("ETag")).status()).as("a stale ETag").isEqualTo(412);
    assertThat(SMC.py().put(cas, "{\"contact_addresses\":[{\"location_ref\":\"" + net + "\",\"address\":\"1.2.3.4\"}]}", null)
        .status()).as("not a location").isEqualTo(400);
    assertThat(SMC.py().delete(location, null).status()).as("the gateway refers to it").isEqualTo(400);
    assertThat(SMC.py().put(cas, "{\"contact_addresses\":[]}", null).status()).isEqualTo(200);
    assertThat(SMC.py().delete(location, null).status()).isEqualTo(204);

    // delete an endpoint
    assertThat(SMC.py().delete(href, SMC.py().getUrl(href).header("ETag")).status()).isEqualTo(204);
    assertThat(names(endpoints)).containsExactly("endpoint1 (1.1.1.1)");
    assertThat(SMC.py().getUrl(href).status()).isEqualTo(404);
  }

  @Test
  void badInput_isRefused_andChangesNothing() throws Exception {
    String gw = gateway(SMC.unique("bad"));
    String endpoints = rel(SMC.py().getUrl(gw).json(), "external_endpoint");
    assertThat(endpoint(gw, "e1", "3.3.3.3").status()).isEqualTo(201);
    Response twice = endpoint(gw, "e2", "3.3.3.3");
    assertThat(twice.status()).as("two endpoints with one address").isEqualTo(400);
    assertThat(twice.body()).contains("3.3.3.3");
    assertThat(SMC.py().postUrl(endpoints, "{\"address\":\"4.4.4.4\"}").status()).as("no name").isEqualTo(400);
    assertThat(SMC.py().postUrl(endpoints, "[1]").status()).as("not an object").isEqualTo(400);
    Response enumBad = SMC.py().postUrl(endpoints, "{\"name\":\"e3\",\"address\":\"5.5.5.5\",\"ike_phase1_id_type\":\"9\"}");
    assertThat(enumBad.status()).as(enumBad.body()).isEqualTo(400);
    String service = SMC.py().create("tcp_service", "{\"name\":\"" + SMC.unique("svc") + "\",\"min_dst_port\":8080}");
    Response notANetwork = SMC.py().postUrl(rel(SMC.py().getUrl(gw).json(), "vpn_site"),
        "{\"name\":\"s\",\"site_element\":[\"" + service + "\"]}");
    assertThat(notANetwork.status()).as(notANetwork.body()).isEqualTo(400);
    Response missing = SMC.py().postUrl(rel(SMC.py().getUrl(gw).json(), "vpn_site"),
        "{\"name\":\"s\",\"site_element\":[\"" + SMC.server().url() + "/7.2/elements/network/999999\"]}");
    assertThat(missing.status()).as(missing.body()).isEqualTo(400);
    assertThat(names(endpoints)).containsExactly("e1 (3.3.3.3)");
    assertThat(names(rel(SMC.py().getUrl(gw).json(), "vpn_site"))).isEmpty();
    assertThat(SMC.py().delete(service, null).status()).as("nothing holds the service").isEqualTo(204);
    assertThat(SMC.py().getUrl(endpoints + "/77").status()).isEqualTo(404);
    assertThat(SMC.py().getUrl(endpoints + "/x").status()).isEqualTo(404);
    // a locked gateway takes no changes of what it holds
    assertThat(SMC.py().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw + "/lock"))
        .PUT(java.net.http.HttpRequest.BodyPublishers.noBody())).status()).isEqualTo(200);
    assertThat(endpoint(gw, "e9", "9.9.9.9").status()).as("locked").isEqualTo(400);
    assertThat(SMC.py().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw + "/unlock"))
        .PUT(java.net.http.HttpRequest.BodyPublishers.noBody())).status()).isEqualTo(200);
    // a type without such a collection
    String host = SMC.py().create("host", "{\"name\":\"" + SMC.unique("h") + "\",\"address\":\"10.9.9.9\"}");
    assertThat(SMC.py().getUrl(host + "/external_endpoint").status()).isEqualTo(404);
    assertThat(SMC.py().getUrl(host + "/external_endpoint/1").status()).isEqualTo(404);
  }

  @Test
  void anInternalGateway_holdsItsSites_withItsEngine() throws Exception {
    String engine = EnginesTest.createSingleFw(SMC.py(), SMC.unique("fw"));
    String net = SMC.py().create("network", "{\"name\":\"" + SMC.unique("wireless") + "\",\"ipv4_network\":\"192.168.5.0/24\"}");
    String gateway = SMC.py().getUrl(rel(SMC.py().getUrl(engine).json(), "internal_gateway")).json().get("result").get(0).get("href").asText();
    String sites = rel(SMC.py().getUrl(gateway).json(), "vpn_site");
    assertThat(sites).isEqualTo(gateway + "/vpn_site");
    try (WsClient ws = WsClient.open(SMC.py())) {
      ws.subscribe("{\"context\":\"single_fw\"}");
      // engine.vpn.add_site: VPNSite.create's body
      Response r = SMC.py().postUrl(sites, "{\"name\":\"wireless\",\"site_element\":[\"" + net + "\"],\"automatic\":false}");
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(ws.next()).contains("\"update\"").contains(engine);
    }
    assertThat(names(sites)).containsExactly("wireless");
    String site = SMC.py().getUrl(sites).json().get("result").get(0).get("href").asText();
    assertThat(SMC.py().getUrl(site).json().get("gateway").asText()).isEqualTo(gateway);
    assertThat(SMC.py().delete(net, null).status()).as("the engine refers to the site's network").isEqualTo(400);
    assertThat(SMC.py().delete(site, null).status()).isEqualTo(204);
    assertThat(SMC.py().delete(net, null).status()).isEqualTo(204);
    String layer2 = SMC.py().create("single_layer2", "{\"name\":\"" + SMC.unique("l2") + "\",\"nodes\":[{\"fwlayer2_node\":{\"nodeid\":1}}]}");
    String key = layer2.substring(layer2.lastIndexOf('/') + 1);
    assertThat(SMC.py().getUrl(layer2 + "/internal_gateway/" + key + "/vpn_site").status()).as("no internal gateway on layer 2").isEqualTo(400);
  }

  @Test
  void aGatewayNode_listsItsGatewaysSites_andTogglesThem() throws Exception {
    String gw = gateway(SMC.unique("sat"));
    String net = SMC.py().create("network", "{\"name\":\"" + SMC.unique("n") + "\",\"ipv4_network\":\"172.19.1.0/24\"}");
    String sites = rel(SMC.py().getUrl(gw).json(), "vpn_site");
    for (String name : List.of("sitea", "siteb")) {
      assertThat(SMC.py().postUrl(sites, "{\"name\":\"" + name + "\",\"site_element\":[\"" + net + "\"]}").status()).isEqualTo(201);
    }
    String profile = SMC.py().get("/elements/vpn_profile?filter=Suite-B-GCM-128&exact_match=True").json()
        .get("result").get(0).get("href").asText();
    String vpn = SMC.py().create("vpn", "{\"name\":\"" + SMC.unique("vpn") + "\",\"nat\":false,\"vpn_profile\":\"" + profile + "\"}");
    Response added = SMC.py().postUrl(rel(SMC.py().getUrl(vpn).json(), "satellite_gateway_node"),
        "{\"gateway\":\"" + gw + "\",\"node_usage\":\"satellite\"}");
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    JsonNode node = SMC.py().getUrl(added.header("Location")).json();
    String enabled = rel(node, "enabled_vpn_site");
    String disabled = rel(node, "disabled_vpn_site");
    assertThat(names(enabled)).containsExactly("sitea", "siteb");
    assertThat(names(disabled)).isEmpty();
    String first = SMC.py().getUrl(enabled).json().get("result").get(0).get("href").asText();
    JsonNode treeNode = SMC.py().getUrl(first).json();
    assertThat(treeNode.get("vpn_site").asText()).startsWith(sites + "/");
    assertThat(SMC.py().getUrl(treeNode.get("vpn_site").asText()).json().get("name").asText()).isEqualTo("sitea");
    // GatewayTreeNode.enable_disable: a DELETE of the tree node moves it to the other list
    try (WsClient ws = WsClient.open(SMC.py())) {
      ws.subscribe("{\"context\":\"vpn\"}");
      assertThat(SMC.py().delete(first, null).status()).isEqualTo(204);
      assertThat(ws.next()).contains("\"update\"").contains(vpn);
    }
    assertThat(names(enabled)).containsExactly("siteb");
    assertThat(names(disabled)).containsExactly("sitea");
    assertThat(SMC.py().getUrl(first).status()).as("no longer in the enabled list").isEqualTo(404);
    String back = SMC.py().getUrl(disabled).json().get("result").get(0).get("href").asText();
    assertThat(SMC.py().delete(back, null).status()).isEqualTo(204);
    assertThat(names(enabled)).containsExactly("sitea", "siteb");
    assertThat(SMC.py().getUrl(added.header("Location") + "/other_vpn_site").status()).isEqualTo(404);
  }

  /**
   * RouteVPN.create_ipsec_tunnel between an engine's internal gateway and an external gateway
   * (TunnelEndpoint.create_ipsec_endpoint for each side), then RouteVPN.tunnels and
   * EndpointTunnel.enable_disable.
   */
  @Test
  void aRouteBasedVpn_pairsItsSidesEndpoints() throws Exception {
    String engine = EnginesTest.createSingleFw(SMC.py(), SMC.unique("rb"));
    String internal = SMC.py().getUrl(rel(SMC.py().getUrl(engine).json(), "internal_gateway")).json().get("result").get(0).get("href").asText();
    String ep = SMC.py().getUrl(rel(SMC.py().getUrl(internal).json(), "internal_endpoint")).json().get("result").get(0).get("href").asText();
    assertThat(SMC.py().put(ep, "{\"enabled\":true}", null).status()).isEqualTo(200);
    String gw = gateway(SMC.unique("remote"));
    Response remote = endpoint(gw, "endpoint1", "198.51.100.7");
    assertThat(remote.status()).isEqualTo(201);
    String body = "{\"name\":\"NAME\",\"mtu\":0,\"ttl\":0,\"enabled\":true,\"tunnel_group_ref\":\""
        + first("rbvpn_tunnel_group", "Uncategorized") + "\",\"pmtu_discovery\":true,\"preshared_key\":\"abcdefgh123456789\","
        + "\"rbvpn_tunnel_side_a\":{\"gateway_ref\":\"" + internal + "\"},\"rbvpn_tunnel_side_b\":{\"gateway_ref\":\"" + gw + "\"},"
        + "\"tunnel_mode\":\"MODE\",\"comment\":null,\"vpn_profile_ref\":\"" + first("vpn_profile", "Suite-B-GCM-128") + "\"}";
    String vpn = SMC.py().create("rbvpn_tunnel", body.replace("NAME", SMC.unique("myvpn")).replace("MODE", "vpn"));
    String tunnels = rel(SMC.py().getUrl(vpn).json(), "gateway_endpoint_tunnel");
    JsonNode list = SMC.py().getUrl(tunnels).json().get("result");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("Endpoint Tunnel 192.168.10.1-198.51.100.7");
    String et = list.get(0).get("href").asText();
    Response read = SMC.py().getUrl(et);
    assertThat(read.json().get("enabled").asBoolean()).isTrue();
    assertThat(read.json().get("endpoint_1").asText()).isEqualTo(ep);
    assertThat(read.json().get("endpoint_2").asText()).isEqualTo(remote.header("Location"));
    try (WsClient ws = WsClient.open(SMC.py())) {
      ws.subscribe("{\"context\":\"rbvpn_tunnel\"}");
      Response off = SMC.py().put(et, ((com.fasterxml.jackson.databind.node.ObjectNode) read.json()).put("enabled", false).toString(),
          read.header("ETag"));
      assertThat(off.status()).as(off.body()).isEqualTo(200);
      assertThat(ws.next()).contains("\"update\"").contains(vpn);
    }
    assertThat(SMC.py().getUrl(et).json().get("enabled").asBoolean()).isFalse();
    assertThat(SMC.py().put(et, "{\"enabled\":true}", read.header("ETag")).status()).as("a stale ETag").isEqualTo(412);
    assertThat(SMC.py().put(et, "{\"enabled\":\"no\"}", null).status()).isEqualTo(400);
    assertThat(SMC.py().getUrl(tunnels + "/bm9wZQ==").status()).isEqualTo(404);
    // monitored as a gateway tunnel: its engine not yet contacted, then on the status socket
    JsonNode status = SMC.py().post("/monitoring_status", "{\"value\":\"" + vpn + "\"}").json();
    assertThat(status.get("name").asText()).isEqualTo(SMC.py().getUrl(vpn).json().get("name").asText());
    assertThat(status.get("monitoring_status").asText()).isEqualTo("UNKNOWN");
    assertThat(status.get("gatewayA").asText()).endsWith(" Primary");
    String node = SMC.py().getUrl(engine).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
    try (WsClient ws = WsClient.openAt(SMC.py(), "/7.2/status/socket")) {
      assertThat(ws.subscribe("{\"element\":\"" + vpn + "\"}")).contains("Subscribed for status");
      assertThat(SMC.py().postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
      JsonNode frame = Json.mapper().readTree(ws.next()).get("status").get("status");
      assertThat(frame.get("name").asText()).isEqualTo(status.get("name").asText());
      assertThat(frame.get("monitoring_state").asText()).isEqualTo("READY");
      Response tunnel = SMC.py().getUrl(vpn);
      Response off = SMC.py().put(vpn, ((com.fasterxml.jackson.databind.node.ObjectNode) tunnel.json()).put("enabled", false).toString(),
          tunnel.header("ETag"));
      assertThat(off.status()).as(off.body()).isEqualTo(200);
      assertThat(Json.mapper().readTree(ws.next()).get("status").get("status").get("monitoring_status").asText())
          .isEqualTo("NOT_MONITORED");
      // a test's simulation, as for a gateway tunnel
      Response simulated = SMC.py().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(SMC.server().url() + "/herald/admin/simulate"))
          .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"element\":\"" + vpn + "\",\"monitoring_status\":\"WARNING\",\"latency_in_ms\":450}")));
      assertThat(simulated.status()).as(simulated.body()).isEqualTo(200);
      Response on = SMC.py().put(vpn, ((com.fasterxml.jackson.databind.node.ObjectNode) SMC.py().getUrl(vpn).json()).put("enabled", true).toString(),
          SMC.py().getUrl(vpn).header("ETag"));
      assertThat(on.status()).isEqualTo(200);
      JsonNode latest = Json.mapper().readTree(ws.next()).get("status").get("status");
      while (!latest.get("monitoring_status").asText().equals("WARNING")) {
        latest = Json.mapper().readTree(ws.next()).get("status").get("status");
      }
      assertThat(latest.get("latency_in_ms").asInt()).isEqualTo(450);
    }
    // its sides hold their engine and gateway, and the endpoint or gateway they name
    assertThat(SMC.py().delete(engine, null).status()).isEqualTo(400);
    assertThat(SMC.py().delete(gw, null).status()).isEqualTo(400);
    String second = SMC.py().postUrl(rel(SMC.py().getUrl(engine).json(), "internal_gateway"), "{\"name\":\"rb-second\"}").header("Location");
    String named = SMC.py().create("rbvpn_tunnel", body.replace("NAME", SMC.unique("named")).replace("MODE", "vpn")
        .replace("{\"gateway_ref\":\"" + gw + "\"}", "{\"gateway_ref\":\"" + gw + "\",\"endpoint_ref\":\"" + remote.header("Location") + "\"}")
        .replace(internal, second));
    Response usedEndpoint = SMC.py().delete(remote.header("Location"), null);
    assertThat(usedEndpoint.status()).as(usedEndpoint.body()).isEqualTo(400);
    assertThat(usedEndpoint.body()).contains("rbvpn_tunnel");
    assertThat(SMC.py().delete(second, null).status()).as("a gateway a route-based VPN names").isEqualTo(400);
    assertThat(SMC.py().delete(named, null).status()).isEqualTo(204);
    assertThat(SMC.py().delete(second, null).status()).isEqualTo(204);
    // a side naming no gateway of this engine is refused; a GRE tunnel has no endpoint tunnels
    String wrong = internal.substring(0, internal.lastIndexOf('/') + 1) + "999999";
    Response refused = SMC.py().post("/elements/rbvpn_tunnel", body.replace("NAME", SMC.unique("bad")).replace("MODE", "vpn").replace(internal, wrong));
    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    String gre = SMC.py().create("rbvpn_tunnel", body.replace("NAME", SMC.unique("gre")).replace("MODE", "gre"));
    assertThat(SMC.py().getUrl(rel(SMC.py().getUrl(gre).json(), "gateway_endpoint_tunnel")).json().get("result")).isEmpty();
    assertThat(SMC.py().getUrl(engine + "/gateway_endpoint_tunnel").status()).as("an engine has no such link").isEqualTo(404);
  }
}
