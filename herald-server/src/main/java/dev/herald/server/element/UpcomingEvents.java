package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Map;

/**
 * SMC's upcoming events — what will happen soon (a certificate or licence expiring, a scheduled
 * task failing) — and the two settings that shape the list, as smc-python's {@code System} reads
 * and writes them (smc/administration/upcoming_event.py):
 *
 * <ul>
 *   <li>{@code upcoming_event}: {@code {"events": [{event_date, info, situation, impacted_element,
 *       impacted_resources}]}}, hrefs for the references;
 *   <li>{@code upcoming_event_policy}: {@code {"entries": [{situation, threshold_in_days,
 *       enabled}]}} for the whole SMC, changed by a superuser only;
 *   <li>{@code upcoming_event_ignore_settings}: {@code {"entries": [situation href]}}, each
 *       administrator's own; the events of an ignored situation are left out of their list.
 * </ul>
 *
 * <p>A fresh Herald raises no event of its own: SMC's predefined situations behind them are not
 * known by name. A test or a developer raises one with {@code POST /herald/admin/upcoming_events}
 * (the admin API), as a stand-in for SMC's monitoring. An event is shown to those who may see its
 * impacted element, unless its situation is ignored or disabled in the policy; an event whose
 * element was deleted is gone. Kept as server settings (they are the installation's, reset with
 * it), references by key so an href follows the caller's address.
 */
public final class UpcomingEvents {
  /** The setting names' common start (a reset removes them). */
  public static final String PREFIX = "upcoming_event.";
  private static final String POLICY = PREFIX + "policy";
  private static final String EVENTS = PREFIX + "events";
  private static final String IGNORED = PREFIX + "ignored.";
  /** At most this many events and policy or ignore entries (a bounded setting). */
  static final int MAX_ENTRIES = 1000;
  /** At most this many raised events, each with at most this much info and these many resources. */
  static final int MAX_EVENTS = 200;
  static final int MAX_INFO = 1024;
  static final int MAX_RESOURCES = 50;

  private final ElementService elements;
  private final ElementStore store;
  private final InstantSource clock;

  public UpcomingEvents(ElementService elements, InstantSource clock) {
    this.elements = elements;
    this.store = elements.store();
    this.clock = clock;
  }

  // ---- the events ----

  /** The events the caller sees, soonest first. */
  public ObjectNode events(Caller caller, String base) {
    ElementService.requireView(caller);
    Set<Long> ignored = keys(ignoredSetting(caller));
    ArrayNode policy = elements.setting(POLICY);
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("events");
    List<JsonNode> sorted = new ArrayList<>();
    elements.setting(EVENTS).forEach(sorted::add);
    sorted.sort((a, b) -> Long.compare(a.path("event_date").asLong(), b.path("event_date").asLong()));
    Map<Long, ElementRecord> seen = visible(caller, referenced(sorted));
    for (JsonNode e : sorted) {
      long situation = e.path("situation").asLong();
      if (ignored.contains(situation) || disabled(policy, situation)) {
        continue;
      }
      render(e, seen, base).ifPresent(list::add);
    }
    return out;
  }

  /** The elements events refer to (read once for a whole listing). */
  private static List<Long> referenced(List<JsonNode> events) {
    List<Long> keys = new ArrayList<>();
    for (JsonNode e : events) {
      keys.add(e.path("situation").asLong());
      keys.add(e.path("impacted_element").asLong());
      e.path("impacted_resources").forEach(k -> keys.add(k.asLong()));
    }
    return keys;
  }

