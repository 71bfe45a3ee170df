package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * SMC's built-in elements, from the data files under {@code dev/herald/server/builtins/}: created
 * in Shared Domain as system elements (read-only) on the first start, and on any later start for
 * the ones a newer Herald added. They are there from the start, as on a freshly installed SMC: no
 * change rows, no events.
 */
public final class BuiltIns {
  /** The data files, in the order they are loaded. */
  static final List<String> FILES = List.of("administration.json");

  /** One built-in element. */
  public record Element(String type, String name, ObjectNode attributes) {}

  private BuiltIns() {}

  public static List<Element> all() {
    List<Element> out = new ArrayList<>();
    for (String f : FILES) {
      try (InputStream in = BuiltIns.class.getResourceAsStream("/dev/herald/server/builtins/" + f)) {
        JsonNode root = Json.mapper().readTree(in);
        for (JsonNode e : root.path("elements")) {
          ObjectNode attrs = e.path("attributes").isObject() ? (ObjectNode) e.get("attributes").deepCopy() : Json.object();
          out.add(new Element(e.path("type").asText(), e.path("name").asText(), attrs));
        }
      } catch (IOException | NullPointerException e) {
        throw new IllegalStateException("built-in elements file " + f + " is missing from the server jar", e);
      }
    }
    return out;
  }

  /** Creates the built-ins that are missing; returns how many were created. */
  public static int ensure(ElementStore store, long sharedDomain) {
    Set<String> present = new HashSet<>();
    for (ElementRecord r : store.systemElements(sharedDomain)) {
      present.add(r.type() + "\0" + r.name());
    }
    List<ElementRecord> missing = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Element e : all()) {
      if (present.add(e.type() + "\0" + e.name())) {
        ObjectNode body = e.attributes().deepCopy();
        body.put("name", e.name());
        missing.add(new ElementRecord(store.newKey(), sharedDomain, e.type(), e.name(), Json.write(body), 1, false, true));
        texts.add(ElementService.searchText(body));
      }
    }
    if (missing.isEmpty()) {
      return 0;
    }
    try {
      store.write(tx -> {
        for (int i = 0; i < missing.size(); i++) {
          tx.insert(missing.get(i), texts.get(i));
        }
        return null;
      });
    } catch (HeraldException e) {
      // another node created them at the same moment (the names are unique): theirs stand
      if (store.systemElements(sharedDomain).size() < missing.size()) {
        throw e;
      }
      return 0;
    }
    return missing.size();
  }
}
