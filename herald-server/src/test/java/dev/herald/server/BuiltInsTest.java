package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import dev.herald.server.element.BuiltIns;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A fresh Herald has SMC's built-in elements: found by the lookups smc-python, the Ansible
 * collection and the Terraform provider make, read-only as system elements, with their
 * references to each other rendered for the caller's address.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class BuiltInsTest {
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

  private static JsonNode byName(String type, String name) throws Exception {
    return smc.get("/elements/" + type + "?filter=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
        + "&exact_match=True").json().get("result");
  }

  @Test
  void everyBuiltIn_isThere_onAFreshServer_asASystemElementOfSharedDomain() throws Exception {
    List<String> missing = new ArrayList<>();
    for (BuiltIns.Element e : BuiltIns.all()) {
      JsonNode found = byName(e.type(), e.name());
      if (found.size() != 1) {
        missing.add(e.type() + " " + e.name() + ": " + found.size());
        continue;
      }
      JsonNode el = smc.getUrl(found.get(0).get("href").asText()).json();
      assertThat(el.get("system").asBoolean()).as(e.name()).isTrue();
      assertThat(el.get("admin_domain").asText()).as(e.name()).endsWith("/elements/admin_domain/1");
    }
    assertThat(missing).isEmpty();
    assertThat(BuiltIns.all()).hasSizeGreaterThan(100);
  }

  @Test
  void theLookupsClientsMake_onAFreshSmc_findSomething() throws Exception {
    // LogServer.objects.first() (every engine create), ManagementServer.objects.all()
    assertThat(smc.get("/elements/log_server").json().get("result")).isNotEmpty();
    assertThat(smc.get("/elements/mgt_server").json().get("result")).isNotEmpty();
    // FirewallPolicy.create(template="Firewall Inspection Template"), IPSPolicy, Layer2Policy defaults
    assertThat(byName("fw_template_policy", "Firewall Inspection Template")).hasSize(1);
    assertThat(byName("ips_template_policy", "High-Security IPS Template")).hasSize(1);
    assertThat(byName("layer2_template_policy", "Layer 2 Firewall Inspection Template")).hasSize(1);
    // VPNProfile("Suite-B-GCM-128"), ConnectionType("Active"), AuthenticationMethod("User password")
    assertThat(byName("vpn_profile", "Suite-B-GCM-128")).hasSize(1);
    assertThat(byName("connection_type", "Active")).hasSize(1);
    assertThat(byName("authentication_service", "User password")).hasSize(1);
    // Protocol agents and services the examples name; Location("Default")
    assertThat(byName("protocol", "SMTP")).hasSize(1);
    assertThat(byName("tcp_service", "HTTPS")).hasSize(1);
    assertThat(byName("location", "Default")).hasSize(1);
    // type_of_servers.py: list(ProbingProfile.objects.all())[0] for third-party monitoring
    assertThat(smc.get("/elements/probing_profile").json().get("result")).isNotEmpty();
    // a family smc-python searches: the TLS cryptography suite whose name contains "NIST"
    assertThat(smc.get("/elements/tls_cryptography_suite_set?filter=NIST").json().get("result")).hasSize(1);
    // an alias is found under the generic alias entry point as well
    assertThat(smc.get("/elements/alias?filter=" + URLEncoder.encode("$$ Default NAT Address", StandardCharsets.UTF_8))
        .json().get("result")).hasSize(1);
  }

  @Test
  void builtIns_referToEachOther_withTheCallersAddress() throws Exception {
    JsonNode http = smc.getUrl(byName("tcp_service", "HTTP").get(0).get("href").asText()).json();
    assertThat(http.get("min_dst_port").asInt()).isEqualTo(80);
    String agent = http.get("protocol_agent_ref").asText();
    assertThat(agent).startsWith(server.url() + "/7.2/elements/protocol/");
    assertThat(smc.getUrl(agent).json().get("name").asText()).isEqualTo("HTTP");
    JsonNode dns = smc.getUrl(byName("service_group", "DNS").get(0).get("href").asText()).json();
    List<String> members = new ArrayList<>();
    for (JsonNode m : dns.get("element")) {
      assertThat(m.asText()).startsWith(server.url());
      members.add(smc.getUrl(m.asText()).json().get("name").asText());
    }
    assertThat(members).containsExactly("DNS (TCP)", "DNS (UDP)");
    // and references are tracked both ways
    JsonNode refs = smc.post("/references_by_element", "{\"value\":\"" + agent + "\"}").json().get("result");
    assertThat(refs).extracting(r -> r.get("name").asText()).contains("HTTP");
  }

  @Test
  void builtIns_refuseChanges_likeSmcsSystemElements_butCanBeUsedAndCopied() throws Exception {
    String href = byName("host", "Localhost").get(0).get("href").asText();
    Response got = smc.getUrl(href);
    Response put = smc.put(href, ((ObjectNode) got.json()).put("comment", "mine").toString(), got.header("ETag"));
    assertThat(put.status()).isEqualTo(403);
    assertThat(put.json().get("details").get(0).asText()).isEqualTo("Cannot modify system element.");
    assertThat(smc.delete(href, null).status()).isEqualTo(403);
    assertThat(smc.getUrl(href).json().get("address").asText()).isEqualTo("127.0.0.1");
    // used in a group of one's own
    String g = smc.create("group", "{\"name\":\"uses-localhost\",\"element\":[\"" + href + "\"]}");
    assertThat(smc.getUrl(g).json().get("element").get(0).asText()).isEqualTo(href);
    // copied: the copy is the caller's, changeable, its references absolute
    String http = byName("tcp_service", "HTTP").get(0).get("href").asText();
    Response dup = smc.send(HttpRequest.newBuilder(URI.create(http + "/duplicate?name=My%20HTTP"))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(dup.status()).isEqualTo(200);
    JsonNode copy = smc.getUrl(dup.header("Location")).json();
    assertThat(copy.get("system").asBoolean()).isFalse();
    assertThat(copy.get("protocol_agent_ref").asText()).startsWith(server.url() + "/7.2/elements/protocol/");
  }
}
