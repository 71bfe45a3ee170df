package dev.herald.server.session;

import dev.herald.server.element.Caller;

/**
 * A logged-in session. {@code idHash} is the SHA-256 of the cookie value, the only form in which
 * the id is stored or logged.
 */
public record Session(String idHash, Caller caller, long createdMs) {}
