package dev.herald.server.http;

import java.util.List;
import java.util.Set;

/**
 * The API versions in URLs. smc-python parses only {@code MAJOR.MINOR} in {@code GET /api} and
 * picks a version by a buggy loop (SMC-API.md §1), so one version is advertised by default;
 * requests under every accepted version work, including the seed's {@code 7.2.1}. Versions up
 * to 6.5 get the legacy {@code events} list on the notification socket.
 */
public record ApiVersions(List<String> advertised) {
  public static final Set<String> ACCEPTED =
      Set.of("6.5", "6.6", "6.7", "6.8", "6.9", "6.10", "6.11", "7.0", "7.1", "7.2", "7.2.1",
          "7.3", "7.4");

  public static ApiVersions defaults() {
    return new ApiVersions(List.of("7.2"));
  }

  public ApiVersions {
    advertised = List.copyOf(advertised);
    for (String v : advertised) {
      if (!v.matches("\\d+\\.\\d+")) {
        throw new IllegalArgumentException(
            "Advertised API versions must be MAJOR.MINOR (smc-python parses no other form): " + v);
      }
    }
  }

  public boolean accepts(String v) {
    return ACCEPTED.contains(v) || advertised.contains(v);
  }

  /** Whether events on this version use the legacy (≤ 6.5) {@code events} list. */
  public static boolean legacyEvents(String v) {
    String[] p = v.split("\\.");
    int major = Integer.parseInt(p[0]);
    int minor = Integer.parseInt(p[1]);
    return major < 6 || (major == 6 && minor <= 5);
  }
}
