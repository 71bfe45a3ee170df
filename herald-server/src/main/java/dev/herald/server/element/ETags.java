package dev.herald.server.element;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque, quoted ETags derived from an element's key and version. */
public final class ETags {
  private ETags() {}

  /** The ETag of something that is no element (a tunnel, a routing node): a digest of what it shows. */
  public static String digest(com.fasterxml.jackson.databind.JsonNode shown) {
    return "\"" + Integer.toHexString(dev.herald.protocol.Json.write(shown).hashCode()) + "\"";
  }

  /** Whether a client's If-Match (quoted or not, as smc-python sends it) names {@code etag}. */
  public static boolean matches(String given, String etag) {
    return given.replace("\"", "").equals(etag.replace("\"", ""));
  }

  public static String of(long key, long version) {
    return "\""
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString((key + ":" + version).getBytes(StandardCharsets.US_ASCII))
        + "\"";
  }

  /**
   * Whether an {@code If-Match} (or smc-python's {@code Etag}) header value matches. Accepts
   * {@code *}, a comma list, weak prefixes and values whose quotes a client dropped.
   */
  public static boolean matches(String header, long key, long version) {
    String current = of(key, version);
    for (String part : header.split(",")) {
      String p = part.strip();
      if (p.startsWith("W/")) {
        p = p.substring(2);
      }
      if (p.equals("*") || p.equals(current) || ("\"" + p + "\"").equals(current)) {
        return true;
      }
    }
    return false;
  }
}
