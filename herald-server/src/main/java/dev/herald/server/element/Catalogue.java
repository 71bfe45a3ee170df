package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * SMC's element model as data: every element type (RelName) Herald serves, with its attributes
 * (JSON type, format, enum values, range, which types a reference may point to), the defaults a
 * fresh element shows, the links an element carries, its families (smc-python's
 * {@code filter_context} pseudo types) and what it may contain. Read once from
 * {@code catalogue.json}, which {@code tools/catalogue/build.py} generates from the facts of
 * Forcepoint's published clients; no code per type.
 */
public final class Catalogue {
  /** One attribute: its JSON type and what else a value must satisfy. */
  public record Attribute(String type, Optional<Attribute> items, Optional<String> model,
      Optional<Set<String>> ref, List<String> enumValues, Optional<long[]> range, Optional<String> format,
      boolean computed) {

    /** Whether a reference may point to elements of {@code t} ("*" = any type). */
    public boolean refAccepts(String t) {
      return ref.map(r -> r.contains("*") || r.contains(t)).orElse(false);
    }
  }

  /**
   * A link of an element: {@code rel}, how it is called, and whether Herald answers it for real
   * (else a 501 in SMC's error shape).
   *
   * @param kind action, resource, collection or task
   */
  public record Link(String rel, String method, String kind, boolean implemented, String path) {
    /** A link whose href ends in its rel. */
    public Link(String rel, String method, String kind, boolean implemented) {
      this(rel, method, kind, implemented, rel);
    }
  }

  /**
   * An engine type: the type of its nodes (as its create body names them), whether it routes
   * (layer 3), whether it is a virtual engine (its nodes run on its master engine's), the links
   * of its nodes, what an interface of each kind shows when its create body leaves it out ({@code {"physical_interface": {"vlanInterfaces": []}}}), and what each
   * node command does to a simulated node (rel → effect; see the overlay's {@code node_commands}),
   * the element types and validities an interface's antispoofing node takes besides the
   * generated entries, and the diagnostic settings of its nodes.
   */
  public record Engine(String nodeType, boolean layer3, boolean virtual, List<Link> nodeLinks, ObjectNode interfaceDefaults,
      ObjectNode nodeCommands, Set<String> antispoofingEntryTypes, Set<String> antispoofingValidity,
      List<String> diagnostics) {
    public Optional<Link> nodeLink(String rel) {
      return nodeLinks.stream().filter(l -> l.rel().equals(rel)).findFirst();
    }
  }

  /**
   * The actions a rule type takes ({@code action.action}, a text or a list), the types its
   * jump may go to (empty: not checked), those that end the match and those that need a VPN.
   */
  public record RuleActions(Set<String> actions, Set<String> jumpTo, Set<String> ends, Set<String> needsVpn) {}

  /**
   * How a policy VPN derives its tunnels (the node usages that pair, either way round), which
   * element types are gateways SMC does not manage, and which interface address types are VPN
   * endpoints.
   */
  public record Vpn(List<List<String>> tunnelPairs, Set<String> externalGatewayTypes, Set<String> endpointAddresses,
      GatewayParts internalParts, GatewayParts externalParts, RouteTunnel routeTunnel) {
    /** The type of the collections a gateway keeps its endpoints and its sites in. */
    public record GatewayParts(String endpoints, String sites) {}

    /** A route-based VPN tunnel's side attributes and the modes in which it pairs endpoints. */
    public record RouteTunnel(List<String> sides, String modeAttribute, Set<String> endpointTunnelModes) {}

    public GatewayParts parts(boolean internal) {
      return internal ? internalParts : externalParts;
    }

    public boolean pairs(String usageA, String usageB) {
      return tunnelPairs.stream().anyMatch(p -> (p.get(0).equals(usageA) && p.get(1).equals(usageB))
          || (p.get(0).equals(usageB) && p.get(1).equals(usageA)));
    }
  }

  /**
   * An element kept under another one (an external gateway's endpoints and sites): how a list
   * names it ({@code "{name} ({address})"}: fields in braces, the bare name when one is missing),
   * the fields no two under one holder share, the attribute that names the holder, how many one
   * holder keeps, and the links it answers (an external endpoint's {@code contact_addresses}).
   */
  public record SubElement(String listedName, List<String> unique, Optional<String> holderAttribute, int maxPerHolder,
      List<String> links) {}

