package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.element.EngineNodes;
import dev.herald.server.element.Rights;
import dev.herald.server.element.Engines;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.TaskStore.TaskRow;
import dev.herald.server.task.Tasks;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Engines over HTTP, as smc-python drives them: the engine's links (nodes, interfaces and their
 * collections, the routing and antispoofing trees, pending changes, upload and refresh tasks),
 * a node ({@code <engine>/firewall_node/KEY}: GET, PUT) and its commands and status, an
 * interface ({@code <engine>/physical_interface/KEY}: GET, PUT, DELETE). Nodes and interfaces
 * live in the engine's JSON: changing one is an update of the engine (its ETag, its event).
 */
final class EngineResource {
  private final ElementService elements;
  private final ElementResource elementResource;
  private final EngineNodes nodes;
  private final Tasks tasks;
  private final dev.herald.server.element.Routes routes;
  private final dev.herald.server.element.BlockLists blockLists;
  private final dev.herald.server.element.Aliases aliases;
  private final dev.herald.server.element.Snapshots snapshots;
  private final dev.herald.server.element.PendingChanges pendingChanges;
  private final dev.herald.server.element.ContactAddresses contactAddresses;
  private final dev.herald.server.element.Antispoofing antispoofing;
  private final dev.herald.server.element.Licences licences;

  /** {@code engines} null: only the link handlers are registered (a test of the catalogue's marks). */
  EngineResource(ElementService elements, ElementResource elementResource, dev.herald.server.element.EngineModel engines,
      Tasks tasks) {
    this.elements = elements;
    this.elementResource = elementResource;
    this.nodes = engines == null ? null : engines.nodes();
    this.tasks = tasks;
    this.routes = engines == null ? null : engines.routes();
    this.blockLists = engines == null ? null : engines.blockLists();
    this.aliases = engines == null ? null : engines.aliases();
    this.snapshots = engines == null ? null : engines.snapshots();
    this.pendingChanges = engines == null ? null : engines.pendingChanges();
    this.contactAddresses = engines == null ? null : engines.contactAddresses();
    this.antispoofing = engines == null ? null : engines.antispoofing();
    this.licences = engines == null ? null : engines.licences();
    elementResource.register("nodes", (c, t, k) -> list(c, t, k, true, Optional.empty()));
    elementResource.register("interfaces", (c, t, k) -> list(c, t, k, false, Optional.empty()));
    // the interface collections engines have (catalogue links of kind "interfaces"), one handler each
    Set<String> collections = new java.util.TreeSet<>();
    Engines.types().values().forEach(t -> t.links().stream().filter(l -> l.kind().equals("interfaces"))
        .forEach(l -> collections.add(l.rel())));
    for (String itf : collections) {
      elementResource.register(itf, (c, t, k) -> interfaceCollection(c, t, k, itf));
    }
    elementResource.register(Engines.ROUTING.rel(), (c, t, k) -> Reply.json(200, routes.tree(engine(c, t, k), c.base())));
    elementResource.register(Engines.ANTISPOOFING.rel(),
        (c, t, k) -> Reply.json(200, antispoofing.tree(engine(c, t, k), c.base())));
    elementResource.register("add_route", (c, t, k) -> {
      requireMethod(c, "POST");
      routes.addRoute(c.session().caller(), writable(c, t, k, "add a route to"), c.param("gateway"), c.param("network"),
          c.optionalJson(), c.base());
      return Reply.json(200, Json.object());
    });
    elementResource.register(dev.herald.server.element.ContactAddresses.REL, (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.json(200, contactAddresses.list(engine(c, t, k), c.base()));
    });
    elementResource.register("query_route", (c, t, k) -> {
      requireMethod(c, "GET"); // smc-python reads it with a JSON body
      return Reply.json(200, routes.query(c.session().caller(), engine(c, t, k), c.optionalJson(),
          c.param("destination"), c.base()));
    });
    elementResource.register("routing_monitoring", (c, t, k) -> {
      requireMethod(c, "GET");
      EngineNodes.Engine e = engine(c, t, k);
      return Reply.json(200, routes.monitoring(e, nodes.reports(e), c.base()));
    });
    elementResource.register("pending_changes", (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.json(200, pendingChanges.list(c.session().caller(), engine(c, t, k), c.base()));
    });
    elementResource.register("approve_all_changes", (c, t, k) -> approve(c, t, k, true));
    elementResource.register("disapprove_all_changes", (c, t, k) -> approve(c, t, k, false));
    elementResource.register("refresh", this::refresh);
    elementResource.register("permissions", this::permissions);
    elementResource.register("virtual_resources", this::virtualResources);
    elementResource.register("block_list", (c, t, k) -> {
      EngineNodes.Engine e = engine(c, t, k);
      if (c.method().equals("GET")) {
        return Reply.json(200, blockLists.list(e.record())); // Herald's reading: SMC shows them on its monitoring sockets
      }
      requireMethod(c, "POST");
      e = writable(c, t, k, "add to the block list of", Rights.Capability.OPERATE);
      blockLists.add(List.of(e.record()), dev.herald.server.element.BlockLists.entries(c.json()));
      return Reply.json(200, Json.object());
    });
    elementResource.register("alias_resolving", (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.json(200, aliases.resolving(c.session().caller(), engine(c, t, k), c.base()));
    });
    elementResource.register("resolve", (c, t, k) -> {
      requireMethod(c, "GET");
      ElementRecord alias = elements.get(c.session().caller(), t, k);
      String engine = c.param("for").filter(s -> !s.isBlank()).orElseThrow(() ->
          HeraldException.badRequest("Impossible to resolve the alias.", "Give the engine's name: ?for=ENGINE."));
      return Reply.json(200, aliases.resolveFor(c.session().caller(), alias, engine, c.base()));
    });
    elementResource.register("flush_block_list", (c, t, k) -> {
      requireMethod(c, "DELETE");
      blockLists.flush(writable(c, t, k, "flush the block list of", Rights.Capability.OPERATE).record());
      return Reply.empty(204);
    });
    elementResource.register("snapshots", (c, t, k) -> {
      EngineNodes.Engine e = engine(c, t, k);
      return Reply.json(200, snapshots.list(e, engineHref(c, e)));
    });
    elementResource.register("generate_snapshot", (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.bytes(200, "application/zip", snapshots.now(engine(c, t, k), c.base()))
          .header("Content-Disposition", "attachment; filename=\"snapshot.zip\"");
    });
  }

