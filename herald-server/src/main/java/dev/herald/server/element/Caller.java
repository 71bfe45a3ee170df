package dev.herald.server.element;

/** Who makes a request: the logged-in user element and the domain the session works in. */
public record Caller(long userKey, String userName, long domainKey) {}
