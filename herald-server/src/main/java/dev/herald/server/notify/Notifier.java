package dev.herald.server.notify;

import dev.herald.protocol.CloseCode;
import dev.herald.protocol.Command;
import dev.herald.protocol.Frames;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each change to the subscriptions that match it: the subscription index (by domain and
 * type, then each subscription's filters), registration under the publish lock (a subscription's
 * acknowledgement is queued before any of its events), the resume decision, replays from memory
 * or the log, and progress marks. Each distinct frame is rendered once per change.
 *
 * <p>Threads: {@link #publish} and {@link #progressMarks} run on the feed thread; registration on
 * the sockets' reading threads; replays on virtual threads of their own, at most
 * {@code concurrentReplays} at once.
 */
final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  /** Changes read from the log at once (by the feed and by a replay). */
  static final int PAGE = 1000;
  /** A commit is published by its own thread only when nothing was published for this long. */
  static final long QUIET_NANOS = 5_000_000;

  /** Where a new subscription starts. */
  sealed interface Start {
    /** It takes every matching change after {@code head} (or, resuming, after its since). */
    record At(long head) implements Start {}

    /** It is refused; {@code frame} says why (a failure or history_expired). */
    record Refused(String frame) implements Start {}
  }

  private final ChangeLog log;
  private final RecentChanges recent;
  private final Visibility visibility;
  private final InstantSource clock;
  /**
   * Replays running at once on this node. A replay reads the log as fast as the client takes it;
   * without a bound, thousands of resumes (or one session's hundreds of {@code since: 0}) take
   * the CPU the live feed needs. The others wait their turn, acknowledged.
   */
  private final Semaphore replays;
  private final SubscriptionIndex index = new SubscriptionIndex();
  private final ReentrantLock publishLock = new ReentrantLock();
  private final List<Subscription> withProgress = new CopyOnWriteArrayList<>();
  private final Counter published;
  private final Counter publishedAtCommit;
  private volatile FrameCache.StatusRenderer statusView = (c, base, node) ->
      "{\"name\":" + Json.write(Json.mapper().getNodeFactory().textNode(c.name()))
          + ",\"monitoring_state\":\"INITIAL\",\"monitoring_status\":\"UNKNOWN\"}";
  private final FrameCache liveCache = new FrameCache(this::renderStatus); // feed thread only
  private final List<Connection> touched = new ArrayList<>(); // the feed thread's publishes only
  /** Highest seq handed to the subscriptions; written by the feed thread under publishLock. */
  private volatile long position;
  /** When the last publish ended (System.nanoTime). */
  private volatile long lastPublishedNanos;
  /** Changes up to this seq were replaced by a reset: never published (under publishLock). */
  private long floor;

  Notifier(ChangeLog log, RecentChanges recent, Visibility visibility, int concurrentReplays,
      InstantSource clock, MeterRegistry metrics) {
    this.log = log;
    this.recent = recent;
    this.visibility = visibility;
    this.clock = clock;
    this.replays = new Semaphore(concurrentReplays, true);
    this.published = Counter.builder("herald.notify.changes").description("changes fanned out")
        .register(metrics);
    this.publishedAtCommit = Counter.builder("herald.notify.changes.at_commit")
        .description("changes fanned out at their commit, without the feed's read of the log")
        .register(metrics);
  }

  void statusView(FrameCache.StatusRenderer view) {
    statusView = view;
  }

  private String renderStatus(Change c, String base, String of) {
    return statusView.render(c, base, of);
  }

  /** Whether nothing was published for {@link #QUIET_NANOS}: a change now comes alone. */
  boolean isQuiet() {
    return System.nanoTime() - lastPublishedNanos >= QUIET_NANOS;
  }

  void startAt(long head) {
    publishLock.lock();
    try {
      position = head;
    } finally {
      publishLock.unlock();
    }
  }

  /** The highest seq handed to the subscriptions. */
  long position() {
    return position;
  }

  /** Open subscriptions on this node. */
  int size() {
    return index.size();
  }

  /**
   * Where a subscription starts: after the log's head now (it gets exactly the changes committed
   * after it was opened), or, with {@code since}, after that position — refused when since is
   * older than the retained history ({@code history_expired}) or beyond the head (this server
   * never had it).
   */
  Start start(Command.Subscribe s) {
    long head;
    try {
      head = log.freshHead();
    } catch (HeraldException e) {
      return new Start.Refused(Frames.failure("Cannot subscribe now: " + e.getMessage()));
    }
    if (s.since().isEmpty()) {
      return new Start.At(head);
    }
    long since = s.since().get();
    long oldest;
    try {
      // held in memory: no need to ask the database what it still retains
      oldest = recent.covers(since) ? since + 1 : log.oldestRetained();
    } catch (HeraldException e) {
      return new Start.Refused(Frames.failure("Cannot resume now: " + e.getMessage()));
    }
    if (since < oldest - 1) {
      return new Start.Refused(Frames.historyExpired(s.context(), since, oldest, head));
    }
    if (since > head) {
      return new Start.Refused(Frames.sinceBeyondHead(since, head));
    }
    return new Start.At(head);
  }

  /**
   * Adds a subscription to the index between two published batches, queueing its
   * acknowledgement first: no event of the subscription can precede the ack, and every change
   * committed after the client sees the ack reaches it.
   *
   * @param ack the acknowledgement, given the position the subscription starts at
   * @return the position: the subscription gets every matching change after it live
   */
  long register(Subscription sub, LongFunction<String> ack) {
    publishLock.lock();
    try {
      if (sub.connection.isClosing()) {
        return position; // closed meanwhile: onClosed has already unregistered its subscriptions
      }
      sub.connection.control(ack.apply(position));
      sub.startAfter(position);
      index.add(sub, visibility.domains(sub.connection.session));
      if (sub.command.progressSeconds().isPresent()) {
        sub.progressSeq = Math.max(sub.progressSeq, position);
        sub.progressDueMs = clock.millis() + sub.command.progressSeconds().get() * 1000L;
        withProgress.add(sub);
      }
      return position;
    } finally {
      publishLock.unlock();
    }
  }

  void unregister(Subscription sub) {
    index.remove(sub, visibility.domains(sub.connection.session));
    withProgress.remove(sub);
  }

  /**
   * Replays (since, upTo] from memory or the log into a REPLAYING subscription, waiting for
   * outbox room, then turns it live. Runs on its own virtual thread.
   */
  void replay(Subscription sub, long since, long upTo) {
    Connection conn = sub.connection;
    Set<Long> domains = visibility.domains(conn.session);
    FrameCache cache = new FrameCache(this::renderStatus);
    long cursor = since;
    try {
      replays.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      while (cursor < upTo && sub.open) {
        List<Change> page = recent.readAfter(cursor, upTo, PAGE);
        if (page == null) {
          page = log.readAfter(cursor, PAGE);
        }
        if (page.isEmpty()) {
          break;
        }
        if (page.get(0).seq() != cursor + 1) {
          // seqs are dense: rows after the cursor were pruned while this replay ran; the
          // client resumes and gets history_expired rather than a silent gap
          LOG.info("subscription {}: changes after seq {} were pruned during its replay", sub.id, cursor);
          conn.close(CloseCode.REPLAY_FAILED.code(), CloseCode.REPLAY_FAILED.reason());
          return;
        }
        for (Change c : page) {
          if (c.seq() > upTo) {
            break;
          }
          cursor = c.seq();
          if (domains.contains(c.domainKey()) && sub.accepts(c)) {
            if (!conn.awaitRoom()) {
              return;
            }
            sub.replayed(c, cache.render(c, conn.base(), sub));
          }
        }
        cursor = Math.min(Math.max(cursor, page.get(page.size() - 1).seq()), upTo);
      }
      sub.goLive(cache);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("replay for subscription {} failed: {}", sub.id, e.toString());
      conn.close(CloseCode.REPLAY_FAILED.code(), CloseCode.REPLAY_FAILED.reason());
    } finally {
      replays.release();
    }
  }

  /** A page of changes read from the log, in seq order (feed thread). */
  void publish(List<Change> batch) {
    publishLock.lock();
    publishLocked(batch, touched);
  }

  /**
   * Changes this node just committed, in seq order (the committing thread): published at once,
   * without waiting for the feed thread to wake and read them back, when they are the very next
   * ones ({@code position} is just before them), no one publishes now, and nothing was published
   * in the last {@link #QUIET_NANOS} — a change that comes alone. Under a stream of changes the
   * feed thread publishes them in pages, many frames per flush, and writers are not held up by
   * the fan-out (measured in docs/benchmarks.md: publishing every commit from its own thread
   * cut the burst's deliveries/s by two thirds).
   *
   * @return false when they were not published (the feed reads them from the log)
   */
  boolean publishIfNext(List<Change> committed) {
    if (committed.isEmpty() || !isQuiet() || !publishLock.tryLock()) {
      return false;
    }
    if (position != committed.get(0).seq() - 1) {
      publishLock.unlock();
      return false;
    }
    publishedAtCommit.increment(publishLocked(committed, new ArrayList<>()));
    return true;
  }

  /** Publishes under the lock the caller took, releases it, then wakes the touched writers. */
  private int publishLocked(List<Change> batch, List<Connection> touchedHere) {
    int n = 0;
    try {
      for (Change c : batch) {
        if (c.seq() <= floor || c.seq() <= position) {
          continue; // read before a reset replaced them, or published already
        }
        dispatch(c, index.all(c.domainKey()), touchedHere);
        dispatch(c, index.byType(c.domainKey(), c.type()), touchedHere);
        recent.add(c);
        position = c.seq();
        n++;
      }
    } finally {
      publishLock.unlock();
      published.increment(n);
      if (n > 0) {
        lastPublishedNanos = System.nanoTime();
      }
      // One wake-up per touched connection per batch, on this thread. Only writers that were
      // idle are touched (a running writer drains its outbox by itself); each then sends all the
      // batch's frames in as few flushes as possible. (Handing the wake-ups to other threads
      // measured slower on 2 cores: docs/benchmarks.md.)
      for (Connection conn : touchedHere) {
        conn.kickPending = false;
        conn.kick();
      }
      touchedHere.clear();
    }
    return n;
  }

  private void dispatch(Change c, Subscription[] subscriptions, List<Connection> touchedHere) {
    for (Subscription sub : subscriptions) {
      if (sub.accepts(c) && sub.live(c, liveCache.render(c, sub.connection.base(), sub))) {
        Connection conn = sub.connection;
        if (!conn.kickPending) {
          conn.kickPending = true;
          touchedHere.add(conn);
        }
      }
    }
  }

  /**
   * The state was replaced and the log now starts after {@code head}: changes read before are
   * not published and the changes held in memory are forgotten. {@code whileLocked} runs before
   * any later change is published (it closes the sockets).
   */
  void reset(long head, Runnable whileLocked) {
    publishLock.lock();
    try {
      floor = Math.max(floor, head);
      recent.clear();
      position = Math.max(position, head);
      whileLocked.run();
    } finally {
      publishLock.unlock();
    }
  }

  /**
   * Sends the progress marks that are due (feed thread). Under the publish lock: a change
   * published meanwhile (by a committing thread) is queued either before the mark or after it
   * with a higher seq, so a mark never follows an event it does not cover.
   */
  void progressMarks(long now) {
    if (withProgress.isEmpty()) {
      return;
    }
    publishLock.lock();
    try {
      long pos = position;
      for (Subscription sub : withProgress) {
        if (now >= sub.progressDueMs && !sub.isReplaying()) {
          sub.progressDueMs = now + sub.command.progressSeconds().orElse(1) * 1000L;
          if (pos > Math.max(sub.progressSeq, sub.lastSeq())) {
            sub.progressSeq = pos;
            sub.connection.control(Frames.progress(sub.id, pos));
          }
        }
      }
    } finally {
      publishLock.unlock();
    }
  }
}
