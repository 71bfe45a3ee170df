package dev.herald.server.notify;

/** What decides an event frame's bytes besides the change and the href base. */
record FrameStyle(long subscriptionId, boolean legacy, boolean withSeq) {}
