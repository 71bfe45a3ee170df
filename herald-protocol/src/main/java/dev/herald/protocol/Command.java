package dev.herald.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A message a client sends on the notification socket. SMC defines {@code {"context": …}} and
 * {@code {"unsubscribe": id}}; Herald's opt-in extensions are extra fields of a subscribe
 * (see docs/protocol.md). Unknown fields are ignored, as SMC does.
 */
public sealed interface Command {

  /**
   * Opens a channel.
   *
   * @param contexts the RelNames (or pseudo contexts) listed; empty means all elements
   *     ({@code "*"} or {@code ""})
   * @param context the context string exactly as sent (echoed in the acknowledgement)
   * @param since resume: replay every matching change with seq &gt; since, then go live
   * @param types only these event types (create, update, …); empty means all
   * @param names only elements with one of these names; empty means any
   * @param keys only elements with one of these keys; empty means any
   * @param progressSeconds send a progress mark at most this often while the channel is quiet
   * @param heartbeatSeconds send a heartbeat frame on the connection this often
   * @param withSeq whether event frames carry {@code seq} (implied by since and progress)
   */
  record Subscribe(
      String context,
      List<String> contexts,
      Optional<Long> since,
      Set<String> types,
      Set<String> names,
      Set<Long> keys,
      Optional<Integer> progressSeconds,
      Optional<Integer> heartbeatSeconds,
      boolean withSeq)
      implements Command {

    /** A plain SMC subscribe: {@code {"context": context}} (the items split as the server does). */
    public static Subscribe of(String context) {
      Command c = parse(Json.write(Json.object().put("context", context)));
      if (c instanceof Subscribe s) {
        return s;
      }
      throw new IllegalArgumentException(((Invalid) c).reason());
    }

    /** With Herald's seq extension: events carry their seq, the ack the channel's position. */
    public Subscribe numbered() {
      return new Subscribe(context, contexts, since, types, names, keys, progressSeconds,
          heartbeatSeconds, true);
    }

    /** Resume: replay every matching change after {@code seq} first (implies seq). */
    public Subscribe since(long seq) {
      if (seq < 0) {
        throw new IllegalArgumentException("since must be 0 or more; got " + seq);
      }
      return new Subscribe(context, contexts, Optional.of(seq), types, names, keys,
          progressSeconds, heartbeatSeconds, true);
    }

    /** Without a resume position (a fresh subscription from the head). */
    public Subscribe live() {
      return new Subscribe(context, contexts, Optional.empty(), types, names, keys,
          progressSeconds, heartbeatSeconds, withSeq);
    }

    public Subscribe types(Set<String> eventTypes) {
      for (String t : eventTypes) {
        if (!EVENT_TYPES.contains(t)) {
          throw new IllegalArgumentException("unknown event type " + t + "; use "
              + String.join(", ", new java.util.TreeSet<>(EVENT_TYPES)));
        }
      }
      return new Subscribe(context, contexts, since, Set.copyOf(eventTypes), names, keys,
          progressSeconds, heartbeatSeconds, withSeq);
    }

    public Subscribe names(Set<String> elementNames) {
      return new Subscribe(context, contexts, since, types, Set.copyOf(elementNames), keys,
          progressSeconds, heartbeatSeconds, withSeq);
    }

    public Subscribe keys(Set<Long> elementKeys) {
      return new Subscribe(context, contexts, since, types, names, Set.copyOf(elementKeys),
          progressSeconds, heartbeatSeconds, withSeq);
    }

    /** The text frame that sends this command; {@link Command#parse} reads it back equal. */
    public String toJson() {
      ObjectNode o = Json.object().put("context", context);
      since.ifPresent(s -> o.put("since", s));
      if (withSeq && since.isEmpty() && progressSeconds.isEmpty()) {
        o.put("seq", true);
      }
      if (!types.isEmpty()) {
        types.stream().sorted().forEach(o.putArray("types")::add);
      }
      if (!names.isEmpty()) {
        names.stream().sorted().forEach(o.putArray("names")::add);
      }
      if (!keys.isEmpty()) {
        keys.stream().sorted().forEach(o.putArray("keys")::add);
      }
      progressSeconds.ifPresent(p -> o.put("progress", p));
      heartbeatSeconds.ifPresent(h -> o.put("heartbeat", h));
      return Json.write(o);
    }
  }

  /** Closes channel {@code id}. */
  record Unsubscribe(long id) implements Command {
    public String toJson() {
      return Json.write(Json.object().put("unsubscribe", id));
    }
  }

