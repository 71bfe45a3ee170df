package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The monitored elements Herald simulates, whatever their kind: engines and their nodes, VPNs
 * and their tunnels, the Management and Log Servers. One place answers which types are monitored, which element (and which part
 * of it) an href names, and the status of either — for the {@code monitoring_status} entry point
 * and the status socket alike.
 */
public final class Monitored {
  private final ElementService elements;
  private final EngineNodes engines;
  private final Vpns vpns;
  private final Servers servers;
  private final RouteVpns routeVpns;

  public Monitored(ElementService elements, EngineNodes engines, Vpns vpns, Servers servers, RouteVpns routeVpns) {
    this.elements = elements;
    this.engines = engines;
    this.vpns = vpns;
    this.servers = servers;
    this.routeVpns = routeVpns;
  }

  private static boolean isRouteTunnel(String type) {
    return Catalogue.monitoring().routeTunnels().contains(type);
  }

  /**
   * A monitored element the caller may see, and the part of it an href names: a node
   * ({@code firewall_node/12}), a tunnel ({@code tunnels/MSMy}) or, null, the element itself;
   * {@code within}: something inside that part the href names (an endpoint tunnel of a tunnel,
   * {@code gateway_endpoint_tunnel/ID}), whose status follows the part's.
   */
  public record Target(ElementRecord element, String part, String within) {
    Target(ElementRecord element, String part) {
      this(element, part, null);
    }
  }

  /** Engine types, VPN types and the monitored servers' (catalogue data). */
  public static Set<String> types() {
    Set<String> out = new TreeSet<>(Engines.types().keySet());
    out.addAll(Vpns.types());
    out.addAll(Catalogue.monitoring().servers());
    out.addAll(Catalogue.monitoring().routeTunnels());
    return out;
  }

  /** What an href names, when it is monitored, exists and the caller may see it. */
  public Optional<Target> target(Caller caller, String href) {
    try {
      Optional<Vpns.EndpointTunnelHref> et = Vpns.parseEndpointTunnelHref(href);
      if (et.isPresent()) {
        ElementRecord vpn = vpns.vpn(caller, et.get().type(), et.get().key());
        vpns.endpointTunnelStatus(caller, et.get().type(), et.get().key(), et.get().tunnelId(), et.get().id(), ""); // 404 if none
        return Optional.of(new Target(vpn, Vpns.TUNNELS + "/" + et.get().tunnelId(),
            Vpns.ENDPOINT_TUNNELS + "/" + et.get().id()));
      }
      Optional<Vpns.TunnelHref> tunnel = Vpns.parseTunnelHref(href);
      if (tunnel.isPresent()) {
        ElementRecord vpn = vpns.vpn(caller, tunnel.get().type(), tunnel.get().key());
        return vpns.hasTunnel(vpn, tunnel.get().id())
            ? Optional.of(new Target(vpn, Vpns.TUNNELS + "/" + tunnel.get().id())) : Optional.empty();
      }
      Optional<Engines.NodeHref> node = Engines.parseHref(href);
      if (node.isPresent()) {
        EngineNodes.Engine e = engines.engine(caller, node.get().engineType(), node.get().engineKey());
        if (node.get().nodeType() == null) {
          return Optional.of(new Target(e.record(), null));
        }
        return Engines.node(e.body(), node.get().nodeType(), node.get().nodeKey())
            .map(n -> new Target(e.record(), n.type() + "/" + n.key()));
      }
      return elements.resolveHref(caller, href)
          .filter(r -> Vpns.isVpn(r.type()) || Servers.isServer(r.type()) || isRouteTunnel(r.type()))
          .map(r -> new Target(r, null));
    } catch (HeraldException e) {
      return Optional.empty();
    }
  }

