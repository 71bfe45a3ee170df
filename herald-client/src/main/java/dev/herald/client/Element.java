package dev.herald.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An element as the server returned it, with the ETag to send back on update or delete.
 *
 * @param href its URL (also its identity)
 * @param json the element JSON, including {@code key}, {@code link}, {@code system}
 */
public record Element(String href, String type, long key, String etag, ObjectNode json) {
  public String name() {
    return json.path("name").asText();
  }

  /** A copy of the JSON to change and pass to {@link HeraldClient#update}. */
  public ObjectNode copy() {
    return json.deepCopy();
  }
}
