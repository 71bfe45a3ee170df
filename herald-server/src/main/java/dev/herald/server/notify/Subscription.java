package dev.herald.server.notify;

import dev.herald.protocol.Command;
import dev.herald.server.store.Change;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * One subscription on one connection. Matching is by domain (the index), type (the index or
 * {@link #all}), then the opt-in filters here.
 *
 * <p>State: a channel opened with {@code since} starts REPLAYING: live changes the feed hands it
 * are held in {@link #held} (guarded by {@code this}) until the replay has caught up to the
 * position the feed had when the channel was registered; then it turns LIVE and never holds
 * again. The replay thread and the feed thread both enqueue under {@code this}, so a channel's
 * frames reach the outbox in seq order with no gap and no duplicate.
 */
final class Subscription {
  final long id;
  final Connection connection;
  final Command.Subscribe command;
  /** The RelNames it listens to (resolved pseudo contexts); empty means every type. */
  final Set<String> types;
  final boolean all;
  /** Whether to answer with the legacy events list and/or seq (decides the frame rendered). */
  final FrameStyle style;
  /** A status-socket channel: it takes status changes only (an element channel never does). */
  final boolean status;
  /**
   * A status channel on one part of an element: the node ({@code firewall_node/1125}) or tunnel
   * ({@code tunnels/MSMy}) its changes must name.
   */
  final String part;

  /** Guarded by this. */
  private boolean replaying;
  /** Guarded by this: live changes held while replaying. */
  private final ArrayDeque<Change> held = new ArrayDeque<>();
  /** Highest seq enqueued on this channel; guarded by this. */
  private long lastSeq;
  /** Feed position when the last progress mark was sent; written by the feed thread only. */
  long progressSeq;
  long progressDueMs;
  volatile boolean open = true;

  Subscription(long id, Connection connection, Command.Subscribe command, Set<String> types,
      FrameStyle style, boolean replaying, long startSeq) {
    this(id, connection, command, types, style, replaying, startSeq, false, null);
  }

  Subscription(long id, Connection connection, Command.Subscribe command, Set<String> types,
      FrameStyle style, boolean replaying, long startSeq, boolean status, String part) {
    this.status = status;
    this.part = part;
    this.id = id;
    this.connection = connection;
    this.command = command;
    this.types = types;
    this.all = types.isEmpty();
    this.style = style;
    this.replaying = replaying;
    this.lastSeq = startSeq;
    this.progressSeq = startSeq;
  }

  /** The opt-in filters: event types, element names, element keys. */
  boolean accepts(Change c) {
    if ((c.action() == dev.herald.protocol.EventType.STATUS) != status) {
      return false;
    }
    if (part != null && !part.equals(c.parent())) {
      return false;
    }
    return (command.types().isEmpty() || command.types().contains(c.action().wire()))
        && (command.names().isEmpty() || command.names().contains(c.name()))
        && (command.keys().isEmpty() || command.keys().contains(c.elementKey()))
        && (all || types.contains(c.type()));
  }

  /**
   * A live change from the feed (feed thread). Held while replaying. The frame is queued without
   * waking the connection's writer: the feed wakes each touched connection once per batch, so a
   * burst goes out as many frames per flush.
   *
   * @return whether a frame was queued (the caller must then {@link Connection#kick()})
   */
  synchronized boolean live(Change c, byte[] frame) {
    if (!open) {
      return false;
    }
    if (replaying) {
      if (held.size() >= connection.outboxLimit()) {
        connection.slowConsumer();
        return false;
      }
      held.add(c);
      return false;
    }
    if (c.seq() <= lastSeq) {
      return false; // committed before this channel was opened
    }
    lastSeq = c.seq();
    return connection.enqueue(frame, c.seq(), false);
  }

  /** A replayed change (replay thread). */
  synchronized void replayed(Change c, byte[] bytes) {
    if (open && c.seq() > lastSeq) {
      emit(c.seq(), bytes);
    }
  }

  /** Ends the replay: sends what was held, then the channel is live. */
  synchronized void goLive(FrameCache cache) {
    while (!held.isEmpty()) {
      Change c = held.poll();
      if (c.seq() > lastSeq) {
        emit(c.seq(), cache.render(c, connection.base(), this));
      }
    }
    replaying = false;
  }

  /**
   * A live channel skips what the feed dispatched before it was registered (and, from its
   * constructor, what was committed before it was opened).
   */
  synchronized void startAfter(long feedPosition) {
    if (!replaying && feedPosition > lastSeq) {
      lastSeq = feedPosition;
    }
  }

  /**
   * Closes the channel: once this returns, no frame of it is queued any more (a live or
   * replayed enqueue in progress holds the monitor and finishes first), so an unsubscribe reply
   * queued after it is the channel's last frame.
   */
  synchronized void close() {
    open = false;
  }

  synchronized boolean isReplaying() {
    return replaying;
  }

  synchronized long lastSeq() {
    return lastSeq;
  }

  private void emit(long seq, byte[] bytes) {
    lastSeq = seq;
    connection.enqueue(bytes, seq, true);
  }
}
