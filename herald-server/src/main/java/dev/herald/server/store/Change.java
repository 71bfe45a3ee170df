package dev.herald.server.store;

/**
 * One committed row of the change log. {@code seq} is dense and increasing in commit order
 * (except for gaps never committed: none, since seq is allocated under the head row lock).
 */
public record Change(
    long seq,
    long domainKey,
    String type,
    long elementKey,
    String name,
    Action action,
    long atMillis,
    String actor) {

  /** The seven SMC event types. {@link #wire()} is the exact string SMC sends. */
  public enum Action {
    CREATE("create"),
    UPDATE("update"),
    DELETE("delete"),
    TRASHED("trashed"),
    UNTRASHED("untrashed"),
    VALIDATING("validating"),
    VALIDATED("validated");

    private final String wire;

    Action(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static java.util.Optional<Action> fromWire(String s) {
      for (Action a : values()) {
        if (a.wire.equals(s)) {
          return java.util.Optional.of(a);
        }
      }
      return java.util.Optional.empty();
    }
  }

  /** A change still to be written: everything but its seq. */
  public record Pending(
      long domainKey, String type, long elementKey, String name, Action action, String actor) {}
}