  /**
   * Software SMC lists under its system entry point: the rel listing it, the upload rel and its
   * file part, the attribute naming a package, where that is read in an uploaded file's name (a
   * regex per attribute, its first group), the name a published one gets, what an activation
   * changes ({@code system}: the active package; {@code nodes}: the nodes named), and the actions
   * each state offers (rendered right after {@code self}, the others left out).
   */
  public record Package(String listRel, String importRel, String filePart, String identity,
      Map<String, java.util.regex.Pattern> fromFileName, String defaultName, String activated,
      Map<String, List<String>> states, Map<String, String> lifecycle, Optional<String> snapshot) {
    /** The state of a package the download server offers. */
    public String published() {
      return lifecycle.get("published");
    }

    /** The state of a package downloaded or uploaded. */
    public String imported() {
      return lifecycle.get("imported");
    }

    /** The state of the activated one, for packages one of which is active (update packages). */
    public Optional<String> active() {
      return Optional.ofNullable(lifecycle.get("active"));
    }

    /** Every action some state offers. */
    public Set<String> stateRels() {
      Set<String> out = new java.util.TreeSet<>();
      states.values().forEach(out::addAll);
      return out;
    }
  }

  /** What a container (a group) may hold, in which attribute. */
  public record Container(String attribute, Set<String> types) {}

  /**
   * One element type.
   *
   * @param subResource created under a parent element (a rule under its policy, a node under its
   *     engine) in SMC; Herald still serves it at {@code /elements/{type}} until the parent's
   *     behaviour creates it
   * @param rules a policy's rule collections: rel → the rule type each holds
   * @param rule a rule type: created in a policy's collection, at a position, names not unique
   * @param ruleActions a rule type's actions and jump targets
   * @param subElement how an element kept under another one is listed and kept unique
   * @param vpn a VPN type's tunnel rules
   * @param pkg software SMC lists under system (update packages, engine upgrades)
   */
  public record Type(String name, Map<String, Attribute> attributes, ObjectNode defaults,
      List<List<String>> oneOfRequired, List<List<String>> ordered, Set<String> families,
      Optional<Container> container, List<Link> links, boolean validated, List<String> sources,
      Optional<String> model, boolean subResource, Map<String, String> rules, boolean rule,
      Optional<Engine> engine, Optional<RuleActions> ruleActions, Optional<SubElement> subElement, Optional<Vpn> vpn,
      Optional<Package> pkg) {

    public Optional<Link> link(String rel) {
      return links.stream().filter(l -> l.rel().equals(rel)).findFirst();
    }

    /**
     * The rule type of one of this policy's rule collections, named by its rel
     * ({@code fw_ipv4_access_rules}) or by the last segment of its href ({@code fw_ipv4_access_rule}).
     */
    public Optional<String> ruleCollection(String relOrPath) {
      String byRel = rules.get(relOrPath);
      if (byRel != null) {
        return Optional.of(byRel);
      }
      return rules.values().contains(relOrPath) ? Optional.of(relOrPath) : Optional.empty();
    }
  }

  private static final Catalogue INSTANCE = load();

  private final Map<String, Type> types;
  private final Map<String, Map<String, Attribute>> models;
  private final Map<String, String> aliases;
  private final Map<String, Set<String>> families;
  private final Set<String> relNames;

  /**
   * The servers SMC monitors beside engines and VPNs, the statuses a test may give them, and the
   * route-based VPN tunnel types (monitored as gateway tunnels are).
   */
  public record Monitoring(Set<String> servers, Set<String> serverStatuses, Set<String> routeTunnels) {}

  private final Monitoring monitoring;

  private Catalogue(Map<String, Type> types, Map<String, Map<String, Attribute>> models,
      Map<String, String> aliases, Map<String, Set<String>> families, Monitoring monitoring) {
    this.monitoring = monitoring;
    this.types = types;
    this.models = models;
    this.aliases = aliases;
    this.families = families;
    Set<String> names = new TreeSet<>(types.keySet());
    names.addAll(aliases.keySet());
    this.relNames = Collections.unmodifiableSet(names);
  }

  public static Monitoring monitoring() {
    return INSTANCE.monitoring;
  }

  public static Catalogue get() {
    return INSTANCE;
  }

  /** Every RelName served under {@code /{v}/elements/{relname}} (aliases included), sorted. */
  public static Set<String> relNames() {
    return INSTANCE.relNames;
  }

  public static boolean isRelName(String s) {
    return INSTANCE.relNames.contains(s);
  }

  /** The type a RelName stands for (an alias stands for the type it names). */
  public static String canonical(String relName) {
    return INSTANCE.aliases.getOrDefault(relName, relName);
  }

  public static Type type(String relName) {
    Type t = INSTANCE.types.get(canonical(relName));
    if (t == null) {
      throw new IllegalArgumentException("not a RelName: " + relName);
    }
    return t;
  }

  public static Map<String, Type> types() {
    return INSTANCE.types;
  }

