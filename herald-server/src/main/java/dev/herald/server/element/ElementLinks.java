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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the links every element (or a family of elements) carries do: history, lock / unlock,
 * duplicate, category tags, an IP list's addresses, and the searches across elements
 * (references, unused, duplicates). Each change is a write of the element it changes, with its
 * event, like any other.
 */
public final class ElementLinks {
  private final ElementService elements;
  private final ElementStore store;

  public ElementLinks(ElementService elements) {
    this.elements = elements;
    this.store = elements.store();
  }

  /**
   * The history smc-python reads: only the keys of its {@code History} namedtuple (any other key
   * breaks it), times in epoch ms, creator and modifier as hrefs.
   */
  public ObjectNode history(Caller caller, String type, long key, String base) {
    ElementRecord r = elements.get(caller, type, key);
    ElementStore.Stamps s = store.stamps(key);
    ObjectNode h = Json.object();
    s.createdMs().ifPresent(ms -> h.put("creation_time", ms));
    s.createdBy().flatMap(store::find).ifPresent(u -> h.put("creator", ElementJson.href(base, u.type(), u.key()))
        .put("creator_name", u.name()));
    s.modifiedMs().ifPresent(ms -> h.put("last_modification_time", ms));
    s.modifiedBy().flatMap(store::find).ifPresent(u -> h.put("modifier", ElementJson.href(base, u.type(), u.key()))
        .put("modifier_name", u.name()));
    h.put("is_locked", ElementService.isLocked(r));
    h.put("is_obsolete", false);
    h.put("is_trashed", r.trashed());
    return h;
  }

  /** Locks or unlocks an element (its {@code locked} field): an update, with its event. */
  public ElementRecord lock(Caller caller, String type, long key, boolean lock) {
    ElementRecord cur = elements.writableForLink(caller, type, key, lock ? "lock" : "unlock");
    return store.write(tx -> {
      ElementRecord now = tx.lock(key).orElseThrow();
      ObjectNode body = (ObjectNode) ElementService.parse(now.body());
      if (lock) {
        body.put("locked", true);
      } else {
        body.remove("locked");
      }
      ElementRecord next = now.withBody(now.name(), Json.write(body));
      tx.update(next, ElementService.searchText(body));
      tx.record(new Change.Pending(next.domainKey(), next.type(), key, next.name(), EventType.UPDATE, caller.userName()));
      return next;
    }).value();
  }

  /** A copy of an element under a new name, in the caller's domain ({@code base} for a built-in's references). */
  public ElementRecord duplicate(Caller caller, String type, long key, String newName, String base) {
    ElementRecord cur = elements.get(caller, type, key);
    ObjectNode body = (ObjectNode) ElementService.parse(cur.body());
    if (cur.system()) {
      ElementJson.withBase(body, base);
    }
    body.put("name", newName);
    body.remove("locked");
    return elements.create(caller, type, body);
  }

  /** The category tags an element is in (visible ones). */
  public List<ElementRecord> categoriesOf(Caller caller, String type, long key) {
    elements.get(caller, type, key);
    return visible(caller, store.categories(key, true));
  }

  /** The elements of a category tag (visible ones). */
  public List<ElementRecord> elementsOf(Caller caller, String tagType, long tagKey) {
    elements.get(caller, tagType, tagKey);
    return visible(caller, store.categories(tagKey, false));
  }

  /** Puts an element (by href) in a category tag, or takes it out: an update of the tag. */
  public ElementRecord categorize(Caller caller, String tagType, long tagKey, String elementHref, boolean add) {
    ElementRecord tag = elements.writableForLink(caller, tagType, tagKey, add ? "add to" : "remove from");
    ElementRecord member = elements.resolveHref(caller, elementHref).orElseThrow(() ->
        HeraldException.badRequest("Impossible to update the element " + tag.name() + ".",
            "Element " + elementHref + " does not exist."));
    return store.write(tx -> {
      ElementRecord now = tx.lock(tagKey).orElseThrow();
      tx.categorize(tagKey, member.key(), add);
      ElementRecord next = now.withBody(now.name(), now.body());
      tx.update(next, ElementService.searchText((ObjectNode) ElementService.parse(now.body())));
      tx.record(new Change.Pending(next.domainKey(), next.type(), tagKey, next.name(), EventType.UPDATE, caller.userName()));
      return next;
    }).value();
  }

