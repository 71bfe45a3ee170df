package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The simulated life of engine nodes, like SMC's demo mode: a new node has not made initial
 * contact (configuration {@code Initial}, no status); {@code initial_contact} has it contact at
 * once (configured, reporting, no policy); a policy upload installs the policy; the node
 * commands change its state; a reboot comes back by itself. The state is stored with the engine
 * (an element resource per node), so every node of a cluster of Herald servers answers the same
 * and snapshots and resets carry it.
 *
 * <p>Herald's choices where SMC's are not documented (docs/engines.md): a node that reports is
 * {@code OK} (online, standby, locked online, no policy installed); offline and locked offline
 * are {@code WARNING}; a node that does not report (rebooting, powered off) is
 * {@code UNKNOWN} with state {@code TIMEOUT}. An engine's status is its nodes' composite, by
 * the rules smc-python documents.
 */
public final class EngineNodes {
  private static final String STATUS = "node_status/";

  private final ElementService elements;
  private final ElementStore store;
  private final InstantSource clock;
  private final ScheduledExecutorService timers;

  public EngineNodes(ElementService elements, InstantSource clock, ScheduledExecutorService timers) {
    this.elements = elements;
    this.store = elements.store();
    this.clock = clock;
    this.timers = timers;
  }

  /** An engine the caller may see, with its parsed JSON. */
  public record Engine(ElementRecord record, ObjectNode body, Catalogue.Engine kind) {}

  public Engine engine(Caller caller, String type, long key) {
    Catalogue.Engine kind = Engines.kind(type).orElseThrow(() ->
        HeraldException.notFound("Not an engine.", type + " elements have no nodes."));
    ElementRecord r = elements.get(caller, type, key);
    return new Engine(r, (ObjectNode) ElementService.parse(r.body()), kind);
  }

  /**
   * An engine the caller may change (edit rights in its domain, not a system element, not
   * locked): for every request that changes it or its parts, its nodes' state included.
   */
  public Engine writableEngine(Caller caller, String type, long key, String what) {
    return writableEngine(caller, type, key, what, Rights.Capability.EDIT);
  }

  /** {@link #writableEngine}, for what needs {@code needed} (a command: OPERATE; an upload: UPLOAD). */
  public Engine writableEngine(Caller caller, String type, long key, String what, Rights.Capability needed) {
    Catalogue.Engine kind = Engines.kind(type).orElseThrow(() ->
        HeraldException.notFound("Not an engine.", type + " elements have no nodes."));
    ElementRecord r = elements.writableForLink(caller, type, key, what, needed);
    ElementService.refuseLocked(r, what);
    return new Engine(r, (ObjectNode) ElementService.parse(r.body()), kind);
  }

  public Engines.Node node(Engine e, String nodeType, long nodeKey) {
    return Engines.node(e.body(), nodeType, nodeKey).orElseThrow(() ->
        HeraldException.notFound("Node not found.", "Engine " + e.record().name() + " has no " + nodeType + " " + nodeKey + "."));
  }

  /** The resource holding an engine's granted permissions. */
  private static final String PERMISSIONS = "permissions";

  /**
   * An engine's granted permissions as SMC answers its {@code permissions} link (smc-python's
   * {@code GrantedElementPermissions}): {@code cluster_ref}, {@code granted_access_control_list}
   * (access control list hrefs) and {@code role_containers} ({@code roles}, {@code admin_ref},
   * {@code granted_domain_ref}); none granted until set.
   */
  public ObjectNode permissions(Engine e, String engineHref) {
    ObjectNode p = store.resource(e.record().key(), PERMISSIONS).map(s -> (ObjectNode) ElementService.parse(s))
        .orElseGet(() -> {
          ObjectNode fresh = Json.object();
          fresh.putArray("granted_access_control_list");
          fresh.putArray("role_containers");
          return fresh;
        });
    ObjectNode out = Json.object().put("cluster_ref", engineHref);
    out.setAll(p);
    return out;
  }

  /**
   * Replaces an engine's granted permissions (already checked by the caller) and records an
   * update of the engine in the same transaction.
   */
  public void putPermissions(Engine e, ObjectNode granted, String actor) {
    ElementRecord r = e.record();
    store.write(tx -> {
      tx.putResource(r.key(), PERMISSIONS, Json.write(granted));
      tx.record(new dev.herald.server.store.Change.Pending(r.domainKey(), r.type(), r.key(), r.name(),
          dev.herald.protocol.EventType.UPDATE, actor));
      return null;
    });
  }

  /**
   * The simulation state of a node (fresh: not contacted). A virtual engine's node runs on its
   * master engine's nodes: its state is theirs ({@link #onMaster}), with its own policy and what a
   * command or a test set on it.
   */
  ObjectNode state(long engineKey, long nodeKey) {
    ObjectNode own = stored(engineKey, nodeKey);
    return masterOf(engineKey).map(m -> onMaster(own, m, true)).orElse(own);
  }

