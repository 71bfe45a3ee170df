package dev.herald.server.http;

/**
 * What {@code GET /ready} reports: a node is ready when its database answers, its change feed
 * has read the log up to the head (as of its last read), and it has memory to serve (no request
 * ran out of it lately, and the heap is not full after a collection).
 */
public record Readiness(boolean databaseReachable, boolean feedCaughtUp, boolean memoryOk) {
  public boolean ready() {
    return databaseReachable && feedCaughtUp && memoryOk;
  }
}
