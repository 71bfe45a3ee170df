package dev.herald.server.notify;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * The frames waiting for one socket: bounded in messages and bytes, drained by one writer that
 * hands many frames per flush to the socket. Enqueueing never blocks: a frame that does not fit
 * makes the connection a slow consumer ({@code overflow}); only a replay thread waits for room
 * ({@link #awaitRoom()}).
 *
 * <p>Threads: frames are enqueued by the feed thread (live), a replay thread and the socket's
 * reading thread (answers to commands); the writer runs on the thread that starts it and then
 * wherever the socket completes a flush. Everything here is guarded by {@link #lock}.
 */
final class Outbox {
  /** Frames handed to the socket per flush at most. */
  static final int BATCH = 256;

  /** Where the frames go: the WebSocket (a test gives its own). */
  interface Sink {
    /** Writes one text frame now; {@code done} completes once it is out. */
    void write(byte[] text, Callback done);

    /** Queues one text frame for the next {@link #flush}. */
    void writeBatched(byte[] text);

    /** Sends the frames queued by {@link #writeBatched}; {@code done} completes once they are out. */
    void flush(Callback done);

    /** The write failed ({@code cause}): drop the connection. */
    void abort(Throwable cause);
  }

  private record Out(byte[] bytes, long seq) {}

  private final int maxMessages;
  private final long maxBytes;
  private final Sink sink;
  private final Runnable overflow;
  private final java.util.function.IntConsumer written;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Out> queue = new ArrayDeque<>();
  private long queuedBytes;
  /** True from the enqueue that starts the writer until it finds the queue empty. */
  private boolean writerActive;
  private boolean closing;
  private volatile long writtenSeq;
  private final Writer writer = new Writer();

  /**
   * @param overflow called (outside the lock, at most once per frame refused) when a frame does
   *     not fit: the slow-consumer policy
   */
  Outbox(int maxMessages, long maxBytes, Sink sink, Runnable overflow) {
    this(maxMessages, maxBytes, sink, overflow, n -> { });
  }

  /** @param written told how many frames each completed write carried (the metrics) */
  Outbox(int maxMessages, long maxBytes, Sink sink, Runnable overflow, java.util.function.IntConsumer written) {
    this.written = written;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.sink = sink;
    this.overflow = overflow;
  }

  int maxMessages() {
    return maxMessages;
  }

  /** The highest seq of the frames the socket confirmed written. */
  long writtenSeq() {
    return writtenSeq;
  }

  /**
   * Enqueues one frame ({@code seq} -1 for a frame that is not an event).
   *
   * @param kick whether to start an idle writer now (false: the caller calls {@link #kick()}
   *     later when this returns true)
   * @return whether the writer was idle and must be started: a running writer drains what is
   *     queued before it goes idle, so waking it again would only contend for its lock
   */
  boolean enqueue(byte[] bytes, long seq, boolean kick) {
    boolean start = false;
    boolean fits = false;
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      if (queue.size() < maxMessages && queuedBytes + bytes.length <= maxBytes) {
        fits = true;
        queue.add(new Out(bytes, seq));
        queuedBytes += bytes.length;
        if (!writerActive) {
          writerActive = true;
          start = true;
        }
      }
    } finally {
      lock.unlock();
    }
    if (!fits) {
      overflow.run();
      return false;
    }
    if (start && kick) {
      writer.iterate();
      return false;
    }
    return start;
  }

  /** Starts the writer if it is idle (it drains everything queued so far). */
  void kick() {
    writer.iterate();
  }

  /** Blocks (a replay thread) until the outbox is at most half full, or it closed. */
  boolean awaitRoom() throws InterruptedException {
    lock.lock();
    try {
      while (!closing && (queue.size() > maxMessages / 2 || queuedBytes > maxBytes / 2)) {
        room.await(1, TimeUnit.SECONDS);
      }
      return !closing;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops taking frames, keeping what is queued.
   *
   * @return whether this call closed it (false: it was closed already)
   */
  boolean markClosing() {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      closing = true;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** No more frames are taken; what was queued and not yet handed to the socket is dropped. */
  void stop() {
    lock.lock();
    try {
      closing = true;
      queue.clear();
      queuedBytes = 0;
      room.signalAll(); // a waiting replay gives up
    } finally {
      lock.unlock();
    }
  }

  boolean isClosing() {
    lock.lock();
    try {
      return closing;
    } finally {
      lock.unlock();
    }
  }

  /** Drains the queue: many frames per flush, one flush in flight at a time. */
  private final class Writer extends IteratingCallback {
    private long batchSeq;
    private int batchFrames;

    /**
     * Takes up to {@link #BATCH} frames out of the queue and hands them to the socket. The
     * frames of a pass go into an array of their number, made for the pass (one frame: none): an
     * array kept per connection held 1 KiB for every socket, idle or not (19 MiB with 19,000 idle
     * subscribers), and a 256-slot one made per pass was 2 KiB of garbage per frame under a light
     * load.
     */
    @Override
    protected Action process() {
      Out only = null;
      Out[] batch = null;
      lock.lock();
      try {
        if (closing) {
          return Action.IDLE;
        }
        int n = Math.min(queue.size(), BATCH);
        if (n == 1) {
          only = queue.poll();
          queuedBytes -= only.bytes().length;
        } else if (n > 1) {
          batch = new Out[n];
          for (int i = 0; i < n; i++) {
            Out o = queue.poll();
            queuedBytes -= o.bytes().length;
            batch[i] = o;
          }
        }
        room.signalAll();
        if (n == 0) {
          writerActive = false; // the next enqueue starts it again
          return Action.IDLE;
        }
      } finally {
        lock.unlock();
      }
      if (only != null) {
        // light load: one frame, written at once without the batch buffer copy
        batchSeq = only.seq();
        batchFrames = 1;
        sink.write(only.bytes(), this);
        return Action.SCHEDULED;
      }
      long max = -1;
      for (Out o : batch) {
        max = Math.max(max, o.seq());
        sink.writeBatched(o.bytes()); // the socket holds the frame now; the array goes with this pass
      }
      batchSeq = max;
      batchFrames = batch.length;
      sink.flush(this);
      return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
      if (batchSeq > writtenSeq) {
        writtenSeq = batchSeq;
      }
      written.accept(batchFrames);
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      stop();
      sink.abort(cause);
    }
  }
}