  private ObjectNode stored(long engineKey, long nodeKey) {
    return store.resource(engineKey, STATUS + nodeKey).map(s -> (ObjectNode) ElementService.parse(s))
        .orElseGet(EngineNodes::fresh);
  }

  private static final java.util.regex.Pattern VIRTUAL_RESOURCE = java.util.regex.Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})/" + Engines.VIRTUAL_RESOURCE + "/\\d{1,18}/?");

  /** A virtual engine's master engine (the one holding its virtual resource), if it is one. */
  private Optional<Engine> masterOf(long engineKey) {
    Optional<ElementRecord> r = store.find(engineKey);
    if (r.isEmpty() || !Engines.kind(r.get().type()).map(Catalogue.Engine::virtual).orElse(false)) {
      return Optional.empty();
    }
    java.util.regex.Matcher m = VIRTUAL_RESOURCE.matcher(
        ElementService.parse(r.get().body()).path(Engines.VIRTUAL_RESOURCE).asText(""));
    if (!m.matches()) {
      return Optional.empty();
    }
    return store.find(Long.parseLong(m.group(2))).filter(x -> Engines.kind(x.type()).isPresent())
        .map(x -> new Engine(x, (ObjectNode) ElementService.parse(x.body()), Engines.kind(x.type()).orElseThrow()));
  }

  /**
   * A virtual node's state from its master's nodes (Herald's rules, docs/engines.md): it has
   * contact when a master node has; it answers as the best master node answers (one online
   * first); with a policy of its own it is that node's status, else No Policy Installed; its
   * {@code master_node} is that node. What a command or a test set on it ({@code override})
   * comes last, unless {@code withOverride} is false.
   */
  private ObjectNode onMaster(ObjectNode own, Engine master, boolean withOverride) {
    ObjectNode best = null;
    String bestPath = null;
    int bestRank = -1;
    for (Engines.Node n : Engines.nodes(master.body())) {
      ObjectNode ms = stored(master.record().key(), n.key());
      int rank = !ms.path("contacted").asBoolean() ? 0 : !ms.path("monitoring_state").asText().equals("READY") ? 1
          : ms.path("engine_node_status").asText().equals("Online") ? 3 : 2;
      if (rank > bestRank) {
        bestRank = rank;
        best = ms;
        bestPath = "/elements/" + master.record().type() + "/" + master.record().key() + "/" + n.type() + "/" + n.key();
      }
    }
    ObjectNode s = fresh();
    if (best != null && bestRank > 0) {
      boolean policy = own.hasNonNull("installed_policy");
      s.put("contacted", true).put("configuration_status", policy ? "Installed" : "Configured")
          .put("monitoring_state", best.path("monitoring_state").asText());
      if (bestRank == 1) {
        s.put("engine_node_status", "Unknown").put("monitoring_status", "UNKNOWN");
      } else {
        String st = best.path("engine_node_status").asText();
        s.put("engine_node_status", !policy ? "No Policy Installed" : st.equals("No Policy Installed") ? "Online" : st)
            .put("monitoring_status", best.path("monitoring_status").asText("OK"));
      }
      s.put("master_node", bestPath);
    }
    for (String f : List.of("installed_policy", "installed_policy_ref", "last_upload_time", "cpu_percent",
        "memory_percent")) {
      if (own.has(f)) {
        s.set(f, own.get(f)); // its own policy, and the figures a test set on it
      }
    }
    if (withOverride && own.path("override").isObject()) {
      s.setAll((ObjectNode) own.get("override"));
      s.put("contacted", true);
    }
    return s;
  }

  /**
   * What a virtual node keeps of a state to store: its policy, and as {@code override} the status
   * fields that differ from what its master's nodes make it.
   */
  private ObjectNode ownOf(ObjectNode effective, Engine master) {
    ObjectNode own = Json.object();
    for (String f : List.of("installed_policy", "installed_policy_ref", "last_upload_time", "cpu_percent",
        "memory_percent")) {
      if (effective.has(f)) {
        own.set(f, effective.get(f));
      }
    }
    ObjectNode base = onMaster(own, master, false);
    ObjectNode override = Json.object();
    for (String f : List.of("engine_node_status", "monitoring_status", "monitoring_state")) {
      if (!effective.path(f).equals(base.path(f))) {
        override.set(f, effective.get(f));
      }
    }
    if (!override.isEmpty()) {
      own.set("override", override);
    }
    return own;
  }

  private static ObjectNode fresh() {
    return Json.object().put("configuration_status", "Initial").put("monitoring_state", "NO_STATUS")
        .put("monitoring_status", "UNKNOWN").put("engine_node_status", "Unknown").put("contacted", false);
  }

  /**
   * Stores a node's new state and, in the same transaction, a status change in the change log:
   * it reaches the status sockets of every Herald node in order, as element events do.
   */
  private void save(Engine e, Engines.Node node, ObjectNode state) {
    ElementRecord r = e.record();
    Optional<Engine> master = masterOf(r.key());
    ObjectNode kept = master.isPresent() && state.path("contacted").asBoolean() ? ownOf(state, master.get()) : state;
    store.write(tx -> {
      tx.putResource(r.key(), STATUS + node.key(), Json.write(kept));
      changed(tx, r, node.type() + "/" + node.key());
      if (master.isEmpty()) {
        // the virtual engines on this engine's nodes (a master engine's) follow them
        for (long k : tx.referrers(r.key())) {
          Optional<ElementRecord> v = store.find(k).filter(x -> Engines.kind(x.type()).map(Catalogue.Engine::virtual).orElse(false));
          if (v.isPresent()) {
            for (Engines.Node n : Engines.nodes((ObjectNode) ElementService.parse(v.get().body()))) {
              changed(tx, v.get(), n.type() + "/" + n.key());
            }
          }
        }
      }
      return null;
    });
  }

  /** A status change of one node of {@code r}, and what follows it (a VPN's tunnels). */
  private void changed(ElementStore.WriteTx tx, ElementRecord r, String node) throws java.sql.SQLException {
    tx.record(new dev.herald.server.store.Change.Pending(r.domainKey(), r.type(), r.key(), r.name(),
        dev.herald.protocol.EventType.STATUS, "system", node));
    for (StatusListener l : statusListeners) {
      l.changed(tx, r);
    }
  }

  /** Told, inside the transaction, that a node of an engine changed state (a VPN's tunnels follow). */
  @FunctionalInterface
  public interface StatusListener {
    void changed(ElementStore.WriteTx tx, ElementRecord engine) throws java.sql.SQLException;
  }

  private final List<StatusListener> statusListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  public void onStatus(StatusListener l) {
    statusListeners.add(l);
  }

  /**
   * The status a status change leads to, as JSON text (the status socket's frames): the
   * engine's composite, or the node's the change names; a deleted engine reads as DELETED.
   */
  public ObjectNode statusNode(dev.herald.server.store.Change c, String base, boolean ofNode) {
    Optional<ElementRecord> r = store.find(c.elementKey());
    Optional<Catalogue.Engine> kind = Engines.kind(c.type());
    if (r.isEmpty() || kind.isEmpty()) {
      return Monitored.deleted(c);
    }
    Engine e = new Engine(r.get(), (ObjectNode) ElementService.parse(r.get().body()), kind.get());
    if (ofNode && c.parent() != null) {
      String[] p = c.parent().split("/");
      Optional<Engines.Node> n = p.length == 2 ? Engines.node(e.body(), p[0], Long.parseLong(p[1])) : Optional.empty();
      if (n.isPresent()) {
        return status(e, n.get(), base);
      }
      return Monitored.deleted(c);
    }
    return engineStatus(e, base, ElementJson.href(base, r.get().type(), r.get().key()));
  }

  /**
   * A node's status as SMC answers it (the node's {@code status} link and {@code monitoring_status}):
   * the keys of SMC 6.5+ and the older {@code status} / {@code state} that clients still read.
   */
  public ObjectNode status(Engine e, Engines.Node node, String base) {
    return status(e, node, state(e.record().key(), node.key()), base);
  }

  private ObjectNode status(Engine e, Engines.Node node, ObjectNode s, String base) {
    ObjectNode o = Json.object().put("name", node.name())
        .put("monitoring_state", s.path("monitoring_state").asText())
        .put("monitoring_status", s.path("monitoring_status").asText())
        .put("engine_node_status", s.path("engine_node_status").asText())
        .put("configuration_status", s.path("configuration_status").asText())
        .put("status", s.path("engine_node_status").asText())
        .put("state", s.path("monitoring_state").asText());
    boolean reports = s.path("contacted").asBoolean() && s.path("monitoring_state").asText().equals("READY");
    if (s.hasNonNull("installed_policy")) {
      o.put("installed_policy", s.get("installed_policy").asText());
      o.put("installed_policy_ref", base + s.path("installed_policy_ref").asText());
      o.put("last_upload_time", s.path("last_upload_time").asLong());
    } else {
      o.putNull("installed_policy");
    }
    if (s.hasNonNull("master_node")) {
      o.put("master_node", base + s.get("master_node").asText()); // a virtual engine's node
    }
    o.put("platform", reports ? s.path("platform").asText("x86-64-small") : "N/A");
    o.put("version", reports ? s.path("version").asText("version 7.2.1 #31180") : "unknown");
    if (reports) {
      o.put("dyn_up", activeUpdatePackage().orElse("1700"));
    } else {
      o.putNull("dyn_up");
    }
    return o;
  }

  /**
   * The composite status of an engine from its nodes (smc-python's MonitoringStatus rules):
   * OK when all are OK, UNKNOWN when all are unknown, PARTIAL_OK for OK and unknown only,
   * WARNING when one warns, ERROR when one fails.
   */
  public ObjectNode engineStatus(Engine e, String base, String engineHref) {
    List<Engines.Node> nodes = Engines.nodes(e.body());
    int ok = 0;
    int unknown = 0;
    boolean warning = false;
    boolean error = false;
    boolean ready = false;
    ArrayNode children = Json.mapper().createArrayNode();
    for (Engines.Node n : nodes) {
      ObjectNode s = state(e.record().key(), n.key());
      switch (s.path("monitoring_status").asText()) {
        case "OK" -> ok++;
        case "WARNING" -> warning = true;
        case "ERROR" -> error = true;
        default -> unknown++;
      }
      ready |= s.path("monitoring_state").asText().equals("READY");
      children.addObject().put("href", engineHref + "/" + n.type() + "/" + n.key()).put("name", n.name())
          .put("type", n.type());
    }
    String composite = error ? "ERROR" : warning ? "WARNING" : nodes.isEmpty() || unknown == nodes.size() ? "UNKNOWN"
        : ok == nodes.size() ? "OK" : "PARTIAL_OK";
    ObjectNode o = Json.object().put("name", e.record().name())
        .put("monitoring_state", ready ? "READY" : "INITIAL").put("monitoring_status", composite);
    o.set("result", children);
    return o;
  }

  /**
   * {@code initial_contact}: the engine's initial configuration as text (what the appliance
   * imports; base64 when asked). The simulated node contacts at once.
   */
  public String initialContact(Engine e, Engines.Node node, boolean base64) {
    if (e.kind().virtual()) {
      throw HeraldException.badRequest("Impossible to make initial contact with " + node.name() + ".",
          "A virtual engine runs on its master engine: make initial contact with the master engine's nodes.");
    }
    ObjectNode s = state(e.record().key(), node.key());
    if (!s.path("contacted").asBoolean()) {
      s.put("contacted", true).put("configuration_status", "Configured").put("monitoring_state", "READY")
          .put("monitoring_status", "OK").put("engine_node_status", "No Policy Installed");
      save(e, node, s);
    }
    String config = "# Initial configuration of " + node.name() + " (engine " + e.record().name() + ")\n"
        + "# generated by Herald, a simulated SMC: no appliance reads it\n"
        + "node.name=" + node.name() + "\nnode.id=" + node.nodeid() + "\n"
        + "engine.type=" + e.record().type() + "\nmanagement.one_time_password=" + Long.toHexString(
            (e.record().key() * 31 + node.key()) * 0x9E3779B97F4A7C15L) + "\n";
    return base64 ? java.util.Base64.getEncoder().encodeToString(config.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        : config;
  }

  /**
   * A node command (a PUT or POST link): changes the simulated state as the catalogue says
   * ({@link Catalogue.Engine#nodeCommands()}), or refuses as SMC does when the node is in no
   * state to do it (400, nothing changed).
   */
  public void command(Engine e, Engines.Node node, String rel, JsonNode body) {
    JsonNode effect = e.kind().nodeCommands().get(rel);
    if (effect == null) {
      throw HeraldException.notFound("No command " + rel + ".");
    }
    if (effect.path("fresh").asBoolean(false)) {
      save(e, node, fresh());
      return;
    }
    ObjectNode s = state(e.record().key(), node.key());
    String refused = "Impossible to " + rel.replace('_', ' ') + " " + node.name() + ".";
    if (!s.path("contacted").asBoolean()) {
      throw HeraldException.badRequest(refused,
          "The node has not made initial contact with the Management Server (initial_contact first).");
    }
    if (effect.has("body") && !body.path(effect.get("body").asText()).isTextual()) {
      throw HeraldException.badRequest(refused, "Send {\"" + effect.get("body").asText() + "\": \"…\"}.");
    }
    for (JsonNode need : effect.path("needs")) {
      if (need.asText().equals("policy") && !s.hasNonNull("installed_policy")) {
        throw HeraldException.badRequest(refused, "No policy is installed on the node: upload a policy first.");
      }
      if (need.asText().equals("answering") && !s.path("monitoring_state").asText().equals("READY")) {
        throw HeraldException.badRequest(refused,
            "The node does not answer (" + s.path("engine_node_status").asText() + ").");
      }
    }
    if (!effect.has("set")) {
      return; // a command that changes nothing Herald simulates
    }
    ObjectNode before = s.deepCopy();
    effect.get("set").properties().forEach(f -> s.set(f.getKey(), f.getValue()));
    save(e, node, s);
    long backAfter = effect.path("back_after_ms").asLong(0);
    if (backAfter > 0) {
      long engineKey = e.record().key();
      ObjectNode during = s.deepCopy();
      timers.schedule(() -> back(engineKey, e.record().type(), node, before, during), backAfter, TimeUnit.MILLISECONDS);
    }
  }

  private static final Set<String> NODE_STATUSES = Set.of("Not Monitored", "Unknown", "Online", "Going Online",
      "Locked Online", "Going Locked Online", "Offline", "Going Offline", "Locked Offline", "Going Locked Offline",
      "Standby", "Going Standby", "No Policy Installed", "Policy Out Of Date");
  private static final Set<String> STATES = Set.of("INITIAL", "READY", "NO_STATUS", "TIMEOUT", "SERVER_ERROR",
      "DELETED", "DUMMY", "ERROR");
  private static final Set<String> HEALTHS = Set.of("OK", "WARNING", "ERROR", "UNKNOWN", "NOT_MONITORED", "IDLE");

  /**
   * Sets a node's status for a test (the admin API's simulate): any of {@code engine_node_status},
   * {@code monitoring_status}, {@code monitoring_state}; with {@code forMs} above 0 the node goes
   * back to its state before after that long (a node offline for 30 s). Bad values: 400, nothing
   * changed.
   */
  public ObjectNode simulate(Engine e, Engines.Node node, JsonNode spec, long forMs, String base) {
    return simulate(e, node, spec, forMs, base, false);
  }

  /** With {@code dryRun}: only the checks (a scenario's steps, checked before it starts). */
  public ObjectNode simulate(Engine e, Engines.Node node, JsonNode spec, long forMs, String base, boolean dryRun) {
    ObjectNode s = state(e.record().key(), node.key());
    ObjectNode before = s.deepCopy();
    check(spec, "engine_node_status", NODE_STATUSES);
    check(spec, "monitoring_status", HEALTHS);
    check(spec, "monitoring_state", STATES);
    for (String f : List.of("engine_node_status", "monitoring_status", "monitoring_state")) {
      if (spec.hasNonNull(f)) {
        s.put(f, spec.get(f).asText());
      }
    }
    for (String f : FIGURES) {
      if (spec.has(f)) {
        JsonNode v = spec.get(f);
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() > 100) {
          throw HeraldException.badRequest("Invalid simulation.", f + " must be a number from 0 to 100.");
        }
        s.put(f, v.asDouble());
      }
    }
    if (!spec.hasNonNull("engine_node_status") && !spec.hasNonNull("monitoring_status") && !spec.hasNonNull("monitoring_state")
        && FIGURES.stream().noneMatch(spec::has)) {
      throw HeraldException.badRequest("Nothing to simulate.",
          "Give engine_node_status, monitoring_status, monitoring_state, cpu_percent or memory_percent.");
    }
    if (!s.path("contacted").asBoolean()) {
      s.put("contacted", true).put("configuration_status", "Configured"); // a test may skip initial contact
    }
    if (dryRun) {
      return status(e, node, s, base);
    }
    save(e, node, s);
    if (forMs > 0) {
      long engineKey = e.record().key();
      timers.schedule(() -> back(engineKey, e.record().type(), node, before, s), forMs, TimeUnit.MILLISECONDS);
    }
    return status(e, node, s, base);
  }

  /** The health figures a test may set on a node (they move by themselves otherwise). */
  private static final List<String> FIGURES = List.of("cpu_percent", "memory_percent");

  private static void check(JsonNode spec, String field, Set<String> allowed) {
    if (spec.has(field) && !(spec.get(field).isTextual() && allowed.contains(spec.get(field).asText()))) {
      throw HeraldException.badRequest("Invalid simulation.", field + " must be one of "
          + new java.util.TreeSet<>(allowed) + ".");
    }
  }

  /** A rebooted node reports again as it was (unless the engine went meanwhile). */
  private void back(long engineKey, String type, Engines.Node node, ObjectNode before, ObjectNode during) {
    try {
      Optional<ElementRecord> r = store.find(engineKey);
      if (r.isEmpty()) {
        return;
      }
      ObjectNode body = (ObjectNode) ElementService.parse(r.get().body());
      Engine e = new Engine(r.get(), body, Engines.kind(type).orElseThrow());
      // only if nothing else changed it meanwhile
      if (Engines.node(body, node.type(), node.key()).isPresent() && state(engineKey, node.key()).equals(during)) {
        save(e, node, before);
      }
    } catch (RuntimeException ex) {
      org.slf4j.LoggerFactory.getLogger(EngineNodes.class).warn("node {} did not come back: {}", node.name(), ex.toString());
    }
  }

  /**
   * A policy upload (the engine's {@code upload} task): installs {@code policy} on every node
   * that made initial contact. Fails when none did.
   */
  public void install(Engine e, ElementRecord policy, String policyPath) {
    List<Engines.Node> nodes = Engines.nodes(e.body());
    boolean any = false;
    for (Engines.Node n : nodes) {
      ObjectNode s = state(e.record().key(), n.key());
      if (!s.path("contacted").asBoolean()) {
        continue;
      }
      any = true;
      s.put("installed_policy", policy.name()).put("installed_policy_ref", policyPath)
          .put("last_upload_time", clock.millis()).put("configuration_status", "Installed");
      if (s.path("engine_node_status").asText().equals("No Policy Installed")) {
        s.put("engine_node_status", "Online").put("monitoring_status", "OK");
      }
      save(e, n, s);
    }
    if (!any) {
      throw new dev.herald.server.task.Tasks.Failed("Policy " + policy.name() + " cannot be installed on "
          + e.record().name() + ": no node has made initial contact.");
    }
  }

  /**
   * The active dynamic update package (an {@code update_package} whose state is active): what the
   * nodes report as {@code dyn_up}.
   */
  private Optional<String> activeUpdatePackage() {
    for (var e : Catalogue.packages().entrySet()) {
      if (e.getValue().active().isPresent()) {
        for (ElementRecord r : store.listByType(e.getKey())) {
          JsonNode b = ElementService.parse(r.body());
          if (b.path("state").asText().equals(e.getValue().active().get())) {
            return Optional.of(b.path(e.getValue().identity()).asText());
          }
        }
      }
    }
    return Optional.empty();
  }

  /**
   * An engine node named by its href, of an engine the caller may change ({@code what} says
   * for what): empty when the href names no node.
   */
  public Optional<Packages.NodeRef> nodeByHref(Caller caller, String href, String what) {
    java.util.regex.Matcher m = NODE_HREF.matcher(href);
    if (!m.matches() || Engines.kind(m.group(1)).isEmpty()) {
      return Optional.empty();
    }
    Engine e;
    try {
      e = writableEngine(caller, m.group(1), Long.parseLong(m.group(2)), what, Rights.Capability.OPERATE);
    } catch (HeraldException notFound) {
      if (notFound.status() == 404) {
        return Optional.empty();
      }
      throw notFound;
    }
    return Engines.node(e.body(), m.group(3), Long.parseLong(m.group(4))).map(n -> new Packages.NodeRef(e, n));
  }

  private static final java.util.regex.Pattern NODE_HREF = java.util.regex.Pattern.compile(
      ".*/elements/([a-z0-9_]+)/(\\d{1,18})/([a-z0-9_]+)/(\\d{1,18})/?");

  /** Whether a node answers (monitoring state READY). */
  public boolean answers(Engine e, Engines.Node node) {
    return state(e.record().key(), node.key()).path("monitoring_state").asText().equals("READY");
  }

  /**
   * An engine upgrade activated on a node: it reports the new version ({@code version 7.2.1
   * #31180} for 7.2.1.31180) and platform; a status change of the node (evented on the status
   * socket).
   */
  public void upgrade(Engine e, Engines.Node node, String version, String platform) {
    ObjectNode s = state(e.record().key(), node.key());
    int last = version.lastIndexOf('.');
    boolean build = version.chars().filter(ch -> ch == '.').count() >= 3;
    s.put("version", "version " + (build ? version.substring(0, last) + " #" + version.substring(last + 1) : version));
    if (!platform.isEmpty()) {
      s.put("platform", platform);
    }
    save(e, node, s);
  }

  /** Whether some node of the engine answers (monitoring state READY). */
  public boolean reports(Engine e) {
    return Engines.nodes(e.body()).stream()
        .anyMatch(n -> state(e.record().key(), n.key()).path("monitoring_state").asText().equals("READY"));
  }

  /** A policy installed on an engine: which, and when it was last installed (upload or refresh). */
  public record Installed(String name, long policyKey, long atMs) {}

  /** The policy most recently installed on one of the engine's nodes. */
  public Optional<Installed> installed(Engine e) {
    Installed best = null;
    for (Engines.Node n : Engines.nodes(e.body())) {
      ObjectNode s = state(e.record().key(), n.key());
      if (s.hasNonNull("installed_policy")) {
        String ref = s.path("installed_policy_ref").asText("");
        long key;
        try {
          key = Long.parseLong(ref.substring(ref.lastIndexOf('/') + 1));
        } catch (NumberFormatException ex) {
          continue;
        }
        long at = s.path("last_upload_time").asLong();
        if (best == null || at > best.atMs()) {
          best = new Installed(s.get("installed_policy").asText(), key, at);
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /** Whether some node has a policy installed (a refresh needs one). */
  public Optional<String> installedPolicy(Engine e) {
    for (Engines.Node n : Engines.nodes(e.body())) {
      ObjectNode s = state(e.record().key(), n.key());
      if (s.hasNonNull("installed_policy")) {
        return Optional.of(s.get("installed_policy").asText());
      }
    }
    return Optional.empty();
  }

  /** The engine's resource holding a node's diagnostic settings that are on. */
  private static final String DIAGNOSTICS = "diagnostics/";

  private ObjectNode answering(Engine e, Engines.Node node, String what) {
    ObjectNode s = state(e.record().key(), node.key());
    if (!s.path("monitoring_state").asText().equals("READY")) {
      throw HeraldException.badRequest("Impossible to " + what + " " + node.name() + ".",
          "The node does not answer (" + s.path("engine_node_status").asText() + ").");
    }
    return s;
  }

  /**
   * A node's diagnostic settings (smc-python's {@code Node.debug}): every setting its engine type
   * has (catalogue data), off until turned on, as {@code {diagnostics: [{diagnostic: {name,
   * enabled}}]}}; with {@code onlyEnabled}, those that are on. Only from a node that answers.
   */
  public ObjectNode diagnostics(Engine e, Engines.Node node, boolean onlyEnabled) {
    answering(e, node, "read the diagnostics of");
    Set<String> on = new java.util.HashSet<>();
    store.resource(e.record().key(), DIAGNOSTICS + node.key()).map(ElementService::parse)
        .ifPresent(a -> a.path("on").forEach(x -> on.add(x.asText())));
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("diagnostics");
    for (String name : e.kind().diagnostics()) {
      if (!onlyEnabled || on.contains(name)) {
        list.addObject().putObject("diagnostic").put("name", name).put("enabled", on.contains(name));
      }
    }
    return out;
  }

  /**
   * Sets a node's diagnostics (smc-python's {@code set_debug}: the same shape POSTed to
   * {@code send_diagnostic}): each named setting of the engine type turned on or off, in effect at
   * once (no event: it is not configuration); an unknown name or a value that is not true or
   * false is a 400 that changes nothing. Only on a node that answers.
   */
  public void setDiagnostics(Engine e, Engines.Node node, JsonNode body) {
    answering(e, node, "set the diagnostics of");
    String refused = "Impossible to set the diagnostics of " + node.name() + ".";
    if (!body.path("diagnostics").isArray()) {
      throw HeraldException.badRequest(refused, "Send {\"diagnostics\": [{\"diagnostic\": {\"name\", \"enabled\"}}]}.");
    }
    java.util.Map<String, Boolean> changes = new java.util.LinkedHashMap<>();
    for (JsonNode d : body.get("diagnostics")) {
      JsonNode x = d.path("diagnostic");
      String name = x.path("name").asText("");
      if (!e.kind().diagnostics().contains(name)) {
        throw HeraldException.badRequest(refused, "No diagnostic \"" + name + "\" on a " + e.record().type() + ".");
      }
      if (!x.path("enabled").isBoolean()) {
        throw HeraldException.badRequest(refused, "enabled of " + name + " is true or false.");
      }
      changes.put(name, x.get("enabled").asBoolean());
    }
    long key = e.record().key();
    store.write(tx -> {
      tx.lock(key).orElseThrow(() -> HeraldException.notFound("Element not found."));
      Set<String> on = new java.util.TreeSet<>();
      tx.resource(key, DIAGNOSTICS + node.key()).map(ElementService::parse)
          .ifPresent(a -> a.path("on").forEach(v -> on.add(v.asText())));
      changes.forEach((n, enabled) -> {
        if (enabled) {
          on.add(n);
        } else {
          on.remove(n);
        }
      });
      ObjectNode kept = Json.object();
      on.forEach(kept.putArray("on")::add);
      tx.putResource(key, DIAGNOSTICS + node.key(), Json.write(kept));
      return null;
    });
  }

  /**
   * A node's {@code sginfo}: the diagnostics bundle an appliance makes, as a gzip'd tar — here
   * what Herald knows of the node (its status, appliance status, the engine's configuration),
   * and with {@code include_core_files} / {@code include_slapcat_output} the (empty) core files
   * and user database dump. Only from a node that answers (400 otherwise).
   */
  public byte[] sginfo(Engine e, Engines.Node node, boolean cores, boolean slapcat, String base) {
    ObjectNode s = state(e.record().key(), node.key());
    if (!s.path("monitoring_state").asText().equals("READY")) {
      throw HeraldException.badRequest("Impossible to get the sginfo of " + node.name() + ".",
          "The node does not answer (" + s.path("engine_node_status").asText() + ").");
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        new java.util.zip.GZIPOutputStream(bytes))) {
      String dir = "sginfo-" + node.name().replaceAll("[^A-Za-z0-9._-]", "_") + "/";
      entry(tar, dir + "README.txt", "sginfo of " + node.name() + " (engine " + e.record().name() + "), made by Herald:"
          + " a simulated node, so it holds what the Management Server knows of it.\n");
      entry(tar, dir + "status.json", Json.write(status(e, node, base)));
      entry(tar, dir + "appliance_status.json", Json.write(applianceStatus(e, node)));
      entry(tar, dir + "engine.json", Json.write(ElementJson.render(e.record(), base)));
      if (cores) {
        entry(tar, dir + "core_files.txt", "No core files.\n");
      }
      if (slapcat) {
        entry(tar, dir + "slapcat.ldif", "");
      }
    } catch (java.io.IOException ex) {
      throw new java.io.UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  private void entry(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar, String name, String text)
      throws java.io.IOException {
    byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
    entry.setSize(b.length);
    entry.setModTime(clock.millis());
    tar.putArchiveEntry(entry);
    tar.write(b);
    tar.closeArchiveEntry();
  }

  /**
   * A node's {@code appliance_status}: its interfaces and hardware, in the nested shape smc-python
   * reads (SMC 7.4's keys); empty lists until it reports. File system usage moves slowly with time.
   */
  public ObjectNode applianceStatus(Engine e, Engines.Node node) {
    ObjectNode s = state(e.record().key(), node.key());
    boolean reports = s.path("monitoring_state").asText().equals("READY");
    ObjectNode o = Json.object();
    // the inner key is interface_status before SMC 7.4 and interface_statuses from 7.4 (smc-python
    // picks by the SMC version): both, the same list
    ObjectNode outer = o.putObject("interface_statuses");
    ArrayNode itfs = outer.putArray("interface_statuses");
    ArrayNode hw = o.putObject("hardware_statuses").putArray("hardware_statuses");
    if (!reports) {
      outer.set("interface_status", itfs);
      return o;
    }
    for (Engines.Interface i : Engines.interfaces(e.body())) {
      String id = i.data().path("interface_id").asText();
      if (!id.matches("\\d+")) {
        continue;
      }
      itfs.addObject().put("interface_id", Integer.parseInt(id)).put("name", "eth" + id + "_0").put("status", "Up")
          .put("mtu", 1500).put("capability", "Normal Interface").put("flow_control", "AutoNeg: off Rx: off Tx: off")
          .put("port", "Copper").put("speed_duplex", "1000 Mb/s / Full / Automatic").put("aggregate_is_active", false);
    }
    outer.set("interface_status", itfs.deepCopy());
    double t = clock.millis() / 3_600_000.0 + node.key();
    double usage = 35 + 10 * Math.sin(t); // a slow daily-ish swing between 25 % and 45 %
    ObjectNode fs = hw.addObject().put("name", "File Systems").put("status", "OK");
    ObjectNode root = fs.putArray("items").addObject().put("name", "Root").put("status", "OK");
    root.putArray("statuses")
        .add(Json.object().put("label", "Root").put("param", "Usage").put("sub_system", "File Systems")
            .put("value", String.format(java.util.Locale.ROOT, "%.1f%%", usage)))
        .add(Json.object().put("label", "Root").put("param", "Size").put("sub_system", "File Systems")
            .put("value", "7871 MB"));
    double cpu = s.has("cpu_percent") ? s.get("cpu_percent").asDouble()
        : 18 + 9 * Math.sin(clock.millis() / 37_000.0 + node.key()) + 4 * Math.sin(clock.millis() / 5_000.0 + 2 * node.key());
    double memory = s.has("memory_percent") ? s.get("memory_percent").asDouble()
        : 42 + 6 * Math.sin(clock.millis() / 300_000.0 + node.key());
    double load = 4 * cpu / 100 + 0.05;
    figure(hw, "CPU", cpu, List.of(new String[] {"Usage", percent(cpu)},
        new String[] {"Load", String.format(java.util.Locale.ROOT, "%.2f", load)}));
    figure(hw, "Memory", memory, List.of(new String[] {"Usage", percent(memory)}, new String[] {"Size", "8192 MB"}));
    return o;
  }

  private static String percent(double v) {
    return String.format(java.util.Locale.ROOT, "%.1f%%", v);
  }

  /** A hardware label with one item (WARNING above 90 %), in the keys smc-python reads. */
  private static void figure(ArrayNode hw, String name, double usage, List<String[]> params) {
    String status = usage > 90 ? "WARNING" : "OK";
    ObjectNode item = hw.addObject().put("name", name).put("status", status).putArray("items").addObject()
        .put("name", name).put("status", status);
    ArrayNode statuses = item.putArray("statuses");
    for (String[] p : params) {
      statuses.addObject().put("label", name).put("param", p[0]).put("sub_system", name).put("value", p[1]);
    }
  }
}
