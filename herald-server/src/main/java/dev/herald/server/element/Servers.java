package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The monitored servers (the Management Server and Log Server built-ins; which types is
 * catalogue data): they are this process, so their status is its own — READY, OK, its memory —
 * unless a test sets another ({@code POST /herald/admin/simulate} with the server's href, for a
 * while or until cleared). A status a test sets is kept with the server (every Herald node shows
 * it) and each change is a status change of the server in the change log, so it reaches the
 * status socket.
 */
public final class Servers {
  private static final String SIMULATED = "server_status";

  private final ElementService elements;
  private final ElementStore store;
  private final ScheduledExecutorService timers;

  public Servers(ElementService elements, ScheduledExecutorService timers) {
    this.elements = elements;
    this.store = elements.store();
    this.timers = timers;
  }

  public static boolean isServer(String type) {
    return Catalogue.monitoring().servers().contains(type);
  }

  /** A monitored server the caller may see, by its href. */
  public Optional<ElementRecord> server(Caller caller, String href) {
    return elements.resolveHref(caller, href).filter(r -> isServer(r.type()));
  }

  /** The server's status: READY; OK or what a test set; this process's memory. */
  public ObjectNode status(ElementRecord r) {
    Runtime rt = Runtime.getRuntime();
    long used = rt.totalMemory() - rt.freeMemory();
    ObjectNode o = Json.object().put("name", r.name()).put("monitoring_state", "READY").put("monitoring_status", "OK");
    store.resource(r.key(), SIMULATED).map(ElementService::parse).ifPresent(s -> o.put("monitoring_status",
        s.path("monitoring_status").asText("OK")));
    o.put("memory_used", Math.round(100.0 * used / rt.maxMemory()));
    o.put("memory_info", (used >> 20) + " MB used of " + (rt.maxMemory() >> 20) + " MB");
    return o;
  }

  /** A status change of a server, as the status socket shows it. */
  public ObjectNode statusNode(Change c) {
    return store.find(c.elementKey()).map(this::status).orElseGet(() -> Monitored.deleted(c));
  }

  /**
   * Sets a server's {@code monitoring_status} (one the catalogue allows) for {@code forMs}
   * (0: until changed), or {@code "clear": true} gives it back its own; with {@code dryRun} only
   * the checks. 400 for anything else, nothing changed.
   */
  public ObjectNode simulate(ElementRecord r, JsonNode spec, long forMs, boolean dryRun) {
    if (spec.path("clear").asBoolean(false)) {
      if (!dryRun) {
        set(r, Optional.empty());
      }
      return status(r);
    }
    JsonNode v = spec.get("monitoring_status");
    java.util.Set<String> allowed = Catalogue.monitoring().serverStatuses();
    if (v == null || !v.isTextual() || !allowed.contains(v.asText())) {
      throw HeraldException.badRequest("Invalid simulation.", "A server takes monitoring_status, one of "
          + new java.util.TreeSet<>(allowed) + " (or \"clear\": true).");
    }
    if (dryRun) {
      return status(r);
    }
    // a timed status comes back to the last one set without a time (overlapping timed ones too)
    Optional<String> lasting = store.resource(r.key(), SIMULATED).map(ElementService::parse)
        .flatMap(s -> s.path("timed").asBoolean(false)
            ? Optional.ofNullable(s.get("lasting")).map(JsonNode::asText) // none: its own status
            : Optional.of(s.path("monitoring_status").asText()));
    ObjectNode set = Json.object().put("monitoring_status", v.asText()).put("at", System.nanoTime());
    if (forMs > 0) {
      set.put("timed", true);
      lasting.ifPresent(l -> set.put("lasting", l));
    }
    String during = Json.write(set);
    set(r, Optional.of(during));
    if (forMs > 0) {
      Optional<String> back = lasting.map(l -> Json.write(Json.object().put("monitoring_status", l)));
      timers.schedule(() -> {
        try {
          if (store.resource(r.key(), SIMULATED).equals(Optional.of(during))) {
            set(r, back);
          }
        } catch (RuntimeException ex) {
          org.slf4j.LoggerFactory.getLogger(Servers.class).warn("server {} did not come back: {}", r.name(), ex.toString());
        }
      }, forMs, TimeUnit.MILLISECONDS);
    }
    return status(r);
  }

  private void set(ElementRecord r, Optional<String> simulated) {
    store.write(tx -> {
      if (tx.lock(r.key()).isEmpty()) {
        return null;
      }
      if (simulated.isPresent()) {
        tx.putResource(r.key(), SIMULATED, simulated.get());
      } else {
        tx.deleteResource(r.key(), SIMULATED);
      }
      tx.record(new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), EventType.STATUS, "system"));
      return null;
    });
  }
}
