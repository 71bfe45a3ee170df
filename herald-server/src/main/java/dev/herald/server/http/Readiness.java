package dev.herald.server.http;

/**
 * What {@code GET /ready} reports: a node is ready when its database answers and its change feed
 * has read the log up to the head (as of its last read). {@code seq} is the feed's position.
 */
public record Readiness(boolean databaseReachable, boolean feedCaughtUp, long seq) {
  public boolean ready() {
    return databaseReachable && feedCaughtUp;
  }
}
