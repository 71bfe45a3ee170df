package dev.herald.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A message the server sends on the notification socket, as a client reads it. {@link #parse}
 * is the one parser of server frames; {@link Frames} writes them. Keys follow SMC
 * ({@code success}, {@code failure}, {@code event}, {@code events}, {@code subscription_id})
 * and Herald's opt-in extensions ({@code seq}, {@code at}, {@code progress},
 * {@code heartbeat}, {@code history_expired}).
 */
public sealed interface ServerMessage {

  /**
   * A subscribe was accepted.
   *
   * @param seq with the seq extension: the position the channel starts after (every matching
   *     change with a higher seq reaches it); a client that resumes later passes it as
   *     {@code since} even if it has received no event yet
   */
  record Subscribed(String context, long subscriptionId, OptionalLong seq) implements ServerMessage {}

  record Unsubscribed(long subscriptionId) implements ServerMessage {}

  /**
   * A command was refused; the connection stays open.
   *
   * @param code a machine-readable reason where there is one (e.g. {@link #SINCE_BEYOND_HEAD})
   * @param headSeq the newest seq, with {@link #SINCE_BEYOND_HEAD}
   */
  record Failure(String reason, OptionalLong subscriptionId, Optional<String> code,
      OptionalLong headSeq) implements ServerMessage {
    /** {@code since} names a change the server never had: it is not the server that seq came from. */
    public static final String SINCE_BEYOND_HEAD = "since_beyond_head";
  }

  /** A resume from before the retained history: changes in (since, oldestSeq) are gone. */
  record HistoryExpired(long since, long oldestSeq, long headSeq, String context)
      implements ServerMessage {}

  /** One element change of the element {@code element} (its href). */
  record EventObject(String type, String element) {}

  /**
   * Event(s) for one channel: one for API versions above 6.5, a list for older versions.
   *
   * @param seq with the seq extension: the change's position in the log
   * @param at with the seq extension: when the change committed
   */
  record Event(List<EventObject> events, long subscriptionId, OptionalLong seq,
      Optional<Instant> at) implements ServerMessage {}

  /** Every matching change up to {@code seq} was sent before this frame. */
  record Progress(long subscriptionId, long seq) implements ServerMessage {}

  /** The connection is alive; {@code seq} is the newest change fanned out. */
  record Heartbeat(long seq) implements ServerMessage {}

  /** A frame this parser does not know (not JSON, or none of the keys above). */
  record Unknown(String text) implements ServerMessage {}

  /** Parses one text frame. Never throws: what it cannot read is {@link Unknown}. */
  static ServerMessage parse(String text) {
    Optional<ObjectNode> parsed = Json.parseObject(text);
    if (parsed.isEmpty()) {
      return new Unknown(text);
    }
    ObjectNode o = parsed.get();
    try {
      OptionalLong id = optLong(o, "subscription_id");
      if (o.has("event") || o.has("events")) {
        List<EventObject> events = new ArrayList<>();
        if (o.has("event")) {
          events.add(eventObject(o.get("event")));
        } else {
          for (JsonNode e : o.get("events")) {
            events.add(eventObject(e));
          }
        }
        Optional<Instant> at = Optional.empty();
        if (o.path("at").isTextual()) {
          at = Optional.of(Instant.parse(o.get("at").asText()));
        }
        return new Event(List.copyOf(events), id.orElse(-1), optLong(o, "seq"), at);
      }
      if (o.has("success")) {
        if (o.has("context")) {
          return new Subscribed(o.path("context").asText(), id.orElse(-1), optLong(o, "seq"));
        }
        return new Unsubscribed(id.orElse(-1));
      }
      if (o.has("failure")) {
        return new Failure(o.get("failure").asText(), id,
            o.path("code").isTextual() ? Optional.of(o.get("code").asText()) : Optional.empty(),
            optLong(o, "head_seq"));
      }
      if (o.has("history_expired")) {
        JsonNode h = o.get("history_expired");
        return new HistoryExpired(h.path("since").asLong(), h.path("oldest_seq").asLong(),
            h.path("head_seq").asLong(), o.path("context").asText());
      }
      if (o.has("progress")) {
        return new Progress(id.orElse(-1), o.get("progress").path("seq").asLong());
      }
      if (o.has("heartbeat")) {
        return new Heartbeat(o.get("heartbeat").path("seq").asLong());
      }
    } catch (IllegalArgumentException | DateTimeParseException e) {
      return new Unknown(text);
    }
    return new Unknown(text);
  }

  private static EventObject eventObject(JsonNode e) {
    if (!e.path("type").isTextual() || !e.path("element").isTextual()) {
      throw new IllegalArgumentException("an event needs type and element");
    }
    return new EventObject(e.get("type").asText(), e.get("element").asText());
  }

  private static OptionalLong optLong(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    return n != null && n.isIntegralNumber() && n.canConvertToLong()
        ? OptionalLong.of(n.asLong()) : OptionalLong.empty();
  }
}
