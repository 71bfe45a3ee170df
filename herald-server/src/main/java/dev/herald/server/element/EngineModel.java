package dev.herald.server.element;

/**
 * Engines and what hangs off them, built once per server: the nodes' simulated life, VPNs and
 * their tunnels, the monitored kinds, static routes, block lists, aliases resolved on engines, policy snapshots, pending changes, contact addresses, the elements kept under a gateway (its endpoints and VPN sites), route-based VPNs' endpoint tunnels and status, the entries added to the antispoofing tree, the monitored servers' status, and the licences bound to nodes and servers.
 */
public record EngineModel(EngineNodes nodes, Vpns vpns, Monitored monitored, Routes routes, BlockLists blockLists,
    Aliases aliases, Snapshots snapshots, PendingChanges pendingChanges, ContactAddresses contactAddresses,
    SubElements subElements, RouteVpns routeVpns, Antispoofing antispoofing, Servers servers, Licences licences) {
  public static EngineModel of(ElementService elements, java.time.InstantSource clock,
      java.util.concurrent.ScheduledExecutorService timers) {
    EngineNodes nodes = new EngineNodes(elements, clock, timers);
    SubElements subElements = new SubElements(elements);
    Vpns vpns = new Vpns(elements, nodes, subElements, clock, timers);
    Servers servers = new Servers(elements, timers);
    RouteVpns routeVpns = new RouteVpns(elements, vpns);
    return new EngineModel(nodes, vpns, new Monitored(elements, nodes, vpns, servers, routeVpns), new Routes(elements),
        new BlockLists(elements, clock), new Aliases(elements), new Snapshots(elements, clock),
        new PendingChanges(elements, nodes, clock), new ContactAddresses(elements), subElements,
        routeVpns, new Antispoofing(elements), servers, new Licences(elements, clock));
  }
}
