package dev.herald.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One resource of the REST surface: a path template ({@code /{v}/elements/{type}/{key}}), the
 * methods it answers and the code that answers. The template is also the route's label in
 * {@code /metrics}: labels come from this fixed set, never from the request.
 *
 * <p>A segment {@code {name}} matches any one segment; {@code {v}} must be an API version the
 * server accepts. Bodies are JSON, or for an upload route multipart/form-data too.
 */
record Route(String template, Set<String> methods, Handler handler, boolean uploads) {
  Route(String template, Set<String> methods, Handler handler) {
    this(template, methods, handler, false);
  }

  /** A route that takes a file upload (multipart/form-data) as well as JSON. */
  static Route upload(String template, Set<String> methods, Handler handler) {
    return new Route(template, methods, handler, true);
  }

  /** Answers a matched request. */
  @FunctionalInterface
  interface Handler {
    Reply handle(Call call) throws Exception;
  }

  /** The template's segments, computed once. */
  List<String> parts() {
    List<String> out = new ArrayList<>();
    for (String s : template.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /** The variables of {@code segments} when they match, else empty. */
  Optional<Map<String, String>> match(List<String> parts, List<String> segments, ApiVersions versions) {
    if (parts.size() != segments.size()) {
      return Optional.empty();
    }
    Map<String, String> vars = new LinkedHashMap<>();
    for (int i = 0; i < parts.size(); i++) {
      String p = parts.get(i);
      String s = segments.get(i);
      if (p.startsWith("{") && p.endsWith("}")) {
        String name = p.substring(1, p.length() - 1);
        if (name.equals("v") && !versions.accepts(s)) {
          return Optional.empty();
        }
        vars.put(name, s);
      } else if (!p.equals(s)) {
        return Optional.empty();
      }
    }
    return Optional.of(vars);
  }
}