  /** What was wrong with a message, in words a user can act on. */
  record Invalid(String reason) implements Command {}

  /** The event types a {@code types} filter may name. */
  Set<String> EVENT_TYPES = EventType.WIRE_NAMES;

  /** Parses one text frame. Never throws: bad input yields {@link Invalid}. */
  static Command parse(String text) {
    Optional<ObjectNode> parsed = Json.parseObject(text);
    if (parsed.isEmpty()) {
      return new Invalid("Not a JSON object: send {\"context\":\"*\"} or {\"unsubscribe\":ID}.");
    }
    ObjectNode o = parsed.get();
    if (o.has("unsubscribe")) {
      JsonNode id = o.get("unsubscribe");
      if (id.isIntegralNumber() && id.canConvertToLong()) {
        return new Unsubscribe(id.asLong());
      }
      if (id.isTextual() && id.asText().matches("\\d{1,18}")) {
        return new Unsubscribe(Long.parseLong(id.asText()));
      }
      return new Invalid("unsubscribe takes a subscription_id (an integer); got " + id + ".");
    }
    if (!o.has("context")) {
      return new Invalid("Unknown command: send {\"context\":\"*\"} or {\"unsubscribe\":ID}.");
    }
    JsonNode ctx = o.get("context");
    if (!ctx.isTextual()) {
      return new Invalid("context must be a string such as \"*\" or \"host, router\"; got " + ctx + ".");
    }
    String context = ctx.asText();
    List<String> items = new java.util.ArrayList<>();
    String trimmed = context.strip();
    if (!trimmed.isEmpty() && !trimmed.equals("*")) {
      for (String part : trimmed.split(",")) {
        String p = part.strip();
        if (p.isEmpty()) {
          return new Invalid("context has an empty item: \"" + context + "\".");
        }
        if (p.equals("*")) {
          items.clear();
          break;
        }
        items.add(p);
      }
    }
    try {
      Optional<Long> since = optionalLong(o, "since", 0);
      Set<String> types = strings(o, "types");
      for (String t : types) {
        if (!EVENT_TYPES.contains(t)) {
          return new Invalid("types: unknown event type " + t + "; use " + String.join(", ",
              new java.util.TreeSet<>(EVENT_TYPES)) + ".");
        }
      }
      Set<String> names = strings(o, "names");
      Set<Long> keys = new LinkedHashSet<>();
      JsonNode k = o.get("keys");
      if (k != null && !k.isNull()) {
        if (!k.isArray()) {
          return new Invalid("keys must be a list of element keys (integers).");
        }
        for (JsonNode n : k) {
          if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            return new Invalid("keys must be a list of element keys (integers); got " + n + ".");
          }
          keys.add(n.asLong());
        }
      }
      Optional<Integer> progress = optionalLong(o, "progress", 1).map(Long::intValue);
      Optional<Integer> heartbeat = optionalLong(o, "heartbeat", 1).map(Long::intValue);
      boolean withSeq = since.isPresent() || progress.isPresent() || bool(o, "seq");
      return new Subscribe(context, List.copyOf(items), since, Set.copyOf(types), Set.copyOf(names),
          Set.copyOf(keys), progress, heartbeat, withSeq);
    } catch (IllegalArgumentException e) {
      return new Invalid(e.getMessage());
    }
  }

  private static Optional<Long> optionalLong(ObjectNode o, String field, long min) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min
        || (min > 0 && n.asLong() > 86_400)) {
      throw new IllegalArgumentException(field + " must be an integer"
          + (min > 0 ? " from " + min + " to 86400 (seconds)" : " ≥ " + min) + "; got " + n + ".");
    }
    return Optional.of(n.asLong());
  }

  private static boolean bool(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw new IllegalArgumentException(field + " must be true or false; got " + n + ".");
    }
    return n.asBoolean();
  }

  private static Set<String> strings(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    Set<String> out = new LinkedHashSet<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (n.isTextual()) {
      for (String s : n.asText().split(",")) {
        if (!s.isBlank()) {
          out.add(s.strip());
        }
      }
      return out;
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException(field + " must be a list of strings; got " + n + ".");
    }
    for (JsonNode s : n) {
      if (!s.isTextual()) {
        throw new IllegalArgumentException(field + " must be a list of strings; got " + s + ".");
      }
      out.add(s.asText());
    }
    return out;
  }
}
