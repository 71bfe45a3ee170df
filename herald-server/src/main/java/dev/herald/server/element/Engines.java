package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Engines' shape, as smc-python creates and reads them: the nodes ({@code nodes: [{firewall_node:
 * {...}}]}) and interfaces ({@code physicalInterfaces: [{physical_interface: {...}}]}) live inside
 * the engine's JSON, each with a key of its own and, when rendered, its own {@code link} list
 * (nodes: their commands and status; interfaces: self). Which node type an engine has and the
 * links of engines and nodes are catalogue data ({@link Catalogue.Engine}).
 */
public final class Engines {
  /** Where an engine's interfaces are, and the wrapper keys they come in. */
  static final String INTERFACES = "physicalInterfaces";
  /** Where a master engine's virtual resources are ({@code [{"virtual_resource": {…}}]}). */
  public static final String VIRTUAL_RESOURCES = "virtualResources";
  public static final String VIRTUAL_RESOURCE = "virtual_resource";

  private Engines() {}

  public static Optional<Catalogue.Engine> kind(String type) {
    return Catalogue.isRelName(type) ? Catalogue.type(type).engine() : Optional.empty();
  }

  /**
   * Before an engine is stored: every node and interface gets a key if it has none (a PUT of the
   * whole engine carries theirs back), a node without a name gets SMC's ("fw1 node 1"), and the
   * rendered {@code link} lists sent back with a PUT are dropped (they are rendered again); first,
   * what SMC refuses in its interfaces is refused ({@link #checkInterfaces}).
   */
  public static void shape(String type, ObjectNode body, LongSupplier keys) {
    Optional<Catalogue.Engine> kind = kind(type);
    if (kind.isEmpty()) {
      return;
    }
    checkInterfaces(body);
    String name = body.path("name").asText("");
    int n = 0;
    for (JsonNode wrapped : body.withArray("nodes")) {
      n++;
      ObjectNode node = unwrap(wrapped);
      if (node == null) {
        continue;
      }
      ensureKey(node, keys);
      node.remove("link");
      if (!node.hasNonNull("nodeid")) {
        node.put("nodeid", n);
      }
      if (!node.hasNonNull("name")) {
        node.put("name", name + " node " + node.path("nodeid").asInt(n));
      }
    }
    for (JsonNode wrapped : body.path(VIRTUAL_RESOURCES)) {
      ObjectNode vr = unwrap(wrapped);
      if (vr != null) {
        ensureKey(vr, keys);
        vr.remove("link");
      }
    }
    if (body.has(INTERFACES) && body.get(INTERFACES).isArray()) {
      for (JsonNode wrapped : body.get(INTERFACES)) {
        ObjectNode itf = unwrap(wrapped);
        if (itf != null) {
          ensureKey(itf, keys);
          itf.remove("link");
          if (itf.has("interface_id") && !itf.get("interface_id").isTextual()) {
            itf.put("interface_id", itf.get("interface_id").asText()); // smc-python compares strings
          }
          kind.get().interfaceDefaults().path(wrappedType(wrapped)).properties().forEach(d -> {
            if (!itf.has(d.getKey())) {
              itf.set(d.getKey(), d.getValue().deepCopy());
            }
          });
        }
      }
    }
  }

  /**
   * What SMC refuses in an engine's interfaces (400, nothing stored): two interfaces (or VLANs)
   * with one interface_id, a {@code network_value} with host bits, an address outside the
   * network its {@code network_value} gives.
   */
  static void checkInterfaces(ObjectNode body) {
    String refused = "Impossible to store the element " + body.path("name").asText() + ".";
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (JsonNode wrapped : body.path(INTERFACES)) {
      ObjectNode itf = unwrap(wrapped);
      if (itf == null) {
        continue;
      }
      checkInterface(itf, ids, refused);
      for (JsonNode vlan : itf.path("vlanInterfaces")) {
        ObjectNode v = unwrap(vlan) != null && !vlan.has("interface_id") ? unwrap(vlan) : vlan instanceof ObjectNode o ? o : null;
        if (v != null) {
          checkInterface(v, ids, refused);
        }
      }
    }
  }

  private static void checkInterface(ObjectNode itf, java.util.Set<String> ids, String refused) {
    String id = itf.path("interface_id").asText("");
    if (!id.isEmpty() && !ids.add(id)) {
      throw dev.herald.server.HeraldException.badRequest(refused, "Interface ID " + id + " is used by two interfaces.");
    }
    for (JsonNode wrapped : itf.path("interfaces")) {
      ObjectNode a = unwrap(wrapped);
      if (a == null || !a.hasNonNull("address") || !a.hasNonNull("network_value")) {
        continue;
      }
      String net = a.get("network_value").asText();
      String address = a.get("address").asText();
      if (!Addresses.isNetwork(net, net.contains(":"))) {
        throw dev.herald.server.HeraldException.badRequest(refused, "Interface " + id + ": network_value " + net
            + " is not a network in CIDR form with its host bits zero.");
      }
      if (!Addresses.contains(net, address)) {
        throw dev.herald.server.HeraldException.badRequest(refused, "Interface " + id + ": the address " + address
            + " is not in its network " + net + ".");
      }
    }
  }

