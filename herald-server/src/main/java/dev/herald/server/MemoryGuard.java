package dev.herald.server;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.InstantSource;

/**
 * Whether the server has memory to serve, for {@code /ready}: not when a request ran out of
 * memory within the last minute, nor while the heap is still almost full after a collection (a
 * node in that state answers slowly or not at all; the balancer should send its traffic
 * elsewhere).
 */
final class MemoryGuard {
  private static final long OOM_MEMORY_MS = 60_000;
  private static final double FULL_AFTER_GC = 0.95;

  private final InstantSource clock;
  private volatile long lastOutOfMemoryMs = Long.MIN_VALUE;

  MemoryGuard(InstantSource clock) {
    this.clock = clock;
  }

  void outOfMemory() {
    lastOutOfMemoryMs = clock.millis();
  }

  boolean ok() {
    if (lastOutOfMemoryMs != Long.MIN_VALUE && clock.millis() - lastOutOfMemoryMs < OOM_MEMORY_MS) {
      return false;
    }
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() != MemoryType.HEAP || !pool.isCollectionUsageThresholdSupported()) {
        continue;
      }
      var after = pool.getCollectionUsage();
      long max = pool.getUsage().getMax();
      if (after != null && max > 0 && after.getUsed() > FULL_AFTER_GC * max) {
        return false;
      }
    }
    return true;
  }
}
