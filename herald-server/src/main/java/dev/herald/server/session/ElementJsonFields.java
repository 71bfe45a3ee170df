package dev.herald.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.ElementRecord;

/** Reads the fields of a stored user element that a login needs. */
final class ElementJsonFields {
  private ElementJsonFields() {}

  static JsonNode body(ElementRecord r) {
    return Json.parseObject(r.body()).map(o -> (JsonNode) o).orElse(Json.object());
  }

  /** {@code enabled}: absent counts as enabled (SMC's default). */
  static boolean enabled(ElementRecord user) {
    JsonNode e = body(user).get("enabled");
    return e == null || e.isNull() || e.asBoolean(true);
  }
}