  /** An IP list's addresses ({@code {"ip": [...]}}); empty until set. */
  public List<String> ipAddresses(Caller caller, String type, long key) {
    elements.get(caller, type, key);
    List<String> out = new ArrayList<>();
    store.resource(key, "ip_address_list").flatMap(Json::parseObject)
        .ifPresent(o -> o.path("ip").forEach(ip -> out.add(ip.asText())));
    return out;
  }

  /**
   * Replaces an IP list's addresses: each an address, a network in CIDR form, or a range
   * START-END. An update of the list, with its event.
   */
  public ElementRecord setIpAddresses(Caller caller, String type, long key, List<String> ips) {
    ElementRecord cur = elements.writableForLink(caller, type, key, "update");
    List<String> errors = new ArrayList<>();
    for (String ip : ips) {
      String s = ip.strip();
      boolean ok = Addresses.any(s).isPresent() || Addresses.isNetwork(s, s.contains(":"))
          || (s.contains("-") && s.split("-").length == 2 && Addresses.any(s.split("-")[0].strip()).isPresent()
              && Addresses.any(s.split("-")[1].strip()).isPresent());
      if (!ok) {
        errors.add("Not an address, network or range: \"" + ip + "\".");
      }
      if (errors.size() >= 10) {
        break;
      }
    }
    if (!errors.isEmpty()) {
      throw new HeraldException(400, "Impossible to update the element " + cur.name() + ".", errors, null);
    }
    ArrayNode arr = Json.mapper().createArrayNode();
    ips.forEach(ip -> arr.add(ip.strip()));
    String content = Json.write(Json.object().set("ip", arr));
    return store.write(tx -> {
      ElementRecord now = tx.lock(key).orElseThrow();
      tx.putResource(key, "ip_address_list", content);
      ElementRecord next = now.withBody(now.name(), now.body());
      tx.update(next, ElementService.searchText((ObjectNode) ElementService.parse(now.body())));
      tx.record(new Change.Pending(next.domainKey(), next.type(), key, next.name(), EventType.UPDATE, caller.userName()));
      return next;
    }).value();
  }

  /** The elements that reference the element an href names (the caller's visible ones). */
  public List<ElementRecord> referencesTo(Caller caller, String href) {
    ElementRecord target = elements.resolveHref(caller, href).orElseThrow(() ->
        HeraldException.notFound("Element not found.", "No element at " + href + "."));
    return visible(caller, store.referrers(target.key()));
  }

  /** Elements nothing references (the caller's own domain and Shared Domain, no system elements). */
  public List<ElementRecord> unused(Caller caller, Set<String> types) {
    return store.unreferenced(elements.visibleDomains(caller), types);
  }

  /**
   * Elements of one type whose content is the same apart from name and comment (two hosts with
   * one address): each such set, in order.
   */
  public List<ElementRecord> duplicates(Caller caller, Set<String> types) {
    List<ElementRecord> all = elements.search(caller, types, Optional.empty(), false, false, Integer.MAX_VALUE);
    Map<ElementRecord, String> contentOf = new java.util.LinkedHashMap<>();
    Map<String, Integer> count = new HashMap<>();
    for (ElementRecord r : all) {
      if (r.system()) {
        continue;
      }
      ObjectNode b = (ObjectNode) ElementService.parse(r.body());
      b.remove(List.of("name", "comment", "locked"));
      String content = r.type() + "\0" + canonical(b);
      contentOf.put(r, content);
      count.merge(content, 1, Integer::sum);
    }
    List<ElementRecord> out = new ArrayList<>();
    contentOf.forEach((r, content) -> {
      if (count.get(content) > 1) {
        out.add(r);
      }
    });
    return out;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper SORTED = Json.mapper().copy()
      .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private static String canonical(JsonNode n) {
    try {
      return SORTED.writeValueAsString(SORTED.treeToValue(n, Object.class));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return n.toString();
    }
  }

  private List<ElementRecord> visible(Caller caller, List<Long> keys) {
    Set<Long> domains = elements.visibleDomains(caller);
    List<ElementRecord> out = new ArrayList<>();
    for (ElementRecord r : store.findAll(keys)) {
      if (domains.contains(r.domainKey())) {
        out.add(r);
      }
    }
    return out;
  }
}