  /**
   * The status of a monitored href as {@code monitoring_status} answers it: 404 when nothing is
   * there, empty when the element is not one Herald monitors.
   */
  public Optional<ObjectNode> status(Caller caller, String href, String base) {
    Optional<Vpns.EndpointTunnelHref> et = Vpns.parseEndpointTunnelHref(href);
    if (et.isPresent()) {
      return Optional.of(withHistory(vpns.endpointTunnelStatus(caller, et.get().type(), et.get().key(),
          et.get().tunnelId(), et.get().id(), base), ElementJson.href(base, et.get().type(), et.get().key())));
    }
    Optional<Vpns.TunnelHref> tunnel = Vpns.parseTunnelHref(href);
    if (tunnel.isPresent()) {
      return Optional.of(withHistory(vpns.tunnelStatus(caller, tunnel.get().type(), tunnel.get().key(), tunnel.get().id()),
          ElementJson.href(base, tunnel.get().type(), tunnel.get().key())));
    }
    Optional<Engines.NodeHref> node = Engines.parseHref(href);
    if (node.isPresent()) {
      EngineNodes.Engine e = engines.engine(caller, node.get().engineType(), node.get().engineKey());
      String engineHref = ElementJson.href(base, e.record().type(), e.record().key());
      if (node.get().nodeType() != null) {
        return Optional.of(withHistory(engines.status(e, engines.node(e, node.get().nodeType(), node.get().nodeKey()), base),
            engineHref));
      }
      return Optional.of(withHistory(engines.engineStatus(e, base, engineHref), engineHref));
    }
    ElementRecord r = elements.resolveHref(caller, href).orElseThrow(() ->
        HeraldException.notFound("Element not found.", href + " does not exist."));
    if (Servers.isServer(r.type())) {
      return Optional.of(withHistory(servers.status(r), ElementJson.href(base, r.type(), r.key())));
    }
    if (isRouteTunnel(r.type())) {
      return Optional.of(withHistory(routeVpns.status(r), ElementJson.href(base, r.type(), r.key())));
    }
    return Vpns.isVpn(r.type())
        ? Optional.of(withHistory(vpns.vpnStatus(r, base), ElementJson.href(base, r.type(), r.key()))) : Optional.empty();
  }

  /**
   * A status's {@code link} to its element's history (smc-python's {@code MonitoringStatus.history}
   * POSTs it, API 7.1+): a node's and a tunnel's are their engine's and VPN's.
   */
  private static ObjectNode withHistory(ObjectNode status, String elementHref) {
    status.putArray("link").addObject().put("rel", "history").put("href", elementHref + "/history");
    return status;
  }

  /** A status change as the status socket shows it: the element's status, or its part's. */
  public String statusJson(Change c, String base, String of) {
    boolean ofPart = !of.equals("element");
    ObjectNode o = Engines.kind(c.type()).isPresent() ? engines.statusNode(c, base, ofPart)
        : Vpns.isVpn(c.type()) && of.startsWith("part:") ? vpns.endpointTunnelStatusNode(c, base, of.substring(5))
        : Vpns.isVpn(c.type()) ? vpns.statusNode(c, base, ofPart)
        : Servers.isServer(c.type()) ? servers.statusNode(c)
        : isRouteTunnel(c.type()) ? elements.store().find(c.elementKey()).map(routeVpns::status).orElseGet(() -> deleted(c))
        : deleted(c);
    if (!o.path("monitoring_state").asText().equals("DELETED")) {
      withHistory(o, ElementJson.href(base, c.type(), c.elementKey()));
    }
    return Json.write(o); // encoded once, for every subscriber of this base
  }

  /** A test's simulation of a monitored server's status (empty: the href names no such server). */
  public Optional<ObjectNode> simulateServer(Caller caller, String href, com.fasterxml.jackson.databind.JsonNode spec,
      long forMs, boolean dryRun) {
    return servers.server(caller, href).map(r -> servers.simulate(r, spec, forMs, dryRun));
  }

  /** A test's simulation of a route-based VPN tunnel's status (empty: the href names none). */
  public Optional<ObjectNode> simulateRouteTunnel(Caller caller, String href, com.fasterxml.jackson.databind.JsonNode spec,
      long forMs, boolean dryRun) {
    return elements.resolveHref(caller, href).filter(r -> isRouteTunnel(r.type()))
        .map(r -> routeVpns.simulate(r, spec, forMs, dryRun));
  }

  /** What a status change of an element (or part) that is gone shows. */
  static ObjectNode deleted(Change c) {
    return Json.object().put("name", c.name()).put("monitoring_state", "DELETED").put("monitoring_status", "NOT_MONITORED");
  }

}
