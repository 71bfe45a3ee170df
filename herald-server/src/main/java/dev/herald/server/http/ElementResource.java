package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.session.Session;
import dev.herald.server.store.ElementRecord;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;

/** Element CRUD, search and the action links of elements, under {@code /{v}/elements}. */
final class ElementResource {
  private final ElementService elements;

  ElementResource(ElementService elements) {
    this.elements = elements;
  }

  List<Route> routes() {
    return List.of(
        new Route("/{v}/elements", Set.of("GET", "HEAD"), c -> search(c, Optional.empty())),
        new Route("/{v}/elements/{type}", Set.of("GET", "HEAD", "POST"), this::collection),
        new Route("/{v}/elements/{type}/{key}", Set.of("GET", "HEAD", "PUT", "DELETE"), this::element),
        new Route("/{v}/elements/{type}/{key}/{rel}", Set.of("POST"), this::action));
  }

  private static String type(Call call) {
    String type = call.var("type");
    if (!Catalogue.isRelName(type)) {
      throw HeraldException.notFound(
          "Unknown element type " + type + ".", "GET /{version}/api lists the element types.");
    }
    return type;
  }

  private static long key(Call call) {
    try {
      return Long.parseLong(call.var("key"));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Element not found.", "Element keys are integers; got " + call.var("key") + ".");
    }
  }

  private Reply collection(Call call) throws Exception {
    String type = type(call);
    Session s = call.session();
    if (!call.method().equals("POST")) {
      return search(call, Optional.of(type));
    }
    JsonNode body = call.json();
    ElementRecord r = elements.create(s.caller(), type, body);
    String href = ElementJson.href(call.base(), type, r.key());
    // body now holds exactly the stored fields (create strips derived and secret ones)
    return Reply.json(201, ElementJson.render(r, (ObjectNode) body, call.base()))
        .header("Location", href)
        .header("ETag", ETags.of(r.key(), r.version()));
  }

  private Reply element(Call call) throws Exception {
    String type = type(call);
    Session s = call.session();
    long key = key(call);
    switch (call.method()) {
      case "PUT" -> {
        JsonNode body = call.json();
        ElementRecord r = elements.update(s.caller(), type, key, body, ifMatch(call));
        return Reply.json(200, ElementJson.render(r, (ObjectNode) body, call.base()))
            .header("Location", ElementJson.href(call.base(), type, key))
            .header("ETag", ETags.of(r.key(), r.version()));
      }
      case "DELETE" -> {
        elements.delete(s.caller(), type, key, ifMatch(call));
        return Reply.empty(204);
      }
      default -> {
        ElementRecord r = elements.get(s.caller(), type, key);
        return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
      }
    }
  }

  private Reply action(Call call) {
    String type = type(call);
    Session s = call.session();
    ElementRecord r = elements.act(s.caller(), type, key(call), call.var("rel"));
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  private Reply search(Call call, Optional<String> type) {
    Session s = call.session();
    Set<String> types = new LinkedHashSet<>();
    type.ifPresent(types::add);
    String ctx = call.param("filter_context").orElse(null);
    if (ctx != null && !ctx.isBlank()) {
      for (String item : ctx.split(",")) {
        String it = item.strip();
        if (it.isEmpty()) {
          continue;
        }
        Set<String> family = Catalogue.context(it).orElseThrow(() -> HeraldException.badRequest(
            "Invalid filter_context.", "Unknown element type or context " + it + "."));
        if (type.isPresent()) {
          // on a type's own entry point, filter_context narrows it
          if (!family.contains(type.get())) {
            types.clear();
          }
        } else {
          types.addAll(family);
        }
      }
      if (types.isEmpty()) {
        return Reply.json(200, Json.object().set("result", Json.mapper().createArrayNode()));
      }
    }
    Optional<String> filter = call.param("filter").filter(f -> !f.isEmpty());
    boolean exact = call.flag("exact_match", false);
    boolean caseSensitive = call.flag("case_sensitive", false);
    int limit = Integer.MAX_VALUE;
    Optional<String> l = call.param("limit");
    if (l.isPresent()) {
      try {
        limit = Integer.parseInt(l.get().strip());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1) {
        throw HeraldException.badRequest("Invalid limit.", "limit must be a positive integer; got " + l.get() + ".");
      }
    }
    List<ElementRecord> rows = elements.search(s.caller(), types, filter, exact, caseSensitive, limit);
    ArrayNode result = Json.mapper().createArrayNode();
    for (ElementRecord r : rows) {
      result.add(ElementJson.meta(r, call.base()));
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  private static Optional<String> ifMatch(Call call) {
    String v = call.header(HttpHeader.IF_MATCH);
    if (v == null) {
      v = call.header("Etag"); // smc-python sends its cached ETag under this name
    }
    return Optional.ofNullable(v).filter(x -> !x.isBlank());
  }
}
