package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Faults injected into REST answers, to test a client's resilience (WireMock's faults,
 * LocalStack's chaos API): a rule matches a method and a path pattern and answers the next
 * {@code times} matching requests, or a {@code share} of them, with a status, after a delay, or
 * by dropping the connection. Every rule ends by itself: after its count, or at its
 * {@code ttl} (at most an hour). Requests under {@code /herald/admin/} are never faulted, so a
 * test can always remove its faults.
 */
public final class Faults {
  static final long MAX_DELAY_MS = 60_000;
  static final long MAX_TTL_MS = 3_600_000;
  private static final Set<Integer> STATUSES = Set.of(400, 401, 403, 404, 408, 409, 412, 429, 500,
      502, 503, 504);

  /** What a matching request gets. */
  public enum Action { STATUS, DELAY, DROP }

  /** One rule; {@code remaining} counts down (-1 = no count: {@code share} applies until expiry). */
  public record Rule(long id, String method, String pathGlob, Pattern path, Action action, int status,
      Optional<Integer> retryAfter, long delayMs, AtomicLong remaining, double share, long expiresAtMs) {
    ObjectNode json() {
      ObjectNode o = Json.object().put("id", id).put("method", method).put("path", pathGlob)
          .put("action", action.name().toLowerCase(Locale.ROOT));
      if (action == Action.STATUS) {
        o.put("status", status);
        retryAfter.ifPresent(r -> o.put("retry_after", r));
      }
      if (delayMs > 0) {
        o.put("delay_ms", delayMs);
      }
      if (remaining.get() >= 0) {
        o.put("remaining", remaining.get());
      } else {
        o.put("share", share);
      }
      o.put("expires_at", java.time.Instant.ofEpochMilli(expiresAtMs).toString());
      return o;
    }

    String describe() {
      return switch (action) {
        case STATUS -> "status " + status + (delayMs > 0 ? " after " + delayMs + " ms" : "");
        case DELAY -> "delay " + delayMs + " ms";
        case DROP -> "dropped connection";
      } + " (fault " + id + ")";
    }
  }

  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private final InstantSource clock;
  private final MeterRegistry metrics;

  public Faults(InstantSource clock, MeterRegistry metrics) {
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * Adds a rule from its JSON: {@code method} (default any), {@code path} (a glob: {@code *}
   * within a segment, {@code **} across; default any), one of {@code status} (with optional
   * {@code retry_after} seconds), {@code delay_ms} alone, or {@code drop: true}; then
   * {@code times} (default 1) or {@code share} (0 &lt; share ≤ 1), and {@code ttl_ms} (default
   * 5 minutes).
   *
   * @throws HeraldException 400 for a bad value
   */
  public Rule add(JsonNode spec) {
    if (!spec.isObject()) {
      throw bad("The fault must be a JSON object.");
    }
    for (var it = spec.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("method", "path", "status", "retry_after", "delay_ms", "drop", "times", "share", "ttl_ms").contains(f)) {
        throw bad("Unknown field \"" + f + "\"; a fault has method, path, status, retry_after, delay_ms,"
            + " drop, times, share and ttl_ms.");
      }
    }
    String method = spec.path("method").asText("*").toUpperCase(Locale.ROOT);
    if (!method.equals("*") && !Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS").contains(method)) {
      throw bad("method must be GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS or *; got " + method + ".");
    }
    String glob = spec.path("path").asText("/**");
    if (!glob.startsWith("/") || glob.length() > 500) {
      throw bad("path must be a pattern starting with /, e.g. /7.2/elements/host/*; got " + glob + ".");
    }
    boolean drop = spec.path("drop").asBoolean(false);
    if (spec.has("drop") && !spec.get("drop").isBoolean()) {
      throw bad("drop must be true or false.");
    }
    long delay = longIn(spec, "delay_ms", 0, 0, MAX_DELAY_MS);
    Action action;
    int status = 0;
    Optional<Integer> retryAfter = Optional.empty();
    if (spec.has("status")) {
      if (drop) {
        throw bad("Give status or drop, not both.");
      }
      status = (int) longIn(spec, "status", 0, 100, 599);
      if (!STATUSES.contains(status)) {
        throw bad("status must be one of " + new java.util.TreeSet<>(STATUSES) + "; got " + status + ".");
      }
      action = Action.STATUS;
      if (spec.has("retry_after")) {
        retryAfter = Optional.of((int) longIn(spec, "retry_after", 0, 0, 3600));
      }
    } else if (drop) {
      action = Action.DROP;
    } else if (delay > 0) {
      action = Action.DELAY;
    } else {
      throw bad("A fault needs status, delay_ms (above 0) or drop: true.");
    }
    if (spec.has("retry_after") && action != Action.STATUS) {
      throw bad("retry_after goes with a status.");
    }
    if (spec.has("times") && spec.has("share")) {
      throw bad("Give times or share, not both.");
    }
    long times = spec.has("share") ? -1 : longIn(spec, "times", 1, 1, 1_000_000);
    double share = 1;
    if (spec.has("share")) {
      JsonNode s = spec.get("share");
      if (!s.isNumber() || s.asDouble() <= 0 || s.asDouble() > 1) {
        throw bad("share must be a number above 0 and at most 1.");
      }
      share = s.asDouble();
    }
    long ttl = longIn(spec, "ttl_ms", 300_000, 1, MAX_TTL_MS);
    Rule r = new Rule(ids.incrementAndGet(), method, glob, compile(glob), action, status, retryAfter,
        delay, new AtomicLong(times), share, clock.millis() + ttl);
    rules.add(r);
    return r;
  }

