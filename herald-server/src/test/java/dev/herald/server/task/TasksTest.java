package dev.herald.server.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.server.HeraldException;
import dev.herald.server.TestServer;
import dev.herald.server.element.Caller;
import dev.herald.server.store.TaskStore;
import dev.herald.server.store.TaskStore.TaskRow;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tasks on a real database: abort, failure messages, the running limit, domains. */
class TasksTest {
  static TestServer server;
  static Tasks tasks;
  static final AtomicLong ids = new AtomicLong(5_000_000);
  static final Caller ALICE = new Caller(1, "alice", 1, null);
  static final Caller OTHER_DOMAIN = new Caller(2, "bob", 77, null);

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    tasks = new Tasks(new TaskStore(server.server().database()), ids::incrementAndGet, Clock.systemUTC(), 2);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static TaskRow ended(long id) {
    TaskRow[] t = new TaskRow[1];
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !(t[0] = tasks.get(ALICE, id)).inProgress());
    return t[0];
  }

  @Test
  void aRunningTask_stopsWhenAborted_andSaysSo() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    TaskRow t = tasks.start(ALICE, "long", List.of(), ctx -> {
      started.countDown();
      while (true) {
        ctx.checkAbort(); // long work, checking between its steps; ends only by the abort
        Thread.onSpinWait();
      }
    });
    assertThat(t.inProgress()).isTrue();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(tasks.get(ALICE, t.id()).inProgress()).isTrue();
    tasks.abort(ALICE, t.id());
    TaskRow end = ended(t.id());
    assertThat(end.success()).isFalse();
    assertThat(end.lastMessage()).isEqualTo("Task aborted.");
    assertThatThrownBy(() -> tasks.result(ALICE, t.id())).isInstanceOf(HeraldException.class);
  }

  @Test
  void aFailingTask_endsWithItsReason_andAnUnexpectedErrorIsNamed() {
    TaskRow failed = tasks.start(ALICE, "fails", List.of(), ctx -> {
      throw new Tasks.Failed("The file is not a zip file.");
    });
    assertThat(ended(failed.id()).lastMessage()).isEqualTo("The file is not a zip file.");
    TaskRow crashed = tasks.start(ALICE, "crashes", List.of(), ctx -> {
      throw new IllegalStateException("boom");
    });
    TaskRow end = ended(crashed.id());
    assertThat(end.success()).isFalse();
    assertThat(end.lastMessage()).contains("boom");
  }

  @Test
  void atMostTheLimitRun_atOnce_andAnotherStartIs503() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Tasks.Work blocked = ctx -> {
      release.await();
      return Tasks.Outcome.of("done");
    };
    TaskRow a = tasks.start(ALICE, "a", List.of(), blocked);
    TaskRow b = tasks.start(ALICE, "b", List.of(), blocked);
    assertThatThrownBy(() -> tasks.start(ALICE, "c", List.of(), blocked))
        .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.status()).isEqualTo(503));
    release.countDown();
    assertThat(ended(a.id()).success()).isTrue();
    assertThat(ended(b.id()).lastMessage()).isEqualTo("done");
    // room again
    TaskRow c = tasks.start(ALICE, "c", List.of(), ctx -> Tasks.Outcome.of("ok"));
    assertThat(ended(c.id()).success()).isTrue();
  }

  @Test
  void aTaskIsItsDomains() {
    TaskRow t = tasks.start(ALICE, "mine", List.of(), ctx -> new Tasks.Outcome("ok", "application/zip", new byte[] {1, 2, 3}));
    ended(t.id());
    assertThat(tasks.result(ALICE, t.id())).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> tasks.get(OTHER_DOMAIN, t.id()))
        .isInstanceOfSatisfying(HeraldException.class, e -> assertThat(e.status()).isEqualTo(404));
    assertThatThrownBy(() -> tasks.abort(OTHER_DOMAIN, t.id())).isInstanceOf(HeraldException.class);
    assertThat(tasks.list(OTHER_DOMAIN)).extracting(TaskRow::id).doesNotContain(t.id());
    assertThat(tasks.list(ALICE)).extracting(TaskRow::id).contains(t.id());
  }
}
