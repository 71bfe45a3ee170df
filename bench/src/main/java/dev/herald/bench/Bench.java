package dev.herald.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./herald-bench SCENARIO}: end-to-end benchmarks. Each scenario starts the server under
 * test in a child JVM on loopback, drives it from this process, prints one
 * {@code RESULT scenario=…} line and appends it to {@code bench-results/results.txt}. Every
 * scenario is bounded in time and stops by itself.
 */
@Command(name = "herald-bench", mixinStandardHelpOptions = true,
    description = "End-to-end benchmarks of Herald (loopback only).",
    subcommands = {Bench.Writes.class, Bench.Fanout.class, Bench.Idle.class, Bench.Resume.class,
        Bench.Quick.class, Bench.Jmh.class, Nodes.class, Soak.class, Bench.Startup.class, RulesBench.class,
        TestClassBench.class, StatusBench.class, JvmChoice.class, LoginBench.class,
        Report.class,
        CommandLine.HelpCommand.class})
public final class Bench implements Runnable {
  static String commandLine = "";

  @Option(names = "--record", scope = CommandLine.ScopeType.INHERIT,
      description = "Append the results to bench-results/results.txt (tracked; the source of"
          + " docs/benchmarks.md). Without it they go to bench-results/tmp/adhoc.txt.")
  void record(boolean record) {
    Results.file = record ? Results.RECORDED : Results.AD_HOC;
  }

  public static void main(String[] args) {
    commandLine = "./herald-bench " + String.join(" ", args);
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
  }

  static Path tempData() throws java.io.IOException {
    return Files.createTempDirectory("herald-bench");
  }

  /**
   * Where a Herald server of a benchmark keeps its database: a temporary directory, deleted on
   * close, or, with {@code memory}, none ({@code herald serve --data mem}).
   */
  record HeraldData(Path dir) implements AutoCloseable {
    static HeraldData of(boolean memory) throws java.io.IOException {
      return new HeraldData(memory ? null : tempData());
    }

    /** What {@link ServerProcess#start} is given. */
    Path arg() {
      return dir == null ? Path.of(ServerMain.MEMORY) : dir;
    }

    @Override
    public void close() throws java.io.IOException {
      deleteTree(dir);
    }
  }

