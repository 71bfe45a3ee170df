package dev.herald.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The SMC search parameters: element types (RelNames or pseudo contexts such as
 * {@code network_elements}), {@code filter}, {@code exact_match}, {@code case_sensitive},
 * {@code limit}. Immutable; start from {@link #of(String...)}.
 */
public record Search(List<String> types, Optional<String> filter, boolean exactMatch,
    boolean caseSensitive, Optional<Integer> limit) {

  public static Search of(String... types) {
    return new Search(List.of(types), Optional.empty(), false, false, Optional.empty());
  }

  public Search filter(String text) {
    return new Search(types, Optional.of(text), exactMatch, caseSensitive, limit);
  }

  public Search exactMatch(boolean v) {
    return new Search(types, filter, v, caseSensitive, limit);
  }

  public Search caseSensitive(boolean v) {
    return new Search(types, filter, exactMatch, v, limit);
  }

  public Search limit(int n) {
    return new Search(types, filter, exactMatch, caseSensitive, Optional.of(n));
  }

  /** The path and query under {@code /{version}}. */
  String path() {
    StringBuilder q = new StringBuilder();
    filter.ifPresent(f -> q.append("&filter=").append(enc(f)));
    q.append("&exact_match=").append(exactMatch ? "True" : "False");
    q.append("&case_sensitive=").append(caseSensitive ? "True" : "False");
    limit.ifPresent(n -> q.append("&limit=").append(n));
    if (types.size() == 1) {
      return "/elements/" + types.get(0) + "?" + q.substring(1);
    }
    String ctx = types.isEmpty() ? "" : "&filter_context=" + enc(String.join(",", types));
    return "/elements?" + (q + ctx).substring(1);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