  public static Optional<Map<String, Attribute>> model(String name) {
    return Optional.ofNullable(INSTANCE.models.get(name));
  }

  /** The types a {@code filter_context} item stands for: a family, or itself. */
  public static Optional<Set<String>> context(String item) {
    Set<String> f = INSTANCE.families.get(item);
    if (f != null) {
      return Optional.of(f);
    }
    return isRelName(item) ? Optional.of(Set.of(canonical(item))) : Optional.empty();
  }

  public static Map<String, Set<String>> families() {
    return INSTANCE.families;
  }

  // ---- loading ----

  private static Catalogue load() {
    try (InputStream in = Catalogue.class.getResourceAsStream("/dev/herald/server/catalogue.json")) {
      if (in == null) {
        throw new IllegalStateException("catalogue.json is missing from the server jar");
      }
      JsonNode root = Json.mapper().readTree(in);
      Map<String, Map<String, Attribute>> models = new TreeMap<>();
      root.path("models").properties().forEach(e -> models.put(e.getKey(), attributes(e.getValue().path("attributes"))));
      Map<String, Type> types = new TreeMap<>();
      root.path("types").properties().forEach(e -> types.put(e.getKey(), type(e.getKey(), e.getValue())));
      Map<String, String> aliases = new TreeMap<>();
      root.path("aliases").properties().forEach(e -> aliases.put(e.getKey(), e.getValue().asText()));
      Map<String, Set<String>> families = new TreeMap<>();
      root.path("families").properties().forEach(e -> families.put(e.getKey(), strings(e.getValue())));
      return new Catalogue(Collections.unmodifiableMap(types), Collections.unmodifiableMap(models),
          Collections.unmodifiableMap(aliases), Collections.unmodifiableMap(families),
          new Monitoring(strings(root.path("monitoring").path("servers")),
              strings(root.path("monitoring").path("server_statuses")), strings(root.path("monitoring").path("route_tunnels"))));
    } catch (IOException e) {
      throw new IllegalStateException("catalogue.json cannot be read", e);
    }
  }

  private static Type type(String name, JsonNode t) {
    Optional<Container> container = Optional.empty();
    if (t.has("container")) {
      container = Optional.of(new Container(t.path("container").path("attribute").asText(),
          strings(t.path("container").path("types"))));
    }
    List<Link> links = links(t.path("links"));
    Optional<Engine> engine = Optional.empty();
    if (t.path("engine").isObject()) {
      JsonNode e = t.get("engine");
      engine = Optional.of(new Engine(e.path("node").asText(), e.path("layer3").asBoolean(false),
          e.path("virtual").asBoolean(false),
          List.copyOf(links(e.path("node_links"))),
          e.path("interface_defaults").isObject() ? (ObjectNode) e.get("interface_defaults") : Json.object(),
          e.path("node_commands").isObject() ? (ObjectNode) e.get("node_commands") : Json.object(),
          strings(e.path("antispoofing").path("entry_types")), strings(e.path("antispoofing").path("validity")),
          textList(e.path("diagnostics"))));
    }
    List<String> sources = new ArrayList<>();
    t.path("sources").forEach(s -> sources.add(s.asText()));
    return new Type(name, attributes(t.path("attributes")),
        t.path("defaults").isObject() ? (ObjectNode) t.get("defaults") : Json.object(),
        lists(t.path("one_of_required")), lists(t.path("ordered")), strings(t.path("families")), container,
        List.copyOf(links), "validated".equals(t.path("status").asText()), List.copyOf(sources),
        t.path("model").isTextual() ? Optional.of(t.get("model").asText()) : Optional.empty(),
        t.path("sub_resource").asBoolean(false), stringMap(t.path("rules")), t.path("rule").asBoolean(false),
        engine, t.path("rule_actions").isObject()
            ? Optional.of(new RuleActions(strings(t.path("rule_actions").path("actions")),
                strings(t.path("rule_actions").path("jump_to")), strings(t.path("rule_actions").path("ends")),
                strings(t.path("rule_actions").path("needs_vpn"))))
            : Optional.empty(),
        t.path("sub_element").isObject() ? Optional.of(subElement(t.get("sub_element"))) : Optional.empty(),
        t.path("vpn").isObject() ? Optional.of(vpn(t.get("vpn"))) : Optional.empty(),
        t.path("package").isObject() ? Optional.of(pkg(t.get("package"))) : Optional.empty());
  }

