package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The element model as the catalogue drives it: validation by attribute kind (nothing stored, no
 * event on a refusal), defaults, references both ways, containers, and every link an element
 * lists answering.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class ElementModelTest {
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

  private static int n;

  private static String unique(String p) {
    return p + "-" + (++n) + "-" + System.nanoTime() % 1_000_000;
  }

  private static String host() throws Exception {
    return smc.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"10.0.0.1\"}");
  }

  @Test
  void badInput_byAttributeKind_is400NamingTheAttribute_storesNothing_andSendsNoEvent() throws Exception {
    String other = smc.create("tcp_service", "{\"name\":\"" + unique("svc") + "\",\"min_dst_port\":80}");
    try (WsClient ws = WsClient.open(smc)) {
      ws.subscribe("{\"context\":\"*\"}");
      record Bad(String type, String json, String detail) {}
      String h = unique("bad");
      List<Bad> cases = List.of(
          new Bad("group", "{\"name\":\"" + h + "\",\"is_monitored\":\"yes\"}", "Field is_monitored must be true or false"),
          new Bad("host", "{\"name\":\"" + h + "\",\"address\":\"10.0.0.1\",\"secondary\":\"10.0.0.2\"}", "Field secondary must be a list"),
          new Bad("host", "{\"name\":\"" + h + "\",\"address\":\"10.0.0.1\",\"third_party_monitoring\":{\"netflow\":\"x\"}}",
              "Field third_party_monitoring.netflow must be true or false"),
          new Bad("host", "{\"name\":\"" + h + "\",\"address\":\"10.0.0.1\",\"location_ref\":\"" + server.url()
              + "/7.2/elements/location/999999\"}", "Field location_ref: " + server.url() + "/7.2/elements/location/999999 does not exist"),
          new Bad("host", "{\"name\":\"" + h + "\",\"address\":\"10.0.0.1\",\"location_ref\":\"" + other + "\"}",
              "is a tcp_service, which location_ref cannot refer to"),
          new Bad("host", "{\"name\":\"" + h + "\",\"address\":\"10.0.0.1\",\"comment\":\"" + "x".repeat(70_000) + "\"}",
              "Field comment is longer than 65536 characters"),
          new Bad("ip_service", "{\"name\":\"" + h + "\",\"protocol_number\":300}", "Field protocol_number must be an integer from 0 to 255"),
          new Bad("group", "{\"name\":\"" + h + "\",\"element\":[\"" + other + "\"]}", "which this group cannot contain"),
          new Bad("network", "{\"name\":\"" + h + "\",\"ipv4_network\":\"10.0.0.1/24\"}", "zero host bits"),
          new Bad("tcp_service", "{\"name\":\"" + h + "\",\"min_dst_port\":90,\"max_dst_port\":80}", "is below min_dst_port"));
      for (Bad b : cases) {
        Response r = smc.post("/elements/" + b.type(), b.json());
        assertThat(r.status()).as(b.toString()).isEqualTo(400);
        assertThat(r.json().get("message").asText()).as(b.type()).startsWith("Impossible to store the element");
        assertThat(r.json().get("details").toString()).as(b.type()).contains(b.detail());
        assertThat(smc.get("/elements/" + b.type() + "?filter=" + h + "&exact_match=True").json().get("result"))
            .as("nothing stored: " + b.type()).isEmpty();
      }
      // no event for any of them: the next one is this marker's
      String marker = host();
      assertThat(ws.next()).contains(marker);
    }
  }

  @Test
  void aTypesEnum_isChecked() throws Exception {
    // an alert chain's final_action has SMC's values (none, acknowledge, redirect, return)
    Response r = smc.post("/elements/alert_chain", "{\"name\":\"" + unique("chain") + "\",\"final_action\":\"explode\"}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("details").toString()).contains("Field final_action must be one of none, acknowledge");
    assertThat(smc.post("/elements/alert_chain", "{\"name\":\"" + unique("chain") + "\",\"final_action\":\"acknowledge\"}")
        .status()).isEqualTo(201);
  }

  @Test
  void freshElements_showSmcsDefaults() throws Exception {
    JsonNode h = smc.getUrl(host()).json();
    assertThat(h.get("secondary").isArray()).isTrue();
    assertThat(h.get("third_party_monitoring").get("netflow").asBoolean()).isFalse();
    assertThat(h.get("admin_domain").asText()).endsWith("/7.2/elements/admin_domain/1");
    assertThat(h.get("locked").asBoolean()).isFalse();
    String d = smc.create("admin_domain", "{\"name\":\"" + unique("dom") + "\"}");
    JsonNode dom = smc.getUrl(d).json();
    for (String f : List.of("contact_email", "contact_number", "announcement_enabled", "announcement_message",
        "category_filter_system", "show_not_categorized", "user_alert_check")) {
      assertThat(dom.has(f)).as("smc-python reads %s without a default", f).isTrue();
    }
  }

  @Test
  void aGroup_holdsWhatSmcAccepts_andEchoesItsMembers() throws Exception {
    String ntp = smc.create("ntp", "{\"name\":\"" + unique("ntp") + "\",\"address\":\"10.0.0.5\"}");
    String h = host();
    String net = smc.create("network", "{\"name\":\"" + unique("net") + "\",\"ipv4_network\":\"10.1.0.0/16\"}");
    String g = smc.create("group", "{\"name\":\"" + unique("g") + "\",\"element\":[\"" + ntp + "\",\"" + h + "\",\"" + net + "\"]}");
    assertThat(smc.getUrl(g).json().get("element")).extracting(JsonNode::asText).containsExactly(ntp, h, net);
    // references both ways: the ntp server is referenced, so it cannot go, and references_by_element names the group
    Response del = smc.delete(ntp, null);
    assertThat(del.status()).isEqualTo(400);
    assertThat(del.body()).contains("referenced by group");
    JsonNode refs = smc.post("/references_by_element", "{\"value\":\"" + ntp + "\"}").json().get("result");
    assertThat(refs).hasSize(1);
    assertThat(refs.get(0).get("href").asText()).isEqualTo(g);
    assertThat(refs.get(0).properties()).hasSize(3); // name, href, type only: smc-python splats them
  }

  @Test
  void searchUnused_andSearchDuplicate() throws Exception {
    String a = smc.create("host", "{\"name\":\"" + unique("dup") + "\",\"address\":\"10.77.0.1\"}");
    String b = smc.create("host", "{\"name\":\"" + unique("dup") + "\",\"address\":\"10.77.0.1\"}");
    String used = smc.create("host", "{\"name\":\"" + unique("used") + "\",\"address\":\"10.77.0.2\"}");
    smc.create("group", "{\"name\":\"" + unique("g") + "\",\"element\":[\"" + used + "\"]}");
    String dups = smc.get("/search_duplicate?filter_context=host").body();
    assertThat(dups).contains(a).contains(b).doesNotContain(used);
    String unused = smc.get("/search_unused?filter_context=host").body();
    assertThat(unused).contains(a).contains(b).doesNotContain(used);
  }

  @Test
  void history_lock_unlock_duplicate() throws Exception {
    String h = host();
    JsonNode hist = smc.getUrl(h + "/history").json();
    assertThat(hist.get("creator_name").asText()).isEqualTo("herald");
    assertThat(hist.get("creation_time").asLong()).isPositive();
    assertThat(hist.get("is_locked").asBoolean()).isFalse();
    // only the keys smc-python's History namedtuple takes
    List<String> allowed = List.of("creation_time", "creator", "creator_name", "is_locked", "is_obsolete",
        "is_trashed", "last_modification_time", "modifier", "modifier_name", "follower", "in_progress",
        "last_message", "progress", "success", "waiting_inputs");
    hist.fieldNames().forEachRemaining(f -> assertThat(allowed).contains(f));

    assertThat(smc.send(HttpRequest.newBuilder(URI.create(h + "/lock")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
    Response locked = smc.getUrl(h);
    assertThat(locked.json().get("locked").asBoolean()).isTrue();
    Response refused = smc.put(h, ((ObjectNode) locked.json()).put("address", "10.0.0.9").toString(), locked.header("ETag"));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).contains("locked");
    assertThat(smc.send(HttpRequest.newBuilder(URI.create(h + "/unlock")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
    assertThat(smc.getUrl(h).json().get("locked").asBoolean()).isFalse();

    String copyName = unique("copy");
    Response dup = smc.send(HttpRequest.newBuilder(URI.create(h + "/duplicate?name=" + copyName))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(dup.status()).isEqualTo(200);
    String copy = dup.header("Location");
    assertThat(copy).isNotEqualTo(h).contains("/elements/host/");
    assertThat(smc.getUrl(copy).json().get("name").asText()).isEqualTo(copyName);
    assertThat(smc.getUrl(copy).json().get("address").asText()).isEqualTo("10.0.0.1");
  }

  @Test
  void categoryTags_andIpLists() throws Exception {
    String h = host();
    String tag = smc.create("category_tag", "{\"name\":\"" + unique("tag") + "\"}");
    assertThat(smc.postUrl(tag + "/category_add_element", "{\"value\":\"" + h + "\"}").status()).isEqualTo(200);
    assertThat(smc.getUrl(h + "/search_category_tags_from_element").body()).contains(tag);
    assertThat(smc.getUrl(tag + "/search_elements_from_category_tag").body()).contains(h);
    assertThat(smc.postUrl(tag + "/category_remove_element", "{\"value\":\"" + h + "\"}").status()).isEqualTo(200);
    assertThat(smc.getUrl(h + "/search_category_tags_from_element").json().get("result")).isEmpty();

    String list = smc.create("ip_list", "{\"name\":\"" + unique("ips") + "\"}");
    assertThat(smc.postUrl(list + "/ip_address_list", "{\"ip\":[\"10.0.0.1\",\"10.1.0.0/16\",\"10.2.0.1-10.2.0.9\"]}")
        .status()).isIn(200, 202, 204);
    assertThat(smc.getUrl(list + "/ip_address_list").json().get("ip")).extracting(JsonNode::asText)
        .containsExactly("10.0.0.1", "10.1.0.0/16", "10.2.0.1-10.2.0.9");
    Response text = smc.send(HttpRequest.newBuilder(URI.create(list + "/ip_address_list")).header("Accept", "text/plain"));
    assertThat(text.body()).isEqualTo("10.0.0.1\n10.1.0.0/16\n10.2.0.1-10.2.0.9\n");
    Response bad = smc.postUrl(list + "/ip_address_list", "{\"ip\":[\"not-an-ip\"]}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(smc.getUrl(list + "/ip_address_list").json().get("ip")).hasSize(3);
  }

  @Test
  void everyLinkAnElementLists_answers_neverA404() throws Exception {
    String g = smc.create("group", "{\"name\":\"" + unique("g") + "\",\"element\":[]}");
    String u = smc.create("admin_user", "{\"name\":\"" + unique("adm") + "\",\"password\":\"a-password-0123\"}");
    String tag = smc.create("category_tag", "{\"name\":\"" + unique("tag") + "\"}");
    for (String el : List.of(host(), g, u, tag)) {
      for (JsonNode l : smc.getUrl(el).json().get("link")) {
        String rel = l.get("rel").asText();
        if (rel.equals("self")) {
          continue;
        }
        Response get = smc.getUrl(l.get("href").asText());
        Response post = smc.postUrl(l.get("href").asText(), "{}");
        assertThat(List.of(get.status(), post.status())).as("%s %s", el, rel).doesNotContain(404);
        if (get.status() == 501) {
          assertThat(get.json().get("message").asText()).startsWith("Herald does not implement " + rel);
        }
      }
    }
    Response unknown = smc.getUrl(g + "/no_such_link");
    assertThat(unknown.status()).isEqualTo(404);
  }

  @Test
  void terraformsNames_areServedAsTheTypesTheyStandFor() throws Exception {
    String href = smc.create("administrator", "{\"name\":\"" + unique("tf") + "\",\"password\":\"a-password-0123\"}");
    assertThat(href).contains("/elements/admin_user/");
    assertThat(smc.get("/elements/administrator").body()).contains(href);
  }
}
