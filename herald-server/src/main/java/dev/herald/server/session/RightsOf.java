package dev.herald.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.element.Rights;
import dev.herald.server.element.Rights.Capability;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link Rights} of a user element: {@code superuser}, {@code allowed_to_login_in_shared}
 * and {@code permissions: {"permission": [{granted_domain_ref, role_ref, granted_elements}]}}
 * (smc-python's shape). A role grants what {@code roles.json} lists for its name; any other role
 * grants {@code VIEW}.
 */
final class RightsOf {
  private static final Map<String, Set<Capability>> BUILT_IN = load();

  private final ElementStore elements;

  RightsOf(ElementStore elements) {
    this.elements = elements;
  }

  Rights user(ElementRecord user) {
    JsonNode b = ElementJsonFields.body(user);
    if (b.path("superuser").asBoolean(false)) {
      return Rights.SUPERUSER;
    }
    Map<Long, Set<Capability>> byDomain = new HashMap<>();
    for (JsonNode p : b.path("permissions").path("permission")) {
      Optional<Long> domain = keyOf(p.path("granted_domain_ref").asText(""), "admin_domain");
      if (domain.isEmpty()) {
        continue;
      }
      Set<Capability> caps = byDomain.computeIfAbsent(domain.get(), d -> EnumSet.noneOf(Capability.class));
      keyOf(p.path("role_ref").asText(""), "role").flatMap(elements::find)
          .ifPresent(role -> caps.addAll(BUILT_IN.getOrDefault(role.name(), EnumSet.of(Capability.VIEW))));
    }
    return new Rights(false, byDomain, b.path("allowed_to_login_in_shared").asBoolean(false));
  }

  /** The key of an href to an element of {@code type} (any host and version). */
  static Optional<Long> keyOf(String href, String type) {
    String marker = "/elements/" + type + "/";
    int i = href.indexOf(marker);
    if (i < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(href.substring(i + marker.length()).replaceAll("/.*$", "")));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Map<String, Set<Capability>> load() {
    try (InputStream in = RightsOf.class.getResourceAsStream("/dev/herald/server/element/roles.json")) {
      JsonNode roles = Json.mapper().readTree(in).path("roles");
      Map<String, Set<Capability>> out = new HashMap<>();
      roles.properties().forEach(e -> {
        Set<Capability> caps = EnumSet.noneOf(Capability.class);
        e.getValue().forEach(c -> caps.add(Capability.valueOf(c.asText())));
        out.put(e.getKey(), caps);
      });
      return Map.copyOf(out);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("roles.json is missing from the server jar", e);
    }
  }
}
