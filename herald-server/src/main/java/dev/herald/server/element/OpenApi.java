package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An OpenAPI 3.1 description of Herald's REST API, generated from the element catalogue: every
 * element type's collection and element paths, a schema per type from its attributes (JSON
 * types, enums, ranges, nested models; references as strings with the types they may point to
 * in {@code x-herald-ref}), and the entry points a client starts with. Built once.
 */
public final class OpenApi {
  private static volatile String text;

  private OpenApi() {}

  /** The description as JSON text. */
  public static String json(List<String> versions) {
    String t = text;
    if (t == null) {
      t = Json.write(build(versions));
      text = t;
    }
    return t;
  }

  static ObjectNode build(List<String> versions) {
    ObjectNode root = Json.object().put("openapi", "3.1.0");
    root.putObject("info").put("title", "Herald — the Forcepoint SMC REST API")
        .put("version", versions.get(0))
        .put("description", "Generated from Herald's element catalogue (SMC 7.4.1's API model, smc-python's element"
            + " classes, Herald's overlay). Errors are {\"message\", \"details\"}; updates and deletes take the"
            + " element's ETag in If-Match (smc-python sends it as Etag). The notification socket is"
            + " ws://HOST:PORT/{version}/notification/socket, the status socket /{version}/status/socket.");
    ArrayNode servers = root.putArray("servers");
    servers.addObject().put("url", "/");
    ObjectNode paths = root.putObject("paths");
    ObjectNode schemas = root.putObject("components").putObject("schemas");
    ObjectNode version = Json.object().put("name", "version").put("in", "path").put("required", true);
    ArrayNode versionEnum = version.putObject("schema").put("type", "string").putArray("enum");
    versions.forEach(versionEnum::add);

    schemas.set("Error", Json.mapper().valueToTree(Map.of("type", "object", "properties", Map.of(
        "message", Map.of("type", "string"), "details", Map.of("type", "array", "items", Map.of("type", "string"))))));
    schemas.set("Meta", Json.mapper().valueToTree(Map.of("type", "object", "properties", Map.of(
        "name", Map.of("type", "string"), "href", Map.of("type", "string"), "type", Map.of("type", "string")))));

    ObjectNode login = paths.putObject("/{version}/login").putObject("post");
    login.put("summary", "Log in with an API key: the session cookie JSESSIONID");
    login.putArray("parameters").add(version.deepCopy());
    login.putObject("requestBody").putObject("content").putObject("application/json").putObject("schema")
        .put("type", "object").putObject("properties").set("authenticationkey", Json.object().put("type", "string"));
    login.putObject("responses").putObject("200").put("description", "logged in");

    Map<String, Catalogue.Type> types = new TreeMap<>(Catalogue.types());
    for (Catalogue.Type t : types.values()) {
      ObjectNode typeSchema = schema(t.attributes(), 0);
      // SMC's defaults for a new element, and the fields of which one at least is required
      ObjectNode props = (ObjectNode) typeSchema.get("properties");
      t.defaults().properties().forEach(d -> {
        if (props.has(d.getKey())) {
          ((ObjectNode) props.get(d.getKey())).set("default", d.getValue());
        }
      });
      if (t.attributes().containsKey("name") && !t.rule()) {
        typeSchema.putArray("required").add("name");
      }
      if (!t.oneOfRequired().isEmpty()) {
        ArrayNode groups = typeSchema.putArray("x-herald-one-of-required");
        t.oneOfRequired().forEach(g -> {
          ArrayNode a = groups.addArray();
          g.forEach(a::add);
        });
      }
      schemas.set(t.name(), typeSchema);
      if (t.rule()) {
        continue; // rules live in their policy's collections
      }
      ObjectNode collection = paths.putObject("/{version}/elements/" + t.name());
      ObjectNode list = collection.putObject("get").put("summary", "List or search " + t.name() + " elements");
      ArrayNode lp = list.putArray("parameters");
      lp.add(version.deepCopy());
      for (String q : List.of("filter", "exact_match", "case_sensitive")) {
        lp.addObject().put("name", q).put("in", "query").putObject("schema").put("type", "string");
      }
      list.putObject("responses").putObject("200").put("description", "{\"result\": [Meta]}");
      ObjectNode create = collection.putObject("post").put("summary", "Create a " + t.name());
      create.putArray("parameters").add(version.deepCopy());
      create.putObject("requestBody").putObject("content").putObject("application/json").putObject("schema")
          .put("$ref", "#/components/schemas/" + t.name());
      ObjectNode cr = create.putObject("responses");
      cr.putObject("201").put("description", "created; its href in Location");
      cr.putObject("400").put("description", "invalid (SMC's words)").putObject("content").putObject("application/json")
          .putObject("schema").put("$ref", "#/components/schemas/Error");

      ObjectNode one = paths.putObject("/{version}/elements/" + t.name() + "/{key}");
      ObjectNode key = Json.object().put("name", "key").put("in", "path").put("required", true);
      key.putObject("schema").put("type", "integer");
      for (String m : List.of("get", "put", "delete")) {
        ObjectNode op = one.putObject(m).put("summary", switch (m) {
          case "get" -> "Read a " + t.name() + " (its ETag in the ETag header)";
          case "put" -> "Replace a " + t.name() + " (If-Match: its ETag)";
          default -> "Delete a " + t.name() + " (If-Match: its ETag)";
        });
        op.putArray("parameters").add(version.deepCopy()).add(key.deepCopy());
        if (m.equals("put")) {
          op.putObject("requestBody").putObject("content").putObject("application/json").putObject("schema")
              .put("$ref", "#/components/schemas/" + t.name());
        }
        op.putObject("responses").putObject(m.equals("delete") ? "204" : "200").put("description", "done");
      }
      if (!t.links().isEmpty()) {
        ArrayNode rels = one.putArray("x-herald-links");
        t.links().forEach(l -> rels.addObject().put("rel", l.rel()).put("method", l.method())
            .put("implemented", l.implemented()));
      }
    }
    return root;
  }

