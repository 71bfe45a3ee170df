package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.HeraldException;

/**
 * Strings must be well-formed Unicode: JSON's {@code \\uD800} escapes can encode a lone
 * surrogate, which no database stores (it became {@code ?}). Refused with 400 instead of stored
 * damaged.
 */
final class Unicode {
  private Unicode() {}

  static void check(JsonNode n) {
    if (n.isTextual()) {
      if (!wellFormed(n.asText())) {
        throw HeraldException.badRequest("Invalid string in the request body.",
            "A string contains a lone surrogate (an unpaired \\\\uD800-\\\\uDFFF escape).");
      }
    } else if (n.isContainerNode()) {
      n.properties().forEach(e -> {
        if (!wellFormed(e.getKey())) {
          throw HeraldException.badRequest("Invalid field name in the request body.",
              "A field name contains a lone surrogate.");
        }
        check(e.getValue());
      });
      if (n.isArray()) {
        n.forEach(Unicode::check);
      }
    }
  }

  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
