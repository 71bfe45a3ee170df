package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.ElementRecord;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Renders stored elements as SMC JSON. {@code base} is {@code scheme://host:port/version}. */
public final class ElementJson {
  private ElementJson() {}

  public static String href(String base, String type, long key) {
    return base + "/elements/" + type + "/" + key;
  }

  /**
   * The href of an element that may live under another: {@code parent} ({@code fw_policy/12},
   * or null) starts it, as a rule's href starts with its policy's.
   */
  public static String href(String base, String parent, String type, long key) {
    return parent == null ? href(base, type, key) : base + "/elements/" + parent + "/" + type + "/" + key;
  }

  public static ObjectNode render(ElementRecord r, String base) {
    return render(r, (ObjectNode) ElementService.parse(r.body()), base);
  }

  /**
   * Renders with {@code body}, the element's stored fields already parsed (the request body of
   * the write that stored them), saving a parse; {@code body} is modified.
   *
   * <p>The {@code link} list is SMC's for the type (the catalogue's), every one of them answered
   * (for real, or with a 501 where Herald does not do it yet); {@code self} carries the type
   * (smc-python picks the class from it). {@code admin_domain} is the element's domain's href.
   */
  public static ObjectNode render(ElementRecord r, ObjectNode body, String base) {
    ObjectNode o = body;
    boolean rule = Catalogue.isRelName(r.type()) && Catalogue.type(r.type()).rule();
    if (r.system() || rule) {
      withBase(o, base);
    }
    String self = rule ? href(base, parentOf(o), r.type(), r.key()) : href(base, r.type(), r.key());
    if (rule) {
      o.put("tag", Rules.tag(r));
    }
    o.put("key", r.key());
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", r.type());
    // a package offers the actions of its state, right after self (an Ansible module reads link[1])
    Optional<Catalogue.Package> pkg = Catalogue.type(r.type()).pkg();
    Set<String> byState = pkg.map(Catalogue.Package::stateRels).orElse(Set.of());
    pkg.ifPresent(p -> p.states().getOrDefault(o.path("state").asText(""), List.of())
        .forEach(rel -> link.addObject().put("rel", rel).put("href", self + "/" + rel)));
    link.addObject().put("rel", r.trashed() ? "untrash" : "trash").put("href", self + "/" + (r.trashed() ? "untrash" : "trash"));
    for (Catalogue.Link l : Catalogue.type(r.type()).links()) {
      if (!byState.contains(l.rel())) {
        link.addObject().put("rel", l.rel()).put("href", self + "/" + l.path());
      }
    }
    Catalogue.type(r.type()).engine().ifPresent(kind -> Engines.decorate(o, self, kind));
    o.put("system", r.system());
    o.put("read_only", r.system());
    if (!o.has("locked")) {
      o.put("locked", false);
    }
    o.put("admin_domain", href(base, "admin_domain", r.domainKey()));
    if (r.trashed()) {
      o.put("trashed", true);
    }
    return o;
  }

  /**
   * Puts {@code base} into the references between built-ins ({@link BuiltIns#PREFIX}), which are
   * stored without one: the built-ins exist before any client, and every client has its own base.
   */
  public static void withBase(com.fasterxml.jackson.databind.JsonNode node, String base) {
    if (node instanceof ObjectNode o) {
      o.properties().forEach(e -> {
        if (e.getValue().isTextual() && e.getValue().asText().startsWith(BuiltIns.PREFIX)) {
          e.setValue(o.textNode(base + e.getValue().asText().substring(BuiltIns.PREFIX.length())));
        } else {
          withBase(e.getValue(), base);
        }
      });
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual() && a.get(i).asText().startsWith(BuiltIns.PREFIX)) {
          a.set(i, a.textNode(base + a.get(i).asText().substring(BuiltIns.PREFIX.length())));
        } else {
          withBase(a.get(i), base);
        }
      }
    }
  }

  /** One item of a search result: exactly {@code name}, {@code href}, {@code type}. */
  public static ObjectNode meta(ElementRecord r, String base) {
    return Json.object()
        .put("name", r.name())
        .put("href", selfHref(r, base))
        .put("type", r.type());
  }

  /** An element's own href: a rule's starts with its policy's. */
  public static String selfHref(ElementRecord r, String base) {
    return href(base, ElementService.parentOf(r), r.type(), r.key());
  }

  /** The parent path of a rendered rule body ({@code fw_policy/12}), from its parent_policy. */
  private static String parentOf(ObjectNode body) {
    String p = body.path("parent_policy").asText("");
    int i = p.indexOf("/elements/");
    return i < 0 ? null : p.substring(i + "/elements/".length());
  }
}
