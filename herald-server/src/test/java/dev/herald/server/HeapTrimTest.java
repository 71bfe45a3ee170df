package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.server.HeapTrim.Decision;
import org.junit.jupiter.api.Test;

/** The heap trim's decisions, fed the figures the JVM would give it once a second. */
class HeapTrimTest {
  private static final long MIB = 1L << 20;
  private static final long BIG = 100 * MIB; // committed heap worth a trim

  @Test
  void aLoadThatStops_isFollowedByOneFullCollection_onceQuietLongEnough() {
    HeapTrim t = new HeapTrim(true);
    assertEquals(Decision.NONE, t.check(0, 10, BIG, 40 * MIB, 30 * MIB)); // first look: not load yet
    assertEquals(Decision.NONE, t.check(1_000, 11, BIG, 40 * MIB, 30 * MIB)); // collecting: busy
    assertEquals(Decision.NONE, t.check(2_000, 11, BIG, 40 * MIB, 30 * MIB));
    assertEquals(Decision.NONE, t.check(3_000, 11, BIG, 40 * MIB, 30 * MIB));
    assertEquals(Decision.AFTER_LOAD, t.check(4_000, 11, BIG, 40 * MIB, 30 * MIB)); // 3 s quiet
    t.collected(4_000, 12, 80);
    for (long now = 5_000; now < 60_000; now += 1_000) { // quiet since: nothing more to do
      assertEquals(Decision.NONE, t.check(now, 12, BIG, 31 * MIB, 31 * MIB), "at " + now);
    }
  }

  @Test
  void noLoad_orASmallHeap_asksForNothing() {
    HeapTrim never = new HeapTrim(true);
    for (long now = 0; now < 10_000; now += 1_000) {
      assertEquals(Decision.NONE, never.check(now, 5, BIG, 40 * MIB, 30 * MIB));
    }
    HeapTrim small = new HeapTrim(true);
    small.check(0, 1, 20 * MIB, 5 * MIB, 4 * MIB);
    small.check(1_000, 2, 20 * MIB, 5 * MIB, 4 * MIB);
    for (long now = 2_000; now < 10_000; now += 1_000) {
      assertEquals(Decision.NONE, small.check(now, 2, 20 * MIB, 5 * MIB, 4 * MIB));
    }
  }

  @Test
  void underASteadyLoad_theOldGenerationGrowingPastItsLiveSet_asksForOneFullCollection_spaced() {
    HeapTrim t = new HeapTrim(true);
    long live = 30 * MIB; // growth allowed: max(7.5, 8) = 8 MiB
    long count = 100;
    t.check(0, count, BIG, live, live);
    long firstAt = -1;
    long old = live;
    for (long now = 1_000; now <= 40_000; now += 1_000) {
      old += MIB; // promoted and dead, never collected by the young collections
      Decision d = t.check(now, ++count, BIG, old, live);
      if (old <= live + 8 * MIB) {
        assertEquals(Decision.NONE, d, "at " + now + " with " + old / MIB + " MiB");
      } else {
        assertEquals(Decision.GROWN, d, "at " + now + " with " + old / MIB + " MiB");
        firstAt = now;
        t.collected(now, ++count, 80); // a pause of 80 ms: the spacing's floor, 10 s, is longer
        break;
      }
    }
    assertEquals(9_000, firstAt);
    // grown again before 10 s have passed: not yet; at 10 s: again
    for (long now = firstAt + 1_000; now < firstAt + HeapTrim.GROWN_SPACING_MS; now += 1_000) {
      assertEquals(Decision.NONE, t.check(now, ++count, BIG, live + 20 * MIB, live), "at " + now);
    }
    long secondAt = firstAt + HeapTrim.GROWN_SPACING_MS;
    assertEquals(Decision.GROWN, t.check(secondAt, ++count, BIG, live + 20 * MIB, live));
    // that one took 250 ms: the next waits a hundred times as long, 25 s
    t.collected(secondAt, ++count, 250);
    for (long now = secondAt + 1_000; now < secondAt + 25_000; now += 1_000) {
      assertEquals(Decision.NONE, t.check(now, ++count, BIG, live + 20 * MIB, live), "at " + now);
    }
    assertEquals(Decision.GROWN, t.check(secondAt + 25_000, ++count, BIG, live + 20 * MIB, live));
  }

  @Test
  void aCollectionDuringABurst_doesNotDelayTheOneAfterIt() {
    HeapTrim t = new HeapTrim(true);
    t.check(0, 1, BIG, 10 * MIB, 10 * MIB);
    assertEquals(Decision.GROWN, t.check(1_000, 2, BIG, 60 * MIB, 10 * MIB)); // the burst's frames, promoted
    t.collected(1_000, 3, 80);
    t.check(2_000, 4, BIG, 60 * MIB, 50 * MIB); // still loaded: most of it was live
    t.check(3_000, 5, BIG, 62 * MIB, 50 * MIB);
    assertEquals(Decision.NONE, t.check(4_000, 5, BIG, 62 * MIB, 50 * MIB));
    assertEquals(Decision.NONE, t.check(5_000, 5, BIG, 62 * MIB, 50 * MIB));
    assertEquals(Decision.AFTER_LOAD, t.check(6_000, 5, BIG, 62 * MIB, 50 * MIB)); // not 30 s later
  }

