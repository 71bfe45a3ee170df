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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Elements SMC keeps under another one — an external gateway's endpoints and VPN sites, the VPN
 * sites of an engine's internal gateway — as smc-python's create collections drive them: a list
 * (GET), a create (POST, 201 with {@code Location}), one (GET, PUT with If-Match, DELETE). What
 * each type is, how a list names it, what must be unique and which attribute names the holder is
 * catalogue data ({@code sub_elements} in the overlay); a body is validated as the catalogue says
 * (references visible and of the right types, enums, formats), so nothing here names a type.
 *
 * <p>They are kept as one resource of the holding element (an engine for its internal gateway's
 * sites); a change is an update of that element on the notification socket, and what they refer
 * to (a site's networks, an endpoint's connection type) that element refers to, so a network in a
 * site cannot be deleted.
 */
public final class SubElements {
  private static final String RESOURCE = "sub_elements";
  /** What one element's sub-elements may weigh, all together, as stored (a client cannot grow it further). */
  static final int MAX_BYTES = 1 << 20;

  private final ElementService elements;
  private final ElementStore store;

  public SubElements(ElementService elements) {
    this.elements = elements;
    this.store = elements.store();
    elements.addReferenceSource((type, key, body, resources) -> referenced(resources.read(RESOURCE)));
    elements.addPartResolver(this::part);
  }

