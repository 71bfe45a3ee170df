package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** An HTTP answer: status, optional JSON body, extra headers. */
record Reply(int status, Optional<JsonNode> body, Map<String, String> headers) {
  static Reply json(int status, JsonNode body) {
    return new Reply(status, Optional.of(body), new LinkedHashMap<>());
  }

  static Reply empty(int status) {
    return new Reply(status, Optional.empty(), new LinkedHashMap<>());
  }

  Reply header(String name, String value) {
    headers.put(name, value);
    return this;
  }
}
