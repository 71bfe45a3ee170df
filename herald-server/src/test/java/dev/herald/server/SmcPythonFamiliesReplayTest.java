package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The requests smc-python 1.0.31 sends for representative calls of each element family (its
 * create bodies, with their None values and defaults, as tools/catalogue/sources records them),
 * checked the way smc-python reads the answers: Location on create, a typed self link, the
 * fields it reads without a default, meta-only search items, updates with the whole cached JSON
 * and the Etag header.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class SmcPythonFamiliesReplayTest {
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

  /** ElementCreator: POST the body to the type's entry point; the href comes from Location only. */
  private static String create(String type, String body) throws Exception {
    Response r = py.post("/elements/" + type, body);
    assertThat(r.status()).as("%s %s → %s", type, body, r.body()).isIn(200, 201, 202, 204);
    assertThat(r.header("Location")).as(type).isNotNull();
    JsonNode el = py.getUrl(r.header("Location")).json();
    JsonNode self = el.get("link").get(0);
    assertThat(self.get("rel").asText()).isEqualTo("self");
    assertThat(self.get("type").asText()).as("ElementFactory picks the class from it").isEqualTo(type);
    return r.header("Location");
  }

  /** Host("name").href: the elements entry point, filter_context = the type, exact match. */
  private static String byName(String type, String name) throws Exception {
    JsonNode result = py.get("/elements?filter=" + name + "&filter_context=" + type + "&exact_match=True").json().get("result");
    assertThat(result).as("%s %s", type, name).hasSize(1);
    assertThat(result.get(0).properties()).as("Meta(**item)").hasSize(3);
    return result.get(0).get("href").asText();
  }

  @Test
  void networkElements() throws Exception {
    String h = create("host", "{\"name\": \"py-h1\", \"address\": \"1.1.1.1\", \"ipv6_address\": null, \"secondary\": [],"
        + " \"tools_profile_ref\": null, \"comment\": null}");
    String n = create("network", "{\"name\": \"py-n1\", \"ipv4_network\": \"10.10.0.0/16\", \"ipv6_network\": null,"
        + " \"broadcast\": true, \"location_ref\": null, \"comment\": null}");
    String r = create("address_range", "{\"name\": \"py-r1\", \"ip_range\": \"10.10.0.1-10.10.0.9\", \"comment\": null}");
    create("router", "{\"name\": \"py-gw\", \"address\": \"10.10.0.254\", \"ipv6_address\": null, \"secondary\": [],"
        + " \"tools_profile_ref\": null, \"comment\": null}");
    create("domain_name", "{\"name\": \"example.com\", \"comment\": null, \"domain_name_entry\": null}");
    create("expression", "{\"name\": \"py-e1\", \"operator\": \"exclusion\", \"ne_ref\": null, \"sub_expression\": [],"
        + " \"comment\": null}");
    String ntp = create("ntp", "{\"address\": \"10.10.0.5\", \"ipv6_address\": null, \"comment\": null, \"name\": \"py-ntp\","
        + " \"ntp_host_name\": null, \"ntp_auth_key_type\": \"none\", \"ntp_auth_key_id\": null, \"ntp_auth_key\": null,"
        + " \"secondary\": [], \"tools_profile_ref\": null}");
    // Group.create(members=[...]): hrefs under element, echoed exactly (examples/group.py compares them)
    String g = create("group", "{\"name\": \"py-g1\", \"element\": [\"" + h + "\", \"" + n + "\", \"" + ntp + "\"],"
        + " \"comment\": null, \"is_monitored\": false}");
    assertThat(byName("group", "py-g1")).isEqualTo(g);
    assertThat(py.getUrl(g).json().get("element")).extracting(JsonNode::asText).containsExactly(h, n, ntp);
    // group.update_members(): the whole cached JSON with element replaced, Etag header
    Response cached = py.getUrl(g);
    ObjectNode body = (ObjectNode) cached.json();
    body.putArray("element").add(h).add(r);
    assertThat(py.put(g, body.toString(), cached.header("ETag")).status()).isIn(200, 202);
    // element.referenced_by
    JsonNode refs = py.post("/references_by_element", "{\"value\": \"" + h + "\"}").json().get("result");
    assertThat(refs).extracting(x -> x.get("href").asText()).containsExactly(g);
    // Search.objects.entry_point("network_elements"): a pseudo context
    assertThat(py.get("/elements?filter_context=network_elements&filter=py-").json().get("result"))
        .extracting(x -> x.get("type").asText()).contains("host", "network", "address_range", "router", "group");
  }

  @Test
  void services() throws Exception {
    String tcp = create("tcp_service", "{\"name\": \"py-tcp\", \"min_dst_port\": 8443, \"max_dst_port\": null,"
        + " \"min_src_port\": null, \"max_src_port\": null, \"protocol_agent_ref\": null, \"comment\": null}");
    String udp = create("udp_service", "{\"name\": \"py-udp\", \"min_dst_port\": 5000, \"max_dst_port\": 5010,"
        + " \"min_src_port\": null, \"max_src_port\": null, \"protocol_agent_ref\": null, \"comment\": null}");
    String ip = create("ip_service", "{\"name\": \"py-ip\", \"protocol_number\": 47, \"protocol_agent_ref\": null, \"comment\": null}");
    // IPService.protocol_number: int(data.get(...)) — it must be there
    assertThat(py.getUrl(ip).json().get("protocol_number").asInt()).isEqualTo(47);
    // ICMPService.create(icmp_code=None) sends ""
    create("icmp_service", "{\"name\": \"py-icmp\", \"icmp_type\": 8, \"icmp_code\": \"\", \"comment\": null}");
    String sg = create("service_group", "{\"name\": \"py-sg\", \"element\": [\"" + tcp + "\", \"" + udp + "\", \"" + ip + "\"],"
        + " \"comment\": null}");
    assertThat(py.getUrl(sg).json().get("element")).hasSize(3);
    create("tcp_service_group", "{\"name\": \"py-tsg\", \"element\": [\"" + tcp + "\"], \"comment\": null}");
    Response wrong = py.post("/elements/tcp_service_group", "{\"name\": \"py-tsg2\", \"element\": [\"" + udp + "\"], \"comment\": null}");
    assertThat(wrong.status()).isEqualTo(400);
    assertThat(wrong.json().get("message").asText()).startsWith("Impossible to store the element py-tsg2");
    assertThat(py.get("/elements?filter_context=services&filter=py-").json().get("result"))
        .extracting(x -> x.get("type").asText())
        .containsExactlyInAnyOrder("tcp_service", "udp_service", "ip_service", "icmp_service", "service_group", "tcp_service_group");
  }

  @Test
  void serversAndProfiles() throws Exception {
    String dns = create("dns_server", "{\"name\": \"py-dns\", \"address\": \"10.20.0.53\", \"comment\": null,"
        + " \"time_to_live\": 20, \"update_interval\": 10, \"secondary\": []}");
    assertThat(py.getUrl(dns).json().get("time_to_live").asInt()).isEqualTo(20);
    create("http_proxy", "{\"name\": \"py-proxy\", \"address\": \"10.20.0.80\", \"comment\": null, \"http_proxy_port\": 8080,"
        + " \"http_proxy_username\": \"\", \"http_proxy_password\": \"\", \"secondary\": [], \"tools_profile_ref\": null}");
    create("snmp_agent", "{\"boot\": false, \"go_offline\": false, \"go_online\": false, \"hardware_alerts\": false,"
        + " \"name\": \"py-snmp\", \"policy_applied\": false, \"shutdown\": false, \"snmp_monitoring_contact\": null,"
        + " \"snmp_monitoring_listening_port\": 161, \"snmp_monitoring_user_name\": [], \"snmp_trap_destination\": [],"
        + " \"snmp_user_name\": [], \"snmp_version\": \"v3\", \"user_login\": false, \"snmp_trap_user_name\": null,"
        + " \"comment\": null}");
    String loc = create("location", "{\"name\": \"py-loc\", \"comment\": null}");
    // a host placed in the location references it
    String h = create("host", "{\"name\": \"py-h-loc\", \"address\": \"10.20.0.1\", \"ipv6_address\": null,"
        + " \"secondary\": [], \"tools_profile_ref\": null, \"comment\": null, \"location_ref\": \"" + loc + "\"}");
    assertThat(py.delete(loc, null).status()).isEqualTo(400);
    assertThat(py.getUrl(h).json().get("location_ref").asText()).isEqualTo(loc);
  }

  @Test
  void categories_asElementAddCategoryDoesIt() throws Exception {
    String h = create("host", "{\"name\": \"py-h-cat\", \"address\": \"10.30.0.1\", \"ipv6_address\": null,"
        + " \"secondary\": [], \"tools_profile_ref\": null, \"comment\": null}");
    // element.add_category(["py-tag"]): look the tag up, create it when absent, then category_add_element
    assertThat(py.get("/elements?filter=py-tag&filter_context=category_tag&exact_match=True").json().get("result")).isEmpty();
    String tag = create("category_tag", "{\"name\": \"py-tag\", \"comment\": null}");
    JsonNode links = py.getUrl(tag).json().get("link");
    String add = null;
    for (JsonNode l : links) {
      if (l.get("rel").asText().equals("category_add_element")) {
        add = l.get("href").asText();
      }
    }
    assertThat(add).isNotNull();
    assertThat(py.postUrl(add, "{\"value\": \"" + h + "\"}").status()).isIn(200, 201, 202, 204);
    // element.categories: GET search_category_tags_from_element, a meta list
    JsonNode cats = py.getUrl(h + "/search_category_tags_from_element").json().get("result");
    assertThat(cats).hasSize(1);
    assertThat(cats.get(0).get("href").asText()).isEqualTo(tag);
    assertThat(cats.get(0).get("type").asText()).isEqualTo("category_tag");
  }
}
