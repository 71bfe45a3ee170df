package dev.herald.server.notify;

import dev.herald.server.store.Change;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The newest changes the feed published, kept in memory so that resuming sockets replay them
 * without reading the database (when a node dies, its clients resume on the others all at
 * once). One writer, the feed thread, appends in seq order; any number of readers.
 *
 * <p>It serves only what the retention settings keep ({@code keep} newest changes, none older
 * than {@code maxAgeMillis}): a resume from before that gets {@code history_expired} from the
 * database's answer, as on every node.
 *
 * <p>A reader reads {@link #newest} (volatile) before the slots it covers, so it sees them; a
 * slot overwritten meanwhile holds another seq, which the reader notices and then reads the
 * log instead. {@link Change} is immutable.
 */
final class RecentChanges {
  private final Change[] ring;
  private final int mask;
  private final long keep;
  private final long maxAgeMillis;
  private final InstantSource clock;
  private volatile long oldest = Long.MAX_VALUE;
  private volatile long newest;

  /** @param capacity a power of two */
  RecentChanges(int capacity, long keep, long maxAgeMillis, InstantSource clock) {
    if (Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
    }
    ring = new Change[capacity];
    mask = capacity - 1;
    this.keep = keep;
    this.maxAgeMillis = maxAgeMillis;
    this.clock = clock;
  }

  /**
   * Forgets every change held (after a reset): a resume is then answered from the log. Under
   * the fan-out's publish lock, so never while the feed thread adds.
   */
  void clear() {
    newest = 0;
    oldest = Long.MAX_VALUE;
    java.util.Arrays.fill(ring, null);
  }

  /** Feed thread only: the next published change. */
  void add(Change c) {
    long s = c.seq();
    if (newest == 0 || s != newest + 1) {
      oldest = s; // the first, or a gap (changes pruned before the feed read them): start over
    } else if (s - oldest >= ring.length) {
      oldest = s - ring.length + 1;
    }
    ring[(int) (s & mask)] = c;
    newest = s;
  }

  /** The lowest seq served ({@code Long.MAX_VALUE} when none); the age limit applies too. */
  long oldest() {
    long n = newest;
    return n == 0 ? Long.MAX_VALUE : Math.max(oldest, n - keep + 1);
  }

  /**
   * Whether a resume from {@code since} is within what this node serves from memory: nothing
   * missed that memory cannot replay, and nothing older than retention.
   */
  boolean covers(long since) {
    long n = newest;
    if (n == 0 || since + 1 < oldest()) {
      return false;
    }
    if (since >= n) {
      return true; // nothing to replay from here on
    }
    Change c = ring[(int) ((since + 1) & mask)];
    return c != null && c.seq() == since + 1 && c.atMillis() >= clock.millis() - maxAgeMillis;
  }

  /**
   * The changes with seq in ({@code after}, {@code upTo}], at most {@code limit}, or null when
   * some of them are not held (then read the log).
   */
  List<Change> readAfter(long after, long upTo, int limit) {
    long last = Math.min(Math.min(upTo, newest), after + limit);
    if (after + 1 < oldest() || last < Math.min(upTo, after + limit)) {
      return null;
    }
    List<Change> out = new ArrayList<>((int) Math.max(0, last - after));
    for (long s = after + 1; s <= last; s++) {
      Change c = ring[(int) (s & mask)];
      if (c == null || c.seq() != s) {
        return null; // overwritten meanwhile
      }
      out.add(c);
    }
    if (!out.isEmpty() && out.get(0).atMillis() < clock.millis() - maxAgeMillis) {
      return null; // past the retention age: the log decides
    }
    return out;
  }
}
