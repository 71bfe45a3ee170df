package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an element body against its type in the {@link Catalogue}: JSON types, enum values,
 * ranges, formats, references (they must exist, be visible, and be of a type the attribute may
 * point to), nested models, the attributes a type requires, and ordered pairs. Null is always
 * accepted (clients send null for "unset"); attributes the catalogue does not know are kept as
 * they are (SMC clients send the whole cached element back on update); computed attributes are
 * the server's and not checked.
 *
 * <p>Errors name the attribute by its path ({@code third_party_monitoring.netflow},
 * {@code secondary[2]}); the keys of every reference found are collected (references are tracked
 * both ways).
 */
final class Validation {
  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
          + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?");
  private static final Pattern INTEGER = Pattern.compile("-?\\d{1,18}");
  private static final Pattern NUMBER = Pattern.compile("-?\\d{1,18}(\\.\\d+)?([eE][-+]?\\d{1,3})?");
  /** Longer strings than this are refused (a name has its own limit of 1024). */
  static final int MAX_STRING = 65_536;
  private static final int MAX_DEPTH = 12;

  /** Resolves a reference (an element href): the element, if it exists anywhere. */
  interface References {
    Optional<Member> resolve(String href);
  }

  /**
   * An element a reference points to.
   *
   * @param visible whether the caller may see it (its own domain or Shared Domain)
   */
  record Member(long key, String type, boolean visible) {}

  /** The outcome: error texts (empty when valid) and the keys this element references. */
  record Result(List<String> errors, Set<Long> references) {}

  private Validation() {}

  static Result validate(String type, ObjectNode body, References refs) {
    List<String> errors = new ArrayList<>();
    Set<Long> out = new LinkedHashSet<>();
    JsonNode name = body.get("name");
    Catalogue.Type t = Catalogue.type(type);
    if (t.rule()) {
      // rules and sections may have no name (SMC shows "Rule @tag")
      if (name != null && !name.isNull() && (!name.isTextual() || name.asText().length() > 1024)) {
        errors.add("Field name must be a string of at most 1024 characters.");
      }
    } else if (name == null || name.isNull()) {
      errors.add("Field name is required.");
    } else if (!name.isTextual() || name.asText().isBlank()) {
      errors.add("Field name must be a non-blank string.");
    } else if (name.asText().length() > 1024) {
      errors.add("Field name is longer than 1024 characters.");
    }
    Ctx ctx = new Ctx(refs, errors, out, t);
    body.properties().forEach(e -> {
      Catalogue.Attribute a = t.attributes().get(e.getKey());
      if (a != null && !a.computed() && !e.getKey().equals("name")) {
        JsonNode normal = ctx.value(e.getKey(), e.getValue(), a, 0);
        if (normal != null) {
          e.setValue(normal);
        }
      } else if (a == null && e.getValue().isTextual() && e.getValue().asText().length() > MAX_STRING) {
        errors.add("Field " + e.getKey() + " is longer than " + MAX_STRING + " characters.");
      }
    });
    if (t.attributes().containsKey("name") && name != null && name.isTextual()) {
      t.attributes().get("name").format().ifPresent(f -> ctx.format("name", name, f));
    }
    if (errors.isEmpty()) {
      for (List<String> anyOf : t.oneOfRequired()) {
        if (anyOf.stream().noneMatch(f -> present(body.get(f)))) {
          errors.add(anyOf.size() == 1 ? "Field " + anyOf.get(0) + " is required."
              : "Field " + String.join(" or ", anyOf) + " is required.");
        }
      }
      t.ruleActions().ifPresent(ra -> actions(ra, body.path("action"), refs, errors));
      for (List<String> pair : t.ordered()) {
        Optional<Long> lo = number(body.get(pair.get(0)));
        Optional<Long> hi = number(body.get(pair.get(1)));
        if (lo.isPresent() && hi.isPresent() && hi.get() < lo.get()) {
          errors.add("Field " + pair.get(1) + " (" + hi.get() + ") is below " + pair.get(0) + " (" + lo.get() + ").");
        }
      }
    }
    return new Result(errors, out);
  }

  /**
   * A rule's actions: each one its type takes; a jump names a sub-policy of its family
   * ({@code sub_policy}, required).
   */
  private static void actions(Catalogue.RuleActions ra, JsonNode action, References refs, List<String> errors) {
    if (!action.isObject()) {
      return;
    }
    List<String> given = actionsOf(action);
    for (String g : given) {
      if (!ra.actions().contains(g)) {
        errors.add("Action " + g + " is not one of this rule's: " + String.join(", ", new java.util.TreeSet<>(ra.actions())) + ".");
      }
    }
    if (given.contains("jump") && !ra.jumpTo().isEmpty()) {
      JsonNode sub = action.path("sub_policy");
      Optional<Member> m = (sub.isTextual() ? refs.resolve(sub.asText()) : Optional.<Member>empty())
          .filter(Member::visible); // another domain's reads as missing: its type is not told
      if (m.isEmpty()) {
        errors.add("A jump needs its sub_policy: a " + String.join(" or ", new java.util.TreeSet<>(ra.jumpTo())) + ".");
      } else if (!ra.jumpTo().contains(m.get().type())) {
        errors.add("A jump goes to a " + String.join(" or ", new java.util.TreeSet<>(ra.jumpTo())) + ", not a "
            + m.get().type() + ".");
      }
    }
  }