  private static void ensureKey(ObjectNode o, LongSupplier keys) {
    if (!o.path("key").canConvertToLong() || o.path("key").asLong() <= 0) {
      o.put("key", keys.getAsLong());
    }
  }

  /** {@code {type: data}} → data (null when it is not one such object). */
  static ObjectNode unwrap(JsonNode wrapped) {
    if (wrapped instanceof ObjectNode w && w.size() == 1 && w.elements().next() instanceof ObjectNode data) {
      return data;
    }
    return null;
  }

  static String wrappedType(JsonNode wrapped) {
    return wrapped.fieldNames().hasNext() ? wrapped.fieldNames().next() : "";
  }

  /** Adds the links of the nodes and interfaces inside a rendered engine ({@code self}: its href). */
  static void decorate(ObjectNode body, String self, Catalogue.Engine kind) {
    for (JsonNode wrapped : body.path("nodes")) {
      ObjectNode node = unwrap(wrapped);
      if (node == null) {
        continue;
      }
      String type = wrappedType(wrapped);
      String href = self + "/" + type + "/" + node.path("key").asLong();
      ArrayNode link = node.putArray("link");
      link.addObject().put("rel", "self").put("href", href).put("type", type);
      for (Catalogue.Link l : kind.nodeLinks()) {
        link.addObject().put("rel", l.rel()).put("href", href + "/" + l.path());
      }
    }
    for (JsonNode wrapped : body.path(VIRTUAL_RESOURCES)) {
      ObjectNode vr = unwrap(wrapped);
      if (vr != null) {
        String type = wrappedType(wrapped);
        vr.putArray("link").addObject().put("rel", "self")
            .put("href", self + "/" + type + "/" + vr.path("key").asLong()).put("type", type);
      }
    }
    for (JsonNode wrapped : body.path(INTERFACES)) {
      ObjectNode itf = unwrap(wrapped);
      if (itf != null) {
        String type = wrappedType(wrapped);
        itf.putArray("link").addObject().put("rel", "self")
            .put("href", self + "/" + type + "/" + itf.path("key").asLong()).put("type", type);
        if (!itf.has("name")) {
          itf.put("name", "Interface " + itf.path("interface_id").asText());
        }
      }
    }
  }

  /** One node of an engine, from its stored JSON. */
  public record Node(long key, String type, String name, int nodeid, ObjectNode data) {}

  public static List<Node> nodes(ObjectNode engine) {
    List<Node> out = new ArrayList<>();
    for (JsonNode wrapped : engine.path("nodes")) {
      ObjectNode d = unwrap(wrapped);
      if (d != null) {
        out.add(new Node(d.path("key").asLong(), wrappedType(wrapped), d.path("name").asText(),
            d.path("nodeid").asInt(), d));
      }
    }
    return out;
  }

  public static Optional<Node> node(ObjectNode engine, String nodeType, long key) {
    return nodes(engine).stream().filter(n -> n.key() == key && n.type().equals(nodeType)).findFirst();
  }

