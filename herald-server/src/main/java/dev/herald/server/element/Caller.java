package dev.herald.server.element;

/**
 * Who makes a request: the logged-in user element, the domain the session works in, and what the
 * user may do (fixed for the session: a change to the user ends its sessions).
 */
public record Caller(long userKey, String userName, long domainKey, Rights rights) {}
