package dev.herald.server.notify;

import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that follows the change log: it reads the changes after the notifier's position in
 * seq order, a page at a time, and hands each page to the {@link Notifier}. Between pages, and
 * while idle, it runs the housekeeping (progress marks, heartbeats, session checks) at most every
 * {@link #HOUSEKEEPING_MS}.
 *
 * <p>It is woken after every local commit and polls every {@link #POLL} as well (other writers,
 * missed wake-ups). A database failure leaves sockets open; the feed retries with back-off from
 * its last position, so subscribers lose nothing.
 */
final class ChangeFeed {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final long HOUSEKEEPING_MS = 100;

  /** Told the time when housekeeping is due (on the feed thread). */
  interface Housekeeping {
    void run(long nowMs);
  }

  private final ChangeLog log;
  private final Notifier notifier;
  private final Housekeeping housekeeping;
  private final InstantSource clock;
  private final AtomicLong wanted = new AtomicLong();
  private volatile boolean running;
  private volatile boolean caughtUp;
  private volatile long stallUntilMs;
  private Thread thread;
  private long housekeepingDueMs; // feed thread only

  ChangeFeed(ChangeLog log, Notifier notifier, Housekeeping housekeeping, InstantSource clock) {
    this.log = log;
    this.notifier = notifier;
    this.housekeeping = housekeeping;
    this.clock = clock;
  }

  /** Starts following the log at its current head: changes committed from now on are published. */
  void start() {
    notifier.startAt(log.head());
    caughtUp = true;
    running = true;
    thread = Thread.ofPlatform().name("herald-change-feed").daemon(true).start(this::run);
  }

  void stop() throws InterruptedException {
    running = false;
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
      t.join(5_000);
    }
  }

  /** A local commit wrote changes up to {@code seq}: read them now. */
  void wake(long seq) {
    wanted.accumulateAndGet(seq, Math::max);
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** Holds the feed until {@code untilMs} (fault injection): nothing is lost, only late. */
  void stall(long untilMs) {
    stallUntilMs = untilMs;
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** Whether an injected stall holds changes back now. */
  boolean isStalled() {
    return stallUntilMs > clock.millis();
  }

  /** Readiness: the feed runs and is not behind the log (as of its last read). */
  boolean isCaughtUp() {
    return running && caughtUp;
  }

  private void run() {
    long backoffMs = 100;
    while (running) {
      long stalled = stallUntilMs - clock.millis();
      if (stalled > 0) {
        // an injected stall: changes wait in the log and arrive, in order, once it ends
        housekeeping();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(stalled, 50)));
        continue;
      }
      try {
        List<Change> batch = log.readAfter(notifier.position(), Notifier.PAGE);
        if (!batch.isEmpty()) {
          notifier.publish(batch);
          caughtUp = batch.size() < Notifier.PAGE;
          backoffMs = 100;
          housekeeping(); // due items only: heartbeats keep going under sustained load too
          continue;
        }
        caughtUp = true;
        backoffMs = 100;
        housekeeping();
        if (wanted.get() <= notifier.position()) {
          LockSupport.parkNanos(POLL.toNanos());
        }
      } catch (RuntimeException | Error e) {
        caughtUp = false;
        LOG.warn("change feed cannot read the log (retrying in {} ms): {}", backoffMs, e.toString());
        // sockets stay open while the database is away: their heartbeats go on
        housekeeping();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
        // short: while the database is down reads fail at once (Database.connection)
        backoffMs = Math.min(backoffMs * 2, 1_000);
      }
    }
  }

  private void housekeeping() {
    long now = clock.millis();
    if (now < housekeepingDueMs) {
      return;
    }
    housekeepingDueMs = now + HOUSEKEEPING_MS;
    housekeeping.run(now);
  }
}
