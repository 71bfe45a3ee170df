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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A route-based VPN tunnel's endpoint tunnels (an {@code rbvpn_tunnel}'s
 * {@code gateway_endpoint_tunnel} link, smc-python's {@code RouteVPN.tunnels}): in tunnel mode
 * {@code vpn}, one per pair of the two sides' endpoints — a side's {@code endpoint_ref} when it
 * names one, else the enabled endpoints of its {@code gateway_ref} (an engine's internal gateway,
 * an external gateway) — each enabled until a PUT disables it (an update of the tunnel). The
 * tunnel itself is a stored element validated by the catalogue; its sides refer to their
 * engines and gateways, so neither can be deleted while it stands.
 */
public final class RouteVpns {
  public static final String REL = "gateway_endpoint_tunnel";
  private static final String RESOURCE = "endpoint_tunnels";

  private final ElementService elements;
  private final ElementStore store;
  private final Vpns vpns;

  public RouteVpns(ElementService elements, Vpns vpns) {
    this.elements = elements;
    this.store = elements.store();
    this.vpns = vpns;
    // an update of a route-based VPN (enabled, its sides) moves its status: a status row for the status socket
    elements.onUpdate((tx, next, body) -> {
      if (Catalogue.monitoring().routeTunnels().contains(next.type())) {
        tx.record(new Change.Pending(next.domainKey(), next.type(), next.key(), next.name(), EventType.STATUS, "system"));
      }
    });
  }

  private record Pair(String id, Vpns.GatewayEndpoint a, Vpns.GatewayEndpoint b, boolean enabled) {}

  /** One side's endpoints: the one it names, or its gateway's enabled ones. */
  private List<Vpns.GatewayEndpoint> side(JsonNode side, String base) {
    List<Vpns.GatewayEndpoint> all = vpns.gatewayEndpoints(side.path("gateway_ref").asText(""), base);
    String named = side.path("endpoint_ref").asText("");
    if (named.isEmpty()) {
      return all;
    }
    String path = named.substring(Math.max(0, named.indexOf("/elements/")));
    return all.stream().filter(ep -> ep.href().endsWith(path)).toList();
  }

  private List<Pair> pairs(ElementRecord r, String base) {
    ObjectNode body = (ObjectNode) ElementService.parse(r.body());
    List<Pair> out = new ArrayList<>();
    Catalogue.Vpn.RouteTunnel shape = Vpns.RULES.routeTunnel();
    if (!shape.endpointTunnelModes().contains(body.path(shape.modeAttribute()).asText(shape.endpointTunnelModes().iterator().next()))) {
      return out; // GRE, IP-in-IP, GENEVE without a VPN: no endpoint tunnels
    }
    JsonNode settings = store.resource(r.key(), RESOURCE).map(ElementService::parse).orElseGet(Json::object);
    for (Vpns.GatewayEndpoint a : side(body.path(shape.sides().get(0)), base)) {
      for (Vpns.GatewayEndpoint b : side(body.path(shape.sides().get(1)), base)) {
        String id = Base64.getEncoder().encodeToString((a.id() + "#" + b.id()).getBytes(StandardCharsets.US_ASCII));
        out.add(new Pair(id, a, b, settings.path(id).path("enabled").asBoolean(true)));
      }
    }
    return out;
  }

  private ElementRecord tunnel(Caller caller, String type, long key) {
    String t = Catalogue.canonical(type);
    if (!Catalogue.monitoring().routeTunnels().contains(t)) {
      throw HeraldException.notFound("Not a route-based VPN tunnel.", type + " elements have no endpoint tunnels.");
    }
    return elements.get(caller, t, key);
  }

  private static String href(ElementRecord r, String base) {
    return ElementJson.href(base, r.type(), r.key()) + "/" + REL;
  }