  private static ObjectNode schema(Map<String, Catalogue.Attribute> attributes, int depth) {
    ObjectNode s = Json.object().put("type", "object");
    ObjectNode props = s.putObject("properties");
    new TreeMap<>(attributes).forEach((name, a) -> props.set(name, attribute(a, depth)));
    return s;
  }

  private static ObjectNode attribute(Catalogue.Attribute a, int depth) {
    ObjectNode s = Json.object();
    switch (a.type()) {
      case "array" -> {
        s.put("type", "array");
        s.set("items", a.items().map(i -> attribute(i, depth + 1)).orElseGet(() -> Json.object().put("type", "string")));
      }
      case "object" -> {
        if (depth < 6 && a.model().flatMap(Catalogue::model).isPresent()) {
          s.setAll(schema(Catalogue.model(a.model().get()).get(), depth + 1));
        } else {
          s.put("type", "object");
        }
      }
      case "string", "integer", "number", "boolean" -> s.put("type", a.type());
      default -> s.put("type", "string");
    }
    if (!a.enumValues().isEmpty()) {
      ArrayNode e = s.putArray("enum");
      for (String v : a.enumValues()) {
        if (a.type().equals("integer") && v.matches("-?\\d{1,18}")) {
          e.add(Long.parseLong(v));
        } else {
          e.add(v);
        }
      }
    }
    a.range().ifPresent(r -> s.put("minimum", r[0]).put("maximum", r[1]));
    a.format().ifPresent(f -> s.put("x-herald-format", f));
    a.ref().ifPresent(r -> {
      ArrayNode refs = s.putArray("x-herald-ref");
      new java.util.TreeSet<>(r).forEach(refs::add);
    });
    if (a.computed()) {
      s.put("readOnly", true);
    }
    return s;
  }
}