  @Test
  void aLongTrimAfterALoad_spacesTheNextTrimUnderALoad() {
    HeapTrim t = new HeapTrim(true);
    long live = 30 * MIB;
    t.check(0, 1, BIG, live, live);
    t.check(1_000, 2, BIG, live, live); // a load
    for (long now = 2_000; now < 4_000; now += 1_000) {
      assertEquals(Decision.NONE, t.check(now, 2, BIG, live, live));
    }
    assertEquals(Decision.AFTER_LOAD, t.check(4_000, 2, BIG, live, live));
    t.collected(4_000, 3, 500); // a long one: the next trim under a load waits 50 s from it
    long count = 3;
    for (long now = 5_000; now < 54_000; now += 1_000) {
      assertEquals(Decision.NONE, t.check(now, ++count, BIG, live + 20 * MIB, live), "at " + now);
    }
    assertEquals(Decision.GROWN, t.check(54_000, ++count, BIG, live + 20 * MIB, live));
  }

  @Test
  void afterLoadOnly_letsTheOldGenerationGrowUnderALoad() {
    HeapTrim t = new HeapTrim(false);
    t.check(0, 1, BIG, 10 * MIB, 10 * MIB);
    for (long now = 1_000; now < 60_000; now += 1_000) {
      assertEquals(Decision.NONE, t.check(now, 1 + now / 1_000, BIG, 10 * MIB + now * MIB / 1_000, 10 * MIB));
    }
  }

  @Test
  void whatTheStartLeftInTheOldGeneration_isNotTakenForGrowth() {
    HeapTrim t = new HeapTrim(true);
    // no full collection yet (its figure is 0); the start left 25 MiB, garbage and all
    assertEquals(Decision.NONE, t.check(0, 40, BIG, 25 * MIB, 0));
    assertEquals(Decision.NONE, t.check(1_000, 41, BIG, 30 * MIB, 0));
    assertEquals(Decision.NONE, t.check(2_000, 42, BIG, 33 * MIB, 0));
    assertEquals(Decision.GROWN, t.check(3_000, 43, BIG, 34 * MIB, 0));
    t.collected(3_000, 44, 80);
    // from now on what the full collection left counts, even below the first look's
    assertEquals(Decision.NONE, t.check(4_000, 45, BIG, 20 * MIB, 10 * MIB));
  }

  @Test
  void quietLooks_neverAskForTheGrowthTrim() {
    HeapTrim t = new HeapTrim(true);
    t.check(0, 7, 20 * MIB, 10 * MIB, 10 * MIB);
    for (long now = 1_000; now < 100_000; now += 1_000) { // no collection: the old generation cannot have grown
      assertEquals(Decision.NONE, t.check(now, 7, 20 * MIB, 90 * MIB, 10 * MIB));
    }
  }

  /** Which old generation the trim finds under each collector, in a JVM of its own. */
  @Test
  void theOldGeneration_isFoundUnderTheSerialAndParallelCollectors_only() throws Exception {
    assertEquals("Tenured Gen", probe("-XX:+UseSerialGC"));
    assertEquals("PS Old Gen", probe("-XX:+UseParallelGC"));
    assertEquals("none", probe("-XX:+UseG1GC"));
  }

  private static String probe(String collector) throws Exception {
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(javaCommand, collector, "-cp", System.getProperty("java.class.path"),
        HeapTrimProbe.class.getName()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  void theModes_andAMistypedOne() {
    assertEquals("true", HeapTrim.mode(null, null));
    assertEquals("after-load", HeapTrim.mode("after-load", null));
    assertEquals("false", HeapTrim.mode("FALSE", null));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> HeapTrim.mode("idle", null));
    assertEquals("-Dherald.heapTrim is true, false or after-load, not \"idle\".", e.getMessage());
    IllegalArgumentException former = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> HeapTrim.mode(null, "false"));
    assertEquals("-Dherald.idleHeapTrim is now -Dherald.heapTrim (true, false or after-load).", former.getMessage());
  }

  @Test
  void theGrowthAllowed_isAQuarterOfTheLiveSet_atLeast8MiB() {
    assertEquals(8 * MIB, HeapTrim.growthBytes(0));
    assertEquals(8 * MIB, HeapTrim.growthBytes(20 * MIB));
    assertEquals(100 * MIB, HeapTrim.growthBytes(400 * MIB));
  }
}
