package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import dev.herald.server.element.Catalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Generated from the catalogue: every validated type that is created at its own entry point is
 * created with its minimal attributes, read back with SMC's defaults, updated and deleted, and
 * a socket on {@code *} receives create, update, delete for each, in order — on H2 and
 * PostgreSQL.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class CatalogueRoundTripTest {
  @Parameter Backend backend;

  @Test
  void everyValidatedType_roundTrips_withItsDefaults_andItsEvents() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient smc = SmcClient.loggedIn(server);
      List<String> types = new ArrayList<>();
      for (Catalogue.Type t : Catalogue.types().values()) {
        if (t.validated() && !t.subResource()) {
          types.add(t.name());
        }
      }
      assertThat(types).hasSizeGreaterThan(200);
      List<String> failures = new ArrayList<>();
      try (WsClient ws = WsClient.open(smc)) {
        ws.subscribe("{\"context\":\"*\"}");
        int n = 0;
        for (String type : types) {
          n++;
          Catalogue.Type t = Catalogue.type(type);
          ObjectNode body = minimal(t, n);
          Response created = smc.post("/elements/" + type, body.toString());
          if (created.status() != 201) {
            failures.add(type + ": create " + created.status() + " " + created.body());
            continue;
          }
          String href = created.header("Location");
          assertThat(ws.next()).as(type).isEqualTo(event("create", href));
          Response got = smc.getUrl(href);
          JsonNode json = got.json();
          // SMC's defaults are there, and what was sent
          t.defaults().properties().forEach(d -> {
            // a default naming the element (cn=<name>,dc=stonegate,…) is filled with its name
            JsonNode expected = d.getValue().isTextual() && d.getValue().asText().contains("<name>")
                ? body.textNode(d.getValue().asText().replace("<name>", body.path("name").asText()))
                : d.getValue();
            if (!body.has(d.getKey()) && !expected.equals(json.get(d.getKey()))) {
              failures.add(type + ": default " + d.getKey() + " is " + json.get(d.getKey()) + ", expected " + expected);
            }
          });
          assertThat(json.path("link").get(0).path("type").asText()).as(type).isEqualTo(type);
          ObjectNode changed = ((ObjectNode) json).put("comment", "changed by the round trip");
          Response updated = smc.put(href, changed.toString(), got.header("ETag"));
          if (updated.status() != 200) {
            failures.add(type + ": update " + updated.status() + " " + updated.body());
          } else {
            assertThat(ws.next()).as(type).isEqualTo(event("update", href));
            assertThat(smc.getUrl(href).json().path("comment").asText()).as(type).isEqualTo("changed by the round trip");
          }
          Response deleted = smc.delete(href, null);
          if (deleted.status() != 204) {
            failures.add(type + ": delete " + deleted.status() + " " + deleted.body());
            continue;
          }
          assertThat(ws.next()).as(type).isEqualTo(event("delete", href));
          assertThat(smc.getUrl(href).status()).as(type).isEqualTo(404);
        }
      }
      assertThat(failures).as("types that do not round-trip").isEmpty();
    }
  }

  private static String event(String type, String href) {
    return "{\"event\":{\"type\":\"" + type + "\",\"element\":\"" + href + "\"},\"subscription_id\":0}";
  }

  /** A name (in the name's format), and a valid value for each "one of these" the type requires. */
  static ObjectNode minimal(Catalogue.Type t, int n) {
    ObjectNode o = Json.object();
    Optional<String> nameFormat = Optional.ofNullable(t.attributes().get("name")).flatMap(Catalogue.Attribute::format);
    o.put("name", nameFormat.filter("dns_name"::equals).isPresent() ? "rt-" + n + ".example.com" : "rt-" + t.name() + "-" + n);
    for (List<String> anyOf : t.oneOfRequired()) {
      String attr = anyOf.get(0);
      Catalogue.Attribute a = t.attributes().get(attr);
      o.set(attr, value(a));
    }
    return o;
  }

  private static JsonNode value(Catalogue.Attribute a) {
    var f = Json.mapper().getNodeFactory();
    String format = a == null ? "" : a.format().orElse("");
    Map<String, String> byFormat = Map.of("ipv4", "10.9.0.1", "ipv6", "2001:db8::1", "ip", "10.9.0.2",
        "cidr4", "10.9.0.0/24", "cidr6", "2001:db8::/64", "ip_range", "10.9.0.1-10.9.0.9", "port", "80");
    if (byFormat.containsKey(format)) {
      return format.equals("port") && a.type().equals("integer") ? f.numberNode(80) : f.textNode(byFormat.get(format));
    }
    if (a != null && a.type().equals("integer")) {
      return f.numberNode(a.range().map(r -> Math.max(r[0], 1)).orElse(1L));
    }
    return f.textNode("x");
  }
}
