package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An engine's pending changes (its {@code pending_changes} link, smc-python's
 * {@code engine.pending_changes}): what changed in its configuration since its policy was last
 * installed (an upload or a refresh) — the engine itself, its installed policy and that policy's
 * rules — each a record of the keys smc-python takes ({@code changed_on}, {@code element},
 * {@code element_name}, {@code event_type}, {@code modifier}, and once approved
 * {@code approved_on}, {@code approver}). {@code approve_all_changes} approves those listed;
 * {@code disapprove_all_changes} takes the approvals back; an install empties the list. A rule
 * deleted since the install is not listed (Herald keeps no trace of it here); neither is what
 * the caller may not see (a policy of another domain).
 */
public final class PendingChanges {
  private static final String APPROVED = "approved_changes";
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss '(GMT)'")
      .withZone(ZoneOffset.UTC);

  private final ElementService elements;
  private final ElementStore store;
  private final EngineNodes nodes;
  private final InstantSource clock;

  public PendingChanges(ElementService elements, EngineNodes nodes, InstantSource clock) {
    this.elements = elements;
    this.store = elements.store();
    this.nodes = nodes;
    this.clock = clock;
  }

  private record Pending(ElementRecord element, long changedMs, Optional<Long> modifier, boolean created) {}

  private List<Pending> pending(Caller caller, EngineNodes.Engine e) {
    java.util.Set<Long> visible = elements.visibleDomains(caller);
    List<Pending> out = new ArrayList<>();
    Optional<EngineNodes.Installed> installed = nodes.installed(e);
    if (installed.isEmpty()) {
      return out; // nothing installed: nothing is pending against it
    }
    long since = installed.get().atMs();
    List<ElementRecord> watched = new ArrayList<>();
    watched.add(e.record());
    store.find(installed.get().policyKey()).filter(p -> visible.contains(p.domainKey())).ifPresent(p -> {
      // the policy, the templates it is based on, and their rules: the engine gets them all
      for (ElementRecord q : Rules.chain(store, p)) {
        if (visible.contains(q.domainKey())) {
          watched.add(q);
          store.rulesOfPolicy(q.key()).stream().filter(r -> visible.contains(r.domainKey())).forEach(watched::add);
        }
      }
    });
    for (ElementRecord r : watched) {
      ElementStore.Stamps s = store.stamps(r.key());
      long changed = s.modifiedMs().orElse(0L);
      if (changed >= since) { // a change in the millisecond of the install counts: better listed than lost
        boolean created = s.createdMs().orElse(0L) > since;
        out.add(new Pending(r, changed, s.modifiedBy(), created));
      }
    }
    out.sort(java.util.Comparator.comparingLong(Pending::changedMs));
    return out;
  }

  /** The records, as a JSON list (smc-python iterates it). */
  public ArrayNode list(Caller caller, EngineNodes.Engine e, String base) {
    ObjectNode approved = approvals(e);
    ArrayNode out = Json.mapper().createArrayNode();
    for (Pending p : pending(caller, e)) {
      ObjectNode o = out.addObject().put("changed_on", WHEN.format(java.time.Instant.ofEpochMilli(p.changedMs())))
          .put("element", ElementJson.selfHref(p.element(), base)).put("element_name", p.element().name())
          .put("event_type", p.created() ? "stonegate.object.insert" : "stonegate.object.update");
      p.modifier().flatMap(store::find).ifPresent(u -> o.put("modifier", u.name()));
      ObjectNode a = (ObjectNode) approved.get(key(p));
      if (a != null) {
        o.put("approved_on", a.path("approved_on").asText()).put("approver", a.path("approver").asText());
      } else {
        o.put("approved_on", "");
      }
    }
    return out;
  }

  private static String key(Pending p) {
    return p.element().key() + "@" + p.changedMs();
  }

  private ObjectNode approvals(EngineNodes.Engine e) {
    return store.resource(e.record().key(), APPROVED).map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(Json::object);
  }

  /** Approves every change listed now (true), or takes all approvals back (false). */
  public void approveAll(EngineNodes.Engine e, Caller caller, boolean approve) {
    ObjectNode approved = Json.object();
    if (approve) {
      String when = WHEN.format(clock.instant());
      ObjectNode before = approvals(e);
      for (Pending p : pending(caller, e)) {
        approved.set(key(p), before.has(key(p)) ? before.get(key(p))
            : Json.object().put("approved_on", when).put("approver", caller.userName()));
      }
    }
    store.write(tx -> {
      tx.putResource(e.record().key(), APPROVED, Json.write(approved));
      return null;
    });
  }
}
