package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.element.Catalogue;
import java.util.List;
import java.util.Set;

/** {@code GET /api} (the versions) and {@code GET /{v}/api} (the entry points). */
final class ApiResource {
  private final ApiVersions versions;

  ApiResource(ApiVersions versions) {
    this.versions = versions;
  }

  List<Route> routes() {
    return List.of(
        new Route("/api", Set.of("GET", "HEAD"), this::versions),
        new Route("/{v}/api", Set.of("GET", "HEAD"), this::entryPoints),
        // an OpenAPI description generated from the element catalogue: public, as /api is
        new Route("/openapi.json", Set.of("GET", "HEAD"), c -> Reply.bytes(200, "application/json",
            dev.herald.server.element.OpenApi.json(new java.util.ArrayList<>(new java.util.TreeSet<>(
                ApiVersions.ACCEPTED)).reversed()).getBytes(java.nio.charset.StandardCharsets.UTF_8))));
  }

  private Reply versions(Call call) {
    ObjectNode o = Json.object();
    ArrayNode arr = o.putArray("version");
    for (String v : versions.advertised()) {
      arr.addObject().put("rel", v).put("href", Call.base(call.request, v) + "/api");
    }
    return Reply.json(200, o);
  }

  /**
   * Each entry may hold only {@code rel}, {@code href} (and {@code method}): smc-python builds a
   * namedtuple of exactly those from each.
   */
  private Reply entryPoints(Call call) {
    String base = call.base();
    ObjectNode o = Json.object();
    ArrayNode arr = o.putArray("entry_point");
    arr.addObject().put("rel", "elements").put("href", base + "/elements");
    arr.addObject().put("rel", "login").put("href", base + "/login");
    arr.addObject().put("rel", "lms_login").put("href", base + "/lms_login");
    arr.addObject().put("rel", "logout").put("href", base + "/logout");
    arr.addObject().put("rel", "current_user").put("href", base + "/system/current_user");
    arr.addObject().put("rel", "system").put("href", base + "/system");
    arr.addObject().put("rel", "monitoring_status").put("href", base + "/monitoring_status");
    arr.addObject().put("rel", "ha").put("href", base + "/ha");
    arr.addObject().put("rel", "references_by_element").put("href", base + "/references_by_element");
    arr.addObject().put("rel", "search_unused").put("href", base + "/search_unused");
    arr.addObject().put("rel", "search_duplicate").put("href", base + "/search_duplicate");
    for (String r : Catalogue.relNames()) {
      arr.addObject().put("rel", r).put("href", base + "/elements/" + r);
    }
    return Reply.json(200, o);
  }
}
