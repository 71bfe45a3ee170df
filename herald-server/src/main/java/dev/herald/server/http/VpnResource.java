package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.EngineNodes;
import dev.herald.server.element.RouteVpns;
import dev.herald.server.element.Vpns;
import dev.herald.server.store.ElementRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Policy-based VPNs over HTTP, as smc-python's PolicyVPN drives them: the VPN's gateway-node
 * collections (GET the meta list, POST a gateway), a gateway node ({@code <vpn>/central_gateway_node/ID}:
 * GET, DELETE), the {@code gateway_tunnel} list and a tunnel ({@code <vpn>/tunnels/ID}: GET, PUT),
 * {@code open} / {@code save} / {@code close} (Herald commits each change at once: they only
 * check the VPN); and an engine's internal gateway ({@code <engine>/internal_gateway}: GET the
 * list; {@code <engine>/internal_gateway/KEY}: GET, PUT) with its endpoints and the elements it
 * holds (its VPN sites, through {@link SubElementResource}).
 */
final class VpnResource {
  private final Vpns vpns;
  private final EngineNodes engines;
  private final Set<String> gatewayNodeRels = new TreeSet<>();
  private final SubElementResource subElements;
  private final RouteVpns routeVpns;

  VpnResource(ElementResource elementResource, Vpns vpns, EngineNodes engines, SubElementResource subElements,
      RouteVpns routeVpns) {
    this.vpns = vpns;
    this.routeVpns = routeVpns;
    this.engines = engines;
    this.subElements = subElements;
    for (String type : Vpns.types()) {
      Catalogue.type(type).links().stream().filter(l -> l.kind().equals("gateway_nodes")).forEach(l -> gatewayNodeRels.add(l.rel()));
    }
    for (String rel : gatewayNodeRels) {
      elementResource.register(rel, (c, t, k) -> gatewayNodes(c, t, k, rel));
    }
    elementResource.register("gateway_tunnel", (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.json(200, vpns.tunnelList(vpns.vpn(c.session().caller(), t, k), c.base()));
    });
    elementResource.registerValidator((c, t, k) -> Vpns.isVpn(t)
        ? Optional.of(vpns.validate(vpns.vpn(c.session().caller(), t, k), c.base())) : Optional.empty());
    for (String rel : List.of("open", "save", "close")) {
      elementResource.register(rel, (c, t, k) -> {
        requireMethod(c, "POST");
        vpns.vpn(c.session().caller(), t, k);
        return Reply.json(200, Json.object());
      });
    }
    elementResource.register(RouteVpns.REL, (c, t, k) -> {
      requireMethod(c, "GET");
      return Reply.json(200, routeVpns.list(c.session().caller(), t, k, c.base()));
    });
    elementResource.register("vpn_mapping", (c, t, k) -> {
      requireMethod(c, "GET");
      EngineNodes.Engine e = engines.engine(c.session().caller(), Catalogue.canonical(t), k);
      return Reply.json(200, vpns.mappings(c.session().caller(), e, c.base()));
    });
    elementResource.register("internal_gateway", (c, t, k) -> {
      EngineNodes.Engine e = engines.engine(c.session().caller(), Catalogue.canonical(t), k);
      if (c.method().equals("POST")) { // smc-python's create_internal_gateway
        e = engines.writableEngine(c.session().caller(), e.record().type(), e.record().key(), "add an internal gateway to");
        long gk = vpns.createInternalGateway(c.session().caller(), e, c.json(), c.base());
        ObjectNode g = vpns.internalGateway(engines.engine(c.session().caller(), e.record().type(), e.record().key()), gk, c.base());
        return Reply.json(201, g).header("Location", g.get("link").get(0).get("href").asText());
      }
      requireMethod(c, "GET");
      return Reply.json(200, vpns.internalGateways(e, c.base()));
    });
  }