  /**
   * An event as SMC shows it, if its situation and impacted element are there for the caller
   * ({@code seen}: the elements the caller may see, by key).
   */
  private static Optional<ObjectNode> render(JsonNode e, Map<Long, ElementRecord> seen, String base) {
    Optional<ElementRecord> impacted = Optional.ofNullable(seen.get(e.path("impacted_element").asLong()));
    Optional<ElementRecord> sit = Optional.ofNullable(seen.get(e.path("situation").asLong()));
    if (impacted.isEmpty() || sit.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode o = Json.object();
    o.put("event_date", e.path("event_date").asLong());
    if (e.hasNonNull("info")) {
      o.put("info", e.get("info").asText());
    }
    o.put("situation", ElementJson.selfHref(sit.get(), base));
    o.put("impacted_element", ElementJson.selfHref(impacted.get(), base));
    ArrayNode res = o.putArray("impacted_resources");
    for (JsonNode k : e.path("impacted_resources")) {
      Optional.ofNullable(seen.get(k.asLong())).ifPresent(r -> res.add(ElementJson.selfHref(r, base)));
    }
    return Optional.of(o);
  }

  private static boolean disabled(ArrayNode policy, long situation) {
    for (JsonNode p : policy) {
      if (p.path("situation").asLong() == situation) {
        return !p.path("enabled").asBoolean(true);
      }
    }
    return false;
  }

  private Optional<ElementRecord> visible(Caller caller, long key) {
    return Optional.ofNullable(visible(caller, List.of(key)).get(key));
  }

  /** Those of {@code keys} the caller may see, read in one query. */
  private Map<Long, ElementRecord> visible(Caller caller, java.util.Collection<Long> keys) {
    Set<Long> domains = elements.visibleDomains(caller);
    Map<Long, ElementRecord> out = new java.util.HashMap<>();
    for (ElementRecord r : store.findAll(new LinkedHashSet<>(keys))) {
      if (domains.contains(r.domainKey())) {
        out.put(r.key(), r);
      }
    }
    return out;
  }

  /**
   * Raises an event (the admin API's stand-in for SMC's monitoring): {@code situation} and
   * {@code impacted_element} hrefs, optional {@code event_date} (ms, default now), {@code info}
   * and {@code impacted_resources} (hrefs).
   */
  public ObjectNode raise(Caller caller, JsonNode body, String base) {
    String what = "Impossible to raise the upcoming event.";
    if (!body.isObject()) {
      throw HeraldException.badRequest(what, "Send a JSON object.");
    }
    ObjectNode e = Json.object();
    e.put("situation", situation(caller, body.path("situation"), what).key());
    e.put("impacted_element", element(caller, body.path("impacted_element"), "impacted_element", what).key());
    JsonNode date = body.path("event_date");
    if (!date.isMissingNode() && !date.canConvertToLong()) {
      throw HeraldException.badRequest(what, "Field event_date must be a date in milliseconds since 1970.");
    }
    e.put("event_date", date.isMissingNode() ? clock.millis() : date.asLong());
    JsonNode info = body.path("info");
    if (!info.isMissingNode() && (!info.isTextual() || info.asText().length() > MAX_INFO)) {
      throw HeraldException.badRequest(what, "Field info must be a string of at most " + MAX_INFO + " characters.");
    }
    if (info.isTextual()) {
      e.put("info", info.asText());
    }
    ArrayNode res = e.putArray("impacted_resources");
    JsonNode given = body.path("impacted_resources");
    if (!given.isMissingNode() && (!given.isArray() || given.size() > MAX_RESOURCES)) {
      throw HeraldException.badRequest(what, "Field impacted_resources must be a list of at most " + MAX_RESOURCES
          + " element hrefs.");
    }
    for (JsonNode h : given) {
      res.add(element(caller, h, "impacted_resources", what).key());
    }
    elements.updateSetting(EVENTS, events -> {
      if (events.size() >= MAX_EVENTS) {
        throw HeraldException.badRequest(what, "There are " + MAX_EVENTS
            + " upcoming events already: DELETE /herald/admin/upcoming_events clears them.");
      }
      events.add(e);
      return events;
    });
    return render(e, visible(caller, referenced(List.of(e))), base).orElseThrow();
  }

  /** Clears the raised events. */
  public void clear() {
    elements.updateSetting(EVENTS, events -> Json.mapper().createArrayNode());
  }

  // ---- the policy ----

  public ObjectNode policy(Caller caller, String base) {
    ElementService.requireView(caller);
    ObjectNode out = Json.object();
    ArrayNode entries = out.putArray("entries");
    ArrayNode policy = elements.setting(POLICY);
    List<Long> keys = new ArrayList<>();
    policy.forEach(p -> keys.add(p.path("situation").asLong()));
    Map<Long, ElementRecord> seen = visible(caller, keys);
    for (JsonNode p : policy) {
      Optional.ofNullable(seen.get(p.path("situation").asLong())).ifPresent(s -> entries.addObject()
          .put("situation", ElementJson.selfHref(s, base))
          .put("threshold_in_days", p.path("threshold_in_days").asInt())
          .put("enabled", p.path("enabled").asBoolean()));
    }
    return out;
  }

  /** Replaces the policy (a superuser's; smc-python sends every entry back, changed or not). */
  public void setPolicy(Caller caller, JsonNode body) {
    String what = "Impossible to update the upcoming event policy.";
    if (!caller.rights().superuser()) {
      throw HeraldException.forbidden(what, "Only a superuser may change the upcoming event policy.");
    }
    JsonNode entries = entries(body, what);
    ArrayNode stored = Json.mapper().createArrayNode();
    Set<Long> seen = new LinkedHashSet<>();
    for (JsonNode p : entries) {
      if (!p.isObject()) {
        throw HeraldException.badRequest(what, "Each entry is an object: situation, threshold_in_days, enabled.");
      }
      long situation = situation(caller, p.path("situation"), what).key();
      if (!seen.add(situation)) {
        throw HeraldException.badRequest(what, "A situation has one entry: " + p.path("situation").asText() + " is named twice.");
      }
      JsonNode days = p.path("threshold_in_days");
      if (!days.canConvertToInt() || days.asInt() < 0 || days.asInt() > 3650 || days.isTextual()) {
        throw HeraldException.badRequest(what, "Field threshold_in_days must be a whole number of days from 0 to 3650.");
      }
      JsonNode enabled = p.path("enabled");
      if (!enabled.isMissingNode() && !enabled.isBoolean()) {
        throw HeraldException.badRequest(what, "Field enabled must be true or false.");
      }
      stored.addObject().put("situation", situation).put("threshold_in_days", days.asInt())
          .put("enabled", enabled.asBoolean(true));
    }
    elements.updateSetting(POLICY, old -> {
      // entries for situations this caller cannot see (another domain's) stay as they are
      for (JsonNode p : old) {
        long k = p.path("situation").asLong();
        if (!seen.contains(k) && visible(caller, k).isEmpty() && store.find(k).isPresent()) {
          stored.add(p);
        }
      }
      return stored;
    });
  }

  // ---- each administrator's ignored situations ----

  public ObjectNode ignored(Caller caller, String base) {
    ElementService.requireView(caller);
    ObjectNode out = Json.object();
    ArrayNode entries = out.putArray("entries");
    Set<Long> ignored = keys(ignoredSetting(caller));
    Map<Long, ElementRecord> seen = visible(caller, ignored);
    for (long k : ignored) {
      Optional.ofNullable(seen.get(k)).ifPresent(s -> entries.add(ElementJson.selfHref(s, base)));
    }
    return out;
  }

  public void setIgnored(Caller caller, JsonNode body) {
    String what = "Impossible to update the upcoming event ignore settings.";
    ElementService.requireView(caller);
    ArrayNode stored = Json.mapper().createArrayNode();
    Set<Long> seen = new LinkedHashSet<>();
    for (JsonNode h : entries(body, what)) {
      long k = situation(caller, h, what).key();
      if (seen.add(k)) {
        stored.add(k);
      }
    }
    elements.updateSetting(IGNORED + caller.userKey(), old -> stored);
  }

  private ArrayNode ignoredSetting(Caller caller) {
    return elements.setting(IGNORED + caller.userKey());
  }

  // ---- helpers ----

  private static JsonNode entries(JsonNode body, String what) {
    JsonNode entries = body == null ? null : body.get("entries");
    if (entries == null || !entries.isArray()) {
      throw HeraldException.badRequest(what, "Send {\"entries\": [...]}.");
    }
    if (entries.size() > MAX_ENTRIES) {
      throw HeraldException.badRequest(what, "At most " + MAX_ENTRIES + " entries.");
    }
    return entries;
  }

  /** A situation the caller may see, by href (smc-python's Situation is of type situations; the others end in "situation"). */
  private ElementRecord situation(Caller caller, JsonNode href, String what) {
    ElementRecord r = element(caller, href, "situation", what);
    if (!r.type().endsWith("situation") && !r.type().equals("situations")) {
      throw HeraldException.badRequest(what, href.asText() + " is a " + r.type() + ", not a situation.");
    }
    return r;
  }

  private ElementRecord element(Caller caller, JsonNode href, String field, String what) {
    if (!href.isTextual()) {
      throw HeraldException.badRequest(what, "Field " + field + " must be an element's href.");
    }
    return elements.resolveHref(caller, href.asText())
        .orElseThrow(() -> HeraldException.badRequest(what, "Field " + field + ": no element at " + href.asText() + "."));
  }

  private static Set<Long> keys(ArrayNode a) {
    Set<Long> out = new LinkedHashSet<>();
    a.forEach(k -> out.add(k.asLong()));
    return out;
  }

}
