package dev.herald.server.element;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The element types (RelNames) Herald serves, and smc-python's {@code filter_context}
 * pseudo-types that stand for a family of them.
 */
public final class Catalogue {
  private static final Set<String> REL_NAMES = load();

  static final Set<String> NETWORK_ELEMENTS =
      Set.of(
          "host", "address_range", "router", "network", "domain_name", "expression",
          "url_list_application", "ip_list", "interface_zone", "country", "ip_country_group",
          "alias", "group");
  static final Set<String> SERVICES =
      Set.of(
          "tcp_service", "udp_service", "ip_service", "ethernet_service", "rpc_service",
          "icmp_service", "icmp_ipv6_service", "protocol", "service_group", "tcp_service_group",
          "udp_service_group", "ip_service_group", "icmp_service_group", "rpc_service_group",
          "ethernet_service_group");
  private static final Set<String> FW_CLUSTERS =
      Set.of("single_fw", "cloud_single_fw", "fw_cluster", "virtual_fw", "master_engine");
  private static final Set<String> IPS_CLUSTERS = Set.of("single_ips", "virtual_ips");
  private static final Set<String> LAYER2_CLUSTERS =
      Set.of("single_layer2", "layer2_cluster", "virtual_firewall_layer2");

  /** smc-python's pseudo contexts ({@code CONTEXTS} in smc/base/collection.py). */
  private static final Map<String, Set<String>> PSEUDO =
      Map.of(
          "network_elements", NETWORK_ELEMENTS,
          "services", SERVICES,
          "services_and_applications",
              union(SERVICES, Set.of("application_situation", "url_category", "url_category_group")),
          "engine_clusters", union(FW_CLUSTERS, union(IPS_CLUSTERS, LAYER2_CLUSTERS)),
          "fw_clusters", FW_CLUSTERS,
          "ips_clusters", IPS_CLUSTERS,
          "layer2_clusters", LAYER2_CLUSTERS,
          "alias", Set.of("alias"),
          "tags", tagTypes(),
          "situations", situationTypes());

  private Catalogue() {}

  /** Every RelName served under {@code /{v}/elements/{relname}}, sorted. */
  public static Set<String> relNames() {
    return REL_NAMES;
  }

  public static boolean isRelName(String s) {
    return REL_NAMES.contains(s);
  }

  /** The types a {@code filter_context} item stands for: itself, or a pseudo context's family. */
  public static Optional<Set<String>> context(String item) {
    Set<String> pseudo = PSEUDO.get(item);
    if (pseudo != null) {
      return Optional.of(pseudo);
    }
    return isRelName(item) ? Optional.of(Set.of(item)) : Optional.empty();
  }

  /** Policies can be validated (the {@code validate} action link). */
  public static boolean isPolicy(String type) {
    return type.endsWith("_policy") && isRelName(type);
  }

  private static Set<String> tagTypes() {
    Set<String> s = new TreeSet<>();
    for (String r : REL_NAMES) {
      if (r.endsWith("_tag")) {
        s.add(r);
      }
    }
    return Collections.unmodifiableSet(s);
  }

  private static Set<String> situationTypes() {
    Set<String> s = new TreeSet<>();
    for (String r : REL_NAMES) {
      if (r.contains("situation")) {
        s.add(r);
      }
    }
    return Collections.unmodifiableSet(s);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new TreeSet<>(a);
    s.addAll(b);
    return Collections.unmodifiableSet(s);
  }

  private static Set<String> load() {
    Set<String> out = new LinkedHashSet<>();
    try (var in = Catalogue.class.getResourceAsStream("relnames.txt");
        var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        line = line.strip();
        if (!line.isEmpty() && !line.startsWith("#")) {
          out.add(line);
        }
      }
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("relnames.txt is missing from the server jar", e);
    }
    return Collections.unmodifiableSet(new TreeSet<>(out));
  }
}
