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
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Policy-based VPNs as smc-python builds them, and their simulated status: an engine's internal
 * gateway ({@code <engine>/internal_gateway/KEY}, named "ENGINE Primary" on layer 3 engines), the
 * VPN's gateway nodes (its {@code central_gateway_node}, {@code satellite_gateway_node} and
 * {@code mobile_gateway_node} collections: POST {@code {"gateway": href, "node_usage": …}}), the
 * gateway tunnels SMC derives from them (every central gateway with every other central and every
 * satellite gateway; mobile gateways have none), each at {@code <vpn>/tunnels/ID} with the ID
 * SMC's guide shows (base64 of "A#B"), enabled by default, its {@code enabled},
 * {@code preshared_key} and {@code ppk_ref} writable.
 *
 * <p>Status (smc-python's {@code VPNStatus} and {@code VPNGatewayTunnelStatus} keys): a tunnel
 * whose two gateways answer is OK with latency, jitter, packet loss, health and traffic figures
 * that move with time; a gateway whose engine has no node that made contact leaves it UNKNOWN, an
 * engine with no node online makes it ERROR, one in standby IDLE; a disabled tunnel is not
 * monitored; a test can set a tunnel's figures ({@link #simulate}). A VPN's status is its
 * tunnels' composite by the rules of smc-python's {@code MonitoringStatus}. The topology and the
 * simulated figures are resources of the VPN element (multi-node, snapshots and resets carry
 * them); every change of a tunnel's status is a status row in the change log, as a node's is.
 */
public final class Vpns {
  /**
   * Gateways one VPN holds at most: a full mesh of n central gateways is n²/2 tunnels, each
   * with a status to compute on every change of its engines.
   */
  static final int MAX_GATEWAYS = 100;
  /** The VPN's resource holding its gateways and the tunnels' own settings. */
  private static final String TOPOLOGY = "vpn_topology";
  /** The VPN's resources holding a tunnel's simulated figures. */
  private static final String SIMULATED = "tunnel_status/";
  /** The engine's resource holding its internal gateway's settings. */
  private static final String INTERNAL_GATEWAY = "internal_gateway";
  /**
   * How VPNs pair their gateways into tunnels, which types are gateways SMC does not manage and
   * which addresses are VPN endpoints: catalogue data (the overlay's {@code vpns}).
   */
  static final Catalogue.Vpn RULES = Catalogue.types().values().stream().flatMap(t -> t.vpn().stream())
      .findFirst().orElseThrow(() -> new IllegalStateException("the catalogue has no VPN type"));
  private static final String GATEWAY_NODE = "gateway_node";
  private static final String TUNNEL = "gateway_tunnel";
  public static final String TUNNELS = "tunnels";

  private static final Pattern INTERNAL = Pattern.compile(".*/elements/([a-z0-9_]+)/(\\d{1,18})/internal_gateway/(\\d{1,18})/?");
  private static final Pattern TUNNEL_HREF = Pattern.compile(".*/elements/([a-z0-9_]+)/(\\d{1,18})/tunnels/([A-Za-z0-9+=%]{1,64})/?");

  private final ElementService elements;
  private final ElementStore store;
  private final EngineNodes engines;
  private final SubElements subElements;
  private final InstantSource clock;
  private final ScheduledExecutorService timers;

  public Vpns(ElementService elements, EngineNodes engines, SubElements subElements, InstantSource clock,
      ScheduledExecutorService timers) {
    this.elements = elements;
    this.store = elements.store();
    this.engines = engines;
    this.subElements = subElements;
    this.clock = clock;
    this.timers = timers;
    // a PUT or an import of the VPN recomputes its references: its gateways' stay among them
    elements.addReferenceSource((type, key, body, resources) -> isVpn(type)
        ? gatewayKeys(topology(resources.read(TOPOLOGY)))
        : Engines.kind(type).isPresent() ? settingsReferences(resources) : Set.of());
    engines.onStatus(this::engineStatusChanged);
    elements.addPartResolver(this::gatewayPart);
  }

  private static final Pattern INTERNAL_PART = Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})/internal_gateway/(\\d{1,18})(?:/internal_endpoint/(\\d{1,18}-\\d{1,9}))?/?");

  /**
   * A layer 3 engine's internal gateway, or one of its internal endpoints, as a part of the engine
   * (a route-based VPN's tunnel side names them).
   */
  private Optional<ElementService.Part> gatewayPart(String href) {
    Matcher m = INTERNAL_PART.matcher(href);
    if (!m.matches() || !Catalogue.isRelName(m.group(1))) {
      return Optional.empty();
    }
    String type = Catalogue.canonical(m.group(1));
    long gk = Long.parseLong(m.group(3));
    return store.find(Long.parseLong(m.group(2))).filter(r -> r.type().equals(type)).flatMap(Vpns::engineOf)
        .filter(e -> gatewayKeys(e).contains(gk))
        .filter(e -> m.group(4) == null || endpoints(e).stream().anyMatch(ep -> ep.id().equals(m.group(4))))
        .map(e -> new ElementService.Part(e.record().key(), m.group(4) == null ? INTERNAL_GATEWAY : RULES.parts(true).endpoints()));
  }

  /** VPN types: those with a link of kind {@code tunnels} (the catalogue says which). */
  public static boolean isVpn(String type) {
    return Catalogue.isRelName(type) && Catalogue.type(type).links().stream().anyMatch(l -> l.kind().equals(TUNNELS));
  }

  public static Set<String> types() {
    Set<String> out = new java.util.TreeSet<>();
    Catalogue.types().forEach((n, t) -> {
      if (isVpn(n)) {
        out.add(n);
      }
    });
    return out;
  }

  /** The rels of a VPN's gateway-node collections (links of kind {@code gateway_nodes}). */
  public static boolean isGatewayNodes(String type, String rel) {
    return Catalogue.isRelName(type) && Catalogue.type(type).link(rel).map(l -> l.kind().equals("gateway_nodes")).orElse(false);
  }

  /** central_gateway_node → central: a node's usage is its collection's rel without the suffix. */
  private static String usage(String rel) {
    return rel.substring(0, rel.length() - "_gateway_node".length());
  }

  // ---- internal gateways ----

  /** The engine's resource holding the internal gateways created beside its first: key → settings. */
  private static final String MORE_GATEWAYS = "internal_gateways";

  /**
   * The keys of a layer 3 engine's internal gateways: its first (SMC's "ENGINE Primary", keyed by
   * the engine's key, its name following the engine's), then those created beside it.
   */
  public List<Long> gatewayKeys(EngineNodes.Engine e) {
    requireLayer3(e);
    List<Long> out = new ArrayList<>();
    out.add(e.record().key());
    store.resource(e.record().key(), MORE_GATEWAYS).map(ElementService::parse)
        .ifPresent(m -> m.properties().forEach(x -> out.add(Long.parseLong(x.getKey()))));
    return out;
  }

  /** A gateway key of the engine, or 404. */
  public long requireGateway(EngineNodes.Engine e, long gk) {
    if (!gatewayKeys(e).contains(gk)) {
      throw HeraldException.notFound("Internal gateway not found.", e.record().name() + " has no internal gateway " + gk + ".");
    }
    return gk;
  }

  private static boolean primary(EngineNodes.Engine e, long gk) {
    return gk == e.record().key();
  }

  /** The resource holding a gateway's own settings (the first's alone; the others' in one map). */
  private Optional<ObjectNode> gatewaySettings(EngineNodes.Engine e, long gk) {
    if (primary(e, gk)) {
      return store.resource(e.record().key(), INTERNAL_GATEWAY).map(s -> (ObjectNode) ElementService.parse(s));
    }
    return store.resource(e.record().key(), MORE_GATEWAYS).map(ElementService::parse)
        .map(m -> m.path(Long.toString(gk))).filter(JsonNode::isObject).map(o -> (ObjectNode) o);
  }

  /** The resource holding a gateway's endpoint settings, by endpoint id. */
  private static String endpointsResource(EngineNodes.Engine e, long gk) {
    return primary(e, gk) ? ENDPOINTS : ENDPOINTS + "/" + gk;
  }

  /** The engine's first internal gateway. */
  public ObjectNode internalGateway(EngineNodes.Engine e, String base) {
    return internalGateway(e, e.record().key(), base);
  }

  /** An internal gateway of a layer 3 engine, as SMC shows it (the first's name follows the engine's). */
  public ObjectNode internalGateway(EngineNodes.Engine e, long gk, String base) {
    requireGateway(e, gk);
    String engineHref = ElementJson.href(base, e.record().type(), e.record().key());
    ObjectNode o = Json.object().put("name", e.record().name() + " Primary");
    o.setAll(Catalogue.type(INTERNAL_GATEWAY).defaults().deepCopy()); // a fresh gateway (catalogue data)
    gatewaySettings(e, gk).ifPresent(o::setAll);
    ArrayNode endPoints = o.putArray("end_point"); // its endpoints that are enabled
    for (Endpoint ep : endpoints(e)) {
      if (internalEndpoint(e, gk, ep.id(), base).path("enabled").asBoolean()) {
        endPoints.add(gatewayHref(e, gk, base) + "/internal_endpoint/" + ep.id());
      }
    }
    o.put("cluster_ref", engineHref).put("key", gk);
    String self = gatewayHref(e, gk, base);
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", INTERNAL_GATEWAY);
    for (String rel : List.of(RULES.parts(true).endpoints(), RULES.parts(true).sites(), "gateway_certificate",
        "gateway_certificate_request")) {
      link.addObject().put("rel", rel).put("href", self + "/" + rel);
    }
    return o;
  }

  /** The engine's internal gateways as a meta list, its first first (smc-python's engine.vpn takes result[0]). */
  public ObjectNode internalGateways(EngineNodes.Engine e, String base) {
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (long gk : gatewayKeys(e)) {
      ObjectNode g = internalGateway(e, gk, base);
      result.addObject().put("name", g.get("name").asText()).put("href", g.get("link").get(0).get("href").asText())
          .put("type", INTERNAL_GATEWAY);
    }
    return out;
  }

  private static void requireLayer3(EngineNodes.Engine e) {
    if (!e.kind().layer3()) {
      throw HeraldException.badRequest("Internal gateway is not supported on " + e.record().name() + ".",
          "Only layer 3 engines have an internal gateway (a " + e.record().type() + " has none).");
    }
  }

  /** The names of the engine's gateways but {@code except}'s, as this write sees them. */
  private static Set<String> otherNames(ElementStore.WriteTx tx, ElementRecord engine, long except) throws java.sql.SQLException {
    Set<String> out = new java.util.HashSet<>();
    if (engine.key() != except) {
      out.add(tx.resource(engine.key(), INTERNAL_GATEWAY).map(ElementService::parse).map(g -> g.path("name").asText(""))
          .filter(n -> !n.isEmpty()).orElse(engine.name() + " Primary"));
    }
    tx.resource(engine.key(), MORE_GATEWAYS).map(ElementService::parse).ifPresent(m -> m.properties().forEach(g -> {
      if (Long.parseLong(g.getKey()) != except) {
        out.add(g.getValue().path("name").asText());
      }
    }));
    return out;
  }

  /**
   * What the engine's internal gateways' and endpoints' settings refer to (a gateway profile,
   * trusted CAs, an endpoint's connection type): the keys of the element hrefs in them.
   */
  private static Set<Long> settingsReferences(ElementService.Resources resources) {
    Set<Long> out = new LinkedHashSet<>();
    java.util.function.Consumer<String> add = rel -> resources.read(rel).map(ElementService::parse).ifPresent(j -> hrefKeys(j, out));
    add.accept(INTERNAL_GATEWAY);
    add.accept(ENDPOINTS);
    resources.read(MORE_GATEWAYS).map(ElementService::parse).ifPresent(m -> {
      hrefKeys(m, out);
      m.fieldNames().forEachRemaining(gk -> add.accept(ENDPOINTS + "/" + gk));
    });
    return out;
  }

  private static final Pattern ELEMENT_HREF = Pattern.compile(".*/elements/[a-z0-9_]+/(\\d{1,18})/?");

  private static void hrefKeys(JsonNode j, Set<Long> out) {
    if (j.isTextual()) {
      Matcher m = ELEMENT_HREF.matcher(j.asText());
      if (m.matches()) {
        out.add(Long.parseLong(m.group(1)));
      }
    } else {
      j.forEach(x -> hrefKeys(x, out));
    }
  }

  /**
   * Creates another internal gateway on the engine (smc-python's {@code create_internal_gateway}:
   * a POST of {@code {"name", …settings}} to the engine's {@code internal_gateway}): a name the
   * engine's other gateways do not have, settings validated as the catalogue says. Its endpoints
   * are the engine's addresses, with settings of their own (all off until set). An update of the
   * engine. Its key.
   */
  public long createInternalGateway(Caller caller, EngineNodes.Engine e, JsonNode given, String base) {
    requireLayer3(e);
    String refused = "Impossible to create the internal gateway";
    if (!(given instanceof ObjectNode body) || !body.path("name").isTextual() || body.get("name").asText().isBlank()) {
      throw HeraldException.badRequest(refused + ".", "Send {\"name\": \"…\"} with the gateway's settings.");
    }
    String name = body.get("name").asText();
    ObjectNode kept = settings(caller, INTERNAL_GATEWAY, body, Set.of("cluster_ref", "key", "end_point"), name, refused);
    kept.put("name", name);
    long gk = store.newKey();
    ElementRecord r = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      if (otherNames(tx, cur, -1).contains(name)) {
        throw HeraldException.badRequest(refused + " " + name + ".", cur.name() + " already has an internal gateway named "
            + name + ".");
      }
      ObjectNode all = tx.resource(r.key(), MORE_GATEWAYS).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object);
      if (all.size() >= MAX_GATEWAYS) {
        throw HeraldException.badRequest(refused + ".", "An engine has at most " + (MAX_GATEWAYS + 1) + " internal gateways.");
      }
      all.set(Long.toString(gk), kept);
      tx.putResource(r.key(), MORE_GATEWAYS, Json.write(all));
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
    return gk;
  }

  /**
   * Deletes one of the gateways created beside the first (smc-python's {@code VPN.remove}); the
   * first cannot go, nor one that a VPN uses (400). Its endpoints' settings and its VPN sites go
   * with it. An update of the engine.
   */
  public void deleteInternalGateway(Caller caller, EngineNodes.Engine e, long gk, String base) {
    requireGateway(e, gk);
    String name = internalGateway(e, gk, base).get("name").asText();
    String refused = "Impossible to delete the internal gateway " + name + ".";
    if (primary(e, gk)) {
      throw HeraldException.badRequest(refused, "An engine keeps its first internal gateway.");
    }
    String path = "/elements/" + e.record().type() + "/" + e.record().key() + "/internal_gateway/" + gk;
    ElementRecord r = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      // under the engine's lock (a VPN's addGateway takes it too): no VPN, no route-based VPN uses it
      for (long k : tx.referrers(r.key())) {
        Optional<ElementRecord> vpn = tx.lock(k).filter(x -> isVpn(x.type()));
        if (vpn.isPresent() && topology(tx.resource(k, TOPOLOGY)).gateways().stream()
            .anyMatch(g -> g.internal() && g.gateway().equals(path))) {
          throw HeraldException.badRequest(refused, "It is a gateway of VPN " + vpn.get().name() + ".");
        }
      }
      List<ElementRecord> naming = ElementService.referrersNaming(tx, r.key(), path);
      if (!naming.isEmpty()) {
        throw HeraldException.badRequest(refused, "It is used by " + naming.get(0).type() + " " + naming.get(0).name() + ".");
      }
      ObjectNode all = tx.resource(r.key(), MORE_GATEWAYS).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object);
      all.remove(Long.toString(gk));
      tx.putResource(r.key(), MORE_GATEWAYS, Json.write(all));
      tx.deleteResource(r.key(), ENDPOINTS + "/" + gk);
      subElements.dropAll(tx, cur, "internal_gateway/" + gk + "/");
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
  }

  /** Changes the engine's first internal gateway's settings. */
  public ObjectNode putInternalGateway(Caller caller, EngineNodes.Engine e, JsonNode given, String base) {
    return putInternalGateway(caller, e, e.record().key(), given, base);
  }

  /**
   * Changes an internal gateway's settings (a PUT of it, as smc-python's rename does): each
   * attribute the catalogue gives {@code internal_gateway} is validated as the catalogue says;
   * computed ones and links are ignored; a name is not empty and not another gateway's of the
   * engine. Recorded as an update of the engine.
   */
  public ObjectNode putInternalGateway(Caller caller, EngineNodes.Engine e, long gk, JsonNode given, String base) {
    requireGateway(e, gk);
    String actor = caller.userName();
    String refused = "Impossible to update the internal gateway";
    if (!(given instanceof ObjectNode body)) {
      throw HeraldException.badRequest(refused + ".", "The body must be a JSON object.");
    }
    // the changes; applied over what is stored inside the transaction
    ObjectNode kept = settings(caller, INTERNAL_GATEWAY, body, Set.of("cluster_ref", "key", "end_point"),
        internalGateway(e, gk, base).get("name").asText(), refused);
    if (kept.has("name") && kept.get("name").asText("").isBlank()) {
      throw HeraldException.badRequest(refused + ".", "Its name cannot be empty.");
    }
    ElementRecord r = e.record();
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      if (kept.has("name") && otherNames(tx, cur, gk).contains(kept.get("name").asText())) {
        throw HeraldException.badRequest(refused + ".", cur.name() + " already has an internal gateway named "
            + kept.get("name").asText() + ".");
      }
      if (primary(e, gk)) {
        ObjectNode all = tx.resource(r.key(), INTERNAL_GATEWAY).map(s -> (ObjectNode) ElementService.parse(s))
            .orElseGet(Json::object);
        all.setAll(kept);
        if (all.path("name").asText("").equals(cur.name() + " Primary")) {
          all.remove("name"); // the default: it follows the engine's name
        }
        tx.putResource(r.key(), INTERNAL_GATEWAY, Json.write(all));
      } else {
        ObjectNode all = tx.resource(r.key(), MORE_GATEWAYS).map(s -> (ObjectNode) ElementService.parse(s))
            .orElseGet(Json::object);
        ObjectNode mine = all.path(Long.toString(gk)).isObject() ? (ObjectNode) all.get(Long.toString(gk))
            : all.putObject(Long.toString(gk));
        mine.setAll(kept);
        tx.putResource(r.key(), MORE_GATEWAYS, Json.write(all));
      }
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, actor));
      return null;
    });
    return internalGateway(e, gk, base);
  }

  /** The engine's resource holding its first internal gateway's endpoint settings, by endpoint id. */
  private static final String ENDPOINTS = "internal_endpoints";
  private static final Set<String> DERIVED = Set.of("name", "deducted_name", "address", "physical_interface", "dynamic", "key");

  /** An address of the engine that can be a VPN endpoint: {@code <interface key>-<n>}. */
  private record Endpoint(String id, String address, Engines.Interface itf) {}

  private static List<Endpoint> endpoints(EngineNodes.Engine e) {
    List<Endpoint> out = new ArrayList<>();
    for (Engines.Interface itf : Engines.interfaces(e.body())) {
      int n = 0;
      for (JsonNode wrapped : itf.data().path("interfaces")) {
        ObjectNode a = Engines.unwrap(wrapped);
        if (a != null && RULES.endpointAddresses().contains(Engines.wrappedType(wrapped)) && a.hasNonNull("address")) {
          out.add(new Endpoint(itf.key() + "-" + (++n), a.get("address").asText(), itf));
        }
      }
    }
    return out;
  }

  private static String gatewayHref(EngineNodes.Engine e, long gk, String base) {
    return ElementJson.href(base, e.record().type(), e.record().key()) + "/internal_gateway/" + gk;
  }

  /** An internal gateway's endpoints, as meta (named by their address, as smc-python shows them). */
  public ObjectNode internalEndpoints(EngineNodes.Engine e, long gk, String base) {
    requireGateway(e, gk);
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (Endpoint ep : endpoints(e)) {
      result.addObject().put("name", ep.address()).put("href", gatewayHref(e, gk, base) + "/internal_endpoint/" + ep.id())
          .put("type", RULES.parts(true).endpoints());
    }
    return out;
  }

  /**
   * One endpoint of a gateway: an address of the engine's interfaces and the gateway's VPN
   * settings for it (smc-python's {@code InternalEndpoint}: {@code enabled}, {@code ipsec_vpn},
   * {@code nat_t}, … all off until set, {@code balancing_mode} active).
   */
  public ObjectNode internalEndpoint(EngineNodes.Engine e, long gk, String id, String base) {
    requireGateway(e, gk);
    Endpoint ep = endpoints(e).stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow(() ->
        HeraldException.notFound("Internal endpoint not found.", e.record().name() + " has no endpoint " + id + "."));
    ObjectNode o = Json.object().put("name", ep.address()).put("deducted_name", ep.address()).put("address", ep.address());
    o.setAll(Catalogue.type(RULES.parts(true).endpoints()).defaults().deepCopy()); // a fresh endpoint (catalogue data)
    store.resource(e.record().key(), endpointsResource(e, gk)).map(ElementService::parse).map(s -> s.path(id))
        .filter(JsonNode::isObject).ifPresent(s -> o.setAll((ObjectNode) s));
    String engineHref = ElementJson.href(base, e.record().type(), e.record().key());
    o.put("physical_interface", engineHref + "/" + ep.itf().type() + "/" + ep.itf().key());
    o.putArray("link").addObject().put("rel", "self").put("href", gatewayHref(e, gk, base) + "/internal_endpoint/" + id)
        .put("type", RULES.parts(true).endpoints());
    return o;
  }

  /**
   * A PUT of an endpoint ({@code update(enabled=True, …)}): each setting checked against the
   * catalogue's {@code internal_endpoint}; what comes from the interface is ignored. An update
   * of the engine.
   */
  public ObjectNode putInternalEndpoint(Caller caller, EngineNodes.Engine e, long gk, String id, JsonNode given, String base) {
    ObjectNode current = internalEndpoint(e, gk, id, base); // 404 first
    String actor = caller.userName();
    String refused = "Impossible to update the internal endpoint";
    if (!(given instanceof ObjectNode body)) {
      throw HeraldException.badRequest(refused + ".", "The body must be a JSON object.");
    }
    ObjectNode kept = settings(caller, RULES.parts(true).endpoints(), body, DERIVED, current.get("name").asText(), refused);
    ElementRecord r = e.record();
    String resource = endpointsResource(e, gk);
    store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ObjectNode all = tx.resource(r.key(), resource).map(s -> (ObjectNode) ElementService.parse(s))
          .orElseGet(Json::object);
      (all.path(id).isObject() ? (ObjectNode) all.get(id) : all.putObject(id)).setAll(kept);
      tx.putResource(r.key(), resource, Json.write(all));
      elements.setReferences(tx, caller, cur);
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.UPDATE, actor));
      return null;
    });
    return internalEndpoint(e, gk, id, base);
  }

  /**
   * The settings a PUT of a part changes: the attributes the catalogue gives {@code type} (not
   * computed, not {@code derived}), validated as the catalogue says — JSON types, enums,
   * references to elements the caller may see — and read as SMC reads them; 400 otherwise.
   */
  private ObjectNode settings(Caller caller, String type, ObjectNode body, Set<String> derived, String name,
      String refused) {
    Catalogue.Type t = Catalogue.type(type);
    ObjectNode check = Json.object();
    body.properties().forEach(f -> {
      Catalogue.Attribute a = t.attributes().get(f.getKey());
      if (a != null && !a.computed() && !derived.contains(f.getKey())) {
        if (f.getValue().isNull()) {
          throw HeraldException.badRequest(refused + ".", f.getKey() + " cannot be null.");
        }
        check.set(f.getKey(), f.getValue().deepCopy());
      }
    });
    boolean named = check.has("name");
    if (!named) {
      check.put("name", name); // the catalogue needs one; it is not a change
    }
    elements.validatePart(caller, type, check, refused);
    if (!named) {
      check.remove("name");
    }
    return check;
  }

  /**
   * An engine's {@code vpn_mapping}: every VPN (the caller may see) its internal gateway is in,
   * with the gateway node of each usage ({@code central_gateway_node_ref}, …).
   */
  public ObjectNode mappings(Caller caller, EngineNodes.Engine e, String base) {
    requireLayer3(e);
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("vpnMappings");
    Set<Long> visible = elements.visibleDomains(caller);
    for (ElementRecord vpn : store.findAll(store.referrers(e.record().key()))) {
      if (!isVpn(vpn.type()) || !visible.contains(vpn.domainKey())) {
        continue;
      }
      // one entry per gateway of the engine in the VPN
      Map<String, ObjectNode> byGateway = new java.util.LinkedHashMap<>();
      for (Gateway g : topology(vpn.key()).gateways()) {
        if (g.internal() && g.element() == e.record().key()) {
          byGateway.computeIfAbsent(g.gateway(), x -> Json.object())
              .put(g.usage() + "_gateway_node_ref", vpnHref(base, vpn) + "/" + g.usage() + "_gateway_node/" + g.id());
        }
      }
      byGateway.forEach((gateway, usage) -> {
        ObjectNode entry = list.addObject().putObject("vpn_mapping_entry").put("gateway_ref", base + gateway)
            .put("vpn_ref", vpnHref(base, vpn));
        entry.set("gateway_nodes_usage", usage);
      });
    }
    return out;
  }

  // ---- topology ----

  /** A gateway of a VPN: its node id in the VPN, usage, the gateway's path and element. */
  record Gateway(int id, String usage, String gateway, long element, boolean internal) {}

  private record Topology(int next, List<Gateway> gateways, ObjectNode tunnels) {}

  private Topology topology(long vpnKey) {
    return topology(store.resource(vpnKey, TOPOLOGY));
  }

  private static Topology topology(Optional<String> s) {
    if (s.isEmpty()) {
      return new Topology(1, List.of(), Json.object());
    }
    ObjectNode o = (ObjectNode) ElementService.parse(s.get());
    List<Gateway> gws = new ArrayList<>();
    for (JsonNode g : o.path("gateways")) {
      gws.add(new Gateway(g.path("id").asInt(), g.path("usage").asText(), g.path("gateway").asText(),
          g.path("element").asLong(), g.path("internal").asBoolean()));
    }
    return new Topology(o.path("next").asInt(1), gws,
        o.path("tunnels").isObject() ? (ObjectNode) o.get("tunnels") : Json.object());
  }

  private static String write(Topology t) {
    ObjectNode o = Json.object().put("next", t.next());
    ArrayNode a = o.putArray("gateways");
    for (Gateway g : t.gateways()) {
      a.addObject().put("id", g.id()).put("usage", g.usage()).put("gateway", g.gateway()).put("element", g.element())
          .put("internal", g.internal());
    }
    o.set("tunnels", t.tunnels());
    return Json.write(o);
  }

  /** What the VPN's resources refer to: its gateways' elements, and its tunnels' post-quantum keys. */
  private static Set<Long> gatewayKeys(Topology t) {
    Set<Long> out = new LinkedHashSet<>();
    t.gateways().forEach(g -> out.add(g.element()));
    t.tunnels().properties().forEach(e -> {
      String ppk = e.getValue().path("ppk_ref").asText("");
      if (!ppk.isEmpty()) {
        out.add(Long.parseLong(ppk.substring(ppk.lastIndexOf('/') + 1)));
      }
    });
    return out;
  }

  /** The VPN a caller may see (404 otherwise), checked to be a VPN. */
  public ElementRecord vpn(Caller caller, String type, long key) {
    String t = Catalogue.canonical(type);
    if (!isVpn(t)) {
      throw HeraldException.notFound("Not a VPN.", type + " elements have no gateways or tunnels.");
    }
    return elements.get(caller, t, key);
  }

  /** A VPN the caller may change (edit rights in its domain, not a system element, not locked). */
  public ElementRecord writableVpn(Caller caller, String type, long key, String what) {
    vpn(caller, type, key);
    ElementRecord r = elements.writableForLink(caller, Catalogue.canonical(type), key, what);
    ElementService.refuseLocked(r, what);
    return r;
  }

  private static String vpnHref(String base, ElementRecord vpn) {
    return ElementJson.href(base, vpn.type(), vpn.key());
  }

  /** The gateway nodes of one collection, as meta. */
  public ObjectNode gatewayNodes(ElementRecord vpn, String rel, String base) {
    String usage = usage(rel);
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (Gateway g : topology(vpn.key()).gateways()) {
      if (g.usage().equals(usage)) {
        result.addObject().put("name", gatewayName(g)).put("href", vpnHref(base, vpn) + "/" + rel + "/" + g.id())
            .put("type", GATEWAY_NODE);
      }
    }
    return out;
  }

  /** One gateway node: its gateway's href and usage (smc-python reads {@code gateway}). */
  public ObjectNode gatewayNode(ElementRecord vpn, String rel, int id, String base) {
    Gateway g = gateway(vpn, rel, id);
    String self = vpnHref(base, vpn) + "/" + rel + "/" + g.id();
    ObjectNode o = Json.object().put("name", gatewayName(g)).put("gateway", base + g.gateway())
        .put("node_usage", g.usage()).put("vpn_key", vpn.key()).put("key", g.id());
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", GATEWAY_NODE);
    link.addObject().put("rel", "enabled_vpn_site").put("href", self + "/enabled_vpn_site");
    link.addObject().put("rel", "disabled_vpn_site").put("href", self + "/disabled_vpn_site");
    return o;
  }

  // ---- a gateway node's VPN sites ----

  /** The VPN's resource holding the sites each gateway node leaves out: node id → site keys. */
  private static final String DISABLED_SITES = "vpn_sites_disabled";
  /** A gateway node's two site lists (smc-python's GatewayNode.enabled_sites, disabled_sites). */
  public static final List<String> SITE_LISTS = List.of("enabled_vpn_site", "disabled_vpn_site");
  private static final String TREE_NODE = "gateway_tree_node";

  /** Where the sites of a node's gateway are kept: with the external gateway, or with the engine. */
  private Optional<SubElements.Holder> sites(Gateway g) {
    return store.find(g.element()).map(r -> new SubElements.Holder(r,
        (g.internal() ? g.gateway().substring(g.gateway().indexOf(INTERNAL_GATEWAY + "/")) + "/" : "")
            + RULES.parts(g.internal()).sites(), RULES.parts(g.internal()).sites()));
  }

  private Set<Long> disabledSites(long vpnKey, int node) {
    Set<Long> out = new LinkedHashSet<>();
    store.resource(vpnKey, DISABLED_SITES).ifPresent(s -> ElementService.parse(s).path(Integer.toString(node))
        .forEach(k -> out.add(k.asLong())));
    return out;
  }

  private static String siteList(String list) {
    if (!SITE_LISTS.contains(list)) {
      throw HeraldException.notFound("Not found.", "A gateway node's site lists are " + String.join(" and ", SITE_LISTS) + ".");
    }
    return list;
  }

  /**
   * One of a gateway node's site lists: the gateway's VPN sites this VPN uses
   * ({@code enabled_vpn_site}, every site until one is disabled) or leaves out, as meta.
   */
  public ObjectNode gatewayNodeSites(ElementRecord vpn, String rel, int id, String list, String base) {
    boolean enabled = siteList(list).equals(SITE_LISTS.get(0));
    Gateway g = gateway(vpn, rel, id);
    Set<Long> disabled = disabledSites(vpn.key(), g.id());
    String self = vpnHref(base, vpn) + "/" + rel + "/" + g.id() + "/" + list;
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    sites(g).ifPresent(h -> subElements.names(h).forEach((site, name) -> {
      if (disabled.contains(site) != enabled) {
        result.addObject().put("name", name).put("href", self + "/" + site).put("type", TREE_NODE);
      }
    }));
    return out;
  }

  /** One site of a node's list: the site's href (smc-python's GatewayTreeNode reads {@code vpn_site}). */
  public ObjectNode gatewayNodeSite(ElementRecord vpn, String rel, int id, String list, long site, String base) {
    boolean enabled = siteList(list).equals(SITE_LISTS.get(0));
    Gateway g = gateway(vpn, rel, id);
    SubElements.Holder h = sites(g).filter(x -> subElements.names(x).containsKey(site))
        .filter(x -> disabledSites(vpn.key(), g.id()).contains(site) != enabled)
        .orElseThrow(() -> HeraldException.notFound("VPN site not found.", gatewayName(g) + " has no site " + site + " in its "
            + list + " list of " + vpn.name() + "."));
    String self = vpnHref(base, vpn) + "/" + rel + "/" + g.id() + "/" + list + "/" + site;
    ObjectNode o = Json.object().put("name", subElements.names(h).get(site)).put("vpn_site", h.href(base) + "/" + site)
        .put("enabled", enabled);
    o.putArray("link").addObject().put("rel", "self").put("href", self).put("type", TREE_NODE);
    return o;
  }

  /**
   * Moves a site to the node's other list (a DELETE of the tree node, smc-python's
   * GatewayTreeNode.enable_disable); an update of the VPN. The site's href in its new list.
   */
  public String toggleGatewayNodeSite(Caller caller, ElementRecord vpn, String rel, int id, String list, long site, String base) {
    gatewayNodeSite(vpn, rel, id, list, site, base);
    store.write(tx -> {
      ElementRecord cur = tx.lock(vpn.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ObjectNode all = tx.resource(cur.key(), DISABLED_SITES).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object);
      ArrayNode ids = all.has(Integer.toString(id)) ? (ArrayNode) all.get(Integer.toString(id)) : all.putArray(Integer.toString(id));
      for (int i = ids.size() - 1; i >= 0; i--) {
        if (ids.get(i).asLong() == site) {
          ids.remove(i);
        }
      }
      if (list.equals(SITE_LISTS.get(0))) { // from the enabled list: disabled (twice: still disabled)
        ids.add(site);
      }
      tx.putResource(cur.key(), DISABLED_SITES, Json.write(all));
      tx.record(new Change.Pending(cur.domainKey(), cur.type(), cur.key(), cur.name(), EventType.UPDATE, caller.userName()));
      return null;
    });
    String other = list.equals(SITE_LISTS.get(0)) ? SITE_LISTS.get(1) : SITE_LISTS.get(0);
    return vpnHref(base, vpn) + "/" + rel + "/" + id + "/" + other + "/" + site;
  }

  private Gateway gateway(ElementRecord vpn, String rel, int id) {
    String usage = usage(rel);
    return topology(vpn.key()).gateways().stream().filter(g -> g.id() == id && g.usage().equals(usage)).findFirst()
        .orElseThrow(() -> HeraldException.notFound("Gateway node not found.",
            "VPN " + vpn.name() + " has no " + rel + " " + id + "."));
  }

  private String gatewayName(Gateway g) {
    Optional<ElementRecord> r = store.find(g.element());
    if (r.isEmpty()) {
      return "(deleted)";
    }
    if (!g.internal()) {
      return r.get().name();
    }
    // its name alone: a tunnel's status names both gateways, for every tunnel on every status frame
    long gk = gatewayKey(g);
    if (gk == r.get().key()) {
      return store.resource(gk, INTERNAL_GATEWAY).map(s -> ElementService.parse(s).path("name").asText(""))
          .filter(n -> !n.isEmpty()).orElse(r.get().name() + " Primary");
    }
    return store.resource(r.get().key(), MORE_GATEWAYS).map(ElementService::parse).map(m -> m.path(Long.toString(gk)))
        .filter(JsonNode::isObject).map(x -> x.path("name").asText()).orElse("(deleted)");
  }

  /** The key of an internal gateway a VPN names ({@code /elements/TYPE/KEY/internal_gateway/GK}). */
  private static long gatewayKey(Gateway g) {
    return Long.parseLong(g.gateway().substring(g.gateway().lastIndexOf('/') + 1));
  }

  /** A stored engine as the engine model reads it (empty for another element). */
  private static Optional<EngineNodes.Engine> engineOf(ElementRecord r) {
    return Engines.kind(r.type()).filter(Catalogue.Engine::layer3)
        .map(k -> new EngineNodes.Engine(r, (ObjectNode) ElementService.parse(r.body()), k));
  }

  private record Resolved(String path, long element, boolean internal) {}

  /** An internal gateway of a visible layer 3 engine, or a visible external gateway; else 400. */
  private Resolved resolveGateway(Caller caller, JsonNode v, String refused) {
    String href = v.isTextual() ? v.asText() : "";
    Matcher m = INTERNAL.matcher(href);
    if (m.matches() && Catalogue.isRelName(m.group(1)) && Engines.kind(m.group(1)).isPresent()) {
      String type = Catalogue.canonical(m.group(1));
      long key = Long.parseLong(m.group(2));
      EngineNodes.Engine e;
      try {
        e = engines.engine(caller, type, key);
      } catch (HeraldException ex) {
        throw HeraldException.badRequest(refused, "There is no engine at " + href + ".");
      }
      long gk = Long.parseLong(m.group(3));
      if (!e.kind().layer3() || !gatewayKeys(e).contains(gk)) {
        throw HeraldException.badRequest(refused, href + " is not an internal gateway of " + e.record().name() + ".");
      }
      return new Resolved("/elements/" + type + "/" + key + "/internal_gateway/" + gk, key, true);
    }
    Optional<ElementRecord> r = elements.resolveHref(caller, href);
    if (r.isPresent() && RULES.externalGatewayTypes().contains(r.get().type())) {
      return new Resolved("/elements/" + r.get().type() + "/" + r.get().key(), r.get().key(), false);
    }
    throw HeraldException.badRequest(refused, "gateway must be an engine's internal gateway (its internal_gateway link)"
        + " or an external_gateway; got " + (v.isTextual() ? "\"" + href + "\"" : v.toString()) + ".");
  }

  /**
   * Adds a gateway to one of the VPN's collections ({@code {"gateway": href, "node_usage": …}}):
   * refused (400, nothing changed) for a gateway that is no internal or external gateway, a
   * usage that is not the collection's, or a gateway already in the VPN. Recorded as an update of
   * the VPN and, for its status, a status change. Returns the new node's id.
   */
  public int addGateway(Caller caller, ElementRecord vpn, String rel, JsonNode body) {
    String usage = usage(rel);
    String refused = "Impossible to add the gateway to " + vpn.name() + ".";
    if (!(body instanceof ObjectNode o)) {
      throw HeraldException.badRequest(refused, "Send {\"gateway\": \"<href>\", \"node_usage\": \"" + usage + "\"}.");
    }
    if (o.has("node_usage") && !o.get("node_usage").asText().equals(usage)) {
      throw HeraldException.badRequest(refused, "node_usage must be " + usage + " in " + rel + ".");
    }
    Resolved g = resolveGateway(caller, o.path("gateway"), refused);
    int[] id = new int[1];
    store.write(tx -> {
      ElementRecord cur = tx.lock(vpn.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      Topology t = topology(cur.key());
      for (Gateway x : t.gateways()) {
        if (x.gateway().equals(g.path())) {
          throw HeraldException.badRequest(refused, gatewayName(x) + " is already a " + x.usage() + " gateway of "
              + vpn.name() + ".");
        }
      }
      if (t.gateways().size() >= MAX_GATEWAYS) {
        throw HeraldException.badRequest(refused, "A VPN holds at most " + MAX_GATEWAYS + " gateways.");
      }
      List<Gateway> gws = new ArrayList<>(t.gateways());
      id[0] = t.next();
      gws.add(new Gateway(t.next(), usage, g.path(), g.element(), g.internal()));
      Topology next = new Topology(t.next() + 1, gws, t.tunnels());
      tx.putResource(cur.key(), TOPOLOGY, write(next));
      elements.setReferences(tx, caller, cur);
      changed(tx, cur, caller.userName(), null);
      return null;
    });
    return id[0];
  }

  /** Takes a gateway out of the VPN, with its tunnels. */
  public void removeGateway(Caller caller, ElementRecord vpn, String rel, int id) {
    Gateway gone = gateway(vpn, rel, id);
    store.write(tx -> {
      ElementRecord cur = tx.lock(vpn.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      Topology t = topology(cur.key());
      List<Gateway> gws = new ArrayList<>(t.gateways());
      gws.removeIf(g -> g.id() == gone.id());
      ObjectNode tunnels = t.tunnels().deepCopy();
      for (String tid : List.copyOf(iterable(tunnels.fieldNames()))) {
        if (List.of(ids(tid)).contains(gone.id())) {
          tunnels.remove(tid);
          tx.deleteResource(cur.key(), SIMULATED + tid);
        }
      }
      Topology next = new Topology(t.next(), gws, tunnels);
      tx.putResource(cur.key(), TOPOLOGY, write(next));
      Optional<String> disabled = tx.resource(cur.key(), DISABLED_SITES);
      if (disabled.isPresent()) { // the node's site choices go with it
        ObjectNode d = (ObjectNode) ElementService.parse(disabled.get());
        d.remove(Integer.toString(gone.id()));
        tx.putResource(cur.key(), DISABLED_SITES, Json.write(d));
      }
      elements.setReferences(tx, caller, cur);
      changed(tx, cur, caller.userName(), null);
      return null;
    });
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /** An update of the VPN, and a status change (of one tunnel, or of the whole VPN). */
  private static void changed(ElementStore.WriteTx tx, ElementRecord vpn, String actor, String tunnel) {
    tx.record(new Change.Pending(vpn.domainKey(), vpn.type(), vpn.key(), vpn.name(), EventType.UPDATE, actor));
    tx.record(new Change.Pending(vpn.domainKey(), vpn.type(), vpn.key(), vpn.name(), EventType.STATUS, "system",
        tunnel == null ? null : TUNNELS + "/" + tunnel));
  }

  /**
   * A VPN's validation (its {@code validate} link, smc-python's {@code PolicyVPN.validate}): no
   * central gateway, no tunnel, a gateway whose element is gone or in the trash, an internal
   * gateway with no enabled endpoint — each a problem; {@code status} ERROR, WARNING or OK.
   */
  public ObjectNode validate(ElementRecord vpn, String base) {
    Topology t = topology(vpn.key());
    ObjectNode out = Json.object().put("name", vpn.name());
    ArrayNode problems = out.putArray("problems");
    boolean errors = false;
    if (t.gateways().stream().noneMatch(g -> g.usage().equals("central"))) {
      problems.addObject().put("severity", "error").put("message", "The VPN has no central gateway.");
      errors = true;
    }
    if (tunnels(t).isEmpty()) {
      problems.addObject().put("severity", "warning").put("message", "The VPN has no tunnel: it needs two central"
          + " gateways, or a central and a satellite gateway.");
    }
    for (Gateway g : t.gateways()) {
      Optional<ElementRecord> r = store.find(g.element());
      if (r.isEmpty() || r.get().trashed()) {
        problems.addObject().put("severity", "error").put("gateway", gatewayName(g))
            .put("message", "Gateway " + gatewayName(g) + " is " + (r.isEmpty() ? "gone." : "in the trash."));
        errors = true;
      } else if (enabledEndpoints(g, base).isEmpty()) {
        problems.addObject().put("severity", "warning").put("gateway", gatewayName(g))
            .put("message", "Gateway " + gatewayName(g) + " has no enabled endpoint (its "
                + RULES.parts(g.internal()).endpoints() + ").");
      }
    }
    out.put("status", errors ? "ERROR" : problems.isEmpty() ? "OK" : "WARNING");
    return out;
  }

  // ---- tunnels ----

  /** A tunnel between two gateways of the VPN, with its own settings. */
  record Tunnel(String id, Gateway a, Gateway b, ObjectNode settings) {
    boolean enabled() {
      return settings.path("enabled").asBoolean(true);
    }
  }

  /** SMC's rule, as catalogue data: central with central, central with satellite; mobile gateways have none. */
  private static boolean paired(Gateway a, Gateway b) {
    return RULES.pairs(a.usage(), b.usage());
  }

  private static List<Tunnel> tunnels(Topology t) {
    List<Tunnel> out = new ArrayList<>();
    List<Gateway> g = t.gateways();
    for (int i = 0; i < g.size(); i++) {
      for (int j = i + 1; j < g.size(); j++) {
        if (paired(g.get(i), g.get(j))) {
          String id = id(g.get(i).id(), g.get(j).id());
          ObjectNode s = t.tunnels().path(id).isObject() ? (ObjectNode) t.tunnels().get(id) : Json.object();
          out.add(new Tunnel(id, g.get(i), g.get(j), s));
        }
      }
    }
    return out;
  }

  /** base64 of "A#B", as the tunnel ids in SMC's guide ({@code NTkjNjU=} = "59#65"). */
  private static String id(int a, int b) {
    return Base64.getEncoder().encodeToString((a + "#" + b).getBytes(StandardCharsets.US_ASCII));
  }

  /** A tunnel id as it came in a path: its padding may be percent-encoded. */
  private static String clean(String id) {
    return id.replace("%3D", "=").replace("%3d", "=");
  }

  private static Integer[] ids(String id) {
    try {
      String[] p = new String(Base64.getDecoder().decode(clean(id)),
          StandardCharsets.US_ASCII).split("#");
      return new Integer[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    } catch (RuntimeException e) {
      return new Integer[] {-1, -1};
    }
  }

  private Tunnel tunnel(ElementRecord vpn, String id) {
    String clean = clean(id);
    return tunnels(topology(vpn.key())).stream().filter(t -> t.id().equals(clean)).findFirst()
        .orElseThrow(() -> HeraldException.notFound("Tunnel not found.", "VPN " + vpn.name() + " has no tunnel " + id + "."));
  }

  private String tunnelName(Tunnel t) {
    return "Gateway Tunnel " + gatewayName(t.a()) + "-" + gatewayName(t.b());
  }

  /** The tunnels as meta (the VPN's {@code gateway_tunnel} link). */
  public ObjectNode tunnelList(ElementRecord vpn, String base) {
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (Tunnel t : tunnels(topology(vpn.key()))) {
      result.addObject().put("name", tunnelName(t)).put("href", vpnHref(base, vpn) + "/" + TUNNELS + "/" + t.id())
          .put("type", TUNNEL);
    }
    return out;
  }

  /** One tunnel as smc-python's GatewayTunnel reads it. */
  public ObjectNode tunnelJson(ElementRecord vpn, String id, String base) {
    Tunnel t = tunnel(vpn, id);
    String self = vpnHref(base, vpn) + "/" + TUNNELS + "/" + t.id();
    ObjectNode o = Json.object().put("name", tunnelName(t)).put("enabled", t.enabled())
        .put("gateway_node_1", vpnHref(base, vpn) + "/" + t.a().usage() + "_gateway_node/" + t.a().id())
        .put("gateway_node_2", vpnHref(base, vpn) + "/" + t.b().usage() + "_gateway_node/" + t.b().id());
    if (t.settings().hasNonNull("preshared_key")) {
      o.put("preshared_key", t.settings().get("preshared_key").asText());
    }
    if (t.settings().hasNonNull("ppk_ref")) {
      o.put("ppk_ref", base + t.settings().get("ppk_ref").asText());
    }
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", TUNNEL);
    link.addObject().put("rel", "gateway_endpoint_tunnel").put("href", self + "/gateway_endpoint_tunnel");
    return o;
  }

  // ---- endpoint tunnels: the IPsec tunnels between the two gateways' enabled endpoints ----

  public static final String ENDPOINT_TUNNELS = "gateway_endpoint_tunnel";

  private record EndpointTunnel(String id, Endpoint a, Endpoint b, boolean enabled) {}

  /** The enabled endpoints of one side of a tunnel (an external gateway's are not modelled: none). */
  private List<Endpoint> enabledEndpoints(Gateway g, String base) {
    if (!g.internal()) { // an external gateway's enabled endpoints
      List<Endpoint> out = new ArrayList<>();
      String rel = RULES.parts(false).endpoints();
      store.find(g.element()).ifPresent(r -> subElements.items(new SubElements.Holder(r, rel, rel))
          .forEach((id, body) -> {
            if (body.path("enabled").asBoolean(true)) {
              out.add(new Endpoint(Long.toString(id), body.path("address").asText(body.path("name").asText()), null));
            }
          }));
      return out;
    }
    Optional<EngineNodes.Engine> e = store.find(g.element()).flatMap(Vpns::engineOf);
    long gk = gatewayKey(g);
    if (e.isEmpty() || !gatewayKeys(e.get()).contains(gk)) {
      return List.of();
    }
    List<Endpoint> out = new ArrayList<>();
    for (Endpoint ep : endpoints(e.get())) {
      if (internalEndpoint(e.get(), gk, ep.id(), base).path("enabled").asBoolean()) {
        out.add(ep);
      }
    }
    return out;
  }

  /** An enabled endpoint of a gateway: its id under the gateway, address and href. */
  public record GatewayEndpoint(String id, String address, String href) {}

  /**
   * The enabled endpoints of the gateway an href names — an engine's internal gateway, or an
   * external gateway — or none when it names neither (a route-based VPN's tunnel side).
   */
  public List<GatewayEndpoint> gatewayEndpoints(String href, String base) {
    Optional<Gateway> g = gatewayOf(href, "");
    List<GatewayEndpoint> out = new ArrayList<>();
    g.ifPresent(gw -> enabledEndpoints(gw, base).forEach(ep -> out.add(new GatewayEndpoint(ep.id(), ep.address(),
        endpointHref(gw, ep, base)))));
    return out;
  }

  /** The gateway an href names (an engine's internal gateway, an external gateway), as a VPN keeps one. */
  private static Optional<Gateway> gatewayOf(String href, String usage) {
    Matcher m = INTERNAL.matcher(href);
    if (m.matches() && Catalogue.isRelName(m.group(1))) {
      return Optional.of(new Gateway(0, usage, "/elements/" + Catalogue.canonical(m.group(1)) + "/" + m.group(2)
          + "/internal_gateway/" + m.group(3), Long.parseLong(m.group(2)), true));
    }
    Matcher x = EXTERNAL_HREF.matcher(href);
    return x.matches()
        ? Optional.of(new Gateway(0, usage, "/elements/" + x.group(1) + "/" + x.group(2), Long.parseLong(x.group(2)), false))
        : Optional.empty();
  }

  /**
   * A route-based VPN tunnel's status, by the rules of a gateway tunnel's: its two sides'
   * gateways (a side naming none — a GRE peer given by its address — counts as one that always
   * answers), {@code enabled}, a test's simulation; named as the tunnel is.
   */
  public ObjectNode routeTunnelStatus(ElementRecord rbvpn, String sideA, String sideB, boolean enabled) {
    Gateway a = gatewayOf(sideA, "central").orElse(new Gateway(0, "central", "", rbvpn.key(), false));
    Gateway b = gatewayOf(sideB, "central").orElse(new Gateway(0, "central", "", rbvpn.key(), false));
    ObjectNode s = tunnelStatus(rbvpn, new Tunnel(ROUTE_TUNNEL, a, b, Json.object().put("enabled", enabled)));
    s.put("name", rbvpn.name());
    return s;
  }

  /** The id a route-based VPN's own status goes under (its simulation too). */
  static final String ROUTE_TUNNEL = "route";

  private static final Pattern EXTERNAL_HREF = Pattern.compile(".*/elements/(" + String.join("|", RULES.externalGatewayTypes())
      + ")/(\\d{1,18})/?");

  private List<EndpointTunnel> endpointTunnels(Tunnel t, String base) {
    List<EndpointTunnel> out = new ArrayList<>();
    for (Endpoint a : enabledEndpoints(t.a(), base)) {
      for (Endpoint b : enabledEndpoints(t.b(), base)) {
        String id = Base64.getEncoder().encodeToString((a.id() + "#" + b.id()).getBytes(StandardCharsets.US_ASCII));
        boolean enabled = t.settings().path("endpoint_tunnels").path(id).path("enabled").asBoolean(true);
        out.add(new EndpointTunnel(id, a, b, enabled));
      }
    }
    return out;
  }

  private EndpointTunnel endpointTunnel(ElementRecord vpn, Tunnel t, String id, String base) {
    String clean = clean(id);
    return endpointTunnels(t, base).stream().filter(x -> x.id().equals(clean)).findFirst().orElseThrow(() ->
        HeraldException.notFound("Endpoint tunnel not found.", tunnelName(t) + " has no endpoint tunnel " + id + "."));
  }

  private String endpointHref(Gateway g, Endpoint ep, String base) {
    String path = g.gateway(); // /elements/TYPE/KEY/internal_gateway/KEY, or /elements/external_gateway/KEY
    return base + path + "/" + RULES.parts(g.internal()).endpoints() + "/" + ep.id();
  }

  /** A tunnel's endpoint tunnels (its {@code gateway_endpoint_tunnel} link), as meta. */
  public ObjectNode endpointTunnelList(ElementRecord vpn, String tunnelId, String base) {
    Tunnel t = tunnel(vpn, tunnelId);
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (EndpointTunnel et : endpointTunnels(t, base)) {
      result.addObject().put("name", "Endpoint Tunnel " + et.a().address() + "-" + et.b().address())
          .put("href", vpnHref(base, vpn) + "/" + TUNNELS + "/" + t.id() + "/" + ENDPOINT_TUNNELS + "/" + et.id())
          .put("type", "endpoint_tunnel");
    }
    return out;
  }

  /** One endpoint tunnel as smc-python's EndpointTunnel reads it: enabled, endpoint_1, endpoint_2. */
  public ObjectNode endpointTunnelJson(ElementRecord vpn, String tunnelId, String id, String base) {
    Tunnel t = tunnel(vpn, tunnelId);
    EndpointTunnel et = endpointTunnel(vpn, t, id, base);
    String self = vpnHref(base, vpn) + "/" + TUNNELS + "/" + t.id() + "/" + ENDPOINT_TUNNELS + "/" + et.id();
    ObjectNode o = Json.object().put("name", "Endpoint Tunnel " + et.a().address() + "-" + et.b().address())
        .put("enabled", et.enabled()).put("endpoint_1", endpointHref(t.a(), et.a(), base))
        .put("endpoint_2", endpointHref(t.b(), et.b(), base));
    o.putArray("link").addObject().put("rel", "self").put("href", self).put("type", "endpoint_tunnel");
    return o;
  }

  /** A PUT of an endpoint tunnel: {@code enabled} (enable_disable); an update of the VPN. */
  public ObjectNode putEndpointTunnel(Caller caller, ElementRecord vpn, String tunnelId, String id, JsonNode body,
      String base) {
    Tunnel t = tunnel(vpn, tunnelId);
    EndpointTunnel et = endpointTunnel(vpn, t, id, base);
    if (!(body instanceof ObjectNode o) || (o.has("enabled") && !o.get("enabled").isBoolean())) {
      throw HeraldException.badRequest("Impossible to update the endpoint tunnel.", "enabled must be true or false.");
    }
    if (o.has("enabled")) {
      store.write(tx -> {
        ElementRecord cur = tx.lock(vpn.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
        Topology top = topology(cur.key());
        ObjectNode tunnels = top.tunnels().deepCopy();
        ObjectNode ts = tunnels.path(t.id()).isObject() ? (ObjectNode) tunnels.get(t.id()) : tunnels.putObject(t.id());
        ObjectNode ets = ts.path("endpoint_tunnels").isObject() ? (ObjectNode) ts.get("endpoint_tunnels")
            : ts.putObject("endpoint_tunnels");
        ets.putObject(et.id()).put("enabled", o.get("enabled").asBoolean());
        tx.putResource(cur.key(), TOPOLOGY, write(new Topology(top.next(), top.gateways(), tunnels)));
        changed(tx, cur, caller.userName(), t.id());
        return null;
      });
    }
    return endpointTunnelJson(vpn, t.id(), id, base);
  }

  /**
   * An endpoint tunnel's status (smc-python's {@code VPNEndpointTunnelStatus}): its gateway
   * tunnel's, with {@code endpointA} and {@code endpointB}; disabled, it is not monitored.
   */
  public ObjectNode endpointTunnelStatus(Caller caller, String type, long key, String tunnelId, String id, String base) {
    ElementRecord vpn = vpn(caller, type, key);
    return endpointTunnelStatus(vpn, tunnel(vpn, tunnelId), id, base);
  }

  /**
   * A status change of a tunnel as an endpoint tunnel's subscriber sees it ({@code within}:
   * {@code gateway_endpoint_tunnel/ID}): the endpoint tunnel's status, or DELETED when it is gone.
   */
  public ObjectNode endpointTunnelStatusNode(Change c, String base, String within) {
    Optional<ElementRecord> r = store.find(c.elementKey());
    if (r.isEmpty() || c.parent() == null || !c.parent().startsWith(TUNNELS + "/") || !within.startsWith(ENDPOINT_TUNNELS + "/")) {
      return Monitored.deleted(c);
    }
    String tunnelId = c.parent().substring(TUNNELS.length() + 1);
    Optional<Tunnel> t = tunnels(topology(r.get().key())).stream().filter(x -> x.id().equals(tunnelId)).findFirst();
    try {
      return t.isEmpty() ? Monitored.deleted(c)
          : endpointTunnelStatus(r.get(), t.get(), within.substring(ENDPOINT_TUNNELS.length() + 1), base);
    } catch (HeraldException gone) {
      return Monitored.deleted(c); // its endpoint was disabled or went meanwhile
    }
  }

  private ObjectNode endpointTunnelStatus(ElementRecord vpn, Tunnel t, String id, String base) {
    EndpointTunnel et = endpointTunnel(vpn, t, id, base);
    ObjectNode s = tunnelStatus(vpn, t);
    s.put("name", "Endpoint Tunnel " + et.a().address() + "-" + et.b().address());
    if (!et.enabled()) {
      s.put("monitoring_state", "READY").put("monitoring_status", "NOT_MONITORED");
    }
    s.remove("gatewayA");
    s.remove("gatewayB");
    s.put("gatewayA", gatewayName(t.a())).put("gatewayB", gatewayName(t.b()))
        .put("endpointA", et.a().address()).put("endpointB", et.b().address());
    return s;
  }

  private static final Pattern ENDPOINT_TUNNEL_HREF = Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})/tunnels/([A-Za-z0-9+=%]{1,64})/" + ENDPOINT_TUNNELS + "/([A-Za-z0-9+=%]{1,128})/?");

  /** An endpoint tunnel an href names: the VPN's type and key, the tunnel's and its own id. */
  public record EndpointTunnelHref(String type, long key, String tunnelId, String id) {}

  public static Optional<EndpointTunnelHref> parseEndpointTunnelHref(String href) {
    Matcher m = ENDPOINT_TUNNEL_HREF.matcher(href);
    if (!m.matches() || !Catalogue.isRelName(m.group(1)) || !isVpn(Catalogue.canonical(m.group(1)))) {
      return Optional.empty();
    }
    return Optional.of(new EndpointTunnelHref(Catalogue.canonical(m.group(1)), Long.parseLong(m.group(2)),
        clean(m.group(3)), clean(m.group(4))));
  }

  /**
   * A PUT of a tunnel: {@code enabled} (boolean), {@code preshared_key} (text),
   * {@code ppk_ref} (a visible element's href, or null); the rest is what was read back and is
   * ignored. 400 for a value of the wrong kind, nothing changed.
   */
  public ObjectNode putTunnel(Caller caller, ElementRecord vpn, String id, JsonNode body, String base) {
    Tunnel t = tunnel(vpn, id);
    String refused = "Impossible to update the tunnel " + tunnelName(t) + ".";
    if (!(body instanceof ObjectNode o)) {
      throw HeraldException.badRequest(refused, "The body must be a JSON object.");
    }
    ObjectNode s = t.settings().deepCopy();
    if (o.has("enabled")) {
      if (!o.get("enabled").isBoolean()) {
        throw HeraldException.badRequest(refused, "enabled must be true or false.");
      }
      s.put("enabled", o.get("enabled").asBoolean());
    }
    if (o.has("preshared_key") && !o.get("preshared_key").isNull()) {
      if (!o.get("preshared_key").isTextual() || o.get("preshared_key").asText().isEmpty()) {
        throw HeraldException.badRequest(refused, "preshared_key must be a non-empty text.");
      }
      s.put("preshared_key", o.get("preshared_key").asText());
    }
    if (o.has("ppk_ref")) {
      JsonNode p = o.get("ppk_ref");
      if (p.isNull()) {
        s.remove("ppk_ref");
      } else {
        ElementRecord ppk = elements.resolveHref(caller, p.asText()).orElseThrow(() ->
            HeraldException.badRequest(refused, "ppk_ref: " + p + " is not an element."));
        s.put("ppk_ref", "/elements/" + ppk.type() + "/" + ppk.key());
      }
    }
    store.write(tx -> {
      ElementRecord cur = tx.lock(vpn.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      Topology top = topology(cur.key());
      ObjectNode tunnels = top.tunnels().deepCopy();
      tunnels.set(t.id(), s);
      Topology next = new Topology(top.next(), top.gateways(), tunnels);
      tx.putResource(cur.key(), TOPOLOGY, write(next));
      elements.setReferences(tx, caller, cur); // a post-quantum key in use cannot go
      changed(tx, cur, caller.userName(), t.id());
      return null;
    });
    return tunnelJson(vpn, t.id(), base);
  }

  // ---- status ----

  /** How one gateway answers: up, idle (standby), down, or unknown (never contacted). */
  private String side(Gateway g) {
    if (!g.internal()) {
      return store.find(g.element()).isPresent() ? "up" : "down";
    }
    Optional<ElementRecord> r = store.find(g.element());
    if (r.isEmpty() || Engines.kind(r.get().type()).isEmpty()) {
      return "down";
    }
    ObjectNode body = (ObjectNode) ElementService.parse(r.get().body());
    boolean contacted = false;
    boolean standby = false;
    for (Engines.Node n : Engines.nodes(body)) {
      ObjectNode s = engines.state(r.get().key(), n.key());
      if (!s.path("contacted").asBoolean()) {
        continue;
      }
      contacted = true;
      boolean answering = s.path("monitoring_state").asText().equals("READY");
      String st = s.path("engine_node_status").asText();
      if (answering && s.hasNonNull("installed_policy") && (st.equals("Online") || st.equals("Locked Online"))) {
        return "up";
      }
      standby |= answering && st.equals("Standby");
    }
    return !contacted ? "unknown" : standby ? "idle" : "down";
  }

  /** A tunnel's status as SMC answers it for a gateway tunnel. */
  private ObjectNode tunnelStatus(ElementRecord vpn, Tunnel t) {
    ObjectNode o = Json.object().put("name", tunnelName(t));
    String a = side(t.a());
    String b = side(t.b());
    Optional<ObjectNode> simulated = store.resource(vpn.key(), SIMULATED + t.id()).map(s -> (ObjectNode) ElementService.parse(s));
    String state;
    String status;
    if (!t.enabled()) {
      state = "READY";
      status = "NOT_MONITORED";
    } else if (simulated.isPresent()) {
      state = "READY";
      status = simulated.get().path("monitoring_status").asText("OK");
    } else if (a.equals("unknown") || b.equals("unknown")) {
      state = "INITIAL";
      status = "UNKNOWN";
    } else if (a.equals("down") || b.equals("down")) {
      state = "READY";
      status = "ERROR";
    } else if (a.equals("idle") || b.equals("idle")) {
      state = "READY";
      status = "IDLE";
    } else {
      state = "READY";
      status = "OK";
    }
    o.put("monitoring_state", state).put("monitoring_status", status);
    boolean flowing = t.enabled() && (simulated.isPresent() || status.equals("OK"));
    ObjectNode f = flowing ? figures(t.id()) : Json.object().put("health_in_percent", 0).put("traffic_in_bits_per_sec", 0L)
        .put("packet_loss_in_permyriad", status.equals("ERROR") ? 10000 : 0).put("latency_in_ms", 0).put("jitter_in_ms", 0);
    simulated.ifPresent(s -> s.properties().forEach(e -> {
      if (!SIMULATION_BOOKKEEPING.contains(e.getKey())) {
        f.set(e.getKey(), e.getValue());
      }
    }));
    o.setAll(f);
    o.put("gatewayA", gatewayName(t.a())).put("gatewayB", gatewayName(t.b()));
    return o;
  }

  /**
   * Figures that move plausibly with time (each tunnel on its own phase): latency 12–32 ms,
   * jitter 1–4 ms, loss 0–0.2 %, health from them, traffic 0.5–3.5 Mbit/s.
   */
  private ObjectNode figures(String id) {
    double h = ((id.hashCode() * 0x9E3779B1) >>> 16) / 10430.4; // a phase in [0, 2π), far apart for near ids
    double t = clock.millis() / 1000.0;
    int latency = (int) Math.round(22 + 7 * Math.sin(t / 97 + h) + 3 * Math.sin(t / 13 + 3 * h));
    int jitter = (int) Math.round(2.5 + 1.5 * Math.sin(t / 29 + 2 * h));
    int loss = (int) Math.max(0, Math.round(10 + 10 * Math.sin(t / 41 + h)));
    int health = (int) Math.max(0, Math.min(100, Math.round(100 - loss / 4.0 - Math.max(0, latency - 25) / 2.0)));
    long traffic = Math.round(2_000_000 + 1_500_000 * Math.sin(t / 60 + h));
    return Json.object().put("health_in_percent", health).put("traffic_in_bits_per_sec", traffic)
        .put("packet_loss_in_permyriad", loss).put("latency_in_ms", latency).put("jitter_in_ms", jitter);
  }

  /** The status of a tunnel named by its href ({@code …/elements/vpn/K/tunnels/ID}). */
  public ObjectNode tunnelStatus(Caller caller, String type, long key, String id) {
    ElementRecord vpn = vpn(caller, type, key);
    return tunnelStatus(vpn, tunnel(vpn, id));
  }

  /**
   * A VPN's status: its tunnels' composite (disabled ones left out; IDLE when all are idle), the
   * mean of their health, latency, jitter and loss, their traffic summed, and the tunnels in
   * {@code result} (their hrefs go back to {@code monitoring_status}).
   */
  public ObjectNode vpnStatus(ElementRecord vpn, String base) {
    List<Tunnel> tunnels = tunnels(topology(vpn.key()));
    ArrayNode children = Json.mapper().createArrayNode();
    List<String> statuses = new ArrayList<>();
    boolean ready = false;
    double health = 0;
    double latency = 0;
    double jitter = 0;
    double loss = 0;
    long traffic = 0;
    for (Tunnel t : tunnels) {
      ObjectNode s = tunnelStatus(vpn, t);
      children.addObject().put("href", vpnHref(base, vpn) + "/" + TUNNELS + "/" + t.id()).put("name", s.get("name").asText())
          .put("type", TUNNEL);
      if (s.get("monitoring_status").asText().equals("NOT_MONITORED")) {
        continue;
      }
      statuses.add(s.get("monitoring_status").asText());
      ready |= s.get("monitoring_state").asText().equals("READY");
      health += s.path("health_in_percent").asDouble();
      latency += s.path("latency_in_ms").asDouble();
      jitter += s.path("jitter_in_ms").asDouble();
      loss += s.path("packet_loss_in_permyriad").asDouble();
      traffic += s.path("traffic_in_bits_per_sec").asLong();
    }
    int n = Math.max(1, statuses.size());
    ObjectNode o = Json.object().put("name", vpn.name()).put("monitoring_state", ready ? "READY" : "INITIAL")
        .put("monitoring_status", composite(statuses))
        .put("health_in_percent", Math.round(health / n)).put("traffic_in_bits_per_sec", traffic)
        .put("packet_loss_in_permyriad", Math.round(loss / n)).put("latency_in_ms", Math.round(latency / n))
        .put("jitter_in_ms", Math.round(jitter / n));
    o.set("result", children);
    return o;
  }

  /**
   * smc-python's MonitoringStatus rules: ERROR when one is KO, WARNING when one warns, OK when all
   * are OK, IDLE when all are idle, UNKNOWN when all are unknown (or there are none), PARTIAL_OK
   * for a mix of OK and unknown.
   */
  static String composite(List<String> statuses) {
    if (statuses.contains("ERROR")) {
      return "ERROR";
    }
    if (statuses.contains("WARNING")) {
      return "WARNING";
    }
    if (statuses.isEmpty() || statuses.stream().allMatch(s -> s.equals("UNKNOWN"))) {
      return "UNKNOWN";
    }
    if (statuses.stream().allMatch(s -> s.equals("OK"))) {
      return "OK";
    }
    if (statuses.stream().allMatch(s -> s.equals("IDLE"))) {
      return "IDLE";
    }
    return "PARTIAL_OK";
  }

  /** A tunnel an href names: the VPN's type and key and the tunnel id. */
  public record TunnelHref(String type, long key, String id) {}

  public static Optional<TunnelHref> parseTunnelHref(String href) {
    Matcher m = TUNNEL_HREF.matcher(href);
    if (!m.matches() || !Catalogue.isRelName(m.group(1)) || !isVpn(Catalogue.canonical(m.group(1)))) {
      return Optional.empty();
    }
    return Optional.of(new TunnelHref(Catalogue.canonical(m.group(1)), Long.parseLong(m.group(2)),
        clean(m.group(3))));
  }

  /** Whether the VPN has this tunnel (a status subscription on it). */
  public boolean hasTunnel(ElementRecord vpn, String id) {
    String clean = clean(id);
    return tunnels(topology(vpn.key())).stream().anyMatch(t -> t.id().equals(clean));
  }

  /** A status change as the status socket shows it: the VPN's, or the tunnel's it names. */
  public ObjectNode statusNode(Change c, String base, boolean ofTunnel) {
    Optional<ElementRecord> r = store.find(c.elementKey());
    if (r.isEmpty()) {
      return Monitored.deleted(c);
    }
    if (ofTunnel && c.parent() != null && c.parent().startsWith(TUNNELS + "/")) {
      String id = c.parent().substring(TUNNELS.length() + 1);
      Optional<Tunnel> t = tunnels(topology(r.get().key())).stream().filter(x -> x.id().equals(id)).findFirst();
      if (t.isEmpty()) {
        return Monitored.deleted(c);
      }
      return tunnelStatus(r.get(), t.get());
    }
    return vpnStatus(r.get(), base);
  }

  // ---- simulation and the engines' part ----

  private static final Set<String> HEALTHS = Set.of("OK", "WARNING", "ERROR", "UNKNOWN", "IDLE");
  /** A simulation's own bookkeeping beside its figures: timed or lasting, what it comes back to. */
  private static final String TIMED = "timed";
  private static final String LASTING = "lasting";
  private static final Set<String> SIMULATION_BOOKKEEPING = Set.of("monitoring_status", TIMED, LASTING, "at");
  private static final Map<String, long[]> FIGURES = Map.of("health_in_percent", new long[] {0, 100},
      "latency_in_ms", new long[] {0, 600_000}, "jitter_in_ms", new long[] {0, 600_000},
      "packet_loss_in_permyriad", new long[] {0, 10_000}, "traffic_in_bits_per_sec", new long[] {0, 400_000_000_000L});

  /**
   * Sets a tunnel's status and figures for a test (the admin API's simulate): any of
   * {@code monitoring_status} and the figures; with {@code forMs} above 0 it goes back after that
   * long (a VPN degraded for 30 s); {@code "clear": true} ends a simulation at once. Bad values:
   * 400, nothing changed.
   */
  public ObjectNode simulate(Caller caller, TunnelHref h, JsonNode spec, long forMs) {
    return simulate(caller, h, spec, forMs, false);
  }

  /** With {@code dryRun}: only the checks (a scenario's steps, checked before it starts). */
  public ObjectNode simulate(Caller caller, TunnelHref h, JsonNode spec, long forMs, boolean dryRun) {
    ElementRecord vpn = vpn(caller, h.type(), h.key());
    Tunnel t = tunnel(vpn, h.id());
    return simulate(vpn, t.id(), () -> tunnelStatus(vpn, t), spec, forMs, dryRun);
  }

  /** A route-based VPN tunnel's simulation: as a gateway tunnel's, its status given by {@code status}. */
  public ObjectNode simulateRoute(ElementRecord rbvpn, java.util.function.Supplier<ObjectNode> status, JsonNode spec,
      long forMs, boolean dryRun) {
    return simulate(rbvpn, ROUTE_TUNNEL, status, spec, forMs, dryRun);
  }

  private ObjectNode simulate(ElementRecord vpn, String tunnelId, java.util.function.Supplier<ObjectNode> status,
      JsonNode spec, long forMs, boolean dryRun) {
    if (dryRun && spec.path("clear").asBoolean(false)) {
      return status.get();
    }
    if (spec.path("clear").asBoolean(false)) {
      simulated(vpn, tunnelId, Optional.empty()); // back to what its gateways make it
      return status.get();
    }
    ObjectNode set = Json.object();
    if (spec.has("monitoring_status")) {
      if (!spec.get("monitoring_status").isTextual() || !HEALTHS.contains(spec.get("monitoring_status").asText())) {
        throw HeraldException.badRequest("Invalid simulation.", "monitoring_status must be one of " + new java.util.TreeSet<>(HEALTHS) + ".");
      }
      set.put("monitoring_status", spec.get("monitoring_status").asText());
    }
    for (Map.Entry<String, long[]> f : new java.util.TreeMap<>(FIGURES).entrySet()) {
      JsonNode v = spec.get(f.getKey());
      if (v == null) {
        continue;
      }
      if (!v.isIntegralNumber() || v.asLong() < f.getValue()[0] || v.asLong() > f.getValue()[1]) {
        throw HeraldException.badRequest("Invalid simulation.", f.getKey() + " must be a whole number from "
            + f.getValue()[0] + " to " + f.getValue()[1] + ".");
      }
      set.put(f.getKey(), v.asLong());
    }
    if (set.isEmpty()) {
      throw HeraldException.badRequest("Invalid simulation.", "Give monitoring_status or a figure ("
          + String.join(", ", new java.util.TreeSet<>(FIGURES.keySet())) + ").");
    }
    if (dryRun) {
      return status.get();
    }
    // a timed simulation comes back to the last lasting state (over a timed one still in effect:
    // to what that one would have come back to), never to another timed one's
    Optional<String> current = store.resource(vpn.key(), SIMULATED + tunnelId);
    Optional<String> before = current.map(ElementService::parse).flatMap(c -> c.path(TIMED).asBoolean(false)
        ? (c.path(LASTING).isObject() ? Optional.of(Json.write(c.get(LASTING))) : Optional.<String>empty())
        : current);
    if (forMs > 0) {
      set.put(TIMED, true).put("at", System.nanoTime());
      before.ifPresent(b -> set.set(LASTING, ElementService.parse(b)));
    }
    String during = Json.write(set);
    simulated(vpn, tunnelId, Optional.of(during));
    if (forMs > 0) {
      timers.schedule(() -> {
        try {
          if (store.resource(vpn.key(), SIMULATED + tunnelId).equals(Optional.of(during))) {
            simulated(vpn, tunnelId, before);
          }
        } catch (RuntimeException ex) {
          org.slf4j.LoggerFactory.getLogger(Vpns.class).warn("tunnel {} did not come back: {}", tunnelId, ex.toString());
        }
      }, forMs, TimeUnit.MILLISECONDS);
    }
    return status.get();
  }

  private void simulated(ElementRecord vpn, String id, Optional<String> figures) {
    store.write(tx -> {
      if (tx.lock(vpn.key()).isEmpty()) {
        return null; // the VPN went meanwhile
      }
      if (figures.isPresent()) {
        tx.putResource(vpn.key(), SIMULATED + id, figures.get());
      } else {
        tx.deleteResource(vpn.key(), SIMULATED + id);
      }
      tx.record(new Change.Pending(vpn.domainKey(), vpn.type(), vpn.key(), vpn.name(), EventType.STATUS, "system",
          TUNNELS + "/" + id));
      return null;
    });
  }

  /**
   * A node of {@code engine} changed state (inside that change's transaction): every tunnel of a
   * VPN that reaches the engine's gateway may have changed too, so each gets a status row.
   */
  private void engineStatusChanged(ElementStore.WriteTx tx, ElementRecord engine) throws java.sql.SQLException {
    for (long k : tx.referrers(engine.key())) {
      Optional<ElementRecord> route = store.find(k).filter(r -> Catalogue.monitoring().routeTunnels().contains(r.type()));
      if (route.isPresent()) { // a route-based VPN with a side on this engine: its status moves too
        ElementRecord v = route.get();
        tx.record(new Change.Pending(v.domainKey(), v.type(), v.key(), v.name(), EventType.STATUS, "system"));
        continue;
      }
      Optional<ElementRecord> vpn = store.find(k).filter(r -> isVpn(r.type()));
      if (vpn.isEmpty()) {
        continue;
      }
      for (Tunnel t : tunnels(topology(k))) {
        if ((t.a().internal() && t.a().element() == engine.key()) || (t.b().internal() && t.b().element() == engine.key())) {
          ElementRecord v = vpn.get();
          tx.record(new Change.Pending(v.domainKey(), v.type(), v.key(), v.name(), EventType.STATUS, "system",
              TUNNELS + "/" + t.id()));
        }
      }
    }
  }
}
