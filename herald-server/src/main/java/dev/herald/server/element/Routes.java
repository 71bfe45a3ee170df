package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An engine's static routes, as smc-python adds them: in the routing tree ({@code engine.routing}:
 * a PUT of an interface's node with gateway nodes — a router, a host, a netlink — under its
 * networks, each with its destinations), with {@code add_route?gateway=IP&network=CIDR} (the
 * gateway goes under the interface whose network holds it), removed with a DELETE of a gateway or
 * destination node. They are stored as a resource of the engine ({@code {"<interface key>":
 * {"<network>": [gateway…]}}}), the elements they use are references of the engine (a router in
 * a route cannot be deleted), and every change is an update of the engine. An engine that reports
 * answers {@code routing_monitoring} with its connected and static routes.
 */
public final class Routes {
  private static final String RESOURCE = "routing";

  private final ElementService elements;
  private final ElementStore store;

  public Routes(ElementService elements) {
    this.elements = elements;
    this.store = elements.store();
    // a PUT or an import of the engine recomputes its references: its routes' stay among them —
    // those whose interface and network it still has (the others are not shown, nor referenced)
    elements.addReferenceSource((type, key, body, resources) -> Engines.kind(type).isPresent()
        ? referenced(placed(resources.read(RESOURCE).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object),
            body)) : Set.of());
  }

  private ObjectNode stored(long engineKey) {
    return store.resource(engineKey, RESOURCE).map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(Json::object);
  }

  /** The routes whose interface (by key) and network the engine's body still has. */
  private static ObjectNode placed(ObjectNode routes, ObjectNode engine) {
    ObjectNode out = Json.object();
    for (Engines.Interface itf : Engines.interfaces(engine)) {
      JsonNode nets = routes.path(Long.toString(itf.key()));
      if (!nets.isObject()) {
        continue;
      }
      ObjectNode kept = out.putObject(Long.toString(itf.key()));
      for (JsonNode wrapped : itf.data().path("interfaces")) {
        ObjectNode a = Engines.unwrap(wrapped);
        if (a != null && a.hasNonNull("network_value") && nets.has(a.get("network_value").asText())) {
          kept.set(a.get("network_value").asText(), nets.get(a.get("network_value").asText()));
        }
      }
    }
    return out;
  }

  /** The keys of the elements the routes use. */
  private static Set<Long> referenced(ObjectNode routes) {
    Set<Long> refs = new LinkedHashSet<>();
    for (JsonNode nets : iterable(routes)) {
      for (JsonNode gws : iterable((ObjectNode) nets)) {
        for (JsonNode gw : gws) {
          refs.add(keyOf(gw.path("href").asText()));
          for (JsonNode d : gw.path("routing_node")) {
            refs.add(keyOf(d.path("href").asText()));
          }
        }
      }
    }
    refs.remove(-1L);
    return refs;
  }

  private static List<JsonNode> iterable(ObjectNode o) {
    List<JsonNode> out = new ArrayList<>();
    o.properties().forEach(e -> out.add(e.getValue()));
    return out;
  }

  private static long keyOf(String path) {
    try {
      return Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String treeHref(String engineHref) {
    return engineHref + "/" + Engines.ROUTING.rel();
  }

  private static String id(JsonNode node) {
    return Engines.treeNodeId(node);
  }

  /** The routing tree SMC generates, with the static routes under their networks. */
  public ObjectNode tree(EngineNodes.Engine e, String base) {
    String engineHref = ElementJson.href(base, e.record().type(), e.record().key());
    String tree = treeHref(engineHref);
    ObjectNode root = Engines.tree(e.body(), e.record().type(), engineHref, Engines.ROUTING);
    ObjectNode routes = stored(e.record().key());
    for (JsonNode itf : root.path("routing_node")) {
      for (JsonNode net : itf.path("routing_node")) {
        ArrayNode children = (ArrayNode) net.get("routing_node");
        int g = 0;
        for (JsonNode gw : routes.path(id(itf)).path(net.path("ip").asText())) {
          g++;
          String gwId = id(net) + "-" + g;
          ObjectNode gn = children.addObject().put("name", gw.path("name").asText()).put("level", "gateway")
              .put("href", base + gw.path("href").asText()).put("related_element_type", gw.path("related_element_type").asText());
          if (gw.hasNonNull("ip")) {
            gn.put("ip", gw.get("ip").asText());
          }
          gn.putArray("link").addObject().put("rel", "self").put("href", tree + "/" + gwId).put("type", "routing_node");
          ArrayNode dests = gn.putArray("routing_node");
          int d = 0;
          for (JsonNode dest : gw.path("routing_node")) {
            d++;
            ObjectNode dn = dests.addObject().put("name", dest.path("name").asText()).put("level", "any")
                .put("href", base + dest.path("href").asText())
                .put("related_element_type", dest.path("related_element_type").asText());
            dn.putArray("link").addObject().put("rel", "self").put("href", tree + "/" + gwId + "-" + d)
                .put("type", "routing_node");
            dn.putArray("routing_node");
          }
        }
      }
    }
    return root;
  }

  /** One node of the tree, by the last segment of its self href; 404 when there is none. */
  public ObjectNode node(EngineNodes.Engine e, String id, String base) {
    return Engines.findTreeNode(tree(e, base), Engines.ROUTING, id).orElseThrow(() -> HeraldException.notFound("Routing node not found.",
        e.record().name() + "'s routing has no node " + id + "."));
  }

  /**
   * A PUT of an interface's routing node (smc-python's {@code add_static_route},
   * {@code add_traffic_handler}, …): the gateways under each of its networks, with their
   * destinations, become that interface's routes. Every href must name a visible element; a
   * network the interface does not have, or a PUT below the interface level, is a 400; nothing
   * changes on a refusal.
   */
  public ObjectNode put(Caller caller, EngineNodes.Engine e, String id, JsonNode given, String base) {
    ObjectNode current = node(e, id, base);
    String refused = "Impossible to update the routing of " + e.record().name() + ".";
    if (!current.path("level").asText().equals("interface")) {
      throw HeraldException.badRequest(refused, "Change routes at the interface level (this node is a "
          + current.path("level").asText() + ").");
    }
    if (!(given instanceof ObjectNode g) || !g.path("routing_node").isArray()) {
      throw HeraldException.badRequest(refused, "Send the interface's routing node with its routing_node list.");
    }
    Set<String> networks = new LinkedHashSet<>();
    current.path("routing_node").forEach(n -> networks.add(n.path("ip").asText()));
    ObjectNode itfRoutes = Json.object();
    for (JsonNode net : g.get("routing_node")) {
      String ip = net.path("ip").asText("");
      if (!networks.contains(ip)) {
        throw HeraldException.badRequest(refused, "Interface " + current.path("nic_id").asText() + " has no network \""
            + ip + "\" (it has " + networks + ").");
      }
      ArrayNode gws = itfRoutes.putArray(ip);
      for (JsonNode gw : net.path("routing_node")) {
        if (!gw.path("level").asText().equals("gateway")) {
          throw HeraldException.badRequest(refused, "Under a network come gateways (level \"gateway\"); got \""
              + gw.path("level").asText() + "\".");
        }
        ObjectNode entry = reference(caller, gw.path("href"), refused, "gateway");
        ArrayNode dests = entry.putArray("routing_node");
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode d : gw.path("routing_node")) {
          ObjectNode dest = reference(caller, d.path("href"), refused, "destination");
          if (seen.add(dest.get("href").asText())) {
            dests.add(dest);
          }
        }
        gws.add(entry);
      }
    }
    save(e, caller, routes -> routes.set(id, itfRoutes));
    return node(e, id, base);
  }

  /** A visible element as a stored route part: its path, name, type and (a gateway's) address. */
  private ObjectNode reference(Caller caller, JsonNode href, String refused, String what) {
    ElementRecord r = (href.isTextual() ? elements.resolveHref(caller, href.asText()) : Optional.<ElementRecord>empty())
        .orElseThrow(() -> HeraldException.badRequest(refused, "The " + what + " " + href + " is not an element."));
    ObjectNode o = Json.object().put("href", "/elements/" + r.type() + "/" + r.key()).put("name", r.name())
        .put("related_element_type", r.type());
    JsonNode body = ElementService.parse(r.body());
    if (body.hasNonNull("address")) {
      o.put("ip", body.get("address").asText());
    }
    return o;
  }

  private interface Edit {
    void apply(ObjectNode routes);
  }

  private void save(EngineNodes.Engine e, Caller caller, Edit edit) {
    ElementRecord r = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ObjectNode routes = stored(r.key());
      edit.apply(routes);
      tx.putResource(r.key(), RESOURCE, Json.write(routes));
      // the routes no longer used are let go
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
  }

  /** A DELETE of a gateway node (the gateway and its destinations) or of a destination node. */
  public void delete(Caller caller, EngineNodes.Engine e, String id, String base) {
    ObjectNode node = node(e, id, base);
    String[] parts = id.split("-");
    if (parts.length < 3) {
      throw HeraldException.badRequest("Impossible to delete the routing node.",
          "Interfaces and their networks come from the engine's interfaces: delete a gateway or a destination.");
    }
    String network = node(e, parts[0] + "-" + parts[1], base).path("ip").asText();
    String href = node.path("href").asText();
    save(e, caller, routes -> {
      // found again inside the transaction, by what it names: a change meanwhile gives 404, never another's removal
      int gw = Integer.parseInt(parts[2]) - 1;
      JsonNode gws = routes.path(parts[0]).path(network);
      JsonNode g = gws.path(gw);
      boolean gateway = parts.length == 3;
      JsonNode dests = g.path("routing_node");
      int d = gateway ? -1 : Integer.parseInt(parts[3]) - 1;
      JsonNode target = gateway ? g : dests.path(d);
      if (!(gws instanceof ArrayNode list) || !target.isObject() || !href.endsWith(target.path("href").asText("\u0000"))) {
        throw HeraldException.notFound("Routing node not found.", "It changed meanwhile: GET the routing again.");
      }
      if (gateway) {
        list.remove(gw);
      } else {
        ((ArrayNode) dests).remove(d);
      }
    });
    node.removeAll();
  }

  /**
   * {@code add_route}: {@code ?gateway=IP&network=CIDR}, or a body {@code {"gateway_ip",
   * "network_ip"}} or {@code {"gateway_ref", "network_ref"}}. The gateway goes under the interface
   * whose network holds its address (none: 400, smc-python's EngineCommandFailed). Given as
   * addresses, the router and network are the visible ones with that address, or new ones
   * ({@code router-IP}, {@code network-CIDR}).
   */
  public void addRoute(Caller caller, EngineNodes.Engine e, Optional<String> gatewayParam, Optional<String> networkParam,
      JsonNode body, String base) {
    String refused = "Impossible to add the route to " + e.record().name() + ".";
    if (!body.hasNonNull("gateway_ref") && !body.hasNonNull("network_ref")) {
      String gwIp = gatewayParam.or(() -> text(body, "gateway_ip")).orElse("").replaceAll("/(32|128)$", "");
      String net = networkParam.or(() -> text(body, "network_ip")).orElse("");
      if (Addresses.any(gwIp).isEmpty()) {
        throw HeraldException.badRequest(refused, "gateway must be an IP address; got \"" + gwIp + "\".");
      }
      if (!Addresses.isNetwork(net, net.contains(":"))) {
        throw HeraldException.badRequest(refused, "network must be a network in CIDR form (0.0.0.0/0 for the default"
            + " route); got \"" + net + "\".");
      }
      // everything that could refuse it first: a refused route creates no element
      String[] place = place(e, gwIp, base, refused);
      String netField = net.contains(":") ? "ipv6_network" : "ipv4_network";
      Optional<ObjectNode> router = existing(caller, "router", "address", gwIp, "router-" + gwIp, refused);
      Optional<ObjectNode> network = existing(caller, "network", netField, net, "network-" + net, refused);
      add(e, caller, place, router.orElseGet(() -> made(caller, "router", "address", gwIp, "router-" + gwIp)),
          network.orElseGet(() -> made(caller, "network", netField, net, "network-" + net)));
      return;
    }
    ObjectNode gateway = reference(caller, body.path("gateway_ref"), refused, "gateway");
    ObjectNode destination = reference(caller, body.path("network_ref"), refused, "network");
    add(e, caller, place(e, gateway.path("ip").asText(""), base, refused), gateway, destination);
  }

  private static Optional<String> text(JsonNode body, String field) {
    return body.path(field).isTextual() ? Optional.of(body.get(field).asText()) : Optional.empty();
  }

  /** The interface (node id) and network whose addresses hold {@code ip}. */
  private String[] place(EngineNodes.Engine e, String ip, String base, String refused) {
    for (JsonNode itf : tree(e, base).path("routing_node")) {
      for (JsonNode net : itf.path("routing_node")) {
        if (Addresses.contains(net.path("ip").asText(), ip)) {
          return new String[] {id(itf), net.path("ip").asText()};
        }
      }
    }
    throw HeraldException.badRequest(refused, "No interface of " + e.record().name() + " is on a network that holds "
        + (ip.isEmpty() ? "the gateway (it has no address)" : ip) + ".");
  }

  private void add(EngineNodes.Engine e, Caller caller, String[] place, ObjectNode gateway, ObjectNode destination) {
    save(e, caller, routes -> {
      ObjectNode itf = routes.has(place[0]) ? (ObjectNode) routes.get(place[0]) : routes.putObject(place[0]);
      ArrayNode gws = itf.has(place[1]) ? (ArrayNode) itf.get(place[1]) : itf.putArray(place[1]);
      for (JsonNode gw : gws) {
        if (gw.path("href").asText().equals(gateway.get("href").asText())) {
          for (JsonNode d : gw.path("routing_node")) {
            if (d.path("href").asText().equals(destination.get("href").asText())) {
              return; // already there
            }
          }
          ((ArrayNode) gw.get("routing_node")).add(destination);
          return;
        }
      }
      ObjectNode g = gateway.deepCopy();
      g.putArray("routing_node").add(destination);
      gws.add(g);
    });
  }

  /**
   * A visible element of {@code type} whose {@code field} is {@code value}; none: empty, unless
   * the name a new one would take is used already (400: nothing is made).
   */
  private Optional<ObjectNode> existing(Caller caller, String type, String field, String value, String name,
      String refused) {
    for (ElementRecord r : elements.search(caller, Set.of(type), Optional.empty(), false, false, 10_000)) {
      if (ElementService.parse(r.body()).path(field).asText().equals(value)) {
        return Optional.of(asRoutePart(r, field.equals("address") ? value : null));
      }
    }
    if (!elements.search(caller, Set.of(type), Optional.of(name), true, true, 1).isEmpty()) {
      throw HeraldException.badRequest(refused, "A " + type + " named " + name + " exists with another " + field
          + ": give the route with gateway_ref and network_ref.");
    }
    return Optional.empty();
  }

  private ObjectNode made(Caller caller, String type, String field, String value, String name) {
    ElementRecord r = elements.create(caller, type, Json.object().put("name", name).put(field, value));
    return asRoutePart(r, field.equals("address") ? value : null);
  }

  private static ObjectNode asRoutePart(ElementRecord r, String ip) {
    ObjectNode o = Json.object().put("href", "/elements/" + r.type() + "/" + r.key()).put("name", r.name())
        .put("related_element_type", r.type());
    if (ip != null) {
      o.put("ip", ip);
    }
    return o;
  }

  /**
   * {@code routing_monitoring}: the routes of an engine that reports — each network of its
   * interfaces ({@code Connected}) and each static route ({@code Static}), in smc-python's keys.
   * Empty while no node answers.
   */
  public ObjectNode monitoring(EngineNodes.Engine e, boolean reports, String base) {
    ObjectNode out = Json.object();
    ArrayNode entries = out.putArray("routing_monitoring_entry");
    if (!reports) {
      return out;
    }
    for (JsonNode itf : tree(e, base).path("routing_node")) {
      int nic = itf.path("nic_id").asInt(-1);
      for (JsonNode net : itf.path("routing_node")) {
        entry(entries, net.path("ip").asText(), null, "Connected", nic);
        for (JsonNode gw : net.path("routing_node")) {
          for (JsonNode d : gw.path("routing_node")) {
            keyNetwork(d).ifPresent(cidr -> entry(entries, cidr, gw.path("ip").asText(null), "Static", nic));
          }
        }
      }
    }
    return out;
  }

  /**
   * {@code query_route} (smc-python's {@code engine.query_route}): the route the engine takes to a
   * destination — {@code destination_ip} (or the query parameter {@code destination}), or
   * {@code destination_ref}, an element whose address or network is used — as
   * {@code [{"entry": [interface, network, gateway, destination]}]} (a connected network's is
   * {@code [interface, network]}): the longest prefix among the interfaces' networks and the static
   * routes' destinations; {@code []} when none holds it.
   */
  public ArrayNode query(Caller caller, EngineNodes.Engine e, JsonNode body, Optional<String> destinationParam, String base) {
    String refused = "Impossible to query the route.";
    String dest;
    if (body.path("destination_ref").isTextual()) {
      ElementRecord r = elements.resolveHref(caller, body.get("destination_ref").asText()).orElseThrow(() ->
          HeraldException.badRequest(refused, "destination_ref " + body.get("destination_ref").asText() + " is not an element."));
      JsonNode b = ElementService.parse(r.body());
      String value = b.path("address").asText(b.path("ipv4_network").asText(b.path("ipv6_network").asText("")));
      dest = value.contains("/") ? value.substring(0, value.indexOf('/')) : value;
    } else {
      dest = destinationParam.or(() -> text(body, "destination_ip")).orElse("");
    }
    if (Addresses.any(dest).isEmpty()) {
      throw HeraldException.badRequest(refused, "Give destination_ip (an IP address) or destination_ref (an element"
          + " with an address or a network); got \"" + dest + "\".");
    }
    List<JsonNode> best = List.of();
    int bestPrefix = -1;
    for (JsonNode itf : tree(e, base).path("routing_node")) {
      for (JsonNode net : itf.path("routing_node")) {
        int p = prefixIfHolds(net.path("ip").asText(), dest);
        if (p > bestPrefix) {
          bestPrefix = p;
          best = List.of(itf, net);
        }
        for (JsonNode gw : net.path("routing_node")) {
          for (JsonNode d : gw.path("routing_node")) {
            Optional<String> cidr = keyNetwork(d);
            int q = cidr.map(c -> prefixIfHolds(c, dest)).orElse(-1);
            if (q > bestPrefix) {
              bestPrefix = q;
              best = List.of(itf, net, gw, d);
            }
          }
        }
      }
    }
    ArrayNode out = Json.mapper().createArrayNode();
    if (!best.isEmpty()) {
      ArrayNode entry = out.addObject().putArray("entry");
      for (JsonNode n : best) {
        ObjectNode flat = ((ObjectNode) n).deepCopy();
        flat.putArray("routing_node"); // the path, not the subtrees
        entry.add(flat);
      }
    }
    return out;
  }

  /** The prefix length of {@code cidr} when it holds {@code address}, else -1. */
  private static int prefixIfHolds(String cidr, String address) {
    if (!Addresses.contains(cidr, address)) {
      return -1;
    }
    return Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
  }

  /** A destination's network: a network's, or a host's address as /32 (an IPv6 one /128). */
  private Optional<String> keyNetwork(JsonNode dest) {
    Optional<ElementRecord> r = store.find(keyOf(dest.path("href").asText()));
    if (r.isEmpty()) {
      return Optional.empty();
    }
    JsonNode b = ElementService.parse(r.get().body());
    if (b.hasNonNull("ipv4_network")) {
      return Optional.of(b.get("ipv4_network").asText());
    }
    if (b.hasNonNull("ipv6_network")) {
      return Optional.of(b.get("ipv6_network").asText());
    }
    if (b.hasNonNull("address")) {
      String a = b.get("address").asText();
      return Optional.of(a + (a.contains(":") ? "/128" : "/32"));
    }
    if (b.hasNonNull("ipv6_address")) {
      return Optional.of(b.get("ipv6_address").asText() + "/128");
    }
    return Optional.empty();
  }

  private static void entry(ArrayNode entries, String cidr, String gateway, String type, int nic) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      return;
    }
    ObjectNode o = entries.addObject().put("route_network", cidr.substring(0, slash))
        .put("route_netmask", Integer.parseInt(cidr.substring(slash + 1)));
    if (gateway == null) {
      o.putNull("route_gateway");
    } else {
      o.put("route_gateway", gateway);
    }
    o.put("route_type", type).put("dst_if", nic).put("src_if", -1);
  }
}
