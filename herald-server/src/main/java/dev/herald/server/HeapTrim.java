package dev.herald.server;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps the heap near what is live, for the collectors that collect their old generation only
 * when it cannot grow any more (serial, parallel — the launchers' choice is serial). Two cases:
 *
 * <ul>
 *   <li><b>after a busy spell</b>: when the JVM has collected nothing for a few seconds after
 *       collecting something (the load ended) and the committed heap is worth it, one full
 *       collection, which shrinks the heap to the free ratios the JVM was given;
 *   <li><b>under a steady load</b>: objects that live a few seconds (recent changes kept for
 *       resumes, frames waiting for a slow socket) outlive the small young generation and are
 *       promoted; the serial collector then grows its old generation by what it promotes, until
 *       the maximum heap, before it ever collects it (docs/benchmarks-notes.md, "Old generation
 *       under a steady load": 56 to 82 MiB in 100 s of the `jvm` benchmark's paced load without
 *       a full collection; a program keeping 50 MiB alive for a moment reached 690 MiB before its
 *       first). When the old generation holds {@link #growthBytes} more than the last
 *       full collection left in it, one full collection, no sooner than {@link #GROWN_SPACING_MS}
 *       and a hundred times the last trim's length after that trim (of either kind): these then
 *       take about 1 % of the time at most, however large the heap, as long as a collection takes
 *       about as long as the one before.
 * </ul>
 *
 * <p>At most one full collection after a load in {@link #SPACING_MS}, whatever the load's rhythm. G1 has
 * {@code -XX:G1PeriodicGCInterval} and its concurrent cycles for this; ZGC and Shenandoah
 * uncommit on their own: with them this does nothing. One per JVM, started by {@code herald serve}
 * (not by a server embedded in tests: its JVM is the test's); off with
 * {@code -Dherald.heapTrim=false}, only after a load with {@code -Dherald.heapTrim=after-load}.
 */
public final class HeapTrim {
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** The old generations of the serial and parallel collectors: no such pool, another collector. */
  static final Set<String> OLD_POOLS = Set.of("Tenured Gen", "PS Old Gen");
  static final long QUIET_MS = 3_000;
  /** At most one trim after a load in this long. */
  static final long SPACING_MS = 30_000;
  /** At most one trim under a load this long after the last trim (and a hundred times that one's length). */
  static final long GROWN_SPACING_MS = 10_000;
  /** Below this committed heap a trim after a load is not worth a full collection. */
  static final long WORTH_BYTES = 32L << 20;
  /** Old-generation growth since the last full collection that asks for one, at least. */
  static final long MIN_GROWTH_BYTES = 8L << 20;

  /** What {@link #check} decides. */
  enum Decision { NONE, AFTER_LOAD, GROWN }

  /** Whether growth under a load asks for a collection ({@code -Dherald.heapTrim=after-load}: no). */
  private final boolean underLoad;
  private long lastCount = -1;
  private long quietSince;
  private boolean busy;
  /** The old generation's use at the first look: what it is measured against until a trim has run. */
  private long firstOld;
  private boolean trimmed;
  /** When the last trim after a load ran: it has its own spacing (a trim during a burst must not delay it). */
  private long afterLoadAt = Long.MIN_VALUE / 2;
  /** When the last trim of either kind ran, and how long it took (milliseconds): the spacing of a trim under a load. */
  private long lastTrimAt = Long.MIN_VALUE / 2;
  private long lastPauseMs;

  HeapTrim(boolean underLoad) {
    this.underLoad = underLoad;
  }

  /**
   * Starts the trim once for this JVM (a server's process: {@code herald serve}; a server embedded
   * in tests is left to its JVM): it reads {@code -Dherald.heapTrim} now and looks at the collector
   * on its own thread, a second later, and stops there unless the collector is serial or parallel.
   *
   * @throws IllegalArgumentException a value of {@code -Dherald.heapTrim} other than true, false or
   *     after-load, or the former {@code -Dherald.idleHeapTrim}
   */
  public static void startOnce() {
    String mode = mode(System.getProperty("herald.heapTrim"), System.getProperty("herald.idleHeapTrim"));
    if (mode.equals("false") || !STARTED.compareAndSet(false, true)) {
      return;
    }
    HeapTrim trim = new HeapTrim(!mode.equals("after-load"));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herald-heap-trim").daemon(true).factory());
    timer.schedule(() -> {
      // the management beans on this thread: not on the start's path
      MemoryPoolMXBean old = oldPool();
      if (old == null) {
        timer.shutdown(); // G1, ZGC, Shenandoah: they give memory back on their own
        return;
      }
      List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
      timer.scheduleWithFixedDelay(() -> trim.look(collectors, old), 0, 1, TimeUnit.SECONDS);
    }, 1, TimeUnit.SECONDS);
  }

  /** The old generation of a serial or parallel collector, or null under any other. */
  static MemoryPoolMXBean oldPool() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && OLD_POOLS.contains(p.getName()))
        .findFirst().orElse(null);
  }

  private void look(List<GarbageCollectorMXBean> collectors, MemoryPoolMXBean old) {
    long oldUsed = old.getUsage().getUsed();
    MemoryUsage after = old.getCollectionUsage(); // as the last full collection left it
    long oldLive = after == null ? 0 : after.getUsed();
    long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    long now = System.nanoTime() / 1_000_000;
    if (check(now, collections(collectors), committed, oldUsed, oldLive) != Decision.NONE) {
      System.gc(); // a full collection: the old generation emptied, the heap shrunk to the JVM's free ratios
      collected(now, collections(collectors), System.nanoTime() / 1_000_000 - now);
    }
  }

  private static long collections(List<GarbageCollectorMXBean> collectors) {
    long n = 0;
    for (GarbageCollectorMXBean g : collectors) {
      n += Math.max(0, g.getCollectionCount());
    }
    return n;
  }

  /**
   * The trim's mode from {@code -Dherald.heapTrim} (absent: {@code true}; any case); anything else
   * than the three is refused, and so is the former property, which no longer does anything.
   */
  static String mode(String property, String former) {
    if (former != null) {
      throw new IllegalArgumentException("-Dherald.idleHeapTrim is now -Dherald.heapTrim (true, false or after-load).");
    }
    String mode = property == null ? "true" : property.strip().toLowerCase(java.util.Locale.ROOT);
    if (!Set.of("true", "false", "after-load").contains(mode)) {
      throw new IllegalArgumentException("-Dherald.heapTrim is true, false or after-load, not \"" + property + "\".");
    }
    return mode;
  }

  /** How much the old generation may grow past what the last full collection left: a quarter as much again, at least 8 MiB. */
  static long growthBytes(long oldLive) {
    return Math.max(oldLive / 4, MIN_GROWTH_BYTES);
  }

  /**
   * One look, every second: whether to ask for a full collection now.
   *
   * @param now milliseconds, monotonic
   * @param collections collections of every collector so far
   * @param committed the heap's committed bytes
   * @param oldUsed the old generation's used bytes
   * @param oldLive the old generation's used bytes right after the last full collection (0: none
   *     yet; until this trim has run one, the use at the first look counts if it is higher — the
   *     server's start filled it, garbage and all)
   */
  Decision check(long now, long collections, long committed, long oldUsed, long oldLive) {
    if (lastCount < 0) { // the first look: what came before is the start
      lastCount = collections;
      quietSince = now;
      firstOld = oldUsed;
      return Decision.NONE;
    }
    if (collections != lastCount) {
      busy = true; // collections since the last look: something is running
      lastCount = collections;
      quietSince = now;
      long live = trimmed ? oldLive : Math.max(oldLive, firstOld);
      if (underLoad && now - lastTrimAt >= Math.max(GROWN_SPACING_MS, 100 * lastPauseMs)
          && oldUsed > live + growthBytes(live)) {
        return Decision.GROWN;
      }
      return Decision.NONE;
    }
    if (busy && now - afterLoadAt >= SPACING_MS && now - quietSince >= QUIET_MS && committed > WORTH_BYTES) {
      afterLoadAt = now;
      return Decision.AFTER_LOAD;
    }
    return Decision.NONE;
  }

  /**
   * The full collection asked for at {@code now} is done ({@code collections} now), after
   * {@code pauseMs}: it does not count as load.
   */
  void collected(long now, long collections, long pauseMs) {
    lastTrimAt = now;
    lastPauseMs = pauseMs;
    trimmed = true;
    busy = false;
    lastCount = collections;
    quietSince = now;
  }
}