  private static long longIn(JsonNode spec, String field, long dflt, long min, long max) {
    if (!spec.has(field)) {
      return dflt;
    }
    JsonNode v = spec.get(field);
    if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
      throw bad(field + " must be a whole number from " + min + " to " + max + ".");
    }
    return v.asLong();
  }

  static Pattern compile(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char ch = glob.charAt(i);
      if (ch == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          re.append(".*");
          i++;
        } else {
          re.append("[^/]*");
        }
      } else {
        re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(re.toString());
  }

  private static HeraldException bad(String why) {
    return HeraldException.badRequest("Invalid fault.", why);
  }

  /** The rule a request meets now, if any (and counts it). */
  Optional<Rule> match(String method, String path) {
    if (rules.isEmpty() || path.startsWith("/herald/admin/")) {
      return Optional.empty();
    }
    long now = clock.millis();
    for (Rule r : rules) {
      if (now >= r.expiresAtMs()) {
        rules.remove(r);
        continue;
      }
      if (!(r.method().equals("*") || r.method().equals(method)) || !r.path().matcher(path).matches()) {
        continue;
      }
      if (r.remaining().get() < 0) {
        if (ThreadLocalRandom.current().nextDouble() >= r.share()) {
          continue;
        }
      } else {
        long left = r.remaining().decrementAndGet();
        if (left < 0) {
          rules.remove(r);
          continue;
        }
        if (left == 0) {
          rules.remove(r);
        }
      }
      Counter.builder("herald.faults.injected").tag("kind", r.action().name().toLowerCase(Locale.ROOT))
          .description("requests answered by an injected fault").register(metrics).increment();
      return Optional.of(r);
    }
    return Optional.empty();
  }

  /** Counts a fault that is not a request rule (sockets closed, a stalled feed, an outage). */
  void counted(String kind) {
    Counter.builder("herald.faults.injected").tag("kind", kind)
        .description("requests answered by an injected fault").register(metrics).increment();
  }

  public List<Rule> list() {
    long now = clock.millis();
    rules.removeIf(r -> now >= r.expiresAtMs());
    return new ArrayList<>(rules);
  }

  boolean remove(long id) {
    return rules.removeIf(r -> r.id() == id);
  }

  public int clear() {
    int n = rules.size();
    rules.clear();
    return n;
  }
}