  /** The nodes of an engine's routing and antispoofing trees ({@code <engine>/routing/ID}). */
  List<Route> routes() {
    return List.of(
        new Route("/{v}/elements/{ptype}/{pkey}/" + Engines.ROUTING.rel() + "/{id}", Set.of("GET", "HEAD", "PUT", "DELETE"),
            this::routingNode),
        new Route("/{v}/elements/{ptype}/{pkey}/" + Engines.ANTISPOOFING.rel() + "/{id}", Set.of("GET", "HEAD", "PUT"),
            this::antispoofingNode),
        new Route("/{v}/elements/{ptype}/{pkey}/" + dev.herald.server.element.ContactAddresses.REL + "/{id}",
            Set.of("GET", "HEAD", "PUT"), this::contactAddress));
  }

  private Reply routingNode(Call c) throws Exception {
    EngineNodes.Engine e = engine(c, c.var("ptype"), number(c, "pkey"));
    String id = c.var("id");
    Caller caller = c.session().caller();
    switch (c.method()) {
      case "PUT" -> {
        checkDigest(c, routes.node(e, id, c.base()));
        e = writable(c, e.record().type(), e.record().key(), "update the routing of");
        ObjectNode now = routes.put(caller, e, id, c.json(), c.base());
        return Reply.json(200, now).header("ETag", digest(now));
      }
      case "DELETE" -> {
        checkDigest(c, routes.node(e, id, c.base()));
        e = writable(c, e.record().type(), e.record().key(), "update the routing of");
        routes.delete(caller, e, id, c.base());
        return Reply.empty(204);
      }
      default -> {
        ObjectNode node = routes.node(e, id, c.base());
        return Reply.json(200, node).header("ETag", digest(node));
      }
    }
  }

  /** A contact-address node: GET; PUT its contact_addresses (smc-python's update_or_create, delete). */
  private Reply contactAddress(Call c) throws Exception {
    EngineNodes.Engine e = engine(c, c.var("ptype"), number(c, "pkey"));
    ObjectNode current = contactAddresses.get(e, c.var("id"), c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the contact addresses");
      e = writable(c, e.record().type(), e.record().key(), "update the contact addresses of");
      ObjectNode now = contactAddresses.put(c.session().caller(), e, c.var("id"), c.json(), c.base());
      return Reply.json(200, now).header("ETag", digest(now));
    }
    return Reply.json(200, current).header("ETag", digest(current));
  }