  private static Package pkg(JsonNode p) {
    Map<String, java.util.regex.Pattern> fromName = new LinkedHashMap<>();
    p.path("from_file_name").properties().forEach(e -> fromName.put(e.getKey(), java.util.regex.Pattern.compile(e.getValue().asText())));
    Map<String, List<String>> states = new LinkedHashMap<>();
    p.path("states").properties().forEach(e -> states.put(e.getKey(), textList(e.getValue())));
    return new Package(p.path("list").asText(), p.path("import").asText(), p.path("file_part").asText(),
        p.path("identity").asText(), Collections.unmodifiableMap(fromName), p.path("default_name").asText(),
        p.path("activated").asText(), Collections.unmodifiableMap(states), stringMap(p.path("lifecycle")),
        Optional.ofNullable(p.path("snapshot").textValue()));
  }

  /** The types SMC lists under system as software (update packages, engine upgrades), by type. */
  public static Map<String, Package> packages() {
    Map<String, Package> out = new TreeMap<>();
    types().forEach((n, t) -> t.pkg().ifPresent(p -> out.put(n, p)));
    return out;
  }

  private static Vpn vpn(JsonNode v) {
    JsonNode parts = v.path("gateway_parts");
    JsonNode route = v.path("route_tunnel");
    return new Vpn(lists(v.path("tunnel_pairs")), strings(v.path("external_gateway_types")),
        strings(v.path("endpoint_addresses")),
        new Vpn.GatewayParts(parts.path("internal").path("endpoints").asText(), parts.path("internal").path("sites").asText()),
        new Vpn.GatewayParts(parts.path("external").path("endpoints").asText(), parts.path("external").path("sites").asText()),
        new Vpn.RouteTunnel(textList(route.path("sides")), route.path("mode_attribute").asText(),
            strings(route.path("endpoint_tunnel_modes"))));
  }

  private static List<String> textList(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return List.copyOf(out);
  }

  private static SubElement subElement(JsonNode s) {
    List<String> unique = new ArrayList<>();
    s.path("unique").forEach(u -> unique.add(u.asText()));
    return new SubElement(s.path("listed_name").asText("{name}"), List.copyOf(unique),
        s.path("holder_attribute").isTextual() ? Optional.of(s.get("holder_attribute").asText()) : Optional.empty(),
        s.path("max_per_holder").asInt(1000), textList(s.path("links")));
  }

  private static List<Link> links(JsonNode list) {
    List<Link> links = new ArrayList<>();
    for (JsonNode l : list) {
      links.add(new Link(l.path("rel").asText(), l.path("method").asText("GET"), l.path("kind").asText("resource"),
          l.path("implemented").asBoolean(false), l.path("path").asText(l.path("rel").asText())));
    }
    return links;
  }

  private static Map<String, String> stringMap(JsonNode obj) {
    Map<String, String> out = new TreeMap<>();
    obj.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return Collections.unmodifiableMap(out);
  }

  private static Map<String, Attribute> attributes(JsonNode attrs) {
    Map<String, Attribute> out = new LinkedHashMap<>();
    attrs.properties().forEach(e -> out.put(e.getKey(), attribute(e.getValue())));
    return Collections.unmodifiableMap(out);
  }

  private static Attribute attribute(JsonNode a) {
    List<String> enums = new ArrayList<>();
    a.path("enum").forEach(v -> enums.add(v.asText()));
    Optional<long[]> range = Optional.empty();
    if (a.path("range").isArray() && a.get("range").size() == 2) {
      JsonNode r = a.get("range");
      range = Optional.of(new long[] {r.get(0).isNumber() ? r.get(0).asLong() : Long.MIN_VALUE,
          r.get(1).isNumber() ? r.get(1).asLong() : Long.MAX_VALUE});
    }
    return new Attribute(a.path("type").asText("any"),
        a.has("items") ? Optional.of(attribute(a.get("items"))) : Optional.empty(),
        a.path("model").isTextual() ? Optional.of(a.get("model").asText()) : Optional.empty(),
        a.has("ref") ? Optional.of(strings(a.get("ref"))) : Optional.empty(),
        List.copyOf(enums), range,
        a.path("format").isTextual() ? Optional.of(a.get("format").asText()) : Optional.empty(),
        a.path("computed").asBoolean(false));
  }

  private static Set<String> strings(JsonNode arr) {
    Set<String> out = new TreeSet<>();
    arr.forEach(v -> out.add(v.asText()));
    return Collections.unmodifiableSet(out);
  }

  private static List<List<String>> lists(JsonNode arr) {
    List<List<String>> out = new ArrayList<>();
    for (JsonNode inner : arr) {
      List<String> l = new ArrayList<>();
      inner.forEach(v -> l.add(v.asText()));
      out.add(List.copyOf(l));
    }
    return List.copyOf(out);
  }
}
