package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An engine's antispoofing tree: the one SMC generates from its interfaces ({@link Engines#tree}),
 * with the entries added to an interface's node (smc-python's {@code Antispoofing.add} and
 * {@code remove}: a PUT of the interface's node with its {@code antispoofing_node} list). A
 * user entry ({@code auto_generated} "false") names a visible element of the types the catalogue
 * gives engines ({@code antispoofing.entry_types}) with a validity it allows; generated entries
 * cannot be changed by a PUT (they are the interfaces'). Kept as a resource of the engine, whose
 * references the entries are; a change is an update of the engine.
 */
public final class Antispoofing {
  private static final String RESOURCE = "antispoofing_added";
  private static final String CHILD = Engines.ANTISPOOFING.child();

  private final ElementService elements;
  private final ElementStore store;

  public Antispoofing(ElementService elements) {
    this.elements = elements;
    this.store = elements.store();
    elements.addReferenceSource((type, key, body, resources) -> Engines.kind(type).isPresent()
        ? referenced(body, resources.read(RESOURCE)) : Set.of());
  }

  /** The added entries' elements, on interfaces the engine still has (an interface's go with it). */
  private static Set<Long> referenced(ObjectNode engine, Optional<String> stored) {
    Set<String> interfaces = new java.util.HashSet<>();
    Engines.interfaces(engine).forEach(i -> interfaces.add(Long.toString(i.key())));
    Set<Long> out = new LinkedHashSet<>();
    stored.map(ElementService::parse).ifPresent(all -> all.properties().forEach(itf -> {
      if (interfaces.contains(itf.getKey())) {
        itf.getValue().forEach(x -> out.add(x.path("key").asLong()));
      }
    }));
    return out;
  }

  private static String id(JsonNode node) {
    return Engines.treeNodeId(node);
  }

  /** The tree SMC generates, with each interface's added entries after its networks. */
  public ObjectNode tree(EngineNodes.Engine e, String base) {
    return tree(e.record(), e.body(), store.resource(e.record().key(), RESOURCE), base);
  }

  /** The tree of an engine as stored ({@code added}: its resource, as some transaction reads it). */
  private ObjectNode tree(ElementRecord engine, ObjectNode body, Optional<String> addedResource, String base) {
    String engineHref = ElementJson.href(base, engine.type(), engine.key());
    ObjectNode root = Engines.tree(body, engine.type(), engineHref, Engines.ANTISPOOFING);
    JsonNode added = addedResource.map(ElementService::parse).orElseGet(Json::object);
    for (JsonNode itf : root.path(CHILD)) {
      ArrayNode children = (ArrayNode) itf.get(CHILD);
      int n = children.size();
      for (JsonNode entry : added.path(id(itf))) {
        Optional<ElementRecord> r = store.find(entry.path("key").asLong());
        if (r.isEmpty()) {
          continue;
        }
        ObjectNode a = children.addObject().put("name", r.get().name()).put("level", "network")
            .put("href", ElementJson.href(base, r.get().type(), r.get().key())).put("related_element_type", r.get().type())
            .put("validity", entry.path("validity").asText("enable")).put("auto_generated", "false");
        a.putArray("link").addObject().put("rel", "self")
            .put("href", engineHref + "/" + Engines.ANTISPOOFING.rel() + "/" + id(itf) + "-" + (++n)).put("type", CHILD);
        a.putArray(CHILD);
      }
    }
    return root;
  }

  /** One node, by the last segment of its self href; 404 when there is none. */
  public ObjectNode node(EngineNodes.Engine e, String id, String base) {
    return Engines.findTreeNode(tree(e, base), Engines.ANTISPOOFING, id).orElseThrow(() ->
        HeraldException.notFound("Antispoofing node not found.", e.record().name() + " has no antispoofing node " + id + "."));
  }

  /**
   * A PUT of an interface's node: its user entries (those not {@code auto_generated} "true")
   * replace the ones added before — each a visible element of an allowed type, with an allowed
   * validity (default enable), once each. 400 and nothing changed otherwise, and for a node that
   * is not an interface's; {@code ifMatch}, when given, must be the node's ETag as the write sees
   * it (412 otherwise).
   */
  public ObjectNode put(Caller caller, EngineNodes.Engine e, String id, JsonNode given, String base, Optional<String> ifMatch) {
    ObjectNode node = node(e, id, base);
    String refused = "Impossible to update the antispoofing of " + e.record().name() + ".";
    if (!node.path("level").asText().equals("interface")) {
      throw HeraldException.badRequest(refused, "Only an interface's antispoofing node takes entries; this one is "
          + node.path("level").asText() + " level.");
    }
    if (!(given instanceof ObjectNode body) || !body.path(CHILD).isArray()) {
      throw HeraldException.badRequest(refused, "Send the node with its " + CHILD + " list.");
    }
    Catalogue.Engine kind = e.kind();
    Map<Long, String> entries = new LinkedHashMap<>();
    for (JsonNode entry : body.get(CHILD)) {
      if (entry.path("auto_generated").asText("false").equals("true")) {
        continue; // the interfaces' own: they stay as they are
      }
      String href = entry.path("href").asText("");
      Optional<ElementRecord> r = href.isEmpty() ? Optional.empty() : elements.resolveHref(caller, href);
      if (r.isEmpty()) {
        throw HeraldException.badRequest(refused, "Entry " + (href.isEmpty() ? entry.toString() : href) + " names no element.");
      }
      if (!kind.antispoofingEntryTypes().contains(r.get().type())) {
        throw HeraldException.badRequest(refused, r.get().name() + " is a " + r.get().type() + "; an antispoofing entry is a "
            + String.join(", ", new java.util.TreeSet<>(kind.antispoofingEntryTypes())) + ".");
      }
      String validity = entry.path("validity").asText("enable");
      if (!kind.antispoofingValidity().contains(validity)) {
        throw HeraldException.badRequest(refused, "validity is one of " + String.join(", ", kind.antispoofingValidity()) + ".");
      }
      entries.putIfAbsent(r.get().key(), validity);
    }
    String itf = id;
    ElementRecord engine = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(engine.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      Optional<String> stored = tx.resource(cur.key(), RESOURCE);
      if (ifMatch.isPresent()) { // the node the client read, as this write sees it (under the engine's lock)
        Optional<ObjectNode> now = Engines.findTreeNode(tree(cur, (ObjectNode) ElementService.parse(cur.body()), stored, base),
            Engines.ANTISPOOFING, itf);
        if (now.isEmpty() || !ETags.matches(ifMatch.get(), ETags.digest(now.get()))) {
          throw new HeraldException(412, refused, List.of("It changed since you read it: GET it again."), null);
        }
      }
      ObjectNode all = stored.map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object);
      ArrayNode list = all.putArray(itf);
      entries.forEach((key, validity) -> list.addObject().put("key", key).put("validity", validity));
      if (list.isEmpty()) {
        all.remove(itf);
      }
      tx.putResource(cur.key(), RESOURCE, Json.write(all));
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(cur.domainKey(), cur.type(), cur.key(), cur.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
    return node(e, id, base);
  }
}