  /** An antispoofing node: GET; PUT of an interface's node adds or removes its entries (smc-python's add, remove). */
  private Reply antispoofingNode(Call c) throws Exception {
    EngineNodes.Engine e = engine(c, c.var("ptype"), number(c, "pkey"));
    ObjectNode node = antispoofing.node(e, c.var("id"), c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(node, "the antispoofing node " + node.path("name").asText());
      EngineNodes.Engine w = writable(c, e.record().type(), e.record().key(), "change the antispoofing of");
      ObjectNode now = antispoofing.put(c.session().caller(), w, c.var("id"), c.json(), c.base(), c.ifMatch());
      return Reply.json(200, now).header("ETag", digest(now));
    }
    return Reply.json(200, node).header("ETag", digest(node));
  }

  private static String digest(ObjectNode o) {
    return ETags.digest(o);
  }

  private static void checkDigest(Call c, ObjectNode current) {
    c.checkDigest(current, "the routing node");
  }

  /**
   * GET: the engine's granted permissions, with an ETag; PUT with that ETag (smc-python sends it
   * as {@code Etag}, without quotes): replaces them. Superusers only; every href must name a
   * visible element of its kind; nothing changes on a refusal.
   */
  private Reply permissions(Call c, String type, long key) throws Exception {
    EngineNodes.Engine e = engine(c, type, key);
    String href = engineHref(c, e);
    ObjectNode current = nodes.permissions(e, href);
    String etag = permissionsEtag(current);
    if (c.method().equals("GET")) {
      return Reply.json(200, current).header("ETag", etag);
    }
    if (!c.method().equals("PUT")) {
      throw new HeraldException(405, "Method " + c.method() + " not allowed.", List.of("Allowed: GET, PUT."), null)
          .header("Allow", "GET, PUT");
    }
    if (!c.session().caller().rights().superuser()) {
      throw HeraldException.forbidden("Impossible to update the permissions of " + e.record().name() + ".",
          "Only a superuser grants permissions.");
    }
    if (!ETags.matches(c.ifMatch().orElse(""), etag)) {
      throw new HeraldException(412, "Impossible to update the permissions of " + e.record().name() + ".",
          List.of("They changed since you read them (or no ETag was given): GET them again."), null);
    }
    com.fasterxml.jackson.databind.JsonNode body = c.json();
    if (!body.isObject()) {
      throw HeraldException.badRequest("Invalid permissions.", "The body must be a JSON object.");
    }
    if (body.hasNonNull("cluster_ref") && !sameElement(c, body.get("cluster_ref").asText(), e)) {
      throw HeraldException.badRequest("Invalid permissions.", "cluster_ref must be this engine: " + href + ".");
    }
    ObjectNode granted = Json.object();
    com.fasterxml.jackson.databind.node.ArrayNode acls = granted.putArray("granted_access_control_list");
    for (com.fasterxml.jackson.databind.JsonNode a : array(body, "granted_access_control_list")) {
      acls.add(ref(c, a, "access_control_list", "granted_access_control_list"));
    }
    com.fasterxml.jackson.databind.node.ArrayNode containers = granted.putArray("role_containers");
    for (com.fasterxml.jackson.databind.JsonNode rc : array(body, "role_containers")) {
      if (!rc.isObject()) {
        throw HeraldException.badRequest("Invalid permissions.", "Each of role_containers must be an object.");
      }
      ObjectNode out = containers.addObject();
      com.fasterxml.jackson.databind.node.ArrayNode roles = out.putArray("roles");
      for (com.fasterxml.jackson.databind.JsonNode role : array(rc, "roles")) {
        roles.add(ref(c, role, "role", "role_containers.roles"));
      }
      out.put("admin_ref", ref(c, rc.path("admin_ref"), "admin_user", "role_containers.admin_ref"));
      out.put("granted_domain_ref", ref(c, rc.path("granted_domain_ref"), "admin_domain",
          "role_containers.granted_domain_ref"));
    }
    nodes.putPermissions(e, granted, c.session().caller().userName());
    ObjectNode now = nodes.permissions(e, href);
    return Reply.json(200, now).header("ETag", permissionsEtag(now));
  }

  /** The permissions' version: they are no element, so their ETag is a digest of their content. */
  private static String permissionsEtag(ObjectNode permissions) {
    return ETags.digest(permissions);
  }

  private static Iterable<com.fasterxml.jackson.databind.JsonNode> array(com.fasterxml.jackson.databind.JsonNode o,
      String field) {
    com.fasterxml.jackson.databind.JsonNode a = o.path(field);
    if (a.isMissingNode() || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw HeraldException.badRequest("Invalid permissions.", field + " must be a list of hrefs.");
    }
    return a;
  }

