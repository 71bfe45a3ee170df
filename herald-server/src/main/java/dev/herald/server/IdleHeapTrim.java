package dev.herald.server;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gives the heap back after a busy spell, for the collectors that only shrink the heap at a full
 * collection (serial, parallel — the launchers' choice is serial): when the JVM has collected
 * nothing for a few seconds after collecting something (the load ended) and the committed heap is
 * well above what is used, it asks for one full collection, which shrinks the heap to the free
 * ratios the JVM was given. G1 does the same by itself ({@code -XX:G1PeriodicGCInterval}); ZGC
 * and Shenandoah uncommit on their own: with them this does nothing. One per JVM; off with
 * {@code -Dherald.idleHeapTrim=false}.
 */
final class IdleHeapTrim {
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** The young collectors of the serial and parallel collectors. */
  private static final Set<String> SHRINK_AT_FULL_GC = Set.of("Copy", "PS Scavenge");
  private static final long QUIET_MS = 3_000;
  /** At most one trim in this long, whatever the load's rhythm. */
  private static final long SPACING_MS = 30_000;
  /** Below this committed heap a trim is not worth a full collection. */
  private static final long WORTH_BYTES = 32L << 20;

  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private long lastCount = -1;
  private long quietSince;
  private boolean busy;
  private long trimmedAt = Long.MIN_VALUE / 2;

  private IdleHeapTrim() {}

  /** Starts the trim once for this JVM, when its collector needs it. */
  static void startOnce() {
    if (!Boolean.parseBoolean(System.getProperty("herald.idleHeapTrim", "true"))
        || ManagementFactory.getGarbageCollectorMXBeans().stream().noneMatch(g -> SHRINK_AT_FULL_GC.contains(g.getName()))
        || !STARTED.compareAndSet(false, true)) {
      return;
    }
    IdleHeapTrim trim = new IdleHeapTrim();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herald-heap-trim").daemon(true).factory());
    timer.scheduleWithFixedDelay(trim::check, 1, 1, TimeUnit.SECONDS);
  }

  private long collections() {
    long n = 0;
    for (GarbageCollectorMXBean g : collectors) {
      n += Math.max(0, g.getCollectionCount());
    }
    return n;
  }

  private void check() {
    long now = System.nanoTime() / 1_000_000;
    long count = collections();
    if (count != lastCount) {
      busy |= lastCount >= 0; // collections since the last look: something is running
      lastCount = count;
      quietSince = now;
      return;
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    if (busy && now - quietSince >= QUIET_MS && now - trimmedAt >= SPACING_MS && heap.getCommitted() > WORTH_BYTES) {
      busy = false;
      trimmedAt = now;
      System.gc(); // a full collection: the heap shrinks to the JVM's free ratios
      lastCount = collections();
      quietSince = now;
    }
  }
}
