package dev.herald.server.store;

/**
 * One stored element. {@code body} is the element's own JSON fields (without {@code key},
 * {@code link}, {@code system}, {@code read_only}, which are derived when rendering).
 * {@code version} starts at 1 and grows by one on every write; the ETag is derived from it.
 */
public record ElementRecord(
    long key,
    long domainKey,
    String type,
    String name,
    String body,
    long version,
    boolean trashed,
    boolean system) {

  public ElementRecord withBody(String newName, String newBody) {
    return new ElementRecord(key, domainKey, type, newName, newBody, version + 1, trashed, system);
  }

  public ElementRecord withTrashed(boolean nowTrashed) {
    return new ElementRecord(key, domainKey, type, name, body, version + 1, nowTrashed, system);
  }
}