  /** A rule's {@code action.action}: a list, or one text (SMC before 6.6). */
  static List<String> actionsOf(JsonNode action) {
    JsonNode a = action.path("action");
    List<String> given = new ArrayList<>();
    if (a.isTextual()) {
      given.add(a.asText());
    } else if (a.isArray()) {
      a.forEach(x -> given.add(x.asText()));
    }
    return given;
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !(n.isTextual() && n.asText().isEmpty())
        && !(n.isArray() && n.isEmpty());
  }

  private static Optional<Long> number(JsonNode n) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (n.isIntegralNumber()) {
      return Optional.of(n.asLong());
    }
    if (n.isTextual() && INTEGER.matcher(n.asText()).matches()) {
      return Optional.of(Long.parseLong(n.asText()));
    }
    return Optional.empty();
  }

  /** The walk over one body. */
  private record Ctx(References refs, List<String> errors, Set<Long> out, Catalogue.Type type) {

    /**
     * Checks one value; returns the value to store instead when SMC would have read it as its
     * declared type (a number or boolean for a string attribute becomes its text, as
     * smc-python's integer {@code interface_id}; "true"/"false" for a boolean becomes the
     * boolean, as its {@code quic_enabled}), else null.
     */
    JsonNode value(String path, JsonNode v0, Catalogue.Attribute a, int depth) {
      if (v0 == null || v0.isNull()) {
        return null;
      }
      if (depth > MAX_DEPTH) {
        errors.add("Field " + path + " is nested too deeply.");
        return null;
      }
      JsonNode normal = null;
      if (a.type().equals("string") && (v0.isNumber() || v0.isBoolean())) {
        normal = com.fasterxml.jackson.databind.node.TextNode.valueOf(v0.asText());
      } else if (a.type().equals("boolean") && v0.isTextual()
          && (v0.asText().equalsIgnoreCase("true") || v0.asText().equalsIgnoreCase("false"))) {
        normal = com.fasterxml.jackson.databind.node.BooleanNode.valueOf(v0.asText().equalsIgnoreCase("true"));
      }
      JsonNode v = normal == null ? v0 : normal;
      check(path, v, a, depth);
      return normal;
    }

    private void check(String path, JsonNode v, Catalogue.Attribute a, int depth) {
      switch (a.type()) {
        case "string" -> {
          if (!v.isTextual()) {
            errors.add("Field " + path + " must be a string; got " + show(v) + ".");
            return;
          }
          if (v.asText().length() > MAX_STRING) {
            errors.add("Field " + path + " is longer than " + MAX_STRING + " characters.");
            return;
          }
          if (v.asText().isEmpty() && a.ref().isEmpty() && a.format().isEmpty()) {
            return;
          }
          enumCheck(path, v.asText(), a);
          a.format().ifPresent(f -> format(path, v, f));
          if (a.ref().isPresent() && !v.asText().isEmpty()) {
            reference(path, v.asText(), a);
          }
        }
        case "integer" -> {
          if (!(v.isIntegralNumber() && v.canConvertToLong()) && !(v.isTextual() && INTEGER.matcher(v.asText()).matches())) {
            if (v.isTextual() && v.asText().isEmpty()) {
              return;
            }
            errors.add("Field " + path + " must be an integer; got " + show(v) + ".");
            return;
          }
          long n = v.isTextual() ? Long.parseLong(v.asText()) : v.asLong();
          enumCheck(path, Long.toString(n), a);
          a.range().ifPresent(r -> {
            if (n < r[0] || n > r[1]) {
              errors.add("Field " + path + " must be an integer from " + bound(r[0]) + " to " + bound(r[1])
                  + "; got " + show(v) + ".");
            }
          });
          a.format().ifPresent(f -> format(path, v, f));
        }
        case "number" -> {
          if (!v.isNumber() && !(v.isTextual() && NUMBER.matcher(v.asText()).matches())) {
            errors.add("Field " + path + " must be a number; got " + show(v) + ".");
          }
        }
        case "boolean" -> {
          if (!v.isBoolean()) {
            errors.add("Field " + path + " must be true or false; got " + show(v) + ".");
          }
        }
        case "array" -> {
          if (!v.isArray()) {
            errors.add("Field " + path + " must be a list; got " + show(v) + ".");
            return;
          }
          Catalogue.Attribute items = a.items().orElse(null);
          if (items == null && a.ref().isPresent()) {
            items = new Catalogue.Attribute("string", Optional.empty(), Optional.empty(), a.ref(), List.of(),
                Optional.empty(), Optional.empty(), false);
          }
          if (items != null) {
            if (a.ref().isPresent() && items.ref().isEmpty()) {
              items = new Catalogue.Attribute(items.type(), items.items(), items.model(), a.ref(),
                  items.enumValues(), items.range(), items.format(), false);
            }
            for (int i = 0; i < v.size(); i++) {
              JsonNode normal = value(path + "[" + i + "]", v.get(i), items, depth + 1);
              if (normal != null) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) v).set(i, normal);
              }
            }
          }
        }
        case "object" -> {
          if (!v.isObject()) {
            errors.add("Field " + path + " must be an object; got " + show(v) + ".");
            return;
          }
          Optional<Map<String, Catalogue.Attribute>> model = a.model().flatMap(Catalogue::model);
          if (model.isPresent()) {
            v.properties().forEach(e -> {
              Catalogue.Attribute sub = model.get().get(e.getKey());
              if (sub != null && !sub.computed()) {
                JsonNode normal = value(path + "." + e.getKey(), e.getValue(), sub, depth + 1);
                if (normal != null) {
                  e.setValue(normal);
                }
              }
            });
          }
        }
        default -> { }
      }
    }

    private void enumCheck(String path, String value, Catalogue.Attribute a) {
      if (!a.enumValues().isEmpty() && !a.enumValues().contains(value)) {
        errors.add("Field " + path + " must be one of " + String.join(", ", a.enumValues()) + "; got \""
            + value + "\".");
      }
    }

    private void reference(String path, String href, Catalogue.Attribute a) {
      Optional<Member> m = refs.resolve(href);
      if (m.isEmpty()) {
        errors.add(containerMember(path) ? "Member " + href + " does not exist."
            : "Field " + path + ": " + href + " does not exist.");
        return;
      }
      if (!m.get().visible()) {
        // SMC's words (smc-python's examples expect them)
        errors.add("Field " + path + ": Element reference breaks domain boundary restriction.");
        return;
      }
      if (!a.refAccepts(m.get().type())) {
        errors.add(containerMember(path)
            ? "Member " + href + " is a " + m.get().type() + ", which this " + type.name() + " cannot contain."
            : "Field " + path + ": " + href + " is a " + m.get().type() + ", which " + path + " cannot refer to.");
        return;
      }
      out.add(m.get().key());
    }

    private boolean containerMember(String path) {
      return type.container().map(c -> path.startsWith(c.attribute() + "[")).orElse(false);
    }

    void format(String path, JsonNode v, String format) {
      String s = v.asText();
      boolean ok = switch (format) {
        case "ipv4" -> Addresses.ipv4(s).isPresent();
        case "ipv6" -> Addresses.ipv6(s).isPresent();
        case "ip" -> Addresses.any(s).isPresent();
        case "cidr4" -> Addresses.isNetwork(s, false);
        case "cidr6" -> Addresses.isNetwork(s, true);
        case "dns_name" -> DNS_NAME.matcher(s).matches();
        case "port" -> INTEGER.matcher(s).matches() && Long.parseLong(s) >= 0 && Long.parseLong(s) <= 65535;
        case "ip_range" -> ipRange(s);
        default -> true;
      };
      if (!ok) {
        errors.add("Field " + path + " " + switch (format) {
          case "ipv4" -> "is not a valid IPv4 address: " + show(v) + ".";
          case "ipv6" -> "is not a valid IPv6 address: " + show(v) + ".";
          case "ip" -> "contains an invalid IP address: " + show(v) + ".";
          case "cidr4" -> "is not a valid IPv4 network in CIDR form with zero host bits: " + show(v) + ".";
          case "cidr6" -> "is not a valid IPv6 network in CIDR form with zero host bits: " + show(v) + ".";
          case "dns_name" -> "must be a DNS domain name, e.g. example.com; got " + show(v) + ".";
          case "port" -> "must be an integer from 0 to 65535; got " + show(v) + ".";
          case "ip_range" -> "must be START-END with START not after END, e.g. \"10.0.0.1-10.0.0.100\"; got " + show(v) + ".";
          default -> "is not valid: " + show(v) + ".";
        });
      }
    }

    private static boolean ipRange(String s) {
      String[] parts = s.split("-", -1);
      if (parts.length != 2) {
        return false;
      }
      Optional<InetAddress> lo = Addresses.any(parts[0].strip());
      Optional<InetAddress> hi = Addresses.any(parts[1].strip());
      if (lo.isEmpty() || hi.isEmpty() || lo.get().getClass() != hi.get().getClass()) {
        return false;
      }
      BigInteger a = Addresses.toNumber(lo.get());
      BigInteger z = Addresses.toNumber(hi.get());
      return a.compareTo(z) <= 0;
    }

    private static String bound(long b) {
      return b == Long.MIN_VALUE ? "any" : b == Long.MAX_VALUE ? "any" : Long.toString(b);
    }
  }

  private static String show(JsonNode v) {
    String s = v.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
