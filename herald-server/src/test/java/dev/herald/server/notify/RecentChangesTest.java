package dev.herald.server.notify;

import dev.herald.protocol.EventType;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.MutableClock;
import dev.herald.server.store.Change;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RecentChangesTest {
  private static final long FOREVER = Long.MAX_VALUE / 2;

  private static Change change(long seq) {
    return change(seq, 0);
  }

  private static Change change(long seq, long atMillis) {
    return new Change(seq, 1, "host", 1000 + seq, "h" + seq, EventType.CREATE, atMillis, "test");
  }

  private static List<Long> seqs(List<Change> cs) {
    return cs == null ? null : cs.stream().map(Change::seq).toList();
  }

  @Test
  void holdsTheNewestChanges_andSaysWhenItCannotServe() {
    RecentChanges r = new RecentChanges(8, Long.MAX_VALUE, FOREVER, InstantSource.system());
    assertThat(r.readAfter(0, 5, 100)).as("empty").isNull();
    assertThat(r.covers(0)).isFalse();
    for (long s = 1; s <= 10; s++) {
      r.add(change(s));
    }
    assertThat(r.oldest()).isEqualTo(3);
    assertThat(seqs(r.readAfter(2, 10, 100))).containsExactly(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(seqs(r.readAfter(5, 7, 100))).containsExactly(6L, 7L);
    assertThat(seqs(r.readAfter(5, 10, 2))).containsExactly(6L, 7L);
    assertThat(r.readAfter(1, 10, 100)).as("seq 2 was overwritten").isNull();
    assertThat(r.readAfter(8, 12, 100)).as("beyond the newest").isNull();
    assertThat(seqs(r.readAfter(10, 10, 100))).isEmpty();
    assertThat(r.covers(2)).isTrue();
    assertThat(r.covers(1)).isFalse();
    assertThat(r.covers(10)).as("nothing missed").isTrue();
  }

  @Test
  void aGapStartsOver() {
    RecentChanges r = new RecentChanges(8, Long.MAX_VALUE, FOREVER, InstantSource.system());
    r.add(change(1));
    r.add(change(2));
    r.add(change(5)); // 3 and 4 pruned before the feed read them
    assertThat(r.oldest()).isEqualTo(5);
    assertThat(r.readAfter(1, 5, 100)).isNull();
    assertThat(r.covers(2)).isFalse();
    assertThat(seqs(r.readAfter(4, 5, 100))).containsExactly(5L);
  }

  @Test
  void servesOnlyWhatRetentionKeeps() {
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_000_000));
    RecentChanges r = new RecentChanges(64, 5, Duration.ofSeconds(60).toMillis(), clock);
    for (long s = 1; s <= 10; s++) {
      r.add(change(s, 1_000_000 + s * 10_000)); // one change every 10 s
    }
    // by count: the newest 5 (6..10)
    assertThat(r.oldest()).isEqualTo(6);
    assertThat(r.covers(5)).isTrue();
    assertThat(r.covers(4)).isFalse();
    assertThat(r.readAfter(4, 10, 100)).isNull();
    // by age: at t = 1,000 s + 130 s, seq 6 (written at +60 s) is 70 s old
    clock.advance(Duration.ofSeconds(130));
    assertThat(r.covers(5)).isFalse();
    assertThat(r.readAfter(5, 10, 100)).isNull();
    assertThat(r.covers(6)).as("seq 7 is 60 s old").isTrue();
    assertThat(seqs(r.readAfter(6, 10, 100))).containsExactly(7L, 8L, 9L, 10L);
  }

  /** Readers racing the writer get exactly the range they asked for, or null; never a wrong change. */
  @Test
  void readersRacingTheWriter_neverSeeAWrongChange() throws Exception {
    RecentChanges r = new RecentChanges(64, Long.MAX_VALUE, FOREVER, InstantSource.system());
    long total = 1_000_000;
    AtomicBoolean done = new AtomicBoolean();
    List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      readers.add(Thread.ofPlatform().start(() -> {
        java.util.Random rnd = new java.util.Random();
        long served = 0;
        while (!done.get() || served == 0) {
          long newest = Math.max(1, r.oldest() == Long.MAX_VALUE ? 1 : r.oldest() + 40);
          long after = Math.max(0, newest - 1 - rnd.nextInt(80));
          long upTo = after + 1 + rnd.nextInt(40);
          List<Change> got = r.readAfter(after, upTo, 50);
          if (got != null) {
            served++;
            for (int i = 0; i < got.size(); i++) {
              if (got.get(i).seq() != after + 1 + i || got.get(i).elementKey() != 1000 + after + 1 + i) {
                wrong.add("after " + after + " got " + got.get(i).seq() + " at " + i);
              }
            }
            if (!got.isEmpty() && got.get(got.size() - 1).seq() != upTo) {
              wrong.add("asked up to " + upTo + ", got up to " + got.get(got.size() - 1).seq());
            }
          }
        }
      }));
    }
    for (long s = 1; s <= total; s++) {
      r.add(change(s));
    }
    done.set(true);
    for (Thread t : readers) {
      t.join(60_000);
    }
    assertThat(wrong).isEmpty();
  }
}
