package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementLinks;
import dev.herald.server.element.ElementService;
import dev.herald.server.session.Session;
import dev.herald.server.store.ElementRecord;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;

/** Element CRUD, search and the action links of elements, under {@code /{v}/elements}. */
final class ElementResource {
  private final ElementService elements;
  private final ElementLinks links;
  private final Map<String, LinkHandler> handlers = new java.util.HashMap<>();

  /**
   * What one link of an element does over HTTP (the link's rel names it). Families of elements
   * (policies, engines) add theirs; a link the catalogue gives without a handler answers 501.
   */
  @FunctionalInterface
  interface LinkHandler {
    Reply handle(Call call, String type, long key) throws Exception;
  }

  ElementResource(ElementService elements, ElementLinks links) {
    this.elements = elements;
    this.links = links;
    handlers.put("trash", this::act);
    handlers.put("untrash", this::act);
    handlers.put("validate", this::validate);
    handlers.put("history", (c, t, k) -> Reply.json(200, links.history(c.session().caller(), t, k, c.base())));
    handlers.put("lock", (c, t, k) -> lockReply(c, links.lock(c.session().caller(), t, k, true)));
    handlers.put("unlock", (c, t, k) -> lockReply(c, links.lock(c.session().caller(), t, k, false)));
    handlers.put("duplicate", this::duplicate);
    handlers.put("search_category_tags_from_element",
        (c, t, k) -> metas(c, links.categoriesOf(c.session().caller(), t, k)));
    handlers.put("search_elements_from_category_tag",
        (c, t, k) -> metas(c, links.elementsOf(c.session().caller(), t, k)));
    handlers.put("category_add_element", (c, t, k) -> categorize(c, t, k, true));
    handlers.put("category_remove_element", (c, t, k) -> categorize(c, t, k, false));
    handlers.put("ip_address_list", this::ipAddressList);
  }

  /**
   * Adds the handler of a link, for the families of elements and the resources that give links a
   * behaviour (the system resource answers every element's export).
   */
  void register(String rel, LinkHandler handler) {
    if (handlers.putIfAbsent(rel, handler) != null) {
      throw new IllegalStateException("two handlers for the link " + rel);
    }
  }

  /** Answers every policy's rule collections (they are links of kind "rules"). */
  private LinkHandler rules;

  void registerRules(LinkHandler handler) {
    this.rules = handler;
  }

  boolean handlesRules() {
    return rules != null;
  }

  /** The rels with a handler (docs/coverage.md and a test hold them against the catalogue). */
  Set<String> handledRels() {
    return java.util.Collections.unmodifiableSet(handlers.keySet());
  }

  List<Route> routes() {
    return List.of(
        new Route("/{v}/elements", Set.of("GET", "HEAD"), c -> search(c, Optional.empty())),
        new Route("/{v}/elements/{type}", Set.of("GET", "HEAD", "POST"), this::collection),
        new Route("/{v}/elements/{type}/{key}", Set.of("GET", "HEAD", "PUT", "DELETE"), this::element),
        new Route("/{v}/elements/{type}/{key}/{rel}", Set.of("GET", "POST", "PUT", "DELETE"), this::link),
        new Route("/{v}/references_by_element", Set.of("POST"), this::referencesByElement),
        new Route("/{v}/search_unused", Set.of("GET"), c -> metas(c, links.unused(c.session().caller(), types(c)))),
        new Route("/{v}/search_duplicate", Set.of("GET"), c -> metas(c, links.duplicates(c.session().caller(), types(c)))));
  }

  /**
   * A link of an element: answered by its handler, or 501 in SMC's error shape when Herald does
   * not do it yet; a rel the element's type does not have is a 404 (Herald never gave it).
   */
  Reply link(Call call) throws Exception {
    String type = type(call);
    long key = key(call);
    String rel = call.var("rel");
    Catalogue.Type t = Catalogue.type(type);
    boolean own = rel.equals("trash") || rel.equals("untrash");
    if (rules != null && t.ruleCollection(rel).isPresent()) {
      // a rule collection, by its rel or by its href's last segment (the rule type, as the
      // Terraform provider builds it)
      return rules.handle(call, type, key);
    }
    if (!own && t.link(rel).isEmpty()) {
      throw HeraldException.notFound("No link " + rel + " on " + type + ".",
          "GET the element: its link list names what it offers.");
    }
    LinkHandler h = handlers.get(rel);
    if (h == null || (!own && !t.link(rel).get().implemented())) {
      elements.get(call.session().caller(), type, key); // 404 / 401 / 403 before saying not yet
      throw new HeraldException(501, "Herald does not implement " + rel + " on " + type + " yet.",
          List.of("docs/coverage.md lists what Herald implements for each element type."), null);
    }
    return h.handle(call, type, key);
  }

