package dev.herald.protocol;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The {@code type} of an event: what happened to the element. */
public enum EventType {
  CREATE("create"),
  UPDATE("update"),
  DELETE("delete"),
  TRASHED("trashed"),
  UNTRASHED("untrashed"),
  VALIDATING("validating"),
  VALIDATED("validated"),
  /**
   * Not an element event: a monitored element's status changed. It travels the change log to the
   * status socket ({@code /{version}/status/socket}) and never reaches the notification socket.
   */
  STATUS("status");

  /** Every element event's wire name, for messages that list them (not {@link #STATUS}). */
  public static final Set<String> WIRE_NAMES =
      Arrays.stream(values()).filter(t -> t != STATUS).map(EventType::wire).collect(Collectors.toUnmodifiableSet());

  private final String wire;

  EventType(String wire) {
    this.wire = wire;
  }

  /** The name on the wire ({@code create}, {@code trashed}, …). */
  public String wire() {
    return wire;
  }

  public static Optional<EventType> fromWire(String s) {
    for (EventType t : values()) {
      if (t.wire.equals(s)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
