package dev.herald.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.store.Change;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentChangesTest {
  private static Change change(long seq) {
    return new Change(seq, 1, "host", 1000 + seq, "h" + seq, Change.Action.CREATE, 0, "test");
  }

  private static List<Long> seqs(List<Change> cs) {
    return cs == null ? null : cs.stream().map(Change::seq).toList();
  }

  @Test
  void holdsTheNewestChanges_andSaysWhenItCannotServe() {
    RecentChanges r = new RecentChanges(8);
    assertThat(r.readAfter(0, 5, 100)).as("empty").isNull();
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
  }

  @Test
  void aGapStartsOver() {
    RecentChanges r = new RecentChanges(8);
    r.add(change(1));
    r.add(change(2));
    r.add(change(5)); // 3 and 4 pruned before the feed read them
    assertThat(r.oldest()).isEqualTo(5);
    assertThat(r.readAfter(1, 5, 100)).isNull();
    assertThat(seqs(r.readAfter(4, 5, 100))).containsExactly(5L);
  }
}