  /** Runs {@code work} from {@code threads} threads until {@code seconds} pass; returns ops done. */
  static long closedLoop(int threads, double seconds, java.util.function.LongSupplier work)
      throws Exception {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    AtomicLong done = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      fs.add(pool.submit(() -> {
        try {
          while (System.nanoTime() < end) {
            if (work.getAsLong() >= 0) {
              done.incrementAndGet();
            }
          }
        } catch (StopLoop stop) {
          // the work is finished
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    return done.get();
  }

  /** Issues {@code rate} ops/s for {@code seconds}, each on its own virtual thread (open loop). */
  static long openLoop(double rate, double seconds, java.util.function.LongSupplier work)
      throws Exception {
    long start = System.nanoTime();
    long n = (long) (rate * seconds);
    AtomicLong done = new AtomicLong();
    try (ExecutorService vt = Executors.newVirtualThreadPerTaskExecutor()) {
      for (long i = 0; i < n; i++) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        vt.submit(() -> {
          if (work.getAsLong() >= 0) {
            done.incrementAndGet();
          }
        });
      }
    }
    return done.get();
  }

  @Command(name = "startup", mixinStandardHelpOptions = true,
      description = "Time from launching a server process to serving: Herald's first start (migrations, "
          + "SMC's built-in elements), its restart on that data, and the raw baseline server's start.")
  static final class Startup implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "7", description = "starts of each kind (the median is reported)")
    int runs;
    @Option(names = "--launcher", description = "time ./herald serve --data mem to its first answer instead: "
        + "the launcher's defaults (JVM settings, class-data archive) against the JVM's own defaults without an archive")
    boolean launcher;

    @Override
    public Integer call() throws Exception {
      if (launcher) {
        return launcher();
      }
      double[] first = new double[runs];
      double[] restart = new double[runs];
      double[] baseline = new double[runs];
      for (int i = 0; i < runs; i++) {
        Path data = tempData();
        try {
          first[i] = timeToReady("herald", data);
          restart[i] = timeToReady("herald", data);
          baseline[i] = timeToReady("baseline", null);
        } finally {
          deleteTree(data);
        }
        System.out.printf(java.util.Locale.ROOT, "run %d: first start %.0f ms, restart %.0f ms, baseline %.0f ms%n",
            i + 1, first[i], restart[i], baseline[i]);
      }
      new Results("startup")
          .put("runs", runs)
          .put("first_start_ms", median(first))
          .put("restart_ms", median(restart))
          .put("baseline_start_ms", median(baseline))
          .put("first_minus_restart_ms", median(first) - median(restart))
          .emit(commandLine);
      return 0;
    }

    private Integer launcher() throws Exception {
      Path script = Path.of("herald").toAbsolutePath();
      if (!Files.isExecutable(script)) {
        throw new IllegalStateException("run from the checkout: ./herald is not here");
      }
      double[] defaults = new double[runs];
      double[] plain = new double[runs];
      // a cache of its own for the launcher's class-data archive: made here by the first start
      Path cache = Files.createTempDirectory("herald-bench-cache");
      try {
        java.util.Map<String, String> env = java.util.Map.of("XDG_CACHE_HOME", cache.toString());
        firstAnswer(script, env); // builds ./herald if needed, starts making the archive
        awaitArchive(cache.resolve("herald"));
        for (int i = 0; i < runs; i++) {
          defaults[i] = firstAnswer(script, env);
          plain[i] = firstAnswer(script, java.util.Map.of("XDG_CACHE_HOME", cache.toString(), "HERALD_CDS", "off",
              "HERALD_JAVA_OPTS", "-XX:+UseG1GC"));
          System.out.printf(java.util.Locale.ROOT, "run %d: ./herald serve %.0f ms, with the JVM's defaults %.0f ms%n",
              i + 1, defaults[i], plain[i]);
        }
      } finally {
        deleteTree(cache);
      }
      new Results("startup_launcher")
          .put("runs", runs)
          .put("first_answer_ms", median(defaults))
          .put("jvm_defaults_first_answer_ms", median(plain))
          .emit(commandLine);
      return 0;
    }

    /** Until no class-data archive is being made in {@code dir} (the launcher makes it in the background) and one is there. */
    private static void awaitArchive(Path dir) throws Exception {
      long deadline = System.nanoTime() + 180_000_000_000L;
      while (System.nanoTime() < deadline) {
        try (var files = Files.list(dir)) {
          List<String> names = files.map(f -> f.getFileName().toString()).toList();
          if (names.stream().noneMatch(n -> n.endsWith(".jsa.lock")) && names.stream().anyMatch(n -> n.endsWith(".jsa"))) {
            return;
          }
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("./herald made no class-data archive in 3 minutes (see " + dir + ")");
    }

    /** Launch of {@code ./herald serve --data mem} to the first 200 of {@code GET /api}. */
    private static double firstAnswer(Path script, java.util.Map<String, String> env) throws Exception {
      int port;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        port = s.getLocalPort();
      }
      HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofMillis(200)).build();
      HttpRequest api = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api"))
          .timeout(java.time.Duration.ofSeconds(2)).build();
      ProcessBuilder pb = new ProcessBuilder(script.toString(), "serve", "--data", "mem", "--port",
          Integer.toString(port), "--api-key", "bench-launcher-key-0123")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().remove("HERALD_JAVA_OPTS");
      pb.environment().putAll(env);
      long t0 = System.nanoTime();
      Process p = pb.start();
      try {
        while (true) {
          try {
            if (http.send(api, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
              return (System.nanoTime() - t0) / 1e6;
            }
          } catch (java.io.IOException notYet) {
            // not listening yet
          }
          if (!p.isAlive()) {
            throw new IllegalStateException("./herald serve exited with " + p.exitValue());
          }
          if (System.nanoTime() - t0 > 120_000_000_000L) {
            throw new IllegalStateException("./herald serve did not answer within 2 minutes");
          }
          Thread.sleep(5);
        }
      } finally {
        p.destroy(); // SIGTERM: a normal exit, so the JVM can write its class-data archive
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }

    private static double timeToReady(String kind, Path data) throws Exception {
      long t0 = System.nanoTime();
      try (ServerProcess p = ServerProcess.start(kind, data, "256m")) {
        return (System.nanoTime() - t0) / 1e6;
      }
    }

    private static double median(double[] v) {
      double[] s = v.clone();
      java.util.Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
  }

  @Command(name = "writes", mixinStandardHelpOptions = true,
      description = "REST creates/s on the embedded store, and create latency at a paced rate.")
  static final class Writes implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "20", description = "full-speed phase length")
    double seconds;
    @Option(names = "--concurrency", defaultValue = "16", description = "client threads in the full-speed phase")
    int concurrency;
    @Option(names = "--rate", defaultValue = "500", description = "paced phase: creates per second")
    double rate;
    @Option(names = "--paced-seconds", defaultValue = "20")
    double pacedSeconds;
    @Option(names = "--postgres", description = "on a PostgreSQL this starts (durable commits) instead of the embedded database")
    boolean postgres;

    @Override
    public Integer call() throws Exception {
      Path data = tempData();
      BenchPostgres pg = BenchPostgres.startIf(postgres);
      try (pg; ServerProcess server = BenchPostgres.herald(pg, "herald_writes", data, "1g")) {
        java.util.function.DoubleSupplier cpu = () -> BenchPostgres.serverCpuSeconds(server, pg);
        Writer w = new Writer(server.url(), true);
        closedLoop(concurrency, Math.min(5, seconds / 2), w::create); // warm-up (JIT)
        w.createLatency.getIntervalHistogram();
        double s0 = cpu.getAsDouble();
        double c0 = Results.clientCpuSeconds();
        long t0 = System.nanoTime();
        long n = closedLoop(concurrency, seconds, w::create);
        double wall = (System.nanoTime() - t0) / 1e9;
        double serverCpu = (cpu.getAsDouble() - s0) / wall * 100;
        double clientCpu = (Results.clientCpuSeconds() - c0) / wall * 100;
        Histogram full = w.createLatency.getIntervalHistogram();

        double s1 = cpu.getAsDouble();
        long p0 = System.nanoTime();
        long paced = openLoop(rate, pacedSeconds, w::create);
        double pwall = (System.nanoTime() - p0) / 1e9;
        Histogram ph = w.createLatency.getIntervalHistogram();
        new Results("writes")
            .put("database", pg == null ? "embedded" : "postgresql")
            .put("creates_per_s", n / wall)
            .put("concurrency", concurrency)
            .put("p50_ms", ms(full, 50)).put("p99_ms", ms(full, 99))
            .put("server_cpu_pct", serverCpu).put("client_cpu_pct", clientCpu)
            .put("paced_rate", rate).put("paced_done_per_s", paced / pwall)
            .put("paced_p50_ms", ms(ph, 50)).put("paced_p99_ms", ms(ph, 99)).put("paced_p999_ms", ms(ph, 99.9))
            .put("paced_server_cpu_pct", (cpu.getAsDouble() - s1) / pwall * 100)
            .put("failures", w.failures.get())
            .emit(commandLine);
      } finally {
        deleteTree(data);
      }
      return 0;
    }
  }

  @Command(name = "fanout", mixinStandardHelpOptions = true,
      description = "N subscribers; writes in a burst and at a paced rate; Herald and the raw baseline side by side.")
  static final class Fanout implements Callable<Integer> {
    @CommandLine.Mixin
    FanoutLoad load;
    @Option(names = "--no-baseline", description = "skip the baseline run")
    boolean noBaseline;
    @Option(names = "--memory", description = "Herald on an in-memory database (herald serve --data mem)")
    boolean memory;

    record Run(double burstPerS, double pacedPerS, Histogram paced, double burstServerCpu,
        double burstClientCpu, double pacedServerCpu, double pacedClientCpu, long lost) {}

    @Override
    public Integer call() throws Exception {
      Run herald = run("herald");
      Results r = new Results("fanout").put("subscribers", load.subscribers).put("burst_writes", load.burst)
          .put("delivered_per_s", herald.burstPerS())
          .put("server_cpu_pct", herald.burstServerCpu()).put("client_cpu_pct", herald.burstClientCpu())
          .put("paced_deliveries_per_s", herald.pacedPerS())
          .put("paced_p50_ms", ms(herald.paced(), 50)).put("paced_p99_ms", ms(herald.paced(), 99))
          .put("paced_p999_ms", ms(herald.paced(), 99.9))
          .put("paced_server_cpu_pct", herald.pacedServerCpu()).put("paced_client_cpu_pct", herald.pacedClientCpu())
          .put("lost", herald.lost());
      if (!noBaseline) {
        Run base = run("baseline");
        r.put("baseline_delivered_per_s", base.burstPerS())
            .put("ratio", herald.burstPerS() / base.burstPerS())
            .put("baseline_server_cpu_pct", base.burstServerCpu())
            .put("baseline_paced_p99_ms", ms(base.paced(), 99))
            .put("baseline_lost", base.lost());
      }
      r.emit(commandLine);
      return 0;
    }

    private Run run(String kind) throws Exception {
      boolean herald = kind.equals("herald");
      try (HeraldData data = herald ? HeraldData.of(memory) : null;
          ServerProcess server = ServerProcess.start(kind, herald ? data.arg() : null, "2g")) {
        return measure(kind, server, List.of(server), load, herald, server::cpuSeconds);
      }
    }

    /**
     * The fan-out measurement: {@code subscribers} sockets spread evenly over
     * {@code subscribeTo}, every write sent to {@code writeTo}; a burst of {@code burst} writes
     * from {@code writers} threads, then {@code rate} writes/s for {@code pacedSeconds}.
     * {@code serverCpu} reads the CPU seconds of everything on the server side.
     */
    static Run measure(String label, ServerProcess writeTo, List<ServerProcess> subscribeTo,
        FanoutLoad load, boolean login, java.util.function.DoubleSupplier serverCpu) throws Exception {
      return measure(label, writeTo, subscribeTo, load, login, serverCpu, null);
    }

    /**
     * {@link #measure}, with {@code whileSubscribed} run after the paced phase while every
     * subscriber is still connected (a figure of the server with its subscribers, at rest).
     */
    static Run measure(String label, ServerProcess writeTo, List<ServerProcess> subscribeTo,
        FanoutLoad load, boolean login, java.util.function.DoubleSupplier serverCpu,
        java.util.concurrent.Callable<?> whileSubscribed) throws Exception {
      int subscribers = load.subscribers;
      int burst = load.burst;
      try (Subscribers subs = new Subscribers()) {
        Writer w = subscribeAndWarmUp(subs, writeTo, subscribeTo, subscribers, login);

        double s0 = serverCpu.getAsDouble();
        double c0 = Results.clientCpuSeconds();
        long t0 = System.nanoTime();
        AtomicLong left = new AtomicLong(burst);
        closedLoop(load.writers, 600, () -> left.getAndDecrement() > 0 ? w.create() : stop());
        long expected = (long) burst * subscribers;
        long t1 = subs.awaitDelivered(expected, 120_000);
        double wall = (t1 - t0) / 1e9;
        long got = subs.delivered.sum();
        double burstPerS = got / wall;
        double burstServerCpu = (serverCpu.getAsDouble() - s0) / wall * 100;
        double burstClientCpu = (Results.clientCpuSeconds() - c0) / wall * 100;
        long lost = expected - got;
        subs.clearRecords();

        double s1 = serverCpu.getAsDouble();
        double c1 = Results.clientCpuSeconds();
        w.createLatency.reset();
        long p0 = System.nanoTime();
        long writes = openLoop(load.rate, load.pacedSeconds, w::create);
        long pexpected = writes * subscribers;
        long p1 = subs.awaitDelivered(pexpected, 60_000);
        double pwall = (p1 - p0) / 1e9;
        long pgot = subs.delivered.sum();
        Histogram h = subs.latencies(w.sentAt);
        Histogram creates = w.createLatency.getIntervalHistogram();
        if (whileSubscribed != null) {
          whileSubscribed.call();
        }
        System.out.printf("%s: burst %.0f deliveries/s (%d of %d), paced %d writes, p50 %.2f ms, p99 %.2f ms"
            + " (the creates' own answers: p50 %.2f ms, p99 %.2f ms)%n",
            label, burstPerS, got, expected, writes, ms(h, 50), ms(h, 99), ms(creates, 50), ms(creates, 99));
        return new Run(burstPerS, pgot / pwall, h, burstServerCpu, burstClientCpu,
            (serverCpu.getAsDouble() - s1) / pwall * 100, (Results.clientCpuSeconds() - c1) / pwall * 100,
            lost + (pexpected - pgot) + subs.closedEarly.get());
      }
    }

    /**
     * {@code subscribers} sockets on {@code *} spread evenly over {@code subscribeTo}, then a
     * warm-up of 200 writes to {@code writeTo} delivered to all of them and forgotten; returns the
     * writer.
     */
    static Writer subscribeAndWarmUp(Subscribers subs, ServerProcess writeTo, List<ServerProcess> subscribeTo,
        int subscribers, boolean login) throws Exception {
      Writer w = new Writer(writeTo.url(), login);
      for (int i = 0; i < subscribeTo.size(); i++) {
        int n = subscribers / subscribeTo.size() + (i < subscribers % subscribeTo.size() ? 1 : 0);
        subs.open(subscribeTo.get(i).url(), w.cookie, n, "{\"context\":\"*\"}", true);
      }
      for (int i = 0; i < 200; i++) {
        w.create();
      }
      subs.awaitDelivered(200L * subscribers, 60_000);
      subs.clearRecords();
      return w;
    }

    private static long stop() {
      throw new StopLoop();
    }
  }

  /** Ends a closed loop early (thrown by the work). */
  static final class StopLoop extends RuntimeException {
    StopLoop() {
      super(null, null, false, false);
    }
  }

  @Command(name = "idle", mixinStandardHelpOptions = true,
      description = "Hold N idle subscribers: server RSS and heap per connection.")
  static final class Idle implements Callable<Integer> {
    @Option(names = "--subscribers", defaultValue = "19000",
        description = "idle sockets (default ${DEFAULT-VALUE}: a process may open 20,000 files here)")
    int subscribers;

    @Override
    public Integer call() throws Exception {
      Path data = tempData();
      try (ServerProcess server = ServerProcess.start("herald", data, "1g");
          Subscribers subs = new Subscribers()) {
        Writer w = new Writer(server.url(), true);
        // warm the server up with a few sockets and writes, so what follows is per-connection cost
        try (Subscribers warm = new Subscribers()) {
          warm.open(server.url(), w.cookie, 50, "{\"context\":\"*\"}", false);
          for (int i = 0; i < 50; i++) {
            w.create();
          }
        }
        server.gc();
        long rss0 = server.rssBytes();
        long heap0 = heapUsed(server);
        long t0 = System.nanoTime();
        subs.open(server.url(), w.cookie, subscribers, "{\"context\":\"*\"}", false);
        double openS = (System.nanoTime() - t0) / 1e9;
        server.gc();
        long rss1 = server.rssBytes();
        long heap1 = heapUsed(server);
        // every socket still works: one write reaches all of them
        w.create();
        subs.awaitDelivered(subscribers, 60_000);
        new Results("idle").put("subscribers", subscribers)
            .put("open_s", openS)
            .put("offheap_per_conn_kib", (rss1 - rss0) / 1024.0 / subscribers)
            .put("heap_per_conn_kib", (heap1 - heap0) / 1024.0 / subscribers)
            .put("total_per_conn_kib", ((rss1 - rss0) + (heap1 - heap0)) / 1024.0 / subscribers)
            .put("server_rss_mib", rss1 / 1048576.0)
            .put("delivered_after", subs.delivered.sum())
            .emit(commandLine);
      } finally {
        deleteTree(data);
      }
      return 0;
    }

    static long heapUsed(ServerProcess server) throws Exception {
      HttpResponse<String> m = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.url() + "/metrics"))
              .header("Authorization", "Bearer " + ServerMain.METRICS_TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      long sum = 0;
      for (String line : m.body().split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
          sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "N subscribers drop, changes happen, all reconnect with since at once: catch-up time, and proof nothing was lost or repeated.")
  static final class Resume implements Callable<Integer> {
    @Option(names = "--subscribers", defaultValue = "1000")
    int subscribers;
    @Option(names = "--missed", defaultValue = "500", description = "writes made while they are disconnected")
    int missed;
    @Option(names = "--postgres", description = "on a PostgreSQL this starts instead of the embedded database")
    boolean postgres;

    @Override
    public Integer call() throws Exception {
      Path data = tempData();
      BenchPostgres pg = BenchPostgres.startIf(postgres);
      try (pg; ServerProcess server = BenchPostgres.herald(pg, "herald_resume", data, "2g")) {
        Writer w = new Writer(server.url(), true);
        for (int i = 0; i < 10; i++) {
          w.create();
        }
        long since = headSeq(server);
        for (int i = 0; i < missed; i++) {
          w.create(); // made while the subscribers are away
        }
        long head = headSeq(server);
        long expected = head - since;
        java.util.function.DoubleSupplier cpu = () -> BenchPostgres.serverCpuSeconds(server, pg);
        double s0 = cpu.getAsDouble();
        long t0 = System.nanoTime();
        try (Subscribers subs = new Subscribers(true)) {
          subs.open(server.url(), w.cookie, subscribers,
              "{\"context\":\"*\",\"since\":" + since + "}", true);
          long t1 = subs.awaitDelivered(expected * subscribers, 300_000);
          double wall = (t1 - t0) / 1e9;
          long lost = 0;
          long repeated = 0;
          long misordered = 0;
          for (long[] seqs : subs.records()) {
            java.util.Set<Long> seen = new java.util.HashSet<>();
            long prev = since;
            for (long q : seqs) {
              if (!seen.add(q)) {
                repeated++;
              }
              if (q <= prev) {
                misordered++;
              }
              prev = q;
            }
            lost += expected - seen.size();
          }
          new Results("resume").put("subscribers", subscribers).put("missed_changes", expected)
              .put("catch_up_s", wall).put("replayed_per_s", expected * subscribers / wall)
              .put("server_cpu_pct", (cpu.getAsDouble() - s0) / wall * 100)
              .put("lost", lost).put("repeated", repeated).put("out_of_order", misordered)
              .emit(commandLine);
        }
      } finally {
        deleteTree(data);
      }
      return 0;
    }

    private static long headSeq(ServerProcess server) throws Exception {
      HttpResponse<String> m = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.url() + "/metrics"))
              .header("Authorization", "Bearer " + ServerMain.METRICS_TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      for (String line : m.body().split("\n")) {
        if (line.startsWith("herald_changelog_head ")) {
          return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
        }
      }
      throw new IllegalStateException("no herald_changelog_head in /metrics");
    }
  }

  @Command(name = "jmh", description = "JMH micro-benchmarks of the fan-out hot paths; arguments go to JMH (e.g. -f 1 -wi 2 -i 3).")
  static final class Jmh implements Callable<Integer> {
    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      List<String> a = new ArrayList<>(args);
      if (a.stream().noneMatch(x -> !x.startsWith("-"))) {
        a.add("HotPathBenchmarks");
      }
      var options = new org.openjdk.jmh.runner.options.CommandLineOptions(a.toArray(String[]::new));
      Results r = new Results("jmh");
      for (var result : new org.openjdk.jmh.runner.Runner(options).run()) {
        String name = result.getParams().getBenchmark();
        var score = result.getPrimaryResult();
        r.put(name.substring(name.lastIndexOf('.') + 1) + "_" + score.getScoreUnit().replace('/', '_'),
            score.getScore());
      }
      r.emit(commandLine);
      return 0;
    }
  }

  @Command(name = "quick", mixinStandardHelpOptions = true,
      description = "A reduced suite — writes, fan-out beside the raw baseline, idle sockets,"
          + " resume — in about a minute on 2 cores.")
  static final class Quick implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      long t0 = System.nanoTime();
      int rc = new CommandLine(new Writes()).execute("--seconds", "8", "--paced-seconds", "8");
      rc |= new CommandLine(new Fanout()).execute("--subscribers", "500", "--burst", "400",
          "--paced-seconds", "8");
      rc |= new CommandLine(new Idle()).execute("--subscribers", "5000");
      rc |= new CommandLine(new Resume()).execute("--subscribers", "200", "--missed", "200");
      System.out.printf(java.util.Locale.ROOT, "%nquick took %.0f s. How to read the RESULT lines:%n"
          + "  writes: creates/s through the REST API on the embedded database (closed loop), then"
          + " latency at a paced rate.%n"
          + "  fanout: every create reaches every subscriber; delivered_per_s counts deliveries."
          + " baseline_* is the raw baseline: a%n"
          + "    minimal broadcaster on the same Jetty in the same kind of child JVM (no database, no"
          + " outbox, no login) that writes%n"
          + "    each frame to every socket from its loop; ratio = Herald's delivered_per_s /"
          + " the baseline's, in this run.%n"
          + "    Latencies run from sending the REST write to receiving its event; *_cpu_pct is the"
          + " server's and the load%n"
          + "    client's CPU (they share the machine).%n"
          + "  idle: memory and descriptors for that many quiet sockets. resume: subscribers that"
          + " catch up on missed changes.%n", (System.nanoTime() - t0) / 1e9);
      return rc;
    }
  }

  static void deleteTree(Path dir) throws java.io.IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
