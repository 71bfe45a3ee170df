package dev.herald.server.notify;

import dev.herald.server.store.Change;
import java.util.ArrayList;
import java.util.List;

/**
 * The newest changes the feed published, kept in memory so that resuming sockets replay them
 * without reading the database (when a node dies, its clients resume on the others all at
 * once). One writer, the feed thread, appends in seq order; any number of readers.
 *
 * <p>A reader reads {@link #newest} (volatile) before the slots it covers, so it sees them; a
 * slot overwritten meanwhile holds another seq, which the reader notices and then reads the
 * log instead. {@link Change} is immutable.
 */
final class RecentChanges {
  private final Change[] ring;
  private final int mask;
  private volatile long oldest = Long.MAX_VALUE;
  private volatile long newest;

  /** @param capacity a power of two */
  RecentChanges(int capacity) {
    if (Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
    }
    ring = new Change[capacity];
    mask = capacity - 1;
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

  /** The lowest seq held ({@code Long.MAX_VALUE} when none). */
  long oldest() {
    return oldest;
  }

  /**
   * The changes with seq in ({@code after}, {@code upTo}], at most {@code limit}, or null when
   * some of them are not held (then read the log).
   */
  List<Change> readAfter(long after, long upTo, int limit) {
    long last = Math.min(Math.min(upTo, newest), after + limit);
    if (after + 1 < oldest) {
      return null;
    }
    List<Change> out = new ArrayList<>((int) Math.max(0, last - after));
    for (long s = after + 1; s <= last; s++) {
      Change c = ring[(int) (s & mask)];
      if (c == null || c.seq() != s) {
        return null;
      }
      out.add(c);
    }
    if (last < Math.min(upTo, after + limit) || after + 1 < oldest) {
      return null; // not all of it held, or the oldest moved past what was read
    }
    return out;
  }
}
