package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Licences as SMC's {@code system} lists them (smc-python's {@code System.licenses}: {@code
 * {"license": [...]}}, each with its {@code license_id}, {@code type}, {@code proof_of_license},
 * {@code binding_state}, {@code bound_to}, …) and binds them: to an engine node (the node's
 * {@code bind} / {@code unbind} / {@code cancel_unbind} links, the system's {@code license_bind})
 * or to a server. Each licence is an element of type {@code licenses} in Shared Domain (its
 * changes evented); which component it is bound to is kept in it and read back as it is now (a
 * licence whose node was deleted is unassigned again).
 *
 * <p>Installing: Forcepoint's licence files are signed and cannot be read outside SMC; Herald
 * installs a licence file of its own — JSON, one licence object or a list, each with at least a
 * {@code license_id} and a {@code type} — and refuses anything else, saying so. A node bound with
 * no licence named takes an unassigned engine licence ({@code SECNODE}), else a dynamic licence
 * (smc-python's {@code Node.bind_license}: "uses dynamic if POS is not found"), which is not listed.
 * A node is unlicensed ({@code unlicensed_components}) until one of the two is bound to it.
 */
public final class Licences {
  /** The element type of a licence (smc-python's {@code License.typeof}). */
  public static final String TYPE = "licenses";
  /** The licence type engines take when none is named (smc-python's License docstring: SECNODE). */
  private static final String ENGINE_LICENCE = "SECNODE";
  /** A licence's resources: the component it is bound to, the node it was last unbound from. */
  private static final String BOUND = "bound_component";
  private static final String UNBOUND = "unbound_from";
  /** An engine's resource marking a node licensed by a dynamic licence. */
  private static final String DYNAMIC = "licence/dynamic/";

  private final ElementService elements;
  private final ElementStore store;
  private final InstantSource clock;

  public Licences(ElementService elements, InstantSource clock) {
    this.elements = elements;
    this.store = elements.store();
    this.clock = clock;
  }

  /** A licence as SMC lists it: its fields, where it is bound now, nothing of Herald's own bookkeeping. */
  public ArrayNode list(Caller caller, String base) {
    return render(licences(caller), base);
  }

  /** Licences as {@code system/licenses} shows them: their fields, binding state and holder. */
  public ArrayNode render(List<ElementRecord> licences, String base) {
    ArrayNode out = Json.mapper().createArrayNode();
    for (ElementRecord r : licences) {
      ObjectNode b = (ObjectNode) ElementService.parse(r.body());
      b.remove("name");
      Optional<ElementRecord> to = boundTo(r);
      b.put("binding_state", to.isPresent() ? "bound" : "unassigned");
      if (to.isPresent()) {
        b.put("bound_to", componentName(r, to.get()));
      } else {
        b.putNull("bound_to");
      }
      ElementJson.withBase(b, base);
      out.add(b);
    }
    return out;
  }

  private List<ElementRecord> licences(Caller caller) {
    return elements.search(caller, Set.of(TYPE), Optional.empty(), false, false, Integer.MAX_VALUE);
  }

  private String bound(ElementRecord licence) {
    return store.resource(licence.key(), BOUND).orElse("");
  }

  /** The engine or server a licence's bound component is, if it still exists. */
  private Optional<ElementRecord> boundTo(ElementRecord licence) {
    String path = bound(licence);
    if (path.isEmpty()) {
      return Optional.empty();
    }
    String[] p = path.substring(path.indexOf("/elements/") + "/elements/".length()).split("/");
    Optional<ElementRecord> holder = store.find(Long.parseLong(p[1]));
    if (holder.isEmpty() || !holder.get().type().equals(p[0])) {
      return Optional.empty();
    }
    if (p.length == 4) {
      return Engines.node((ObjectNode) ElementService.parse(holder.get().body()), p[2], Long.parseLong(p[3])).isPresent()
          ? holder : Optional.empty();
    }
    return holder;
  }

  private String componentName(ElementRecord licence, ElementRecord holder) {
    String path = bound(licence);
    String[] p = path.substring(path.indexOf("/elements/") + "/elements/".length()).split("/");
    if (p.length == 4) {
      return Engines.node((ObjectNode) ElementService.parse(holder.body()), p[2], Long.parseLong(p[3]))
          .map(Engines.Node::name).orElse(holder.name());
    }
    return holder.name();
  }

  /**
   * {@code license_install}: a Herald licence file (JSON: a licence or a list of them), all or
   * nothing; a licence id installed already, or a file that is not one: 400, nothing installed.
   */
  public List<ElementRecord> install(Caller caller, byte[] file) {
    requireManager(caller, "install a licence");
    JsonNode json;
    try {
      json = Json.mapper().readTree(file);
    } catch (java.io.IOException notJson) {
      json = null;
    }
    String what = "Impossible to install the licence file.";
    if (json == null || !(json.isObject() || json.isArray()) || json.isEmpty()) {
      throw HeraldException.badRequest(what, "Herald cannot read Forcepoint's signed licence files; it installs a licence"
          + " file of its own: JSON, a licence or a list of them, each with license_id and type (docs/rest-api.md).");
    }
    List<ObjectNode> items = new ArrayList<>();
    Set<String> ids = new java.util.HashSet<>();
    for (JsonNode l : json.isArray() ? json : List.of(json)) {
      if (!(l instanceof ObjectNode o) || !o.path("license_id").isTextual() || o.path("license_id").asText().isBlank()
          || !o.path("type").isTextual() || o.path("type").asText().isBlank()) {
        throw HeraldException.badRequest(what, "Each licence needs a license_id and a type (text).");
      }
      String id = o.get("license_id").asText().strip();
      if (!ids.add(id) || find(caller, id).isPresent()) {
        throw HeraldException.badRequest(what, "The licence " + id + " is installed already.");
      }
      ObjectNode body = o.deepCopy();
      body.remove(List.of("binding_state", "bound_to", "key", "link"));
      body.put("name", id).put("license_id", id);
      if (!body.has("granted_date")) {
        body.put("granted_date", java.time.LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC).toString());
      }
      items.add(body);
    }
    return elements.createAll(caller, TYPE, items); // one write: every licence of the file, or none
  }

  // ---- Forcepoint's licence server, stood in for ----

  /** The setting holding what the stand-in licence server offers (a reset clears it). */
  public static final String SERVER_SETTING = "licence_server.published";
  private static final int MAX_PUBLISHED = 200;

  /**
   * Offers licences on the stand-in for Forcepoint's licence server ({@code POST
   * /herald/admin/licenses}): a licence or a list, each with {@code license_id}, {@code type} and
   * the {@code proof_of_serial} {@code license_fetch} asks for; one offered already: 400, none
   * offered. Returns how many it offers now.
   */
  public int publish(Caller caller, JsonNode spec) {
    requireManager(caller, "publish a licence");
    String what = "Impossible to publish the licence.";
    if (spec == null || !(spec.isObject() || spec.isArray()) || spec.isEmpty()) {
      throw HeraldException.badRequest(what, "Send a licence or a list of them.");
    }
    List<ObjectNode> items = new ArrayList<>();
    for (JsonNode l : spec.isArray() ? spec : List.of(spec)) {
      if (!(l instanceof ObjectNode o) || !text(o, "license_id") || !text(o, "type") || !text(o, "proof_of_serial")) {
        throw HeraldException.badRequest(what, "Each licence needs a license_id, a type and a proof_of_serial (text).");
      }
      if (o.toString().length() > 4096) {
        throw HeraldException.badRequest(what, "A licence is at most 4,096 characters of JSON.");
      }
      items.add(o.deepCopy());
    }
    int[] size = {0};
    elements.updateSetting(SERVER_SETTING, published -> {
      Set<String> ids = new java.util.HashSet<>();
      published.forEach(x -> ids.add(x.path("license_id").asText()));
      for (ObjectNode o : items) {
        if (!ids.add(o.get("license_id").asText().strip())) {
          throw HeraldException.badRequest(what, "The licence " + o.get("license_id").asText() + " is offered already.");
        }
        published.add(o);
      }
      if (published.size() > MAX_PUBLISHED) {
        throw HeraldException.badRequest(what, "The licence server offers " + MAX_PUBLISHED + " licences at most.");
      }
      size[0] = published.size();
      return published;
    });
    return size[0];
  }

  private static boolean text(ObjectNode o, String field) {
    return o.path(field).isTextual() && !o.path(field).asText().isBlank();
  }

  /**
   * {@code license_fetch?proofofserial=}: the licences the licence server offers for that proof
   * of serial and that are not installed are installed (all or none). None offered for it, or all
   * installed already: 400.
   */
  public List<ElementRecord> fetch(Caller caller, String proofOfSerial) {
    requireManager(caller, "fetch a licence");
    String what = "Impossible to fetch the licence of " + proofOfSerial + ".";
    List<JsonNode> offered = new ArrayList<>();
    elements.setting(SERVER_SETTING).forEach(l -> {
      if (l.path("proof_of_serial").asText().equals(proofOfSerial.strip())) {
        offered.add(l);
      }
    });
    if (offered.isEmpty()) {
      throw HeraldException.badRequest(what, "The licence server has no licence for that proof of serial.");
    }
    List<ElementRecord> out = installNew(caller, offered);
    if (out.isEmpty()) {
      throw HeraldException.badRequest(what, "Its licences are installed already.");
    }
    return out;
  }

  /** {@code license_check_for_new}: every licence the licence server offers that is not installed, installed. */
  public List<ElementRecord> fetchNew(Caller caller) {
    requireManager(caller, "check for new licences");
    List<JsonNode> offered = new ArrayList<>();
    elements.setting(SERVER_SETTING).forEach(offered::add);
    return installNew(caller, offered);
  }

  /** Installs those of {@code offered} that are not installed (all or none); none new: nothing. */
  private List<ElementRecord> installNew(Caller caller, List<JsonNode> offered) {
    ArrayNode fresh = Json.mapper().createArrayNode();
    offered.stream().filter(l -> find(caller, l.path("license_id").asText().strip()).isEmpty()).forEach(fresh::add);
    return fresh.isEmpty() ? List.of() : install(caller, Json.write(fresh).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private Optional<ElementRecord> find(Caller caller, String licenceId) {
    return licences(caller).stream()
        .filter(r -> ElementService.parse(r.body()).path("license_id").asText().equals(licenceId)).findFirst();
  }

  /** 403 unless the caller manages licences (a superuser). */
  public static void requireManager(Caller caller, String what) {
    if (!caller.rights().superuser()) {
      throw HeraldException.forbidden("Impossible to " + what + ".", "Only a superuser manages licences.");
    }
  }

  /** {@code delete_license?license_id=}: an unassigned licence goes; a bound one: 400 (unbind it first). */
  public void delete(Caller caller, String licenceId) {
    requireManager(caller, "delete a licence");
    ElementRecord r = find(caller, licenceId).orElseThrow(() -> HeraldException.badRequest(
        "Impossible to delete the licence " + licenceId + ".", "No licence " + licenceId + " is installed."));
    boundTo(r).ifPresent(to -> {
      throw HeraldException.badRequest("Impossible to delete the licence " + licenceId + ".",
          "It is bound to " + componentName(r, to) + ": unbind it first.");
    });
    elements.delete(caller, TYPE, r.key(), Optional.empty());
  }

  /** Whether a node of an engine is licensed (a licence bound to it, or a dynamic one). */
  public boolean licensed(EngineNodes.Engine e, Engines.Node node) {
    return licensed(e, node, boundPaths());
  }

  private boolean licensed(EngineNodes.Engine e, Engines.Node node, Set<String> boundPaths) {
    return boundPaths.contains(nodePath(e, node)) || store.resource(e.record().key(), DYNAMIC + node.key()).isPresent();
  }

  /** The components licences are bound to now (read once for a whole listing). */
  private Set<String> boundPaths() {
    Set<String> out = new java.util.HashSet<>();
    for (ElementRecord r : store.listByType(TYPE)) {
      String b = bound(r);
      if (!b.isEmpty()) {
        out.add(b);
      }
    }
    return out;
  }

  private static String nodePath(EngineNodes.Engine e, Engines.Node node) {
    return BuiltIns.PREFIX + "/elements/" + e.record().type() + "/" + e.record().key() + "/" + node.type() + "/" + node.key();
  }

  /**
   * Binds a licence to a node: the one named ({@code license_item_id}: its id), else an
   * unassigned engine licence, else a dynamic one. A node licensed already, or a named licence
   * that is bound elsewhere or unknown: 400.
   */
  public String bind(Caller caller, EngineNodes.Engine e, Engines.Node node, Optional<String> licenceId) {
    String path = nodePath(e, node);
    if (licensed(e, node)) {
      throw HeraldException.badRequest("Impossible to bind a licence to " + node.name() + ".", "It is licensed already.");
    }
    Optional<ElementRecord> licence;
    if (licenceId.isPresent() && !licenceId.get().isBlank()) {
      ElementRecord r = find(caller, licenceId.get().strip()).orElseThrow(() -> HeraldException.badRequest(
          "Impossible to bind the licence " + licenceId.get() + ".", "No licence " + licenceId.get() + " is installed."));
      if (boundTo(r).isPresent()) {
        throw HeraldException.badRequest("Impossible to bind the licence " + licenceId.get() + ".", "It is bound already.");
      }
      licence = Optional.of(r);
    } else {
      licence = licences(caller).stream().filter(r -> ENGINE_LICENCE.equals(ElementService.parse(r.body()).path("type").asText())
          && boundTo(r).isEmpty()).findFirst();
    }
    if (licence.isEmpty()) {
      store.write(tx -> {
        tx.lock(e.record().key());
        refuseLicensedMeanwhile(e, node);
        tx.putResource(e.record().key(), DYNAMIC + node.key(), "{}");
        return null;
      });
      return "dynamic";
    }
    change(caller, licence.get(), path, null, () -> refuseLicensedMeanwhile(e, node), e.record().key());
    return ElementService.parse(licence.get().body()).path("license_id").asText();
  }

  /** {@code license_bind} of the system: a node (by its href) or a server (a management or log server). */
  public void bindComponent(Caller caller, String componentHref, Optional<String> licenceId, EngineNodes nodes) {
    requireManager(caller, "bind a licence");
    Optional<dev.herald.server.element.Packages.NodeRef> node = nodes.nodeByHref(caller, componentHref, "bind a licence to");
    if (node.isPresent()) {
      bind(caller, node.get().engine(), node.get().node(), licenceId);
      return;
    }
    ElementRecord server = elements.resolveHref(caller, componentHref)
        .filter(r -> Catalogue.monitoring().servers().contains(r.type()))
        .orElseThrow(() -> HeraldException.badRequest("Impossible to bind a licence.",
            componentHref + " is neither an engine node nor a server."));
    String id = licenceId.filter(x -> !x.isBlank()).orElseThrow(() -> HeraldException.badRequest(
        "Impossible to bind a licence to " + server.name() + ".", "Name the licence (license_item_id)."));
    ElementRecord r = find(caller, id.strip()).orElseThrow(() -> HeraldException.badRequest(
        "Impossible to bind the licence " + id + ".", "No licence " + id + " is installed."));
    if (boundTo(r).isPresent()) {
      throw HeraldException.badRequest("Impossible to bind the licence " + id + ".", "It is bound already.");
    }
    change(caller, r, BuiltIns.PREFIX + "/elements/" + server.type() + "/" + server.key(), null, () -> {}, -1);
  }

  /**
   * {@code massive_license_bind} (smc-python: "bind licenses on all unlicensed nodes"): every node
   * the caller sees without a licence gets one as its {@code bind} link would give it (an
   * unassigned engine licence, else a dynamic one). A node licensed meanwhile is left as it is.
   * Returns how many were bound.
   */
  public int bindAll(Caller caller, EngineNodes nodes) {
    requireManager(caller, "bind licences");
    int bound = 0;
    for (ElementRecord r : elements.search(caller, Engines.types().keySet(), Optional.empty(), false, false, Integer.MAX_VALUE)) {
      EngineNodes.Engine e = nodes.engine(caller, r.type(), r.key());
      for (Engines.Node n : Engines.nodes(e.body())) {
        if (licensed(e, n)) {
          continue;
        }
        // the licence it picked was bound meanwhile: the next free one (or a dynamic one); a node
        // licensed meanwhile is left as it is
        for (int attempt = 0; attempt < 3 && !licensed(e, n); attempt++) {
          try {
            bind(caller, e, n, Optional.empty());
            bound++;
          } catch (HeraldException meanwhile) {
            if (meanwhile.status() != 400) {
              throw meanwhile;
            }
          }
        }
      }
    }
    return bound;
  }

  /** A node's licence command by its catalogue name: {@code bind}, {@code unbind} or {@code cancel_unbind}. */
  public void command(Caller caller, EngineNodes.Engine e, Engines.Node node, String action, Optional<String> licenceId) {
    switch (action) {
      case "bind" -> bind(caller, e, node, licenceId);
      case "unbind" -> unbind(caller, e, node);
      case "cancel_unbind" -> cancelUnbind(caller, e, node);
      default -> throw new IllegalStateException("catalogue names an unknown licence command " + action);
    }
  }

  /** Unbinds a node's licence (a dynamic one goes); not licensed: 400. */
  public void unbind(Caller caller, EngineNodes.Engine e, Engines.Node node) {
    String path = nodePath(e, node);
    if (store.resource(e.record().key(), DYNAMIC + node.key()).isPresent()) {
      store.write(tx -> {
        tx.deleteResource(e.record().key(), DYNAMIC + node.key());
        return null;
      });
      return;
    }
    ElementRecord r = licences(caller).stream().filter(x -> bound(x).equals(path))
        .findFirst().orElseThrow(() -> HeraldException.badRequest("Impossible to unbind the licence of " + node.name() + ".",
            "No licence is bound to it."));
    change(caller, r, null, path, () -> {}, e.record().key());
  }

  /** Binds again the licence last unbound from this node, if it is still unassigned; else 400. */
  public void cancelUnbind(Caller caller, EngineNodes.Engine e, Engines.Node node) {
    String path = nodePath(e, node);
    ElementRecord r = licences(caller).stream()
        .filter(x -> store.resource(x.key(), UNBOUND).orElse("").equals(path) && boundTo(x).isEmpty()).findFirst().orElseThrow(() -> HeraldException.badRequest("Impossible to cancel the unbind of " + node.name() + ".",
        "No licence unbound from it is free to bind again."));
    if (licensed(e, node)) {
      throw HeraldException.badRequest("Impossible to cancel the unbind of " + node.name() + ".", "It is licensed again.");
    }
    change(caller, r, path, null, () -> refuseLicensedMeanwhile(e, node), e.record().key());
  }

  /** Inside a bind's write (the engine locked): 400 when the node got a licence meanwhile. */
  private void refuseLicensedMeanwhile(EngineNodes.Engine e, Engines.Node node) {
    if (licensed(e, node)) {
      throw HeraldException.badRequest("Impossible to bind a licence to " + node.name() + ".", "It was licensed meanwhile.");
    }
  }

  /** The engine nodes the caller sees that no licence is bound to, as {@code [{name, href, type}]}. */
  public ArrayNode unlicensed(Caller caller, EngineNodes nodes, String base) {
    ArrayNode out = Json.mapper().createArrayNode();
    Set<String> bound = boundPaths();
    for (ElementRecord r : elements.search(caller, Engines.types().keySet(), Optional.empty(), false, false, Integer.MAX_VALUE)) {
      EngineNodes.Engine e = nodes.engine(caller, r.type(), r.key());
      for (Engines.Node n : Engines.nodes(e.body())) {
        if (!licensed(e, n, bound)) {
          out.addObject().put("name", n.name()).put("href", base + nodePath(e, n).substring(BuiltIns.PREFIX.length()))
              .put("type", n.type());
        }
      }
    }
    return out;
  }

  /**
   * Binds a licence to {@code boundTo} (or unbinds it: null, remembering {@code unboundFrom}):
   * its resources, and an update of the licence, evented.
   */
  private void change(Caller caller, ElementRecord r, String boundTo, String unboundFrom, Runnable recheck,
      long engineKey) {
    store.write(tx -> {
      // the engine first, then the licence: two binds to one node, or of one licence, take turns
      if (engineKey >= 0) {
        tx.lock(engineKey);
      }
      ElementRecord now = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      if (boundTo != null) {
        if (boundTo(now).isPresent()) {
          throw HeraldException.badRequest("Impossible to bind the licence " + now.name() + ".", "It was bound meanwhile.");
        }
        recheck.run();
        tx.putResource(r.key(), BOUND, boundTo);
        tx.deleteResource(r.key(), UNBOUND);
      } else {
        tx.deleteResource(r.key(), BOUND);
        tx.putResource(r.key(), UNBOUND, unboundFrom);
      }
      return ElementService.edit(tx, caller, now, b -> { }, clock.millis());
    });
  }
}
