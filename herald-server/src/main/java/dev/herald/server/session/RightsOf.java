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
 * (smc-python's shape). A role grants what its permission flags say ({@code roles.json} maps each
 * flag to a capability); a role stored without flags (before Herald kept them) what
 * {@code roles.json} lists for its name, any other such role {@code VIEW}.
 */
final class RightsOf {
  private static final Map<String, Set<Capability>> BUILT_IN = load("roles");
  private static final Map<String, Set<Capability>> FLAGS = load("flags");

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
      keyOf(p.path("role_ref").asText(""), "role").flatMap(elements::find).ifPresent(role -> caps.addAll(grants(role)));
    }
    return new Rights(false, byDomain, b.path("allowed_to_login_in_shared").asBoolean(false));
  }

  /** What a role grants: by its flags, or by its name when it has none. */
  static Set<Capability> grants(ElementRecord role) {
    JsonNode b = ElementJsonFields.body(role);
    if (FLAGS.keySet().stream().noneMatch(b::has)) {
      return BUILT_IN.getOrDefault(role.name(), EnumSet.of(Capability.VIEW));
    }
    Set<Capability> caps = EnumSet.noneOf(Capability.class);
    FLAGS.forEach((flag, granted) -> {
      if (b.path(flag).asBoolean(false)) {
        caps.addAll(granted);
      }
    });
    return caps;
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

  /** A section of roles.json: a name (a role's, a flag's) → the capabilities it grants (one or a list). */
  private static Map<String, Set<Capability>> load(String section) {
    try (InputStream in = RightsOf.class.getResourceAsStream("/dev/herald/server/element/roles.json")) {
      JsonNode roles = Json.mapper().readTree(in).path(section);
      Map<String, Set<Capability>> out = new HashMap<>();
      roles.properties().forEach(e -> {
        Set<Capability> caps = EnumSet.noneOf(Capability.class);
        if (e.getValue().isArray()) {
          e.getValue().forEach(c -> caps.add(Capability.valueOf(c.asText())));
        } else {
          caps.add(Capability.valueOf(e.getValue().asText()));
        }
        out.put(e.getKey(), caps);
      });
      return Map.copyOf(out);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("roles.json is missing from the server jar", e);
    }
  }
}
