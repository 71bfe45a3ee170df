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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An engine's contact addresses, as smc-python's {@code engine.contact_addresses} edits them: every
 * address of the engine's interfaces is a node ({@code <engine>/contact_addresses/ID}, named
 * "INTERFACE-ID_ADDRESS" — smc-python splits the name there) holding a list of
 * {@code {address, dynamic, location_ref}}; a PUT of the node replaces the list (each location a
 * visible {@code location}, referenced by the engine; {@code dynamic} "true"/"false"). Kept as a
 * resource of the engine; a change is an update of the engine.
 */
public final class ContactAddresses {
  private static final String RESOURCE = "contact_addresses";
  public static final String REL = "contact_addresses";

  /** What a contact address's location_ref may name: the catalogue's model of one (a location). */
  private static final Catalogue.Attribute LOCATION_REF = Catalogue.model("Single_Contact_Address_Element")
      .map(m -> m.get("location_ref")).orElseThrow(() -> new IllegalStateException("no contact address model"));

  private final ElementService elements;
  private final ElementStore store;

  public ContactAddresses(ElementService elements) {
    this.elements = elements;
    this.store = elements.store();
    elements.addReferenceSource((type, key, body, resources) -> Engines.kind(type).isPresent()
        ? referenced(resources.read(RESOURCE).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object))
        : Set.of());
  }

  private record Node(String id, String interfaceId, String address) {}

  /** Every address of the engine's interfaces (VLANs' too): smc-python's eligible interfaces. */
  private static List<Node> nodes(EngineNodes.Engine e) {
    List<Node> out = new ArrayList<>();
    for (Engines.Interface itf : Engines.interfaces(e.body())) {
      int n = 0;
      List<ObjectNode> parts = new ArrayList<>();
      parts.add(itf.data());
      itf.data().path("vlanInterfaces").forEach(v -> {
        ObjectNode vlan = Engines.unwrap(v) != null && !v.has("interface_id") ? Engines.unwrap(v) : v instanceof ObjectNode o ? o : null;
        if (vlan != null) {
          parts.add(vlan);
        }
      });
      for (ObjectNode part : parts) {
        for (JsonNode wrapped : part.path("interfaces")) {
          ObjectNode a = Engines.unwrap(wrapped);
          if (a != null && a.hasNonNull("address")) {
            out.add(new Node(itf.key() + "-" + (++n), part.path("interface_id").asText(), a.get("address").asText()));
          }
        }
      }
    }
    return out;
  }

  private ObjectNode stored(long engineKey) {
    return store.resource(engineKey, RESOURCE).map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(Json::object);
  }

  private static Set<Long> referenced(ObjectNode all) {
    Set<Long> out = new LinkedHashSet<>();
    all.properties().forEach(e -> e.getValue().forEach(ca -> {
      String ref = ca.path("location_ref").asText("");
      if (!ref.isEmpty()) {
        out.add(Long.parseLong(ref.substring(ref.lastIndexOf('/') + 1)));
      }
    }));
    return out;
  }

  private static String href(EngineNodes.Engine e, String base, Node n) {
    return ElementJson.href(base, e.record().type(), e.record().key()) + "/" + REL + "/" + n.id();
  }

  /** The engine's contact-address nodes, as meta. */
  public ObjectNode list(EngineNodes.Engine e, String base) {
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (Node n : nodes(e)) {
      result.addObject().put("name", n.interfaceId() + "_" + n.address()).put("href", href(e, base, n)).put("type", REL);
    }
    return out;
  }

  private Node node(EngineNodes.Engine e, String id) {
    return nodes(e).stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow(() ->
        HeraldException.notFound("Contact address not found.", e.record().name() + " has no address " + id + "."));
  }

  /** One node: its interface's address and its contact addresses. */
  public ObjectNode get(EngineNodes.Engine e, String id, String base) {
    Node n = node(e, id);
    ObjectNode o = Json.object().put("name", n.interfaceId() + "_" + n.address()).put("interface_id", n.interfaceId())
        .put("interface_ip", n.address());
    o.set("contact_addresses", shown(stored(e.record().key()).path(id), base));
    o.putArray("link").addObject().put("rel", "self").put("href", href(e, base, n)).put("type", REL);
    return o;
  }

  /**
   * A PUT of a node: its {@code contact_addresses} replace the old — each an {@code address}, a
   * {@code dynamic} "true"/"false", a {@code location_ref} naming a visible location (one entry
   * per location); 400 otherwise, nothing changed.
   */
  public ObjectNode put(Caller caller, EngineNodes.Engine e, String id, JsonNode body, String base) {
    node(e, id);
    ArrayNode clean = clean(elements, caller, body);
    ElementRecord r = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ObjectNode all = tx.resource(r.key(), RESOURCE).map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(Json::object);
      all.set(id, clean);
      tx.putResource(r.key(), RESOURCE, Json.write(all));
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
    return get(e, id, base);
  }

  /**
   * A {@code contact_addresses} list as sent, checked and kept: each an {@code address}, a
   * {@code dynamic} "true"/"false", a {@code location_ref} naming a visible location (one entry
   * per location), stored with the location's path; 400 otherwise.
   */
  static ArrayNode clean(ElementService elements, Caller caller, JsonNode body) {
    String refused = "Impossible to update the contact addresses.";
    JsonNode given = body.path("contact_addresses");
    if (!given.isArray()) {
      throw HeraldException.badRequest(refused, "Send the node with its contact_addresses list.");
    }
    ArrayNode clean = Json.mapper().createArrayNode();
    Set<String> locations = new LinkedHashSet<>();
    for (JsonNode ca : given) {
      String address = ca.path("address").asText("");
      String dynamic = ca.path("dynamic").asText("false");
      Optional<ElementRecord> loc = ca.path("location_ref").isTextual()
          ? elements.resolveHref(caller, ca.get("location_ref").asText()) : Optional.empty();
      if (address.isBlank()) {
        throw HeraldException.badRequest(refused, "Each contact address needs its address.");
      }
      if (!dynamic.equals("true") && !dynamic.equals("false")) {
        throw HeraldException.badRequest(refused, "dynamic is \"true\" or \"false\".");
      }
      if (dynamic.equals("false") && Addresses.any(address).isEmpty()) {
        throw HeraldException.badRequest(refused, address + " is not an IP address (a name is a dynamic contact address).");
      }
      if (loc.isEmpty() || !LOCATION_REF.refAccepts(loc.get().type())) {
        throw HeraldException.badRequest(refused, "location_ref " + ca.path("location_ref") + " is not a location.");
      }
      if (!locations.add(loc.get().name())) {
        throw HeraldException.badRequest(refused, "Location " + loc.get().name() + " is given twice.");
      }
      clean.addObject().put("address", address).put("dynamic", dynamic)
          .put("location_ref", "/elements/location/" + loc.get().key());
    }
    return clean;
  }

  /** A kept list as a client reads it (the locations' hrefs with its base). */
  static ArrayNode shown(JsonNode kept, String base) {
    ArrayNode cas = Json.mapper().createArrayNode();
    for (JsonNode ca : kept) {
      ObjectNode c = ((ObjectNode) ca).deepCopy();
      c.put("location_ref", base + ca.path("location_ref").asText());
      cas.add(c);
    }
    return cas;
  }

  /** The locations a kept list names. */
  static Set<Long> locations(JsonNode kept) {
    Set<Long> out = new LinkedHashSet<>();
    kept.forEach(ca -> {
      String ref = ca.path("location_ref").asText("");
      if (!ref.isEmpty()) {
        out.add(Long.parseLong(ref.substring(ref.lastIndexOf('/') + 1)));
      }
    });
    return out;
  }
}