  List<Route> routes() {
    List<Route> out = new ArrayList<>();
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + Vpns.TUNNELS + "/{id}", Set.of("GET", "HEAD", "PUT"), this::tunnel));
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + Vpns.TUNNELS + "/{id}/" + Vpns.ENDPOINT_TUNNELS, Set.of("GET", "HEAD"),
        c -> Reply.json(200, vpns.endpointTunnelList(vpn(c), c.var("id"), c.base()))));
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + Vpns.TUNNELS + "/{id}/" + Vpns.ENDPOINT_TUNNELS + "/{eid}",
        Set.of("GET", "HEAD", "PUT"), this::endpointTunnel));
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + RouteVpns.REL + "/{id}", Set.of("GET", "HEAD", "PUT"), this::routeEndpointTunnel));
    for (String rel : gatewayNodeRels) {
      out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + rel + "/{id}", Set.of("GET", "HEAD", "DELETE"),
          c -> gatewayNode(c, rel)));
      out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + rel + "/{id}/{list}", Set.of("GET", "HEAD"),
          c -> Reply.json(200, vpns.gatewayNodeSites(vpn(c), rel, nodeId(c), c.var("list"), c.base()))));
      out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + rel + "/{id}/{list}/{site}", Set.of("GET", "HEAD", "DELETE"),
          c -> gatewayNodeSite(c, rel)));
    }
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/internal_gateway/{id}", Set.of("GET", "HEAD", "PUT", "DELETE"),
        this::internalGateway));
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/internal_gateway/{id}/internal_endpoint", Set.of("GET", "HEAD"), c -> {
      GatewayOf g = gatewayOwner(c);
      return Reply.json(200, vpns.internalEndpoints(g.engine(), g.key(), c.base()));
    }));
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/internal_gateway/{id}/internal_endpoint/{eid}", Set.of("GET", "HEAD", "PUT"),
        this::internalEndpoint));
    // the elements an internal gateway holds (its VPN sites), kept with its engine
    Catalogue.type("internal_gateway").links().stream().filter(l -> l.kind().equals("sub_elements")).forEach(l -> {
      String prefix = "/{v}/elements/{ptype}/{pkey}/internal_gateway/{id}/" + l.rel();
      out.add(new Route(prefix, Set.of("GET", "HEAD", "POST"),
          c -> subElements.collection(c, internalHolder(c, l.rel()), () -> writableGateway(c))));
      out.add(new Route(prefix + "/{sid}", Set.of("GET", "HEAD", "PUT", "DELETE"),
          c -> subElements.one(c, internalHolder(c, l.rel()), number(c, "sid"), () -> writableGateway(c))));
    });
    out.add(new Route("/{v}/elements/{ptype}/{pkey}/internal_gateway/{id}/{rel}", Set.of("GET", "POST", "PUT", "DELETE"),
        c -> notYet(c, "the sites and certificates of an internal gateway")));
    return out;
  }

  private static long number(Call c, String var) {
    try {
      return Long.parseLong(c.var(var));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Not found.", "Keys are integers; got " + c.var(var) + ".");
    }
  }

  private ElementRecord vpn(Call c) {
    if (!Catalogue.isRelName(c.var("ptype"))) {
      throw HeraldException.notFound("Not found.", "No resource at " + c.request.getHttpURI().getPath() + ".");
    }
    return vpns.vpn(c.session().caller(), c.var("ptype"), number(c, "pkey"));
  }

  private Reply notYet(Call c, String what) {
    parent(c); // 404 / 401 / 403 before saying not yet
    throw new HeraldException(501, "Herald does not implement " + what + " yet.",
        List.of("docs/coverage.md lists what Herald implements."), null);
  }

  /** The VPN or engine a nested href starts with, checked to exist and be visible. */
  private void parent(Call c) {
    String type = Catalogue.isRelName(c.var("ptype")) ? Catalogue.canonical(c.var("ptype")) : "";
    if (Vpns.isVpn(type)) {
      vpn(c);
    } else {
      engines.engine(c.session().caller(), type, number(c, "pkey"));
    }
  }

  private Reply gatewayNodes(Call c, String type, long key, String rel) throws Exception {
    ElementRecord vpn = vpns.vpn(c.session().caller(), type, key);
    if (c.method().equals("GET") || c.method().equals("HEAD")) {
      return Reply.json(200, vpns.gatewayNodes(vpn, rel, c.base()));
    }
    requireMethod(c, "POST");
    vpn = vpns.writableVpn(c.session().caller(), type, key, "add a gateway to");
    int id = vpns.addGateway(c.session().caller(), vpn, rel, c.json());
    String href = c.base() + "/elements/" + vpn.type() + "/" + vpn.key() + "/" + rel + "/" + id;
    return Reply.json(201, vpns.gatewayNode(vpn, rel, id, c.base())).header("Location", href);
  }

  private int nodeId(Call c) {
    long n = number(c, "id");
    if (n > Integer.MAX_VALUE) {
      throw HeraldException.notFound("Gateway node not found.", "No gateway node " + n + ".");
    }
    return (int) n;
  }

  /** A site of a gateway node's list: GET; DELETE moves it to the other list (enable_disable). */
  private Reply gatewayNodeSite(Call c, String rel) {
    ElementRecord vpn = vpn(c);
    int id = nodeId(c);
    long site = number(c, "site");
    if (c.method().equals("DELETE")) {
      vpn = vpns.writableVpn(c.session().caller(), vpn.type(), vpn.key(), "enable or disable a site in");
      String now = vpns.toggleGatewayNodeSite(c.session().caller(), vpn, rel, id, c.var("list"), site, c.base());
      return Reply.empty(204).header("Location", now);
    }
    return Reply.json(200, vpns.gatewayNodeSite(vpn, rel, id, c.var("list"), site, c.base()));
  }

  private Reply gatewayNode(Call c, String rel) {
    ElementRecord vpn = vpn(c);
    int id = nodeId(c);
    if (c.method().equals("DELETE")) {
      vpn = vpns.writableVpn(c.session().caller(), vpn.type(), vpn.key(), "remove a gateway from");
      vpns.removeGateway(c.session().caller(), vpn, rel, id);
      return Reply.empty(204);
    }
    return Reply.json(200, vpns.gatewayNode(vpn, rel, id, c.base()));
  }

  private Reply tunnel(Call c) throws Exception {
    ElementRecord vpn = vpn(c);
    String id = c.var("id");
    ObjectNode current = vpns.tunnelJson(vpn, id, c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the tunnel " + current.get("name").asText());
      vpns.writableVpn(c.session().caller(), vpn.type(), vpn.key(), "update a tunnel of");
      ObjectNode now = vpns.putTunnel(c.session().caller(), vpn, id, c.json(), c.base());
      return Reply.json(200, now).header("ETag", etag(now));
    }
    return Reply.json(200, current).header("ETag", etag(current));
  }

  /** An endpoint tunnel: GET; PUT {@code enabled} (smc-python's EndpointTunnel.enable_disable). */
  private Reply endpointTunnel(Call c) throws Exception {
    ElementRecord vpn = vpn(c);
    ObjectNode current = vpns.endpointTunnelJson(vpn, c.var("id"), c.var("eid"), c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the endpoint tunnel " + current.get("name").asText());
      vpn = vpns.writableVpn(c.session().caller(), vpn.type(), vpn.key(), "update an endpoint tunnel of");
      ObjectNode now = vpns.putEndpointTunnel(c.session().caller(), vpn, c.var("id"), c.var("eid"), c.json(), c.base());
      return Reply.json(200, now).header("ETag", etag(now));
    }
    return Reply.json(200, current).header("ETag", etag(current));
  }

  /** A route-based VPN's endpoint tunnel: GET; PUT {@code enabled} (EndpointTunnel.enable_disable). */
  private Reply routeEndpointTunnel(Call c) throws Exception {
    String type = Catalogue.isRelName(c.var("ptype")) ? c.var("ptype") : "";
    long key = number(c, "pkey");
    ObjectNode current = routeVpns.get(c.session().caller(), type, key, c.var("id"), c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the endpoint tunnel " + current.get("name").asText());
      ObjectNode now = routeVpns.put(c.session().caller(), type, key, c.var("id"), c.json(), c.base());
      return Reply.json(200, now).header("ETag", etag(now));
    }
    return Reply.json(200, current).header("ETag", etag(current));
  }

  /** A tunnel, an endpoint, a gateway are no elements: their ETag is a digest of what they show. */
  private static String etag(ObjectNode o) {
    return dev.herald.server.element.ETags.digest(o);
  }

  /** An engine and the key of one of its internal gateways. */
  private record GatewayOf(EngineNodes.Engine engine, long key) {}

  /** The engine and internal gateway a nested href names (404 for a gateway the engine has not). */
  private GatewayOf gatewayOwner(Call c) {
    EngineNodes.Engine e = engines.engine(c.session().caller(), Catalogue.isRelName(c.var("ptype"))
        ? Catalogue.canonical(c.var("ptype")) : "", number(c, "pkey"));
    return new GatewayOf(e, vpns.requireGateway(e, number(c, "id")));
  }

  private dev.herald.server.element.SubElements.Holder internalHolder(Call c, String rel) {
    GatewayOf g = gatewayOwner(c);
    return new dev.herald.server.element.SubElements.Holder(g.engine().record(), "internal_gateway/" + g.key() + "/" + rel, rel);
  }

  private void writableGateway(Call c) {
    EngineNodes.Engine e = gatewayOwner(c).engine();
    engines.writableEngine(c.session().caller(), e.record().type(), e.record().key(), "change the internal gateway of");
  }

  private Reply internalEndpoint(Call c) throws Exception {
    GatewayOf g = gatewayOwner(c);
    String id = c.var("eid");
    ObjectNode current = vpns.internalEndpoint(g.engine(), g.key(), id, c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the internal endpoint " + current.get("name").asText());
      EngineNodes.Engine e = g.engine();
      engines.writableEngine(c.session().caller(), e.record().type(), e.record().key(), "update an internal endpoint of");
      ObjectNode now = vpns.putInternalEndpoint(c.session().caller(), e, g.key(), id, c.json(), c.base());
      return Reply.json(200, now).header("ETag", etag(now));
    }
    return Reply.json(200, current).header("ETag", etag(current));
  }

  /** An internal gateway: GET; PUT its settings (rename); DELETE one created beside the first. */
  private Reply internalGateway(Call c) throws Exception {
    GatewayOf g = gatewayOwner(c);
    EngineNodes.Engine e = g.engine();
    ObjectNode current = vpns.internalGateway(e, g.key(), c.base());
    if (c.method().equals("PUT") || c.method().equals("DELETE")) {
      c.checkDigest(current, "the internal gateway " + current.get("name").asText());
      engines.writableEngine(c.session().caller(), e.record().type(), e.record().key(),
          c.method().equals("PUT") ? "update the internal gateway of" : "delete an internal gateway of");
      if (c.method().equals("DELETE")) {
        vpns.deleteInternalGateway(c.session().caller(), e, g.key(), c.base());
        return Reply.empty(204);
      }
      ObjectNode now = vpns.putInternalGateway(c.session().caller(), e, g.key(), c.json(), c.base());
      return Reply.json(200, now).header("ETag", etag(now));
    }
    return Reply.json(200, current).header("ETag", etag(current));
  }

  private static void requireMethod(Call call, String method) {
    if (!call.method().equals(method)) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", List.of("Allowed: " + method + "."), null)
          .header("Allow", method);
    }
  }
}
