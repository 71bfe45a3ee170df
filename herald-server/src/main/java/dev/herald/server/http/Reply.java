package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP answer: status, optional body, extra headers. A body is JSON (sent as
 * {@code application/json} exactly) or pre-rendered text with its own Content-Type header.
 */
record Reply(int status, Optional<JsonNode> body, Optional<String> text, Optional<byte[]> bytes,
    Map<String, String> headers) {
  /** The socket was upgraded: the WebSocket layer answered, nothing more to send. */
  static final Reply UPGRADED = new Reply(101, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

  static Reply json(int status, JsonNode body) {
    return new Reply(status, Optional.of(body), Optional.empty(), Optional.empty(), new LinkedHashMap<>());
  }

  static Reply text(int status, String contentType, String text) {
    Reply r = new Reply(status, Optional.empty(), Optional.of(text), Optional.empty(), new LinkedHashMap<>());
    return r.header("Content-Type", contentType);
  }

  /** A file: its bytes, with their Content-Type. */
  static Reply bytes(int status, String contentType, byte[] bytes) {
    Reply r = new Reply(status, Optional.empty(), Optional.empty(), Optional.of(bytes), new LinkedHashMap<>());
    return r.header("Content-Type", contentType);
  }

  static Reply empty(int status) {
    return new Reply(status, Optional.empty(), Optional.empty(), Optional.empty(), new LinkedHashMap<>());
  }

  Reply header(String name, String value) {
    headers.put(name, value);
    return this;
  }
}