  /** An href to a visible element of {@code kind}, normalised to this request's base; else 400. */
  private String ref(Call c, com.fasterxml.jackson.databind.JsonNode v, String kind, String field) {
    Optional<dev.herald.server.store.ElementRecord> r = v.isTextual()
        ? elements.resolveHref(c.session().caller(), v.asText()) : Optional.empty();
    if (r.isEmpty() || !r.get().type().equals(kind)) {
      throw HeraldException.badRequest("Invalid permissions.",
          field + ": " + (v.isTextual() ? v.asText() : v.toString()) + " is not an element of type " + kind + ".");
    }
    return ElementJson.href(c.base(), r.get().type(), r.get().key());
  }

  private boolean sameElement(Call c, String href, EngineNodes.Engine e) {
    return elements.resolveHref(c.session().caller(), href).map(r -> r.key() == e.record().key()).orElse(false);
  }

  /** The nested routes of RuleResource lead here when the parent is an engine. */
  static boolean isEngine(String type) {
    return Engines.kind(type).isPresent();
  }

  private EngineNodes.Engine engine(Call c, String type, long key) {
    return nodes.engine(c.session().caller(), Catalogue.canonical(type), key);
  }

  /** An engine the caller may change: every request that changes it, its parts or its nodes' state. */
  private EngineNodes.Engine writable(Call c, String type, long key, String what) {
    return writable(c, type, key, what, Rights.Capability.EDIT);
  }

  /** An engine the caller may act on with {@code needed}: a command (OPERATE), an upload (UPLOAD). */
  private EngineNodes.Engine writable(Call c, String type, long key, String what, Rights.Capability needed) {
    engine(c, type, key); // 404 before 403
    return nodes.writableEngine(c.session().caller(), Catalogue.canonical(type), key, what, needed);
  }

  private static String engineHref(Call c, EngineNodes.Engine e) {
    return ElementJson.href(c.base(), e.record().type(), e.record().key());
  }

