package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import dev.herald.server.store.Database;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * seq order = commit order: a reader that has seen seq N never later finds a committed seq
 * below N. Many writers commit concurrently while a tailer reads; the tailer must see every seq
 * exactly once, densely, in order.
 */
class ChangeLogOrderingTest {

  @Test
  void concurrentWriters_neverCommitASmallerSeqAfterALargerOneIsVisible() throws Exception {
    Path dir = Files.createTempDirectory("herald-order");
    try (Database db = Database.embedded(dir)) {
      ElementStore store = new ElementStore(db, InstantSource.system());
      ChangeLog log = new ChangeLog(db);
      int writers = 16;
      int perWriter = 150;
      AtomicBoolean done = new AtomicBoolean();
      List<Long> seen = new ArrayList<>();
      List<String> violations = new ArrayList<>();
      Thread tailer = Thread.ofPlatform().start(() -> {
        long last = 0;
        while (true) {
          boolean finished = done.get();
          List<Change> batch = log.readAfter(last, 500);
          for (Change c : batch) {
            if (c.seq() != last + 1) {
              violations.add("after " + last + " the tailer saw " + c.seq());
            }
            last = c.seq();
            seen.add(c.seq());
          }
          if (finished && batch.isEmpty()) {
            return;
          }
        }
      });
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      List<Future<?>> jobs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        jobs.add(pool.submit(() -> {
          for (int i = 0; i < perWriter; i++) {
            long key = store.newKey();
            String name = "w" + id + "-" + i;
            store.write(tx -> {
              tx.insert(new ElementRecord(key, 1, "host", name, "{\"name\":\"" + name + "\"}", 1, false, false), "");
              // a second change in some transactions: multi-row appends stay contiguous
              tx.record(new Change.Pending(1, "host", key, name, Change.Action.CREATE, "test"));
              if (key % 3 == 0) {
                tx.record(new Change.Pending(1, "host", key, name, Change.Action.UPDATE, "test"));
              }
              return null;
            });
          }
          return null;
        }));
      }
      for (Future<?> j : jobs) {
        j.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      done.set(true);
      tailer.join(60_000);
      long head = log.head();
      assertThat(violations).isEmpty();
      assertThat(head).isGreaterThanOrEqualTo((long) writers * perWriter);
      assertThat(seen).hasSize((int) head);
      assertThat(seen.get(seen.size() - 1)).isEqualTo(head);
    } finally {
      TestServer.deleteTree(dir);
    }
  }
}
