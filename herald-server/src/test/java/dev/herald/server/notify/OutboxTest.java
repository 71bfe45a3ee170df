package dev.herald.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * The outbox alone, with a sink that holds each write until the test completes it (the socket
 * under a slow reader): order, batching while a write is in flight, the bounds, room for a
 * replay, and a failed write. No server, no socket.
 */
class OutboxTest {
  /** Records what the writer hands the socket; writes complete when the test says so. */
  static class HeldSink implements Outbox.Sink {
    final List<String> written = new ArrayList<>();
    final List<Integer> flushSizes = new ArrayList<>();
    private final List<String> batched = new ArrayList<>();
    Callback pending;
    Throwable aborted;

    @Override
    public synchronized void write(byte[] text, Callback done) {
      written.add(new String(text, StandardCharsets.UTF_8));
      flushSizes.add(1);
      pending = done;
    }

    @Override
    public synchronized void writeBatched(byte[] text) {
      batched.add(new String(text, StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void flush(Callback done) {
      written.addAll(batched);
      flushSizes.add(batched.size());
      batched.clear();
      pending = done;
    }

    @Override
    public synchronized void abort(Throwable cause) {
      aborted = cause;
    }

    /** The socket finished the write in flight. */
    void complete() {
      Callback c;
      synchronized (this) {
        c = pending;
        pending = null;
      }
      c.succeeded();
    }

    void fail(Throwable t) {
      Callback c;
      synchronized (this) {
        c = pending;
        pending = null;
      }
      c.failed(t);
    }
  }

  private static byte[] frame(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void framesQueuedWhileAWriteIsInFlight_goOutTogetherInOrder() {
    HeldSink sink = new HeldSink();
    AtomicInteger overflows = new AtomicInteger();
    AtomicInteger counted = new AtomicInteger();
    Outbox out = new Outbox(100, 1 << 20, sink, overflows::incrementAndGet, counted::addAndGet);
    out.enqueue(frame("a"), 1, true);
    assertThat(sink.written).containsExactly("a"); // an idle writer writes at once
    for (int i = 2; i <= 5; i++) {
      assertThat(out.enqueue(frame("f" + i), i, true)).isFalse();
    }
    assertThat(sink.written).containsExactly("a"); // one write in flight at a time
    sink.complete();
    assertThat(sink.written).containsExactly("a", "f2", "f3", "f4", "f5");
    assertThat(sink.flushSizes).containsExactly(1, 4);
    sink.complete();
    assertThat(out.writtenSeq()).isEqualTo(5);
    assertThat(overflows).hasValue(0);
    assertThat(counted).as("frames counted once written (the metrics)").hasValue(5);
  }

  /** A writer pass can run inside another connection's socket call, on its thread: neither loses a frame. */
  @Test
  void aWriterPassNestedInAnotherOnTheSameThread_losesNoFrameOfEither() {
    HeldSink inner = new HeldSink();
    Outbox b = new Outbox(100, 1 << 20, inner, () -> { });
    boolean[] nested = {false};
    HeldSink outer = new HeldSink() {
      @Override
      public synchronized void writeBatched(byte[] text) {
        super.writeBatched(text);
        if (!nested[0]) { // in the middle of the outer pass: another connection's pass, on this thread
          nested[0] = true;
          for (int i = 1; i <= 3; i++) {
            b.enqueue(frame("b" + i), i, false);
          }
          b.kick();
        }
      }
    };
    Outbox a = new Outbox(100, 1 << 20, outer, () -> { });
    for (int i = 1; i <= 4; i++) {
      a.enqueue(frame("a" + i), i, false);
    }
    a.kick();
    assertThat(nested[0]).isTrue();
    assertThat(inner.written).containsExactly("b1", "b2", "b3");
    assertThat(outer.written).containsExactly("a1", "a2", "a3", "a4");
    assertThat(outer.flushSizes).containsExactly(4);
  }

  @Test
  void withoutKick_theCallerStartsTheWriterOnce() {
    HeldSink sink = new HeldSink();
    Outbox out = new Outbox(100, 1 << 20, sink, () -> { });
    assertThat(out.enqueue(frame("x"), 1, false)).isTrue(); // idle: the caller must kick
    assertThat(out.enqueue(frame("y"), 2, false)).isFalse(); // already due to start
    assertThat(sink.written).isEmpty();
    out.kick();
    assertThat(sink.written).containsExactly("x", "y");
    assertThat(sink.flushSizes).containsExactly(2);
  }

  @Test
  void aFrameThatDoesNotFit_isRefusedAndReported_neverBlocks() {
    HeldSink sink = new HeldSink();
    AtomicInteger overflows = new AtomicInteger();
    Outbox out = new Outbox(3, 1 << 20, sink, overflows::incrementAndGet);
    out.enqueue(frame("in flight"), 1, true);
    out.enqueue(frame("q1"), 2, true);
    out.enqueue(frame("q2"), 3, true);
    out.enqueue(frame("q3"), 4, true);
    assertThat(overflows).hasValue(0);
    out.enqueue(frame("q4"), 5, true); // four queued behind a slow write: over 3 messages
    assertThat(overflows).hasValue(1);
    // bytes bound likewise
    Outbox small = new Outbox(100, 10, new HeldSink(), overflows::incrementAndGet);
    small.enqueue(frame("12345"), 1, true);
    small.enqueue(frame("123456"), 2, true);
    small.enqueue(frame("1234567890!"), 3, true);
    assertThat(overflows).hasValue(2);
  }

  @Test
  void aReplayWaitsForRoom_andGivesUpWhenTheOutboxStops() throws Exception {
    HeldSink sink = new HeldSink();
    Outbox out = new Outbox(4, 1 << 20, sink, () -> { });
    for (int i = 1; i <= 4; i++) {
      out.enqueue(frame("f" + i), i, true); // 1 in flight, 3 queued: more than half of 4
    }
    CompletableFuture<Boolean> room = CompletableFuture.supplyAsync(() -> {
      try {
        return out.awaitRoom();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(room).isNotDone();
    sink.complete(); // the writer takes the 3 queued
    assertThat(room.get(10, TimeUnit.SECONDS)).isTrue();

    for (int i = 5; i <= 8; i++) {
      out.enqueue(frame("f" + i), i, true);
    }
    CompletableFuture<Boolean> gone = CompletableFuture.supplyAsync(() -> {
      try {
        return out.awaitRoom();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    out.stop();
    assertThat(gone.get(10, TimeUnit.SECONDS)).isFalse();
    assertThat(out.enqueue(frame("late"), 9, true)).isFalse();
  }

  @Test
  void markClosing_isTrueOnce_andKeepsNothingNew() {
    Outbox out = new Outbox(10, 1 << 20, new HeldSink(), () -> { });
    assertThat(out.markClosing()).isTrue();
    assertThat(out.markClosing()).isFalse();
    assertThat(out.isClosing()).isTrue();
    assertThat(out.enqueue(frame("x"), 1, true)).isFalse();
  }

  @Test
  void aFailedWrite_stopsTheOutboxAndAbortsTheSocket() {
    HeldSink sink = new HeldSink();
    Outbox out = new Outbox(10, 1 << 20, sink, () -> { });
    out.enqueue(frame("a"), 1, true);
    out.enqueue(frame("b"), 2, true);
    java.io.IOException broken = new java.io.IOException("broken pipe");
    sink.fail(broken);
    assertThat(sink.aborted).isSameAs(broken);
    assertThat(out.isClosing()).isTrue();
    assertThat(sink.written).containsExactly("a"); // b was dropped, never written
    assertThat(out.writtenSeq()).isEqualTo(0);
  }
}
