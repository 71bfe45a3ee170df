package dev.herald.bench;

import static dev.herald.bench.Bench.ms;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Which JVM settings {@code ./herald serve} should use: for each candidate, the fan-out (burst
 * and paced latency) of Herald beside the raw baseline started with the same settings in the
 * same run, the server's RSS with the fan-out's 1,000 subscribers — right after the load
 * ({@code rss_loaded_mib}), after 8 s at rest with them still connected ({@code rss_rest_mib}),
 * and once they closed ({@code rss_subscribed_mib}, the figure of earlier runs) — and its RSS
 * with many idle subscribers. RSS is read from /proc (what the operating system charges), not
 * estimated. Like the launchers, each candidate gets a class-data archive made under its own
 * options by a training run (a short fan-out, then a normal exit under
 * {@code -XX:ArchiveClassesAtExit}); {@code --no-archive} leaves it out.
 */
@Command(name = "jvm", mixinStandardHelpOptions = true,
    description = "Compare JVM settings for ./herald serve: burst and paced latency beside the raw baseline "
        + "under the same settings, RSS with the subscribers and with many idle ones.")
final class JvmChoice implements Callable<Integer> {
  @Mixin
  FanoutLoad load;
  /** How long the subscribed server is left at rest before its resting RSS is read. */
  static final long REST_MS = 8_000;

  @Option(names = "--idle", defaultValue = "19000", description = "idle subscribers for the second RSS figure")
  int idle;
  @Option(names = "--candidate", description = "JVM options to compare (repeatable; \"default\" = none;"
      + " \"launcher\" = the launchers' conf/jvm.options;"
      + " ENV:NAME=VALUE sets an environment variable of the server). "
      + "Default: the JVM's defaults, and the settings measured in docs/benchmarks.md.")
  List<String> candidates = new ArrayList<>();

  @Option(names = "--archive", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Give each candidate a class-data archive made by a training run under its options, as the"
          + " launchers do (default ${DEFAULT-VALUE}).")
  boolean archive;

  @Option(names = "--memory", description = "Herald on an in-memory database (herald serve --data mem) instead of"
      + " one in a temporary directory, which writes every commit to its file")
  boolean memory;

  @Option(names = "--windows", defaultValue = "4", description = "the paced phase again with Herald and the raw"
      + " baseline both up, their subscribers connected, and the writes going to one then the other in this many"
      + " windows each (in the order H B B H H B B H …), so that both meet the same moments of a shared machine;"
      + " 0: not run")
  int windows;

