package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.element.Bootstrap;
import dev.herald.server.element.BuiltIns;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ElementService;
import dev.herald.server.http.AdminControl;
import dev.herald.server.notify.Notifications;
import dev.herald.server.session.SecretHash;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.Database;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import dev.herald.server.store.StateStore;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The server's state as a whole: reset to fresh, snapshots, and the faults that act on the
 * whole server (sockets, feed, database). Behind the admin API and {@link HeraldServer}'s
 * methods. A reset and a load each run alone; they are serialised with each other.
 */
public final class Whole implements AdminControl {

  private final ServerConfig config;
  private final ElementStore store;
  private final StateStore state;
  private final Bootstrap boot;
  private final long shared;
  private final Sessions sessions;
  private final Notifications notifications;
  private final Database db;
  private final InstantSource clock;
  private final SecureRandom random;

  Whole(ServerConfig config, ElementStore store, StateStore state, Bootstrap boot, long shared,
      Sessions sessions, Notifications notifications, Database db, InstantSource clock, SecureRandom random) {
    this.config = config;
    this.store = store;
    this.state = state;
    this.boot = boot;
    this.shared = shared;
    this.sessions = sessions;
    this.notifications = notifications;
    this.db = db;
    this.clock = clock;
    this.random = random;
  }

  /** What a reset did. */
  public record ResetResult(int elementsRemoved, int socketsClosed, long head, double millis) {
    ObjectNode json() {
      return Json.object().put("elements_removed", elementsRemoved).put("sockets_closed", socketsClosed)
          .put("head_seq", head).put("millis", Math.round(millis * 1000) / 1000.0);
    }
  }

  /** What a snapshot load did. */
  public record LoadResult(int elements, int formatVersion, int socketsClosed, long head, double millis) {
    ObjectNode json() {
      return Json.object().put("elements", elements).put("format_version", formatVersion)
          .put("sockets_closed", socketsClosed).put("head_seq", head)
          .put("millis", Math.round(millis * 1000) / 1000.0);
    }
  }

  synchronized ResetResult resetState(boolean keepUsers) {
    long start = System.nanoTime();
    List<Long> usersGone = new ArrayList<>();
    Predicate<ElementRecord> keep;
    if (keepUsers) {
      // who may log in, and where
      keep = r -> ElementService.ACCESS.contains(r.type());
    } else {
      // the domains, and only the users the server itself creates (their keys are the configured ones)
      keep = r -> r.type().equals(ElementService.DOMAIN) || Bootstrap.API_CLIENT.is(r, shared) || Bootstrap.ADMIN.is(r, shared);
      for (String type : ElementService.USERS) {
        for (ElementRecord r : store.listByType(type)) {
          if (!r.system() && !keep.test(r)) {
            usersGone.add(r.key());
          }
        }
      }
    }
    StateStore.Reset r = state.reset(keep);
    usersGone.forEach(sessions::endUser);
    int closed = notifications.reset(r.head());
    return new ResetResult(r.elements(), closed, r.head(), (System.nanoTime() - start) / 1e6);
  }

  synchronized LoadResult load(JsonNode root) {
    long start = System.nanoTime();
    StateStore.Snapshot snap = state.parse(root, Catalogue::isRelName, shared);
    long head = state.load(snap);
    sessions.stateReplaced();
    int closed = notifications.reset(head);
    // a snapshot of an older Herald lacks the built-ins added since; the configured secrets win
    BuiltIns.ensure(store, shared, clock.millis());
    for (var given : java.util.Map.of(Bootstrap.API_CLIENT, config.apiKey(), Bootstrap.ADMIN, config.adminPassword()).entrySet()) {
      Bootstrap.BuiltInUser u = given.getKey();
      given.getValue().ifPresent(secret ->
          boot.user(shared, u.type(), u.name(), secret, u.kind(), true, sessions::storedSecret, SecretHash::verify));
    }
    return new LoadResult(snap.elements(), snap.version(), closed, head, (System.nanoTime() - start) / 1e6);
  }

  @Override
  public void saveSnapshot(OutputStream out) {
    String version = HeraldServer.class.getPackage().getImplementationVersion();
    state.save(out, version == null ? "development" : version, clock.millis());
  }

  // ---- the admin API ----

  @Override
  public ObjectNode reset(boolean keepUsers) {
    if (scenarios != null) {
      scenarios.cancelAll(); // a reset starts from nothing: no step of before it runs after it
    }
    return resetState(keepUsers).json();
  }

  @Override
  public ObjectNode loadSnapshot(JsonNode snapshot) {
    return load(snapshot).json();
  }

  @Override
  public int closeSockets(Predicate<Session> which, int code, String reason) {
    return notifications.closeSockets(which, code, reason);
  }

  @Override
  public void stallFeed(long millis) {
    notifications.stallFeed(clock.millis() + millis);
  }

  private dev.herald.server.element.EngineNodes engineNodes;
  private dev.herald.server.element.Vpns vpns;
  private dev.herald.server.element.Monitored monitored;

  void engineNodes(dev.herald.server.element.EngineNodes n, dev.herald.server.element.Vpns v,
      dev.herald.server.element.Monitored m,
      java.util.concurrent.ScheduledExecutorService timers) {
    this.engineNodes = n;
    this.vpns = v;
    this.monitored = m;
    this.scenarios = new Scenarios(timers, clock, (caller, href, spec, forMs, base, dryRun) ->
        simulate(caller, href, spec, forMs, base, dryRun));
  }

  @Override
  public ObjectNode simulate(dev.herald.server.element.Caller caller, String href, JsonNode spec, long forMs,
      String base) {
    return simulate(caller, href, spec, forMs, base, false);
  }

  private ObjectNode simulate(dev.herald.server.element.Caller caller, String href, JsonNode spec, long forMs,
      String base, boolean dryRun) {
    var tunnel = dev.herald.server.element.Vpns.parseTunnelHref(href);
    if (tunnel.isPresent()) {
      return vpns.simulate(caller, tunnel.get(), spec, forMs, dryRun);
    }
    var server = monitored.simulateServer(caller, href, spec, forMs, dryRun);
    if (server.isPresent()) {
      return server.get();
    }
    var route = monitored.simulateRouteTunnel(caller, href, spec, forMs, dryRun);
    if (route.isPresent()) {
      return route.get();
    }
    var h = dev.herald.server.element.Engines.parseHref(href).filter(p -> p.nodeType() != null)
        .orElseThrow(() -> HeraldException.badRequest("Invalid simulation.",
            "Give an engine node's href (…/elements/single_fw/12/firewall_node/13), a VPN tunnel's"
            + " (…/elements/vpn/5/tunnels/MSMy) or a Management or Log Server's; got \"" + href + "\"."));
    var e = engineNodes.engine(caller, h.engineType(), h.engineKey());
    var n = engineNodes.node(e, h.nodeType(), h.nodeKey());
    return engineNodes.simulate(e, n, spec, forMs, base, dryRun);
  }

  private Scenarios scenarios;

  @Override
  public ObjectNode startScenario(dev.herald.server.element.Caller caller, JsonNode spec, String base) {
    return scenarios.start(caller, spec, base);
  }

  @Override
  public ObjectNode scenarios() {
    return scenarios.list();
  }

  @Override
  public ObjectNode scenario(long id) {
    return scenarios.get(id);
  }

  @Override
  public ObjectNode cancelScenario(long id) {
    return scenarios.cancel(id);
  }

  @Override
  public void databaseOutage(long millis) {
    db.simulateOutage(System.currentTimeMillis() + millis);
  }
}
