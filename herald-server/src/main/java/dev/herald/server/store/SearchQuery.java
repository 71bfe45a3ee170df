package dev.herald.server.store;

import java.util.Optional;
import java.util.Set;

/**
 * A search over elements visible in some domains. {@code types} empty means all types.
 * {@code filter} is a substring of the name or of any string field (or the whole name with
 * {@code exactMatch}); {@code limit} caps the result.
 */
public record SearchQuery(
    Set<Long> domains,
    Set<String> types,
    Optional<String> filter,
    boolean exactMatch,
    boolean caseSensitive,
    int limit) {}