  /** Meta of the engine's nodes or interfaces. */
  private Reply list(Call c, String type, long key, boolean ofNodes, Optional<String> only) {
    EngineNodes.Engine e = engine(c, type, key);
    String self = engineHref(c, e);
    ArrayNode result = Json.mapper().createArrayNode();
    if (ofNodes) {
      for (Engines.Node n : Engines.nodes(e.body())) {
        result.addObject().put("name", n.name()).put("href", self + "/" + n.type() + "/" + n.key()).put("type", n.type());
      }
    } else {
      for (Engines.Interface i : Engines.interfaces(e.body())) {
        if (only.isEmpty() || only.get().equals(i.type())) {
          result.addObject().put("name", "Interface " + i.data().path("interface_id").asText())
              .put("href", self + "/" + i.type() + "/" + i.key()).put("type", i.type());
        }
      }
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  /** GET: the interfaces of this kind; POST: a new one (an update of the engine). */
  private Reply interfaceCollection(Call c, String type, long key, String itfType) throws Exception {
    if (c.method().equals("GET") || c.method().equals("HEAD")) {
      return list(c, type, key, false, Optional.of(itfType));
    }
    requireMethod(c, "POST");
    JsonNode given = c.json();
    if (!(given instanceof ObjectNode data)) {
      throw HeraldException.badRequest("Impossible to add the interface.", "The body must be the interface's JSON object.");
    }
    EngineNodes.Engine e = engine(c, type, key);
    String id = data.path("interface_id").asText("");
    if (id.isEmpty()) {
      throw HeraldException.badRequest("Impossible to add the interface.", "Give its interface_id.");
    }
    for (Engines.Interface i : Engines.interfaces(e.body())) {
      if (i.data().path("interface_id").asText().equals(id)) {
        throw HeraldException.badRequest("Impossible to add the interface.",
            "Interface " + id + " already exists on " + e.record().name() + ".");
      }
    }
    data.remove("key");
    ObjectNode body = e.body().deepCopy();
    body.withArray("physicalInterfaces").addObject().set(itfType, data);
    ElementRecord next = update(c, e, body, etag(e));
    ObjectNode rendered = ElementJson.render(next, c.base());
    String href = null;
    for (Engines.Interface i : Engines.interfaces(rendered)) {
      if (i.data().path("interface_id").asText().equals(id)) {
        href = engineHref(c, e) + "/" + i.type() + "/" + i.key();
      }
    }
    return Reply.json(201, rendered).header("Location", href).header("ETag", ETags.of(next.key(), next.version()));
  }

  private static String etag(EngineNodes.Engine e) {
    return ETags.of(e.record().key(), e.record().version());
  }

  private ElementRecord update(Call c, EngineNodes.Engine e, ObjectNode body, String ifMatch) {
    return elements.update(c.session().caller(), e.record().type(), e.record().key(), body, Optional.of(ifMatch));
  }

  private Reply approve(Call c, String type, long key, boolean approve) {
    requireMethod(c, "POST");
    pendingChanges.approveAll(writable(c, type, key, approve ? "approve the changes of" : "disapprove the changes of"),
        c.session().caller(), approve);
    return Reply.json(200, Json.object());
  }

  /** POST upload?filter=POLICY: a task that installs the policy on the nodes that made contact. */
  Reply upload(Call c, String type, long key) {
    requireMethod(c, "POST");
    Caller caller = c.session().caller();
    EngineNodes.Engine e = writable(c, type, key, "upload a policy to", Rights.Capability.UPLOAD);
    String name = c.param("filter").orElse("");
    boolean snapshot = c.flag("generate_snapshot", true);
    TaskRow t = tasks.start(caller, "upload", List.of("/elements/" + e.record().type() + "/" + e.record().key()), ctx -> {
      if (name.isEmpty()) {
        throw new Tasks.Failed("No policy to upload: give its name with ?filter=.");
      }
      ElementRecord policy = elements.search(caller, policyTypes(), Optional.of(name), true, true, 2).stream()
          .findFirst().orElseThrow(() -> new Tasks.Failed("There is no policy " + name + "."));
      ctx.progress(50, "Uploading " + policy.name() + " to " + e.record().name());
      nodes.install(e, policy, "/elements/" + policy.type() + "/" + policy.key());
      if (snapshot) {
        snapshots.take(e.record(), policy.name());
      }
      return Tasks.Outcome.of("Policy " + policy.name() + " was installed on " + e.record().name() + ".");
    });
    return Reply.json(200, Tasks.json(t, c.base()));
  }

  /** A policy's upload: installs it on the engine named {@code engineName} (inside a task). */
  void install(Caller caller, String engineName, ElementRecord policy) {
    ElementRecord engine = elements.search(caller, Engines.types().keySet(), Optional.of(engineName), true, true, 2)
        .stream().findFirst().orElseThrow(() -> new Tasks.Failed("There is no engine " + engineName + "."));
    EngineNodes.Engine e;
    try {
      e = nodes.writableEngine(caller, engine.type(), engine.key(), "upload a policy to", Rights.Capability.UPLOAD);
    } catch (HeraldException refused) {
      throw new Tasks.Failed(refused.getMessage() + " " + String.join(" ", refused.details()));
    }
    nodes.install(e, policy, "/elements/" + policy.type() + "/" + policy.key());
    snapshots.take(e.record(), policy.name());
  }

  private static Set<String> policyTypes() {
    Set<String> out = new java.util.TreeSet<>();
    Catalogue.types().forEach((n, t) -> {
      if (!t.rules().isEmpty()) {
        out.add(n);
      }
    });
    return out;
  }

  private Reply refresh(Call c, String type, long key) {
    requireMethod(c, "POST");
    EngineNodes.Engine e = writable(c, type, key, "refresh the policy of", Rights.Capability.UPLOAD);
    boolean snapshot = c.flag("generate_snapshot", true);
    Caller caller = c.session().caller();
    TaskRow t = tasks.start(caller, "refresh", List.of("/elements/" + e.record().type() + "/" + e.record().key()), ctx -> {
      EngineNodes.Installed p = nodes.installed(e).orElseThrow(() ->
          new Tasks.Failed("Engine " + e.record().name() + " has no policy installed to refresh."));
      ElementRecord policy = elements.store().find(p.policyKey())
          .filter(x -> elements.visibleDomains(caller).contains(x.domainKey())).orElseThrow(() ->
              new Tasks.Failed("The policy " + p.name() + " installed on " + e.record().name()
                  + " no longer exists (or is not yours to see)."));
      // the policy as it is now goes to the nodes: what was pending is installed
      nodes.install(nodes.engine(caller, e.record().type(), e.record().key()), policy,
          "/elements/" + policy.type() + "/" + policy.key());
      if (snapshot) {
        snapshots.take(e.record(), policy.name());
      }
      return Tasks.Outcome.of("Policy " + p.name() + " was refreshed on " + e.record().name() + ".");
    });
    return Reply.json(200, Tasks.json(t, c.base()));
  }

  // ---- nodes and interfaces: <engine>/<type>/<key>[/<rel>] ----

  private static long number(Call call, String var) {
    try {
      return Long.parseLong(call.var(var));
    } catch (NumberFormatException ex) {
      throw HeraldException.notFound("Not found.", "Keys are integers; got " + call.var(var) + ".");
    }
  }

  /** GET / PUT a node, GET / PUT / DELETE an interface or a virtual resource. */
  Reply sub(Call c) throws Exception {
    EngineNodes.Engine e = engine(c, c.var("ptype"), number(c, "pkey"));
    String sub = c.var("type");
    long subKey = number(c, "key");
    if (sub.equals(e.kind().nodeType())) {
      return node(c, e, nodes.node(e, sub, subKey));
    }
    if (sub.equals(Engines.VIRTUAL_RESOURCE)) {
      return virtualResource(c, e, subKey);
    }
    if (sub.equals(dev.herald.server.element.Snapshots.TYPE)) {
      requireMethod(c, "GET");
      return Reply.json(200, snapshots.get(e, subKey, engineHref(c, e)));
    }
    return iface(c, e, sub, subKey);
  }

  /**
   * A master engine's virtual resources (smc-python's {@code engine.virtual_resource}): GET the
   * meta list; POST one ({@code {"name", "vfw_id", "connection_limit", "show_master_nic",
   * "allocated_domain_ref"}}, checked against the catalogue's {@code virtual_resource}; a name or
   * vfw_id already used: 400) — it goes in the engine's {@code virtualResources}, an update of the
   * engine, 201 with its href.
   */
  private Reply virtualResources(Call c, String type, long key) throws Exception {
    EngineNodes.Engine e = engine(c, type, key);
    String self = engineHref(c, e);
    if (c.method().equals("GET") || c.method().equals("HEAD")) {
      ArrayNode result = Json.mapper().createArrayNode();
      for (ObjectNode vr : Engines.virtualResources(e.body())) {
        result.addObject().put("name", vr.path("name").asText())
            .put("href", self + "/" + Engines.VIRTUAL_RESOURCE + "/" + vr.path("key").asLong())
            .put("type", Engines.VIRTUAL_RESOURCE);
      }
      return Reply.json(200, Json.object().set("result", result));
    }
    requireMethod(c, "POST");
    String refused = "Impossible to create the virtual resource.";
    if (!(c.json() instanceof ObjectNode given)) {
      throw HeraldException.badRequest(refused, "The body must be the virtual resource's JSON object.");
    }
    given.remove("key");
    given.remove("link");
    elements.validatePart(c.session().caller(), Engines.VIRTUAL_RESOURCE, given, refused);
    if (!given.path("vfw_id").canConvertToInt() || given.path("vfw_id").asInt() < 1) {
      throw HeraldException.badRequest(refused, "vfw_id must be a whole number from 1.");
    }
    for (ObjectNode vr : Engines.virtualResources(e.body())) {
      if (vr.path("name").asText().equals(given.path("name").asText()) || vr.path("vfw_id").asInt() == given.path("vfw_id").asInt()) {
        throw HeraldException.badRequest(refused, e.record().name() + " already has a virtual resource named "
            + vr.path("name").asText() + " with vfw_id " + vr.path("vfw_id").asInt() + ".");
      }
    }
    ObjectNode body = e.body().deepCopy();
    body.withArray(Engines.VIRTUAL_RESOURCES).addObject().set(Engines.VIRTUAL_RESOURCE, given);
    ElementRecord next = update(c, e, body, etag(e));
    for (ObjectNode vr : Engines.virtualResources(ElementJson.render(next, c.base()))) {
      if (vr.path("name").asText().equals(given.path("name").asText())) {
        String href = self + "/" + Engines.VIRTUAL_RESOURCE + "/" + vr.path("key").asLong();
        return Reply.json(201, vr).header("Location", href).header("ETag", ETags.of(next.key(), next.version()));
      }
    }
    throw new IllegalStateException("the virtual resource just added is not in the engine");
  }

  /** GET, PUT, DELETE one virtual resource; a DELETE is refused (400) while a virtual engine uses it. */
  private Reply virtualResource(Call c, EngineNodes.Engine e, long key) throws Exception {
    ObjectNode rendered = ElementJson.render(e.record(), c.base());
    ObjectNode vr = Engines.virtualResources(rendered).stream().filter(x -> x.path("key").asLong() == key).findFirst()
        .orElseThrow(() -> HeraldException.notFound("Virtual resource not found.",
            e.record().name() + " has no virtual resource " + key + "."));
    switch (c.method()) {
      case "GET", "HEAD" -> {
        return Reply.json(200, vr).header("ETag", etag(e));
      }
      case "PUT" -> {
        ObjectNode given = object(c.json());
        given.remove("link");
        elements.validatePart(c.session().caller(), Engines.VIRTUAL_RESOURCE, given.deepCopy(), "Impossible to update the virtual resource.");
        ObjectNode body = e.body().deepCopy();
        replace(body, Engines.VIRTUAL_RESOURCES, Engines.VIRTUAL_RESOURCE, key, given);
        ElementRecord next = update(c, e, body, ifMatch(c));
        ObjectNode now = Engines.virtualResources(ElementJson.render(next, c.base())).stream()
            .filter(x -> x.path("key").asLong() == key).findFirst().orElseThrow();
        return Reply.json(200, now).header("ETag", ETags.of(next.key(), next.version()));
      }
      case "DELETE" -> {
        for (ElementRecord user : elements.store().findAll(elements.store().referrers(e.record().key()))) {
          if (Json.mapper().readTree(user.body()).path(Engines.VIRTUAL_RESOURCE).asText().endsWith(
              "/" + e.record().type() + "/" + e.record().key() + "/" + Engines.VIRTUAL_RESOURCE + "/" + key)) {
            // 400 as for any element still referenced (SMC's "Impossible to delete the element")
            throw HeraldException.badRequest("Impossible to delete the virtual resource " + vr.path("name").asText() + ".",
                "A virtual engine uses it" + (elements.visibleDomains(c.session().caller()).contains(user.domainKey())
                    ? ": " + user.type() + " " + user.name() + "." : "."));
          }
        }
        ObjectNode body = e.body().deepCopy();
        ArrayNode list = body.withArray(Engines.VIRTUAL_RESOURCES);
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i).path(Engines.VIRTUAL_RESOURCE).path("key").asLong() == key) {
            list.remove(i);
            break;
          }
        }
        update(c, e, body, c.ifMatch().orElse(etag(e)));
        return Reply.empty(204);
      }
      default -> throw notAllowed(c, "GET, PUT, DELETE");
    }
  }

  private Reply node(Call c, EngineNodes.Engine e, Engines.Node n) throws Exception {
    switch (c.method()) {
      case "GET", "HEAD" -> {
        ObjectNode rendered = ElementJson.render(e.record(), c.base());
        ObjectNode data = Engines.node(rendered, n.type(), n.key()).orElseThrow().data();
        ObjectNode status = nodes.status(e, n, c.base());
        if (status.path("monitoring_state").asText().equals("READY")) {
          data.putObject("appliance_info").put("product_name", "Herald simulated engine")
              .put("software_version", "7.2.1").put("hardware_version", "N/A")
              .put("proof_of_serial", "HERALD-" + n.key());
          data.put("engine_version", "version 7.2.1 #31180");
        }
        return Reply.json(200, data).header("ETag", etag(e));
      }
      case "PUT" -> {
        ObjectNode given = object(c.json());
        ObjectNode body = e.body().deepCopy();
        replace(body, "nodes", n.type(), n.key(), given);
        ElementRecord next = update(c, e, body, ifMatch(c));
        ObjectNode data = Engines.node(ElementJson.render(next, c.base()), n.type(), n.key()).orElseThrow().data();
        return Reply.json(200, data).header("ETag", ETags.of(next.key(), next.version()));
      }
      default -> throw notAllowed(c, "GET, PUT");
    }
  }

  private Reply iface(Call c, EngineNodes.Engine e, String itfType, long itfKey) throws Exception {
    Engines.Interface itf = Engines.interfaces(e.body()).stream()
        .filter(i -> i.key() == itfKey && i.type().equals(itfType)).findFirst()
        .orElseThrow(() -> HeraldException.notFound("Interface not found.",
            "Engine " + e.record().name() + " has no " + itfType + " " + itfKey + "."));
    switch (c.method()) {
      case "GET", "HEAD" -> {
        ObjectNode rendered = ElementJson.render(e.record(), c.base());
        return Reply.json(200, find(rendered, itfType, itfKey)).header("ETag", etag(e));
      }
      case "PUT" -> {
        ObjectNode body = e.body().deepCopy();
        replace(body, "physicalInterfaces", itfType, itf.key(), object(c.json()));
        ElementRecord next = update(c, e, body, ifMatch(c));
        return Reply.json(200, find(ElementJson.render(next, c.base()), itfType, itfKey))
            .header("ETag", ETags.of(next.key(), next.version()));
      }
      case "DELETE" -> {
        ObjectNode body = e.body().deepCopy();
        ArrayNode list = body.withArray("physicalInterfaces");
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i).path(itfType).path("key").asLong() == itfKey) {
            list.remove(i);
            break;
          }
        }
        update(c, e, body, c.ifMatch().orElse(etag(e)));
        return Reply.empty(204);
      }
      default -> throw notAllowed(c, "GET, PUT, DELETE");
    }
  }

  private static ObjectNode find(ObjectNode engine, String type, long key) {
    for (JsonNode w : engine.path("physicalInterfaces")) {
      if (w.path(type).path("key").asLong() == key) {
        return (ObjectNode) w.get(type);
      }
    }
    throw HeraldException.notFound("Interface not found.");
  }

  /** Puts {@code given} in place of the {@code type} entry with {@code key} (it keeps that key). */
  private static void replace(ObjectNode body, String list, String type, long key, ObjectNode given) {
    ArrayNode a = body.withArray(list);
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i).path(type).path("key").asLong() == key) {
        given.put("key", key);
        ObjectNode w = Json.object();
        w.set(type, given);
        a.set(i, w);
        return;
      }
    }
    throw HeraldException.notFound("Not found.");
  }

  private static String ifMatch(Call c) {
    return c.ifMatch().orElseThrow(() -> new HeraldException(428, "Impossible to update the element.",
        List.of("Send the ETag of the last GET in an If-Match (or Etag) header."), null));
  }

  /** A node's command or status link. */
  Reply subLink(Call c) throws Exception {
    EngineNodes.Engine e = engine(c, c.var("ptype"), number(c, "pkey"));
    String sub = c.var("type");
    String rel = c.var("rel");
    if (sub.equals(dev.herald.server.element.Snapshots.TYPE)) {
      requireMethod(c, "GET");
      return Reply.bytes(200, "application/zip", snapshots.download(e, number(c, "key"), rel, c.base()));
    }
    if (!sub.equals(e.kind().nodeType())) {
      throw HeraldException.notFound("No link " + rel + " on " + sub + ".");
    }
    Engines.Node n = nodes.node(e, sub, number(c, "key"));
    Catalogue.Link link = e.kind().nodeLink(rel).orElseThrow(() -> HeraldException.notFound(
        "No link " + rel + " on " + sub + ".", "GET the node: its link list names what it offers."));
    if (!link.implemented()) {
      throw new HeraldException(501, "Herald does not implement " + rel + " on " + sub + " yet.",
          List.of("docs/coverage.md lists what Herald implements."), null);
    }
    switch (rel) {
      case "status" -> {
        return Reply.json(200, nodes.status(e, n, c.base()));
      }
      case "appliance_status" -> {
        return Reply.json(200, nodes.applianceStatus(e, n));
      }
      case "sginfo" -> {
        requireMethod(c, "GET");
        byte[] tgz = nodes.sginfo(e, n, c.flag("include_core_files", false), c.flag("include_slapcat_output", false),
            c.base());
        return Reply.bytes(200, "application/gzip", tgz).header("Content-Disposition", "attachment; filename=\"sginfo.tar.gz\"");
      }
      case "diagnostic" -> {
        requireMethod(c, "GET");
        return Reply.json(200, nodes.diagnostics(e, n, c.flag("filter_enabled", false)));
      }
      case "send_diagnostic" -> {
        requireMethod(c, "POST");
        writable(c, e.record().type(), e.record().key(), "set the diagnostics of", Rights.Capability.OPERATE);
        nodes.setDiagnostics(e, n, object(c.json()));
        return Reply.json(200, Json.object());
      }
      case "initial_contact" -> {
        requireMethod(c, "POST");
        writable(c, e.record().type(), e.record().key(), "make initial contact with", Rights.Capability.OPERATE);
        String text = nodes.initialContact(e, n, c.flag("export_to_base64", false));
        return Reply.text(200, "text/plain; charset=utf-8", text);
      }
      default -> {
        requireMethod(c, link.method());
        writable(c, e.record().type(), e.record().key(), rel.replace('_', ' '), Rights.Capability.OPERATE);
        String licence = e.kind().nodeCommands().path(rel).path("licence").asText("");
        if (!licence.isEmpty()) {
          // Node.bind_license(license_item_id=None), unbind_license, cancel_unbind_license (catalogue data)
          licences.command(c.session().caller(), e, n, licence, c.param("license_item_id"));
        } else {
          nodes.command(e, n, rel, c.optionalJson());
        }
        return Reply.json(200, Json.object());
      }
    }
  }

  private static ObjectNode object(JsonNode json) {
    if (!(json instanceof ObjectNode o)) {
      throw HeraldException.badRequest("Invalid element.", "The request body must be a JSON object.");
    }
    return o;
  }

  private static HeraldException notAllowed(Call c, String allow) {
    return new HeraldException(405, "Method " + c.method() + " not allowed.", List.of("Allowed: " + allow + "."), null)
        .header("Allow", allow);
  }

  private static void requireMethod(Call call, String method) {
    if (!call.method().equals(method)) {
      throw notAllowed(call, method);
    }
  }
}