  /**
   * The tunnel's status ({@code monitoring_status} and the status socket): a gateway tunnel's,
   * from its sides' gateways and {@code enabled}; a side with no gateway (a GRE peer given by its
   * address) is named by that address and counts as answering.
   */
  public ObjectNode status(ElementRecord r) {
    ObjectNode body = (ObjectNode) ElementService.parse(r.body());
    JsonNode a = body.path(Vpns.RULES.routeTunnel().sides().get(0));
    JsonNode b = body.path(Vpns.RULES.routeTunnel().sides().get(1));
    ObjectNode s = vpns.routeTunnelStatus(r, a.path("gateway_ref").asText(""), b.path("gateway_ref").asText(""),
        body.path("enabled").asBoolean(true));
    if (!a.hasNonNull("gateway_ref")) {
      s.put("gatewayA", a.path("ip_address").asText(""));
    }
    if (!b.hasNonNull("gateway_ref")) {
      s.put("gatewayB", b.path("ip_address").asText(""));
    }
    return s;
  }

  /** A test's simulation of the tunnel's status (the fields of a gateway tunnel's simulation). */
  public ObjectNode simulate(ElementRecord r, JsonNode spec, long forMs, boolean dryRun) {
    return vpns.simulateRoute(r, () -> status(r), spec, forMs, dryRun);
  }

  /** The tunnel's endpoint tunnels, as meta. */
  public ObjectNode list(Caller caller, String type, long key, String base) {
    ElementRecord r = tunnel(caller, type, key);
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (Pair p : pairs(r, base)) {
      result.addObject().put("name", name(p)).put("href", href(r, base) + "/" + p.id()).put("type", "endpoint_tunnel");
    }
    return out;
  }

  private static String name(Pair p) {
    return "Endpoint Tunnel " + p.a().address() + "-" + p.b().address();
  }

  private Pair pair(ElementRecord r, String id, String base) {
    String clean = id.replace("%3D", "=").replace("%3d", "=");
    return pairs(r, base).stream().filter(p -> p.id().equals(clean)).findFirst().orElseThrow(() ->
        HeraldException.notFound("Endpoint tunnel not found.", r.name() + " has no endpoint tunnel " + id + "."));
  }

  /** One endpoint tunnel: {@code enabled}, {@code endpoint_1}, {@code endpoint_2}. */
  public ObjectNode get(Caller caller, String type, long key, String id, String base) {
    ElementRecord r = tunnel(caller, type, key);
    Pair p = pair(r, id, base);
    ObjectNode o = Json.object().put("name", name(p)).put("enabled", p.enabled())
        .put("endpoint_1", p.a().href()).put("endpoint_2", p.b().href());
    o.putArray("link").addObject().put("rel", "self").put("href", href(r, base) + "/" + p.id()).put("type", "endpoint_tunnel");
    return o;
  }

  /** A PUT of {@code enabled} (smc-python's EndpointTunnel.enable_disable); an update of the tunnel. */
  public ObjectNode put(Caller caller, String type, long key, String id, JsonNode body, String base) {
    ElementRecord found = tunnel(caller, type, key);
    ElementRecord r = elements.writableForLink(caller, found.type(), found.key(), "update an endpoint tunnel of");
    ElementService.refuseLocked(r, "update an endpoint tunnel of");
    Pair p = pair(r, id, base);
    if (!(body instanceof ObjectNode o) || (o.has("enabled") && !o.get("enabled").isBoolean())) {
      throw HeraldException.badRequest("Impossible to update the endpoint tunnel.", "enabled must be true or false.");
    }
    Optional.ofNullable(o.get("enabled")).ifPresent(enabled -> store.write(tx -> {
      ElementRecord cur = tx.lock(r.key()).orElseThrow(() -> HeraldException.notFound("Element not found."));
      ObjectNode settings = tx.resource(cur.key(), RESOURCE).map(x -> (ObjectNode) ElementService.parse(x)).orElseGet(Json::object);
      Set<String> current = new java.util.HashSet<>();
      pairs(r, base).forEach(x -> current.add(x.id()));
      settings.properties().removeIf(x -> !current.contains(x.getKey())); // pairs that are gone
      settings.putObject(p.id()).put("enabled", enabled.asBoolean());
      tx.putResource(cur.key(), RESOURCE, Json.write(settings));
      tx.record(new Change.Pending(cur.domainKey(), cur.type(), cur.key(), cur.name(), EventType.UPDATE, caller.userName()));
      return null;
    }));
    return get(caller, type, key, id, base);
  }
}