  /** A master engine's virtual resources: key → data. */
  public static List<ObjectNode> virtualResources(ObjectNode engine) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode wrapped : engine.path(VIRTUAL_RESOURCES)) {
      ObjectNode d = unwrap(wrapped);
      if (d != null) {
        out.add(d);
      }
    }
    return out;
  }

  /**
   * Whether the engine's JSON holds a part of {@code type} with {@code key} (a node, an interface,
   * a virtual resource): an href to it names the engine.
   */
  public static boolean holds(ObjectNode engine, String type, long key) {
    for (String list : List.of("nodes", INTERFACES, VIRTUAL_RESOURCES)) {
      for (JsonNode wrapped : engine.path(list)) {
        ObjectNode d = unwrap(wrapped);
        if (d != null && wrappedType(wrapped).equals(type) && d.path("key").asLong() == key) {
          return true;
        }
      }
    }
    return false;
  }

  /** One interface: its wrapper type and data. */
  public record Interface(long key, String type, ObjectNode data) {}

  public static List<Interface> interfaces(ObjectNode engine) {
    List<Interface> out = new ArrayList<>();
    for (JsonNode wrapped : engine.path(INTERFACES)) {
      ObjectNode d = unwrap(wrapped);
      if (d != null) {
        out.add(new Interface(d.path("key").asLong(), wrappedType(wrapped), d));
      }
    }
    return out;
  }

  /**
   * A tree SMC generates from an engine's interfaces: the link that answers it, the key its
   * children are listed under, and what each of its interface and network nodes carries besides.
   */
  public record Tree(String rel, String child, Map<String, String> marks) {}

  public static final Tree ROUTING = new Tree("routing", "routing_node", Map.of());
  /** smc-python reads auto_generated as the string "true" / "false". */
  public static final Tree ANTISPOOFING = new Tree("antispoofing", "antispoofing_node",
      Map.of("validity", "enable", "auto_generated", "true"));

  /**
   * The routing (or antispoofing) tree SMC generates from the interfaces: the engine, each
   * interface, each network its addresses are in.
   */
  public static ObjectNode tree(ObjectNode engine, String engineType, String engineHref, Tree kind) {
    String child = kind.child();
    String treeHref = engineHref + "/" + kind.rel();
    ObjectNode root = Json.object().put("name", engine.path("name").asText()).put("level", "engine_cluster")
        .put("href", engineHref).put("related_element_type", engineType);
    root.putArray("link").addObject().put("rel", "self").put("href", treeHref).put("type", child);
    ArrayNode interfaces = root.putArray(child);
    for (Interface itf : interfaces(engine)) {
      String itfHref = engineHref + "/" + itf.type() + "/" + itf.key();
      ObjectNode in = interfaces.addObject().put("name", "Interface " + itf.data().path("interface_id").asText())
          .put("level", "interface").put("nic_id", itf.data().path("interface_id").asText())
          .put("href", itfHref).put("related_element_type", itf.type());
      in.putArray("link").addObject().put("rel", "self").put("href", treeHref + "/" + itf.key()).put("type", child);
      ArrayNode nets = in.putArray(child);
      java.util.Set<String> seen = new java.util.LinkedHashSet<>();
      for (JsonNode sub : itf.data().path("interfaces")) {
        ObjectNode s = unwrap(sub);
        if (s != null && s.hasNonNull("network_value") && seen.add(s.get("network_value").asText())) {
          String net = s.get("network_value").asText();
          ObjectNode nn = nets.addObject().put("name", "network-" + net).put("level", "network").put("ip", net)
              .put("related_element_type", "network");
          kind.marks().forEach(nn::put);
          nn.putArray("link").addObject().put("rel", "self")
              .put("href", treeHref + "/" + itf.key() + "-" + seen.size()).put("type", child);
          nn.putArray(child);
        }
      }
      kind.marks().forEach(in::put);
    }
    return root;
  }

  /** A tree node's id: the last segment of its self href. */
  public static String treeNodeId(JsonNode node) {
    String self = node.path("link").path(0).path("href").asText();
    return self.substring(self.lastIndexOf('/') + 1);
  }

  /** A node of a generated tree ({@link #ROUTING}, {@link #ANTISPOOFING}) by its id, at any depth. */
  public static Optional<ObjectNode> findTreeNode(JsonNode node, Tree kind, String id) {
    for (JsonNode child : node.path(kind.child())) {
      if (treeNodeId(child).equals(id)) {
        return Optional.of((ObjectNode) child);
      }
      Optional<ObjectNode> deeper = findTreeNode(child, kind, id);
      if (deeper.isPresent()) {
        return deeper;
      }
    }
    return Optional.empty();
  }

  /** An engine node's href, parsed: {@code …/elements/single_fw/12/firewall_node/13}. */
  public record NodeHref(String engineType, long engineKey, String nodeType, long nodeKey) {}

  private static final java.util.regex.Pattern HREF = java.util.regex.Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})(?:/([a-z0-9_]+)/(\\d{1,18}))?/?");

  /**
   * The engine (and node) an href names, when its type is an engine type: a node href has a
   * node type and key, an engine's has none (nodeType null).
   */
  public static Optional<NodeHref> parseHref(String href) {
    java.util.regex.Matcher m = HREF.matcher(href);
    if (!m.matches() || !Catalogue.isRelName(m.group(1)) || kind(m.group(1)).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new NodeHref(Catalogue.canonical(m.group(1)), Long.parseLong(m.group(2)), m.group(3),
        m.group(3) == null ? 0 : Long.parseLong(m.group(4))));
  }

  /** The engine types, for the status socket's contexts and the docs. */
  public static Map<String, Catalogue.Type> types() {
    Map<String, Catalogue.Type> out = new java.util.TreeMap<>();
    Catalogue.types().forEach((name, t) -> {
      if (t.engine().isPresent()) {
        out.put(name, t);
      }
    });
    return out;
  }
}
