package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /herald/ops}: this node's operating figures as JSON, for a superuser's session (the
 * console's Operations view) — the same meters {@code /metrics} exports, read by name, plus the
 * readiness of {@code /ready}. Counters are totals since the start: a reader takes rates from two
 * samples and their {@code at}.
 */
final class OperationsResource {
  /** Field of the answer → the meter it reads. */
  private static final Map<String, String> GAUGES = Map.of(
      "sockets", "herald.notify.connections",
      "subscriptions", "herald.notify.subscriptions",
      "sessions", "herald.sessions",
      "head_seq", "herald.changelog.head");
  private static final Map<String, String> COUNTERS = Map.of(
      "changes_published", "herald.notify.changes",
      "frames_written", "herald.notify.frames",
      "slow_consumers", "herald.notify.slow_consumers");

  private final MeterRegistry meters;
  private final Supplier<Readiness> ready;
  private final InstantSource clock;

  OperationsResource(MeterRegistry meters, Supplier<Readiness> ready, InstantSource clock) {
    this.meters = meters;
    this.ready = ready;
    this.clock = clock;
  }

  List<Route> routes() {
    return List.of(new Route("/herald/ops", Set.of("GET"), this::ops));
  }

  private Reply ops(Call call) {
    if (!call.session().caller().rights().superuser()) {
      throw HeraldException.forbidden("Not allowed.", "This node's operating figures are for superusers.");
    }
    Readiness r = ready.get();
    ObjectNode o = Json.object().put("at", clock.millis()).put("ready", r.ready())
        .put("database", r.databaseReachable() ? "UP" : "UNREACHABLE")
        .put("change_feed", r.feedCaughtUp() ? "CAUGHT_UP" : "BEHIND")
        .put("memory", r.memoryOk() ? "OK" : "EXHAUSTED");
    GAUGES.forEach((field, name) -> {
      Gauge g = meters.find(name).gauge();
      o.put(field, g == null ? 0 : (long) g.value());
    });
    COUNTERS.forEach((field, name) -> {
      Counter c = meters.find(name).counter();
      o.put(field, c == null ? 0 : (long) c.count());
    });
    o.put("http_requests", meters.find("herald.http.requests").timers().stream().mapToLong(Timer::count).sum());
    return Reply.json(200, o);
  }
}
