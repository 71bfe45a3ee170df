package dev.herald.bench;

import static dev.herald.bench.Bench.ms;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

  static final List<String> DEFAULT_CANDIDATES = List.of(
      "default",
      "-XX:+UseSerialGC -Xmx256m",
      "-XX:+UseSerialGC -Xms16m -Xmx384m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:ReservedCodeCacheSize=64m -Xss512k",
      "-XX:+UseParallelGC -Xmx512m",
      "ENV:MALLOC_ARENA_MAX=2 -XX:+UseSerialGC -Xms16m -Xmx1g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
          + " -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1",
      "ENV:MALLOC_ARENA_MAX=2 -XX:+UseSerialGC -Xms16m -Xmx1g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
          + " -XX:-ShrinkHeapInSteps -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1");

  @Override
  public Integer call() throws Exception {
    List<String> list = candidates.isEmpty() ? DEFAULT_CANDIDATES : candidates;
    for (String c : list) {
      List<String> opts = ServerProcess.jvmOptions(c);
      System.out.println("== " + c);
      Path archiveDir = null;
      if (archive) {
        archiveDir = java.nio.file.Files.createTempDirectory("herald-bench-cds-");
        opts = withArchive(opts, train(opts, archiveDir.resolve("candidate.jsa")));
      }
      Path data = Bench.tempData();
      Bench.Fanout.Run herald;
      long rssSubscribed;
      long[] rssLoaded = new long[1];
      long[] rssAtRest = new long[1];
      boolean mapped;
      try (ServerProcess server = ServerProcess.start("herald", data, opts, null)) {
        mapped = archiveDir != null && server.maps(archiveDir);
        herald = Bench.Fanout.measure("herald", server, List.of(server), load, true, server::cpuSeconds, () -> {
          // with the 1,000 subscribers still connected: right after the load, and at rest
          rssLoaded[0] = server.rssBytes();
          Thread.sleep(REST_MS);
          rssAtRest[0] = server.rssBytes();
          return null;
        });
        rssSubscribed = server.rssBytes();
      } finally {
        Bench.deleteTree(data);
      }
      Bench.Fanout.Run base;
      long baseRss;
      try (ServerProcess server = ServerProcess.start("baseline", null, opts, null)) {
        base = Bench.Fanout.measure("baseline", server, List.of(server), load, false, server::cpuSeconds);
        baseRss = server.rssBytes();
      }
      long rssIdle;
      long delivered;
      data = Bench.tempData();
      try (ServerProcess server = ServerProcess.start("herald", data, opts, null);
          Subscribers subs = new Subscribers()) {
        Writer w = new Writer(server.url(), true);
        subs.open(server.url(), w.cookie, idle, "{\"context\":\"*\"}", false);
        w.create(); // every socket still works: one write reaches all of them
        subs.awaitDelivered(idle, 60_000);
        delivered = subs.delivered.sum();
        rssIdle = server.rssBytes();
      } finally {
        Bench.deleteTree(data);
      }
      new Results("jvm").put("jvm", c.replace(' ', '_'))
          .put("subscribers", load.subscribers)
          .put("delivered_per_s", herald.burstPerS())
          .put("baseline_delivered_per_s", base.burstPerS())
          .put("ratio", herald.burstPerS() / base.burstPerS())
          .put("paced_p50_ms", ms(herald.paced(), 50))
          .put("paced_p99_ms", ms(herald.paced(), 99))
          .put("baseline_paced_p50_ms", ms(base.paced(), 50))
          .put("baseline_paced_p99_ms", ms(base.paced(), 99))
          .put("p50_vs_baseline", ms(herald.paced(), 50) / ms(base.paced(), 50))
          .put("p99_vs_baseline", ms(herald.paced(), 99) / ms(base.paced(), 99))
          .put("paced_server_cpu_pct", herald.pacedServerCpu())
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
          .put("archive_mapped", mapped)
          .emit(Bench.commandLine);
      if (archiveDir != null) {
        Bench.deleteTree(archiveDir);
      }
    }
    return 0;
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
