package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.element.Caller;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Scripted scenarios for tests of monitoring automation: simulation steps, each at its time after
 * the start ({@code {"name": "fw1 offline for 30 s", "steps": [{"after_ms": 0, "element": NODE,
 * "engine_node_status": "Offline"}, {"after_ms": 30000, "element": NODE, "engine_node_status":
 * "Online"}]}}). Every step is checked before the scenario starts (one bad step: 400, nothing
 * runs); each runs as the superuser who started it. Scenarios run on the Herald node that
 * accepted them (their timers are this process's); a reset cancels them.
 */
final class Scenarios {
  static final int MAX_STEPS = 100;
  static final long MAX_AFTER_MS = 24L * 3600 * 1000;
  /** Running and recently ended scenarios kept for GET; the oldest ended go first. */
  static final int KEPT = 50;
  static final int MAX_RUNNING = 20;

  /** Applies (or with dryRun only checks) one simulation step. */
  @FunctionalInterface
  interface Simulator {
    ObjectNode simulate(Caller caller, String href, JsonNode spec, long forMs, String base, boolean dryRun);
  }

  private final ScheduledExecutorService timers;
  private final InstantSource clock;
  private final Simulator simulator;
  private final Map<Long, Scenario> scenarios = new LinkedHashMap<>();
  private long nextId = 1;

  Scenarios(ScheduledExecutorService timers, InstantSource clock, Simulator simulator) {
    this.timers = timers;
    this.clock = clock;
    this.simulator = simulator;
  }

  private static final class Step {
    final int index;
    final long afterMs;
    final String element;
    final ObjectNode spec;
    String state = "pending";
    String detail;
    ScheduledFuture<?> future;

    Step(int index, long afterMs, String element, ObjectNode spec) {
      this.index = index;
      this.afterMs = afterMs;
      this.element = element;
      this.spec = spec;
    }
  }

  private record Scenario(long id, String name, long startedMs, List<Step> steps) {
    boolean running() {
      return steps.stream().anyMatch(s -> s.state.equals("pending"));
    }
  }

  ObjectNode start(Caller caller, JsonNode given, String base) {
    String refused = "Invalid scenario.";
    if (!(given instanceof ObjectNode spec) || !spec.path("steps").isArray() || spec.get("steps").isEmpty()) {
      throw HeraldException.badRequest(refused, "Send {\"name\": \"…\", \"steps\": [{\"after_ms\": 0, \"element\": \"<href>\", …}]}.");
    }
    if (spec.get("steps").size() > MAX_STEPS) {
      throw HeraldException.badRequest(refused, "At most " + MAX_STEPS + " steps.");
    }
    // the steps are checked (each a dry run against the database) without holding the scenarios'
    // lock: a running step's timer thread takes it
    List<Step> steps = new ArrayList<>();
    int i = 0;
    for (JsonNode s : spec.get("steps")) {
      i++;
      String where = "Step " + i + ": ";
      if (!(s instanceof ObjectNode step)) {
        throw HeraldException.badRequest(refused, where + "not an object.");
      }
      JsonNode after = step.path("after_ms");
      if (!after.isIntegralNumber() || after.asLong() < 0 || after.asLong() > MAX_AFTER_MS) {
        throw HeraldException.badRequest(refused, where + "after_ms must be a whole number from 0 to " + MAX_AFTER_MS + ".");
      }
      String element = step.path("element").asText(step.path("node").asText(""));
      ObjectNode fields = step.deepCopy();
      fields.remove(List.of("after_ms", "element", "node"));
      long forMs = forMs(fields, where, refused);
      try {
        simulator.simulate(caller, element, fields, forMs, base, true);
      } catch (HeraldException e) {
        throw HeraldException.badRequest(refused, where + e.getMessage() + " " + String.join(" ", e.details()));
      }
      steps.add(new Step(i, after.asLong(), element, fields));
    }
    steps.sort(Comparator.comparingLong((Step s) -> s.afterMs).thenComparingInt(s -> s.index));
    synchronized (this) {
      if (scenarios.values().stream().filter(Scenario::running).count() >= MAX_RUNNING) {
        throw HeraldException.badRequest(refused, MAX_RUNNING + " scenarios are running: cancel one or wait for it to end.");
      }
      Scenario sc = new Scenario(nextId++, spec.path("name").asText("scenario"), clock.millis(), steps);
      for (Step st : steps) {
        st.future = timers.schedule(() -> run(caller, base, st), st.afterMs, TimeUnit.MILLISECONDS);
      }
      scenarios.put(sc.id(), sc);
      trim();
      return json(sc);
    }
  }

  private static long forMs(ObjectNode fields, String where, String refused) {
    JsonNode f = fields.get("for_ms");
    if (f == null) {
      return 0;
    }
    if (!f.isIntegralNumber() || f.asLong() < 0 || f.asLong() > MAX_AFTER_MS) {
      throw HeraldException.badRequest(refused, where + "for_ms must be a whole number from 0 to " + MAX_AFTER_MS + ".");
    }
    return f.asLong();
  }

  private void run(Caller caller, String base, Step st) {
    synchronized (this) {
      if (!st.state.equals("pending")) {
        return;
      }
      st.state = "running";
    }
    String state;
    String detail;
    try {
      simulator.simulate(caller, st.element, st.spec, st.spec.path("for_ms").asLong(0), base, false);
      state = "done";
      detail = null;
    } catch (RuntimeException e) {
      // the element may have gone since the start: the step fails, the others still run
      state = "failed";
      detail = e instanceof HeraldException h ? h.getMessage() + " " + String.join(" ", h.details()) : e.toString();
    }
    synchronized (this) {
      st.state = state;
      st.detail = detail;
    }
  }

  private void trim() {
    List<Long> ended = scenarios.values().stream().filter(s -> !s.running()).map(Scenario::id).toList();
    for (int i = 0; i < ended.size() && scenarios.size() > KEPT; i++) {
      scenarios.remove(ended.get(i));
    }
  }

  synchronized ObjectNode list() {
    ObjectNode out = Json.object();
    ArrayNode a = out.putArray("scenarios");
    scenarios.values().forEach(s -> a.add(json(s)));
    return out;
  }

  synchronized ObjectNode get(long id) {
    Scenario s = scenarios.get(id);
    if (s == null) {
      throw HeraldException.notFound("No scenario " + id + ".", "GET /herald/admin/scenarios lists them.");
    }
    return json(s);
  }

  synchronized ObjectNode cancel(long id) {
    Scenario s = scenarios.get(id);
    if (s == null) {
      throw HeraldException.notFound("No scenario " + id + ".", "GET /herald/admin/scenarios lists them.");
    }
    cancel(s);
    return json(s);
  }

  private static void cancel(Scenario s) {
    for (Step st : s.steps()) {
      if (st.state.equals("pending")) {
        st.state = "cancelled";
        st.future.cancel(false);
      }
    }
  }

  synchronized void cancelAll() {
    scenarios.values().forEach(Scenarios::cancel);
    scenarios.clear();
  }

  private static ObjectNode json(Scenario s) {
    ObjectNode o = Json.object().put("id", s.id()).put("name", s.name()).put("started", s.startedMs())
        .put("running", s.running());
    ArrayNode steps = o.putArray("steps");
    for (Step st : s.steps()) {
      ObjectNode j = steps.addObject().put("step", st.index).put("after_ms", st.afterMs).put("element", st.element)
          .put("state", st.state);
      j.set("set", st.spec);
      if (st.detail != null) {
        j.put("detail", st.detail);
      }
    }
    return o;
  }
}