  /** Copies a policy with its rules (the rules' resource gives it). */
  interface PolicyCopier {
    ElementRecord copy(dev.herald.server.element.Caller caller, String type, long key, String name, String base);
  }

  private PolicyCopier policyCopier;

  void registerPolicyCopier(PolicyCopier copier) {
    this.policyCopier = copier;
  }

  /** What a validation finds for the types one answers (a policy's rules, a VPN's gateways). */
  interface Validator {
    Optional<com.fasterxml.jackson.databind.node.ObjectNode> validate(Call call, String type, long key);
  }

  private final List<Validator> validators = new java.util.concurrent.CopyOnWriteArrayList<>();

  void registerValidator(Validator v) {
    validators.add(v);
  }

  /**
   * {@code validate}: the validating and validated events, and what a validator of the type
   * finds ({@code {"name", "status", "problems"}}); the element when none answers for it. GET
   * as well as POST: smc-python's PolicyVPN.validate GETs it.
   */
  private Reply validate(Call call, String type, long key) {
    if (!call.method().equals("POST") && !call.method().equals("GET")) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", List.of("Allowed: GET, POST."), null)
          .header("Allow", "GET, POST");
    }
    ElementRecord r = elements.act(call.session().caller(), type, key, "validate");
    for (Validator v : validators) {
      Optional<com.fasterxml.jackson.databind.node.ObjectNode> found = v.validate(call, type, key);
      if (found.isPresent()) {
        return Reply.json(200, found.get());
      }
    }
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  private Reply act(Call call, String type, long key) {
    if (!call.method().equals("POST")) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", List.of("Allowed: POST."), null)
          .header("Allow", "POST");
    }
    ElementRecord r = elements.act(call.session().caller(), type, key, call.var("rel"));
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  private Reply lockReply(Call call, ElementRecord r) {
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  /** PUT …/duplicate?name=NEW: the copy's href in Location (smc-python reads it from there). */
  private Reply duplicate(Call call, String type, long key) {
    String name = call.param("name").filter(n -> !n.isBlank()).orElseThrow(() ->
        HeraldException.badRequest("Impossible to duplicate the element.", "Give the copy's name: ?name=NEW."));
    // a policy's copy carries its rules (save_as's copy); any other element's, its JSON
    ElementRecord copy = policyCopier != null && !Catalogue.type(type).rules().isEmpty()
        ? policyCopier.copy(call.session().caller(), type, key, name, call.base())
        : links.duplicate(call.session().caller(), type, key, name, call.base());
    String href = ElementJson.href(call.base(), copy.type(), copy.key());
    return Reply.json(200, ElementJson.render(copy, call.base())).header("Location", href)
        .header("ETag", ETags.of(copy.key(), copy.version()));
  }

  /** POST {"value": href}: add it to (or remove it from) this category tag. */
  private Reply categorize(Call call, String type, long key, boolean add) throws Exception {
    String href = call.param("value").orElse(null);
    if (href == null) {
      JsonNode v = call.optionalJson().get("value");
      href = v != null && v.isTextual() ? v.asText() : null;
    }
    if (href == null) {
      throw HeraldException.badRequest("Impossible to update the element.", "Send {\"value\": \"<element href>\"}.");
    }
    ElementRecord r = links.categorize(call.session().caller(), type, key, href, add);
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  /** GET: {"ip": [...]} (or one per line as text/plain); POST {"ip": [...]}: replaces them. */
  private Reply ipAddressList(Call call, String type, long key) throws Exception {
    if (call.method().equals("GET")) {
      List<String> ips = links.ipAddresses(call.session().caller(), type, key);
      String accept = java.util.Objects.requireNonNullElse(call.header("Accept"), "");
      if (accept.contains("text/plain")) {
        return Reply.text(200, "text/plain", String.join("\n", ips) + (ips.isEmpty() ? "" : "\n"));
      }
      ArrayNode arr = Json.mapper().createArrayNode();
      ips.forEach(arr::add);
      return Reply.json(200, Json.object().set("ip", arr));
    }
    if (!call.method().equals("POST")) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", List.of("Allowed: GET, POST."), null)
          .header("Allow", "GET, POST");
    }
    JsonNode body = call.json();
    if (!body.path("ip").isArray()) {
      throw HeraldException.badRequest("Impossible to update the IP list.", "Send {\"ip\": [\"10.0.0.1\", \"10.1.0.0/16\"]}.");
    }
    List<String> ips = new java.util.ArrayList<>();
    for (JsonNode ip : body.get("ip")) {
      if (!ip.isTextual()) {
        throw HeraldException.badRequest("Impossible to update the IP list.", "Each entry of ip must be a string; got " + ip + ".");
      }
      ips.add(ip.asText());
    }
    links.setIpAddresses(call.session().caller(), type, key, ips);
    return Reply.empty(204);
  }

  /** POST {"value": href}: the elements referencing it, as a meta list. */
  Reply referencesByElement(Call call) throws Exception {
    JsonNode v = call.json().get("value");
    if (v == null || !v.isTextual()) {
      throw HeraldException.badRequest("Invalid request.", "Send {\"value\": \"<element href>\"}.");
    }
    return metas(call, links.referencesTo(call.session().caller(), v.asText()));
  }

  private static Set<String> types(Call call) {
    Set<String> types = new LinkedHashSet<>();
    call.param("filter_context").ifPresent(ctx -> {
      for (String item : ctx.split(",")) {
        if (!item.isBlank()) {
          types.addAll(Catalogue.context(item.strip()).orElseThrow(() -> HeraldException.badRequest(
              "Invalid filter_context.", "Unknown element type or context " + item.strip() + ".")));
        }
      }
    });
    return types;
  }

  /** Elements as {@code [{name, href, type}]}, a bare list (smc-python's sub_collection of a system link). */
  static Reply metaList(Call call, List<ElementRecord> rows) {
    return Reply.json(200, metaArray(call, rows));
  }

  /** Elements as SMC's search answers them: {@code {"result": [{name, href, type}]}}. */
  static Reply metas(Call call, List<ElementRecord> rows) {
    return Reply.json(200, Json.object().set("result", metaArray(call, rows)));
  }

  private static ArrayNode metaArray(Call call, List<ElementRecord> rows) {
    ArrayNode result = Json.mapper().createArrayNode();
    for (ElementRecord r : rows) {
      result.add(ElementJson.meta(r, call.base()));
    }
    return result;
  }

  /** The type the URL names (an alias names another type); 404 for an unknown one. */
  private static String type(Call call) {
    String type = call.var("type");
    if (!Catalogue.isRelName(type)) {
      throw HeraldException.notFound(
          "Unknown element type " + type + ".", "GET /{version}/api lists the element types.");
    }
    return Catalogue.canonical(type);
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

  Reply element(Call call) throws Exception {
    String type = type(call);
    Session s = call.session();
    long key = key(call);
    switch (call.method()) {
      case "PUT" -> {
        JsonNode body = call.json();
        ElementRecord r = elements.update(s.caller(), type, key, body, ifMatch(call));
        return Reply.json(200, ElementJson.render(r, (ObjectNode) body, call.base()))
            .header("Location", ElementJson.selfHref(r, call.base()))
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

  private Reply search(Call call, Optional<String> type) {
    Session s = call.session();
    Set<String> types = new LinkedHashSet<>();
    // a type's entry point; one that is also a family (alias) lists the family's types
    type.ifPresent(t -> types.addAll(Catalogue.context(t).orElse(Set.of(t))));
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

  static Optional<String> ifMatch(Call call) {
    return call.ifMatch().filter(x -> !x.isBlank()); // smc-python sends its cached ETag as Etag
  }
}
