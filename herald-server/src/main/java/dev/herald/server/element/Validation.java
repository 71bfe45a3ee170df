package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Field validation for the element types people use most. Every type requires a non-blank
 * string {@code name}; the types listed in {@link #RULES} also check their fields. Unknown
 * fields are kept as they are (SMC clients send the whole cached element back on update).
 */
final class Validation {
  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
          + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?");

  /** Resolves a member reference (an element href) to a visible element's key and type. */
  interface References {
    Optional<Member> resolve(String href);
  }

  record Member(long key, String type) {}

  /** The outcome: error texts (empty when valid) and the keys this element references. */
  record Result(List<String> errors, Set<Long> references) {}

  private interface Rule {
    void check(ObjectNode body, References refs, List<String> errors, Set<Long> out);
  }

  private static final Rule HOST_LIKE =
      (b, r, e, out) -> {
        boolean v4 = optionalIp(b, "address", false, e);
        boolean v6 = optionalIp(b, "ipv6_address", true, e);
        if (!v4 && !v6 && e.isEmpty()) {
          e.add("Field address or ipv6_address is required.");
        }
        JsonNode sec = b.get("secondary");
        if (sec != null && !sec.isNull()) {
          if (!sec.isArray()) {
            e.add("Field secondary must be a list of IP addresses.");
          } else {
            for (JsonNode s : sec) {
              if (!s.isTextual() || Addresses.any(s.asText()).isEmpty()) {
                e.add("Field secondary contains an invalid IP address: " + s + ".");
              }
            }
          }
        }
      };

  private static final Map<String, Rule> RULES =
      Map.ofEntries(
          Map.entry("host", HOST_LIKE),
          Map.entry("router", HOST_LIKE),
          Map.entry(
              "network",
              (b, r, e, out) -> {
                boolean v4 = optionalNetwork(b, "ipv4_network", false, e);
                boolean v6 = optionalNetwork(b, "ipv6_network", true, e);
                if (!v4 && !v6 && e.isEmpty()) {
                  e.add("Field ipv4_network or ipv6_network is required (CIDR, e.g. 10.0.0.0/24).");
                }
              }),
          Map.entry("address_range", (b, r, e, out) -> checkRange(b, e)),
          Map.entry(
              "domain_name",
              (b, r, e, out) -> {
                String name = b.path("name").asText();
                if (!DNS_NAME.matcher(name).matches()) {
                  e.add("Field name must be a DNS domain name, e.g. example.com; got " + quote(name) + ".");
                }
              }),
          Map.entry("tcp_service", Validation::checkPorts),
          Map.entry("udp_service", Validation::checkPorts),
          Map.entry(
              "ip_service",
              (b, r, e, out) -> intField(b, "protocol_number", 0, 255, true, e)),
          Map.entry(
              "icmp_service",
              (b, r, e, out) -> {
                intField(b, "icmp_type", 0, 255, true, e);
                intField(b, "icmp_code", 0, 255, false, e);
              }),
          Map.entry("group", members(Catalogue.NETWORK_ELEMENTS)),
          Map.entry("service_group", members(Catalogue.SERVICES)),
          Map.entry("tcp_service_group", members(Set.of("tcp_service", "tcp_service_group"))),
          Map.entry("udp_service_group", members(Set.of("udp_service", "udp_service_group"))),
          Map.entry("icmp_service_group", members(Set.of("icmp_service", "icmp_service_group"))),
          Map.entry("ip_service_group", members(Set.of("ip_service", "ip_service_group"))));

  private Validation() {}

  static Result validate(String type, ObjectNode body, References refs) {
    List<String> errors = new ArrayList<>();
    Set<Long> out = new java.util.LinkedHashSet<>();
    JsonNode name = body.get("name");
    if (name == null || name.isNull()) {
      errors.add("Field name is required.");
    } else if (!name.isTextual() || name.asText().isBlank()) {
      errors.add("Field name must be a non-blank string.");
    } else if (name.asText().length() > 1024) {
      errors.add("Field name is longer than 1024 characters.");
    }
    JsonNode comment = body.get("comment");
    if (comment != null && !comment.isNull() && !comment.isTextual()) {
      errors.add("Field comment must be a string.");
    }
    Rule rule = RULES.get(type);
    if (rule != null && errors.isEmpty()) {
      rule.check(body, refs, errors, out);
    }
    return new Result(errors, out);
  }

  /** Whether a field is validated beyond {@code name} for this type. */
  static boolean hasRules(String type) {
    return RULES.containsKey(type);
  }

  private static boolean optionalIp(ObjectNode b, String field, boolean v6, List<String> e) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty())) {
      return false;
    }
    if (!n.isTextual()
        || (v6 ? Addresses.ipv6(n.asText()).isEmpty() : Addresses.ipv4(n.asText()).isEmpty())) {
      e.add("Field " + field + " is not a valid " + (v6 ? "IPv6" : "IPv4") + " address: " + n + ".");
      return false;
    }
    return true;
  }

  private static boolean optionalNetwork(ObjectNode b, String field, boolean v6, List<String> e) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty())) {
      return false;
    }
    if (!n.isTextual() || !Addresses.isNetwork(n.asText(), v6)) {
      e.add(
          "Field "
              + field
              + " is not a valid "
              + (v6 ? "IPv6" : "IPv4")
              + " network in CIDR form with zero host bits: "
              + n
              + ".");
      return false;
    }
    return true;
  }

  private static void checkRange(ObjectNode b, List<String> e) {
    JsonNode n = b.get("ip_range");
    if (n == null || !n.isTextual()) {
      e.add("Field ip_range is required, e.g. \"10.0.0.1-10.0.0.100\".");
      return;
    }
    String[] parts = n.asText().split("-", -1);
    if (parts.length != 2) {
      e.add("Field ip_range must be START-END, e.g. \"10.0.0.1-10.0.0.100\"; got " + n + ".");
      return;
    }
    Optional<InetAddress> lo = Addresses.any(parts[0].strip());
    Optional<InetAddress> hi = Addresses.any(parts[1].strip());
    if (lo.isEmpty() || hi.isEmpty()) {
      e.add("Field ip_range contains an invalid IP address: " + n + ".");
    } else if (lo.get().getClass() != hi.get().getClass()) {
      e.add("Field ip_range mixes IPv4 and IPv6: " + n + ".");
    } else {
      BigInteger a = Addresses.toNumber(lo.get());
      BigInteger z = Addresses.toNumber(hi.get());
      if (a.compareTo(z) > 0) {
        e.add("Field ip_range starts after it ends: " + n + ".");
      }
    }
  }

  private static void checkPorts(ObjectNode b, References r, List<String> e, Set<Long> out) {
    Optional<Integer> min = intField(b, "min_dst_port", 0, 65535, true, e);
    Optional<Integer> max = intField(b, "max_dst_port", 0, 65535, false, e);
    if (min.isPresent() && max.isPresent() && max.get() < min.get()) {
      e.add("Field max_dst_port (" + max.get() + ") is below min_dst_port (" + min.get() + ").");
    }
    Optional<Integer> smin = intField(b, "min_src_port", 0, 65535, false, e);
    Optional<Integer> smax = intField(b, "max_src_port", 0, 65535, false, e);
    if (smin.isPresent() && smax.isPresent() && smax.get() < smin.get()) {
      e.add("Field max_src_port (" + smax.get() + ") is below min_src_port (" + smin.get() + ").");
    }
  }

  private static Optional<Integer> intField(
      ObjectNode b, String field, int lo, int hi, boolean required, List<String> e) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty())) {
      if (required) {
        e.add("Field " + field + " is required (an integer from " + lo + " to " + hi + ").");
      }
      return Optional.empty();
    }
    // SMC accepts numbers and numeric strings for ports.
    Integer v = null;
    if (n.isIntegralNumber() && n.canConvertToInt()) {
      v = n.asInt();
    } else if (n.isTextual() && n.asText().matches("\\d{1,6}")) {
      v = Integer.parseInt(n.asText());
    }
    if (v == null || v < lo || v > hi) {
      e.add("Field " + field + " must be an integer from " + lo + " to " + hi + "; got " + n + ".");
      return Optional.empty();
    }
    return Optional.of(v);
  }

  private static Rule members(Set<String> allowed) {
    return (b, r, e, out) -> {
      JsonNode el = b.get("element");
      if (el == null || el.isNull()) {
        return;
      }
      if (!el.isArray()) {
        e.add("Field element must be a list of element hrefs.");
        return;
      }
      for (JsonNode m : el) {
        if (!m.isTextual()) {
          e.add("Field element must contain element hrefs (strings); got " + m + ".");
          continue;
        }
        Optional<Member> member = r.resolve(m.asText());
        if (member.isEmpty()) {
          e.add("Member " + m.asText() + " does not exist.");
        } else if (!allowed.contains(member.get().type())) {
          e.add(
              "Member "
                  + m.asText()
                  + " is a "
                  + member.get().type()
                  + ", which this group cannot contain.");
        } else {
          out.add(member.get().key());
        }
      }
    };
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
