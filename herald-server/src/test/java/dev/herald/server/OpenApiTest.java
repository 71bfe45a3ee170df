package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.element.Catalogue;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OpenAPI description at /openapi.json: generated from the catalogue, whole and consistent. */
class OpenApiTest {
  @Test
  void everyTypeHasItsPathsAndSchema_andEveryRefResolves() throws Exception {
    try (TestServer server = TestServer.start()) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.url() + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200); // public, as /api is
      assertThat(r.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/json");
      JsonNode api = Json.mapper().readTree(r.body());
      assertThat(api.get("openapi").asText()).isEqualTo("3.1.0");
      JsonNode paths = api.get("paths");
      JsonNode schemas = api.get("components").get("schemas");
      for (Catalogue.Type t : Catalogue.types().values()) {
        assertThat(schemas.has(t.name())).as(t.name()).isTrue();
        if (!t.rule()) {
          assertThat(paths.has("/{version}/elements/" + t.name())).as(t.name()).isTrue();
          assertThat(paths.get("/{version}/elements/" + t.name() + "/{key}").has("put")).as(t.name()).isTrue();
        }
      }
      JsonNode host = schemas.get("host").get("properties");
      assertThat(host.get("address").get("type").asText()).isEqualTo("string");
      assertThat(host.get("secondary").get("type").asText()).isEqualTo("array");
      // what a new element starts from: SMC's defaults, the name, one of the address fields
      assertThat(host.get("secondary").get("default").isArray()).isTrue();
      assertThat(host.get("third_party_monitoring").get("default").get("netflow").asBoolean()).isFalse();
      assertThat(schemas.get("host").get("required").toString()).isEqualTo("[\"name\"]");
      assertThat(schemas.get("host").get("x-herald-one-of-required").toString()).isEqualTo("[[\"address\",\"ipv6_address\"]]");
      assertThat(schemas.get("tcp_service").get("x-herald-one-of-required").toString()).isEqualTo("[[\"min_dst_port\"]]");
      // every $ref points at a schema; integer enums are numbers
      List<String> refs = new ArrayList<>();
      List<String> badEnums = new ArrayList<>();
      walk(api, refs, badEnums);
      assertThat(refs).isNotEmpty().allSatisfy(ref ->
          assertThat(schemas.has(ref.substring("#/components/schemas/".length()))).as(ref).isTrue());
      assertThat(badEnums).isEmpty();
      assertThat(paths.get("/{version}/elements/single_fw/{key}").get("x-herald-links").toString()).contains("\"rel\":\"nodes\"");
    }
  }

  private static void walk(JsonNode n, List<String> refs, List<String> badEnums) {
    if (n.isObject()) {
      if (n.has("$ref")) {
        refs.add(n.get("$ref").asText());
      }
      if (n.path("type").asText().equals("integer") && n.has("enum")) {
        n.get("enum").forEach(v -> {
          if (!v.isIntegralNumber()) {
            badEnums.add(n.toString());
          }
        });
      }
      n.forEach(c -> walk(c, refs, badEnums));
    } else if (n.isArray()) {
      n.forEach(c -> walk(c, refs, badEnums));
    }
  }
}