  /** {@code …/elements/TYPE/KEY/[internal_gateway/G/]REL/ID}: a sub-element, when it exists. */
  private static final java.util.regex.Pattern HREF = java.util.regex.Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})/((?:internal_gateway/\\d{1,18}/)?([a-z0-9_]+))/(\\d{1,18})/?");

  private Optional<ElementService.Part> part(String href) {
    java.util.regex.Matcher m = HREF.matcher(href);
    if (!m.matches() || !Catalogue.isRelName(m.group(1)) || !Catalogue.isRelName(m.group(4))
        || Catalogue.type(m.group(4)).subElement().isEmpty()) {
      return Optional.empty();
    }
    return store.find(Long.parseLong(m.group(2)))
        .filter(r -> r.type().equals(Catalogue.canonical(m.group(1))))
        .filter(r -> items(new Holder(r, m.group(3), m.group(4))).containsKey(Long.parseLong(m.group(5))))
        .map(r -> new ElementService.Part(r.key(), m.group(4)));
  }

  /**
   * Where some sub-elements live: the element that holds them, the path from its href to their
   * collection ({@code vpn_site}, {@code internal_gateway/12/vpn_site}) and their type.
   */
  public record Holder(ElementRecord owner, String path, String type) {
    public String href(String base) {
      return ElementJson.href(base, owner.type(), owner.key()) + "/" + path;
    }
  }

  /** The type a link of kind {@code sub_elements} holds: its rel. */
  public static boolean holds(String ownerType, String rel) {
    return Catalogue.isRelName(ownerType) && Catalogue.type(ownerType).link(rel)
        .map(l -> l.kind().equals("sub_elements")).orElse(false);
  }

  private static Catalogue.SubElement spec(String type) {
    return Catalogue.type(type).subElement().orElseThrow(() -> new IllegalStateException(type + " is no sub-element type"));
  }

  private static ObjectNode all(Optional<String> stored) {
    return stored.map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(Json::object);
  }

  /** The holder's collection: {@code {"next": N, "items": {id: {"body": …, "refs": […]}}}}. */
  private static ObjectNode collection(ObjectNode all, String path) {
    JsonNode c = all.get(path);
    if (c instanceof ObjectNode o) {
      return o;
    }
    ObjectNode fresh = all.putObject(path);
    fresh.put("next", 1);
    fresh.putObject("items");
    return fresh;
  }

  private static Set<Long> referenced(Optional<String> stored) {
    Set<Long> out = new LinkedHashSet<>();
    all(stored).forEach(c -> c.path("items").forEach(item -> item.path("refs").forEach(k -> out.add(k.asLong()))));
    return out;
  }

  /** The holder's sub-elements as kept (key → attributes), in key order; not to be changed. */
  public Map<Long, ObjectNode> items(Holder h) {
    Map<Long, ObjectNode> out = new TreeMap<>();
    JsonNode c = all(store.resource(h.owner().key(), RESOURCE)).path(h.path()).path("items");
    c.properties().forEach(e -> out.put(Long.parseLong(e.getKey()), (ObjectNode) e.getValue().path("body")));
    return out;
  }

  /** How a list names one: the type's pattern with its fields, or the bare name when one is missing. */
  static String listedName(String type, JsonNode body) {
    String pattern = spec(type).listedName();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([a-z0-9_]+)}").matcher(pattern);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      JsonNode v = body.get(m.group(1));
      if (v == null || v.isNull() || !v.isValueNode() || v.asText().isEmpty()) {
        return body.path("name").asText();
      }
      m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(v.asText()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Drops, inside a write of the holder, every collection whose path starts with {@code prefix}
   * (an internal gateway's sites, when the gateway goes); the caller sets the references again.
   */
  public void dropAll(ElementStore.WriteTx tx, ElementRecord owner, String prefix) throws java.sql.SQLException {
    Optional<String> stored = tx.resource(owner.key(), RESOURCE);
    if (stored.isEmpty()) {
      return;
    }
    ObjectNode all = all(stored);
    all.properties().removeIf(e -> e.getKey().startsWith(prefix));
    tx.putResource(owner.key(), RESOURCE, Json.write(all));
  }

  /** The holder's sub-elements: key → how a list names it, in key order. */
  public Map<Long, String> names(Holder h) {
    Map<Long, String> out = new java.util.LinkedHashMap<>();
    items(h).forEach((id, body) -> out.put(id, listedName(h.type(), body)));
    return out;
  }

  /** The holder's sub-elements as SMC's meta list. */
  public ObjectNode list(Holder h, String base) {
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    items(h).forEach((id, body) -> result.addObject().put("name", listedName(h.type(), body))
        .put("href", h.href(base) + "/" + id).put("type", h.type()));
    return out;
  }

  /** One sub-element as SMC shows it: its attributes, its key, its holder, a self link. */
  public ObjectNode get(Holder h, long id, String base) {
    ObjectNode body = items(h).get(id);
    if (body == null) {
      throw HeraldException.notFound(h.type() + " not found.",
          h.owner().name() + " has no " + h.type() + " " + id + " under " + h.path() + ".");
    }
    return render(h, id, body.deepCopy(), base);
  }

  private static ObjectNode render(Holder h, long id, ObjectNode o, String base) {
    String self = h.href(base) + "/" + id;
    o.put("key", id);
    spec(h.type()).holderAttribute().ifPresent(a -> o.put(a, h.href(base).substring(0, h.href(base).lastIndexOf('/'))));
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", h.type());
    for (String rel : spec(h.type()).links()) {
      link.addObject().put("rel", rel).put("href", self + "/" + rel);
    }
    return o;
  }

  /** The link a sub-element answers beside itself: its contact addresses. */
  public static final String CONTACT_ADDRESSES = "contact_addresses";

  private ObjectNode item(Holder h, long id) {
    JsonNode item = all(store.resource(h.owner().key(), RESOURCE)).path(h.path()).path("items").path(Long.toString(id));
    if (!item.isObject()) {
      throw HeraldException.notFound(h.type() + " not found.", h.owner().name() + " has no " + h.type() + " " + id + ".");
    }
    return (ObjectNode) item;
  }

  private static void requireLink(Holder h, String rel) {
    if (!spec(h.type()).links().contains(rel)) {
      throw HeraldException.notFound("No link " + rel + " on " + h.type() + ".");
    }
  }

  /** A sub-element's contact addresses ({@code {contact_addresses: [{address, dynamic, location_ref}]}}). */
  public ObjectNode contactAddresses(Holder h, long id, String base) {
    requireLink(h, CONTACT_ADDRESSES);
    ObjectNode out = Json.object();
    out.set(CONTACT_ADDRESSES, ContactAddresses.shown(item(h, id).path(CONTACT_ADDRESSES), base));
    return out;
  }

  /**
   * Replaces a sub-element's contact addresses (smc-python's {@code ElementContactAddress.create}
   * and {@code delete} PUT the whole list): checked as an engine's are, the locations referenced
   * by the holder; {@code ifMatch} as for {@link #put}.
   */
  public ObjectNode putContactAddresses(Caller caller, Holder h, long id, JsonNode body, String base, Optional<String> ifMatch) {
    requireLink(h, CONTACT_ADDRESSES);
    ArrayNode clean = ContactAddresses.clean(elements, caller, body);
    String refused = "Impossible to update the contact addresses of the " + h.type();
    write(caller, h, refused, (items, c, tx) -> {
      present(h, items, id);
      ObjectNode item = (ObjectNode) items.get(Long.toString(id));
      if (ifMatch.isPresent()) {
        ObjectNode now = Json.object();
        now.set(CONTACT_ADDRESSES, ContactAddresses.shown(item.path(CONTACT_ADDRESSES), base));
        if (!ETags.matches(ifMatch.get(), ETags.digest(now))) {
          throw new HeraldException(412, refused + ".", List.of("It changed since you read it: GET it again."), null);
        }
      }
      keep(items, id, (ObjectNode) item.get("body"), bodyRefs(item), clean);
      return id;
    });
    return contactAddresses(h, id, base);
  }

  /** The references of a kept item's attributes (its contact addresses' locations aside). */
  private static Set<Long> bodyRefs(ObjectNode item) {
    Set<Long> refs = new LinkedHashSet<>();
    item.path("body_refs").forEach(k -> refs.add(k.asLong()));
    return refs;
  }

  /** What the caller sent, as it is kept: defaults under it, computed fields out, validated. */
  private Validation.Result clean(Caller caller, Holder h, JsonNode given, String refused, ObjectNode into) {
    if (!(given instanceof ObjectNode body)) {
      throw HeraldException.badRequest(refused + ".", "The body must be a JSON object.");
    }
    Catalogue.Type t = Catalogue.type(h.type());
    into.setAll(t.defaults().deepCopy());
    body.properties().forEach(e -> {
      Catalogue.Attribute a = t.attributes().get(e.getKey());
      boolean holder = spec(h.type()).holderAttribute().map(e.getKey()::equals).orElse(false);
      if (!e.getKey().equals("link") && !holder && (a == null || !a.computed())) {
        into.set(e.getKey(), e.getValue().deepCopy());
      }
    });
    return elements.validate(caller, h.type(), into, refused);
  }

  /** The fields no two under one holder share, checked against the others; 400 naming the clash. */
  private static void unique(Holder h, ObjectNode items, long self, ObjectNode body, String refused) {
    for (String f : spec(h.type()).unique()) {
      JsonNode v = body.get(f);
      if (v == null || v.isNull()) {
        continue;
      }
      items.properties().forEach(e -> {
        if (Long.parseLong(e.getKey()) != self && v.equals(e.getValue().path("body").get(f))) {
          throw HeraldException.badRequest(refused + ".", // SMC refuses a used name with a 400 too
              h.owner().name() + " already has a " + h.type() + " with " + f + " " + v.asText() + ".");
        }
      });
    }
  }

  /** Creates one under its holder; the caller must be allowed to change the holder. Its key. */
  public long create(Caller caller, Holder h, JsonNode given) {
    String refused = "Impossible to create the " + h.type();
    ObjectNode body = Json.object();
    Set<Long> refs = clean(caller, h, given, refused, body).references();
    return write(caller, h, refused, (items, c, tx) -> {
      if (items.size() >= spec(h.type()).maxPerHolder()) {
        throw HeraldException.badRequest(refused + ".",
            h.owner().name() + " holds " + items.size() + " of them already, the most Herald keeps.");
      }
      long id = c.path("next").asLong(1);
      unique(h, items, id, body, refused);
      c.put("next", id + 1);
      keep(items, id, body, refs);
      return id;
    });
  }

  /**
   * Replaces one (a PUT of the whole, as smc-python's update sends it); {@code ifMatch}, when
   * given, must be the ETag of the one this write replaces (412 otherwise).
   */
  public ObjectNode put(Caller caller, Holder h, long id, JsonNode given, String base, Optional<String> ifMatch) {
    String refused = "Impossible to update the " + h.type();
    ObjectNode body = Json.object();
    Set<Long> refs = clean(caller, h, given, refused, body).references();
    write(caller, h, refused, (items, c, tx) -> {
      present(h, items, id);
      unchanged(h, id, items, base, ifMatch, refused);
      unique(h, items, id, body, refused);
      keep(items, id, body, refs);
      return id;
    });
    return get(h, id, base);
  }

  /**
   * Removes one, unless another element still names it (a route-based VPN's endpoint: 400);
   * {@code ifMatch} as for {@link #put}.
   */
  public void delete(Caller caller, Holder h, long id, String base, Optional<String> ifMatch) {
    String refused = "Impossible to delete the " + h.type();
    String path = "/elements/" + h.owner().type() + "/" + h.owner().key() + "/" + h.path() + "/" + id;
    write(caller, h, refused, (items, c, tx) -> {
      present(h, items, id);
      unchanged(h, id, items, base, ifMatch, refused);
      List<ElementRecord> naming = ElementService.referrersNaming(tx, h.owner().key(), path);
      if (!naming.isEmpty()) {
        throw HeraldException.badRequest(refused + ".", "It is used by " + naming.get(0).type() + " " + naming.get(0).name() + ".");
      }
      items.remove(Long.toString(id));
      return id;
    });
  }

  /** The ETag a client read, checked against the one as this write sees it (under the holder's lock). */
  private static void unchanged(Holder h, long id, ObjectNode items, String base, Optional<String> ifMatch, String refused) {
    if (ifMatch.isPresent()) {
      ObjectNode now = render(h, id, ((ObjectNode) items.get(Long.toString(id)).get("body")).deepCopy(), base);
      if (!ETags.matches(ifMatch.get(), ETags.digest(now))) {
        throw new HeraldException(412, refused + ".", List.of("It changed since you read it: GET it again."), null);
      }
    }
  }

  private static void present(Holder h, ObjectNode items, long id) {
    if (!items.has(Long.toString(id))) {
      throw HeraldException.notFound(h.type() + " not found.", h.owner().name() + " has no " + h.type() + " " + id + ".");
    }
  }

  /** Keeps a sub-element's attributes, keeping the contact addresses it had. */
  private static void keep(ObjectNode items, long id, ObjectNode body, Set<Long> refs) {
    JsonNode before = items.path(Long.toString(id)).path(CONTACT_ADDRESSES);
    keep(items, id, body, refs, before.isArray() ? (ArrayNode) before : Json.mapper().createArrayNode());
  }

  /** An item: its attributes, their references, its contact addresses; {@code refs} all of them. */
  private static void keep(ObjectNode items, long id, ObjectNode body, Set<Long> bodyRefs, ArrayNode contactAddresses) {
    ObjectNode item = items.putObject(Long.toString(id));
    item.set("body", body);
    ArrayNode b = item.putArray("body_refs");
    bodyRefs.forEach(b::add);
    if (!contactAddresses.isEmpty()) {
      item.set(CONTACT_ADDRESSES, contactAddresses);
    }
    Set<Long> all = new LinkedHashSet<>(bodyRefs);
    all.addAll(ContactAddresses.locations(contactAddresses));
    ArrayNode r = item.putArray("refs");
    all.forEach(r::add);
  }

  @FunctionalInterface
  private interface Edit {
    long apply(ObjectNode items, ObjectNode collection, ElementStore.WriteTx tx) throws java.sql.SQLException;
  }

  /**
   * One change under the holder's lock (not while it is locked by a user): the resource read
   * inside the transaction, edited, written back (1 MiB at most), the holder's references set
   * again, an update of the holder recorded.
   */
  private long write(Caller caller, Holder h, String refused, Edit edit) {
    ElementRecord r = h.owner();
    return store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ElementService.refuseLocked(cur, "change the elements held by");
      ObjectNode all = all(tx.resource(r.key(), RESOURCE));
      ObjectNode c = collection(all, h.path());
      long id = edit.apply((ObjectNode) c.get("items"), c, tx);
      String kept = Json.write(all);
      if (kept.length() > MAX_BYTES) {
        throw HeraldException.badRequest(refused + ".", cur.name() + " would hold more than " + (MAX_BYTES >> 10)
            + " KiB of sub-elements, the most Herald keeps.");
      }
      tx.putResource(r.key(), RESOURCE, kept);
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(cur.domainKey(), cur.type(), cur.key(), cur.name(), EventType.UPDATE, caller.userName()));
      return id;
    }).value();
  }
}
