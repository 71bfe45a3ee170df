package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SMC's built-in elements, from the data files under {@code dev/herald/server/builtins/}: created
 * in Shared Domain as system elements (read-only) on the first start, and on any later start for
 * the ones a newer Herald added. They are there from the start, as on a freshly installed SMC: no
 * change rows, no events.
 *
 * <p>Each file lists elements as {@code {"type", "name", "attributes", "refs", "members"}}:
 * {@code refs} maps an attribute to another built-in ({@code [type, name]}), {@code members} lists
 * a container's built-in members. A built-in gets its type's defaults and must pass its type's
 * validation, as a client's element would. References between built-ins are stored as
 * {@link #PREFIX}{@code /elements/TYPE/KEY} and rendered with the caller's base.
 */
public final class BuiltIns {
  /** The data files, in the order they are loaded (a file may refer to an earlier one's elements). */
  static final List<String> FILES = List.of("administration.json", "servers.json", "network.json",
      "services.json", "policies.json", "profiles.json", "monitoring.json");

  /** How a stored reference between built-ins starts; {@link ElementJson} puts the base there. */
  public static final String PREFIX = "herald:";

  /** One built-in element: its attributes, and its references to other built-ins by name. */
  public record Element(String type, String name, ObjectNode attributes, Map<String, Named> refs,
      List<Named> members) {}

  /** A built-in by type and name. */
  public record Named(String type, String name) {}

  private BuiltIns() {}

  public static List<Element> all() {
    List<Element> out = new ArrayList<>();
    for (String f : FILES) {
      try (InputStream in = BuiltIns.class.getResourceAsStream("/dev/herald/server/builtins/" + f)) {
        JsonNode root = Json.mapper().readTree(in);
        for (JsonNode e : root.path("elements")) {
          ObjectNode attrs = e.path("attributes").isObject() ? (ObjectNode) e.get("attributes").deepCopy() : Json.object();
          Map<String, Named> refs = new LinkedHashMap<>();
          e.path("refs").properties().forEach(r -> refs.put(r.getKey(), named(r.getValue())));
          List<Named> members = new ArrayList<>();
          e.path("members").forEach(m -> members.add(named(m)));
          out.add(new Element(e.path("type").asText(), e.path("name").asText(), attrs, refs, members));
        }
      } catch (IOException | NullPointerException e) {
        throw new IllegalStateException("built-in elements file " + f + " is missing from the server jar", e);
      }
    }
    return out;
  }

  private static Named named(JsonNode pair) {
    return new Named(pair.get(0).asText(), pair.get(1).asText());
  }

  /**
   * Creates the built-ins that are missing; returns how many were created.
   *
   * @throws IllegalStateException a built-in does not pass its type's validation (a data bug)
   */
  public static int ensure(ElementStore store, long sharedDomain, long nowMs) {
    Map<Named, Long> keys = new HashMap<>();
    for (ElementRecord r : store.systemElements(sharedDomain)) {
      keys.put(new Named(r.type(), r.name()), r.key());
    }
    List<Element> missing = new ArrayList<>();
    for (Element e : all()) {
      Named n = new Named(e.type(), e.name());
      if (!keys.containsKey(n)) {
        Optional<ElementRecord> taken = store.findByName(sharedDomain, e.type(), e.name());
        if (taken.isPresent()) {
          // a built-in added by a later version, whose name a user already gave an element of
          // Shared Domain (an upgraded database): the user's element stands, and built-ins that
          // name this one refer to it
          keys.put(n, taken.get().key());
          org.slf4j.LoggerFactory.getLogger(BuiltIns.class).warn("built-in {} \"{}\" not created: Shared Domain"
              + " already has an element of that name", e.type(), e.name());
          continue;
        }
        keys.put(n, store.newKey());
        missing.add(e);
      }
    }
    if (missing.isEmpty()) {
      return 0;
    }
    List<ElementRecord> records = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<Set<Long>> references = new ArrayList<>();
    for (Element e : missing) {
      ObjectNode body = e.attributes().deepCopy();
      body.put("name", e.name());
      e.refs().forEach((attr, target) -> body.put(attr, href(keys, target, e)));
      if (!e.members().isEmpty()) {
        String attr = Catalogue.type(e.type()).container().map(Catalogue.Container::attribute).orElse("element");
        ArrayNode list = body.putArray(attr);
        e.members().forEach(m -> list.add(href(keys, m, e)));
      }
      ElementService.fillDefaults(e.type(), body);
      Validation.Result v = Validation.validate(e.type(), body, href -> resolve(keys, href));
      if (!v.errors().isEmpty()) {
        throw new IllegalStateException("built-in " + e.type() + " \"" + e.name() + "\" is not valid: " + v.errors());
      }
      long key = keys.get(new Named(e.type(), e.name()));
      records.add(new ElementRecord(key, sharedDomain, e.type(), e.name(), Json.write(body), 1, false, true));
      texts.add(ElementService.searchText(body));
      references.add(v.references());
    }
    try {
      store.write(tx -> {
        for (int i = 0; i < records.size(); i++) {
          tx.insert(records.get(i), texts.get(i));
          if (!references.get(i).isEmpty()) {
            tx.setReferences(records.get(i).key(), references.get(i));
          }
          tx.stamp(records.get(i).key(), true, 0, nowMs);
        }
        return null;
      });
    } catch (HeraldException e) {
      // another node created them at the same moment (the names are unique): theirs stand
      if (store.systemElements(sharedDomain).size() < records.size()) {
        throw e;
      }
      return 0;
    }
    return records.size();
  }

  private static String href(Map<Named, Long> keys, Named target, Element from) {
    Long key = keys.get(target);
    if (key == null) {
      throw new IllegalStateException("built-in " + from.type() + " \"" + from.name() + "\" refers to "
          + target.type() + " \"" + target.name() + "\", which is not a built-in");
    }
    return PREFIX + "/elements/" + target.type() + "/" + key;
  }

  private static Optional<Validation.Member> resolve(Map<Named, Long> keys, String href) {
    for (Map.Entry<Named, Long> k : keys.entrySet()) {
      if (href.equals(PREFIX + "/elements/" + k.getKey().type() + "/" + k.getValue())) {
        return Optional.of(new Validation.Member(k.getValue(), k.getKey().type(), true));
      }
    }
    return Optional.empty();
  }
}