  static final List<String> DEFAULT_CANDIDATES = List.of(
      "default",
      "-XX:+UseSerialGC -Xmx256m",
      "-XX:+UseSerialGC -Xms16m -Xmx384m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:ReservedCodeCacheSize=64m -Xss512k",
      "-XX:+UseParallelGC -Xmx512m",
      "ENV:MALLOC_ARENA_MAX=2 -XX:+UseSerialGC -Xms16m -Xmx1g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
          + " -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1",
      "ENV:MALLOC_ARENA_MAX=2 -XX:+UseSerialGC -Xms16m -Xmx1g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
          + " -XX:-ShrinkHeapInSteps -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1");

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (windows < 0 || windows % 2 != 0 || windows > load.rate * load.pacedSeconds) {
      // an odd number would end on an unmatched pair (H B), so a drift would no longer weigh on both alike
      throw new ParameterException(spec.commandLine(), "--windows is an even number from 0 to the paced writes ("
          + (long) (load.rate * load.pacedSeconds) + "), not " + windows);
    }
    List<String> list = candidates.isEmpty() ? DEFAULT_CANDIDATES : candidates;
    for (String c : list) {
      System.out.println("== " + c);
      Path archiveDir = archive ? java.nio.file.Files.createTempDirectory("herald-bench-cds-") : null;
      try {
        measure(c, archiveDir);
      } finally {
        Bench.deleteTree(archiveDir);
      }
    }
    return 0;
  }

  private void measure(String c, Path archiveDir) throws Exception {
    List<String> opts = ServerProcess.jvmOptions(c);
    if (archiveDir != null) {
      opts = withArchive(opts, train(opts, archiveDir.resolve("candidate.jsa")));
    }
    Bench.Fanout.Run herald;
    long rssSubscribed;
    long[] rssLoaded = new long[1];
    long[] rssAtRest = new long[1];
    boolean mapped;
    try (Bench.HeraldData data = Bench.HeraldData.of(memory);
        ServerProcess server = ServerProcess.start("herald", data.arg(), opts, null)) {
      mapped = archiveDir != null && server.maps(archiveDir);
      herald = Bench.Fanout.measure("herald", server, List.of(server), load, true, server::cpuSeconds, () -> {
        // with the 1,000 subscribers still connected: right after the load, and at rest
        rssLoaded[0] = server.rssBytes();
        Thread.sleep(REST_MS);
        rssAtRest[0] = server.rssBytes();
        return null;
      });
      rssSubscribed = server.rssBytes();
    }
    Bench.Fanout.Run base;
    long baseRss;
    try (ServerProcess server = ServerProcess.start("baseline", null, opts, null)) {
      base = Bench.Fanout.measure("baseline", server, List.of(server), load, false, server::cpuSeconds);
      baseRss = server.rssBytes();
    }
    long rssIdle;
    long delivered;
    try (Bench.HeraldData data = Bench.HeraldData.of(memory);
        ServerProcess server = ServerProcess.start("herald", data.arg(), opts, null);
        Subscribers subs = new Subscribers()) {
      Writer w = new Writer(server.url(), true);
      subs.open(server.url(), w.cookie, idle, "{\"context\":\"*\"}", false);
      w.create(); // every socket still works: one write reaches all of them
      subs.awaitDelivered(idle, 60_000);
      delivered = subs.delivered.sum();
      rssIdle = server.rssBytes();
    }
    Alternated alt = null;
    boolean altFailed = false;
    if (windows > 0) {
      try {
        alt = alternated(opts);
      } catch (Exception e) { // the figures above stand; say that these are missing, and why
        System.out.println("alternating: failed: " + e);
        altFailed = true;
      }
    }
    Results results = new Results("jvm").put("jvm", c.replace(' ', '_'))
        .put("subscribers", load.subscribers)
        .put("delivered_per_s", herald.burstPerS())
        .put("baseline_delivered_per_s", base.burstPerS())
        .put("ratio", herald.burstPerS() / base.burstPerS());
    putPaced(results, "", herald.paced(), base.paced());
    results.put("paced_server_cpu_pct", herald.pacedServerCpu())
        .put("paced_client_cpu_pct", herald.pacedClientCpu())
        .put("rss_subscribed_mib", rssSubscribed / 1048576.0)
        .put("rss_loaded_mib", rssLoaded[0] / 1048576.0)
        .put("rss_rest_mib", rssAtRest[0] / 1048576.0)
        .put("baseline_rss_mib", baseRss / 1048576.0)
        .put("idle", idle)
        .put("rss_idle_mib", rssIdle / 1048576.0)
        .put("idle_delivered", delivered)
        .put("lost", herald.lost() + base.lost() + (idle - delivered))
        .put("archive", archive)
        .put("archive_mapped", mapped);
    if (alt != null) {
      putPaced(results.put("windows", windows), "alt_", alt.herald(), alt.baseline());
      results.put("alt_lost", alt.lost());
    } else if (altFailed) {
      results.put("alt_failed", true);
    }
    results.emit(Bench.commandLine);
  }

  /** The paced p50 and p99 of Herald and of the raw baseline, and their ratios, under keys starting with {@code prefix}. */
  private static void putPaced(Results r, String prefix, org.HdrHistogram.Histogram herald,
      org.HdrHistogram.Histogram base) {
    r.put(prefix + "paced_p50_ms", ms(herald, 50))
        .put(prefix + "paced_p99_ms", ms(herald, 99))
        .put(prefix + "baseline_paced_p50_ms", ms(base, 50))
        .put(prefix + "baseline_paced_p99_ms", ms(base, 99))
        .put(prefix + "p50_vs_baseline", ms(herald, 50) / ms(base, 50))
        .put(prefix + "p99_vs_baseline", ms(herald, 99) / ms(base, 99));
  }

  /** The paced latencies of Herald and the raw baseline measured in alternating windows. */
  record Alternated(org.HdrHistogram.Histogram herald, org.HdrHistogram.Histogram baseline, long lost) {}

  /**
   * Herald and the raw baseline up at once, each with its subscribers, after a warm-up of 200
   * writes each; then {@code rate} writes/s to one of them at a time, in {@link #windows} windows
   * for each server of {@code pacedSeconds / windows} seconds (so twice {@code pacedSeconds} in
   * all), in the order H B B H H B B H … (a drift of the machine's speed during the run weighs on
   * both alike). Each window's deliveries are awaited before the next starts. Herald is idle for
   * the two baseline windows in a row, long enough for its heap trim after a load (a full
   * collection of about 0.1 s, at most every 30 s) to fall there.
   */
  private Alternated alternated(List<String> opts) throws Exception {
    try (Bench.HeraldData data = Bench.HeraldData.of(memory);
        ServerProcess h = ServerProcess.start("herald", data.arg(), opts, null);
        ServerProcess b = ServerProcess.start("baseline", null, opts, null);
        Subscribers hs = new Subscribers();
        Subscribers bs = new Subscribers()) {
      Writer hw = Bench.Fanout.subscribeAndWarmUp(hs, h, List.of(h), load.subscribers, true);
      Writer bw = Bench.Fanout.subscribeAndWarmUp(bs, b, List.of(b), load.subscribers, false);
      double window = load.pacedSeconds / windows;
      long hWrites = 0;
      long bWrites = 0;
      for (int i = 0; i < 2 * windows; i++) {
        boolean toHerald = (i % 4 == 0) || (i % 4 == 3);
        if (toHerald) {
          hWrites += Bench.openLoop(load.rate, window, hw::create);
          hs.awaitDelivered(hWrites * load.subscribers, 60_000);
        } else {
          bWrites += Bench.openLoop(load.rate, window, bw::create);
          bs.awaitDelivered(bWrites * load.subscribers, 60_000);
        }
      }
      long lost = (hWrites + bWrites) * load.subscribers - hs.delivered.sum() - bs.delivered.sum()
          + hs.closedEarly.get() + bs.closedEarly.get();
      org.HdrHistogram.Histogram hh = hs.latencies(hw.sentAt);
      org.HdrHistogram.Histogram bh = bs.latencies(bw.sentAt);
      System.out.printf("alternating: herald p50 %.2f ms, p99 %.2f ms; baseline p50 %.2f ms, p99 %.2f ms"
          + " (%d and %d writes in %d windows each)%n", ms(hh, 50), ms(hh, 99), ms(bh, 50), ms(bh, 99),
          hWrites, bWrites, windows);
      return new Alternated(hh, bh, lost);
    }
  }

  /** Subscribers and writes of the training run: enough to load the fan-out's classes. */
  static final int TRAINING_SUBSCRIBERS = 50;
  static final int TRAINING_WRITES = 50;

  /**
   * A Herald server under {@code opts} and {@code -XX:ArchiveClassesAtExit}, a short fan-out, a
   * normal exit (SIGTERM: the JVM writes the archive after the shutdown hooks).
   */
  static Path train(List<String> opts, Path archive) throws Exception {
    List<String> training = new ArrayList<>(opts);
    training.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    Path data = Bench.tempData();
    try {
      ServerProcess server = ServerProcess.start("herald", data, training, null);
      try (Subscribers subs = new Subscribers()) {
        Writer w = new Writer(server.url(), true);
        subs.open(server.url(), w.cookie, TRAINING_SUBSCRIBERS, "{\"context\":\"*\"}", false);
        for (int i = 0; i < TRAINING_WRITES; i++) {
          w.create();
        }
        subs.awaitDelivered((long) TRAINING_SUBSCRIBERS * TRAINING_WRITES, 60_000);
      } finally {
        server.process.destroy();
        if (!server.process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
          server.process.destroyForcibly();
        }
      }
    } finally {
      Bench.deleteTree(data);
    }
    if (!java.nio.file.Files.isRegularFile(archive) || java.nio.file.Files.size(archive) == 0) {
      throw new IllegalStateException("the training run wrote no class-data archive (" + archive + ")");
    }
    return archive;
  }

  static List<String> withArchive(List<String> opts, Path archive) {
    List<String> out = new ArrayList<>(opts);
    out.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    return out;
  }
}
