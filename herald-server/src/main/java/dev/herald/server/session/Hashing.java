package dev.herald.server.session;

import dev.herald.server.HeraldException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where slow hashes run: a small pool of its own (half the cores, at least one) with a bounded
 * queue, never the threads that serve requests. A flood of logins waits here or is told to come
 * back (503), while everything else is served.
 */
final class Hashing implements AutoCloseable {
  private final ThreadPoolExecutor pool;

  Hashing(int threads, int queue) {
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queue), Thread.ofPlatform().name("herald-hash-", 0).daemon(true).factory(),
        new ThreadPoolExecutor.AbortPolicy());
  }

  static Hashing forThisMachine() {
    return new Hashing(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 256);
  }

  private final java.util.concurrent.atomic.LongAdder runs = new java.util.concurrent.atomic.LongAdder();

  /** Slow hashes run so far (each login costs at most one). */
  long runs() {
    return runs.sum();
  }

  <T> T run(Supplier<T> work) {
    Future<T> f;
    try {
      f = pool.submit(() -> {
        runs.increment();
        return work.get();
      });
    } catch (RejectedExecutionException e) {
      throw new HeraldException(503, "Too many logins at once.", List.of("Retry in a moment."), e)
          .header("Retry-After", "1");
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw new HeraldException(503, "Interrupted.", List.of("Retry."), e);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
