package dev.herald.server.store;

import dev.herald.protocol.EventType;

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
    EventType action,
    long atMillis,
    String actor) {

  /** A change still to be written: everything but its seq. */
  public record Pending(
      long domainKey, String type, long elementKey, String name, EventType action, String actor) {}
}
