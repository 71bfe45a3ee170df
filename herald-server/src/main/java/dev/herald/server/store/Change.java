package dev.herald.server.store;

import dev.herald.protocol.EventType;

/**
 * One committed row of the change log. {@code seq} is dense and increasing in commit order
 * (except for gaps never committed: none, since seq is allocated under the head row lock).
 * {@code parent} starts the element's href when it lives under another element (a rule under its
 * policy: {@code fw_policy/1234}); null otherwise.
 */
public record Change(
    long seq,
    long domainKey,
    String type,
    long elementKey,
    String name,
    EventType action,
    long atMillis,
    String actor,
    String parent) {

  /** A change of an element that has no parent. */
  public Change(long seq, long domainKey, String type, long elementKey, String name, EventType action,
      long atMillis, String actor) {
    this(seq, domainKey, type, elementKey, name, action, atMillis, actor, null);
  }

  /**
   * A change still to be written: everything but its seq.
   *
   * @param parent the start of the element's href when it lives under another element (a rule:
   *     {@code fw_policy/1234}), else null
   */
  public record Pending(
      long domainKey, String type, long elementKey, String name, EventType action, String actor, String parent) {
    public Pending(long domainKey, String type, long elementKey, String name, EventType action, String actor) {
      this(domainKey, type, elementKey, name, action, actor, null);
    }
  }
}
