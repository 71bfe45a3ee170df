package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.ElementRecord;

/** Renders stored elements as SMC JSON. {@code base} is {@code scheme://host:port/version}. */
public final class ElementJson {
  private ElementJson() {}

  public static String href(String base, String type, long key) {
    return base + "/elements/" + type + "/" + key;
  }

  public static ObjectNode render(ElementRecord r, String base) {
    return render(r, (ObjectNode) ElementService.parse(r.body()), base);
  }

  /**
   * Renders with {@code body}, the element's stored fields already parsed (the request body of
   * the write that stored them), saving a parse; {@code body} is modified.
   */
  public static ObjectNode render(ElementRecord r, ObjectNode body, String base) {
    ObjectNode o = body;
    String self = href(base, r.type(), r.key());
    o.put("key", r.key());
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", r.type());
    link.addObject().put("rel", r.trashed() ? "untrash" : "trash").put("href", self + "/" + (r.trashed() ? "untrash" : "trash"));
    if (Catalogue.isPolicy(r.type())) {
      link.addObject().put("rel", "validate").put("href", self + "/validate");
    }
    o.put("system", r.system());
    o.put("read_only", r.system());
    if (r.trashed()) {
      o.put("trashed", true);
    }
    return o;
  }

  /** One item of a search result: exactly {@code name}, {@code href}, {@code type}. */
  public static ObjectNode meta(ElementRecord r, String base) {
    return Json.object()
        .put("name", r.name())
        .put("href", href(base, r.type(), r.key()))
        .put("type", r.type());
  }
}
