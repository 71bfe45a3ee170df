package dev.herald.bench;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./herald-bench soak}: a server left running under a steady, mixed load — many idle
 * subscribers, steady writes, logins and logouts, sockets that reconnect — with its memory,
 * descriptors, threads and delivery latency sampled each minute. A healthy server's lines stay
 * flat; a leak shows as a slope.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "A server under a steady mixed load for N minutes; RSS, descriptors, threads and p99 each minute.")
final class Soak implements Callable<Integer> {
  @Option(names = "--minutes", defaultValue = "5", description = "How long (default ${DEFAULT-VALUE}).")
  int minutes;

  @Option(names = "--subscribers", defaultValue = "5000", description = "Sockets on * (default ${DEFAULT-VALUE}).")
  int subscribers;

  @Option(names = "--rate", defaultValue = "5", description = "Creates per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--logins", defaultValue = "2", description = "Login + logout pairs per second (default ${DEFAULT-VALUE}).")
  int logins;

  @Option(names = "--reconnects", defaultValue = "5", description = "Sockets closed and opened again per second (default ${DEFAULT-VALUE}).")
  int reconnects;

  private static final int PROBES = 20;

  record Minute(int minute, double rssMib, double liveHeapMib, long fds, long threads, double serverCpuPct,
      double clientCpuPct, double p50, double p99, long writes, long failures, long loginsDone,
      long reconnectsDone) {}

  @Override
  public Integer call() throws Exception {
    Path data = Bench.tempData();
    List<Minute> rows = new ArrayList<>();
    AtomicLong loginsDone = new AtomicLong();
    AtomicLong loginFailures = new AtomicLong();
    AtomicLong reconnectsDone = new AtomicLong();
    try (ServerProcess server = ServerProcess.start("herald", data, "2g")) {
      Writer writer = new Writer(server.url(), true);
      int churnSize = Math.max(1, reconnects * 10);
      int steady = Math.max(0, subscribers - PROBES - churnSize);
      try (Subscribers idle = new Subscribers(); Subscribers probes = new Subscribers()) {
        idle.open(server.url(), writer.cookie, steady, "{\"context\":\"*\"}", false);
        probes.open(server.url(), writer.cookie, PROBES, "{\"context\":\"*\"}", true);
        Subscribers[] churn = {new Subscribers()};
        churn[0].open(server.url(), writer.cookie, churnSize, "{\"context\":\"*\"}", false);
        System.out.printf(Locale.ROOT, "soak: %d sockets open (%d idle, %d probes, %d reconnecting),"
            + " %d creates/s, %d logins/s, %d minutes%n", steady + PROBES + churnSize, steady, PROBES,
            churnSize, rate, logins, minutes);
        ScheduledExecutorService load = Executors.newScheduledThreadPool(4);
        long periodUs = 1_000_000L / Math.max(1, rate);
        load.scheduleAtFixedRate(writer::create, 0, periodUs, TimeUnit.MICROSECONDS);
        HttpClient loginHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        if (logins > 0) {
          load.scheduleAtFixedRate(() -> {
            try {
              HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                  .cookieHandler(new CookieManager()).build();
              HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(server.url() + "/7.2/login"))
                  .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                      "{\"authenticationkey\":\"" + ServerMain.API_KEY + "\"}")).build(),
                  HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() != 200) {
                loginFailures.incrementAndGet();
                return;
              }
              c.send(HttpRequest.newBuilder(URI.create(server.url() + "/7.2/logout"))
                  .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
              loginsDone.incrementAndGet();
            } catch (Exception e) {
              loginFailures.incrementAndGet();
            }
          }, 0, 1_000_000L / logins, TimeUnit.MICROSECONDS);
        }
        // every 10 s, the reconnecting sockets are closed and as many opened again
        load.scheduleWithFixedDelay(() -> {
          try {
            Subscribers next = new Subscribers();
            next.open(server.url(), writer.cookie, churnSize, "{\"context\":\"*\"}", false);
            Subscribers old = churn[0];
            churn[0] = next;
            old.close();
            reconnectsDone.addAndGet(churnSize);
          } catch (Exception e) {
            System.err.println("reconnect round failed: " + e);
          }
        }, 10, 10, TimeUnit.SECONDS);

        double s0 = server.cpuSeconds();
        double c0 = Results.clientCpuSeconds();
        for (int m = 1; m <= minutes; m++) {
          Thread.sleep(60_000);
          Histogram h = probes.latencies(writer.sentAt);
          probes.clearRecords();
          double s1 = server.cpuSeconds();
          double c1 = Results.clientCpuSeconds();
          long writes = writer.sentAt.size(); // this minute's
          server.gc(); // live objects only: a leak shows here although the heap is pre-touched
          double live = Bench.Idle.heapUsed(server) / 1048576.0;
          Minute row = new Minute(m, server.rssBytes() / 1048576.0, live, fds(server.process.pid()),
              threads(server.process.pid()), (s1 - s0) / 60 * 100, (c1 - c0) / 60 * 100,
              Bench.ms(h, 50), Bench.ms(h, 99), writes, writer.failures.get() + loginFailures.get(),
              loginsDone.get(), reconnectsDone.get());
          writer.sentAt.clear();
          s0 = s1;
          c0 = c1;
          rows.add(row);
          System.out.printf(Locale.ROOT, "minute %3d: rss %7.1f MiB  live heap %6.1f MiB  fds %6d  threads %4d  server cpu %5.1f%%"
              + "  client cpu %5.1f%%  p50 %6.2f ms  p99 %7.2f ms  writes %7d  logins %6d  reconnects %6d"
              + "  failures %d%n", row.minute(), row.rssMib(), row.liveHeapMib(), row.fds(), row.threads(), row.serverCpuPct(),
              row.clientCpuPct(), row.p50(), row.p99(), row.writes(), row.loginsDone(), row.reconnectsDone(),
              row.failures());
        }
        load.shutdownNow();
        load.awaitTermination(30, TimeUnit.SECONDS);
        churn[0].close();
        loginHttp.close();
      }
    } finally {
      Bench.deleteTree(data);
    }
    Minute first = rows.get(0);
    Minute last = rows.get(rows.size() - 1);
    double rssMax = rows.stream().mapToDouble(Minute::rssMib).max().orElse(0);
    double p99Max = rows.stream().mapToDouble(Minute::p99).max().orElse(0);
    long fdsMax = rows.stream().mapToLong(Minute::fds).max().orElse(0);
    new Results("soak").put("minutes", minutes).put("subscribers", subscribers).put("creates_per_s", rate)
        .put("logins_per_s", logins).put("reconnects_per_s", reconnects)
        .put("rss_first_mib", first.rssMib()).put("rss_last_mib", last.rssMib()).put("rss_max_mib", rssMax)
        .put("live_heap_first_mib", first.liveHeapMib()).put("live_heap_last_mib", last.liveHeapMib())
        .put("live_heap_max_mib", rows.stream().mapToDouble(Minute::liveHeapMib).max().orElse(0))
        .put("fds_first", first.fds()).put("fds_last", last.fds()).put("fds_max", fdsMax)
        .put("threads_first", first.threads()).put("threads_last", last.threads())
        .put("p99_first_ms", first.p99()).put("p99_last_ms", last.p99()).put("p99_max_ms", p99Max)
        .put("server_cpu_pct", last.serverCpuPct()).put("client_cpu_pct", last.clientCpuPct())
        .put("failures", last.failures())
        .emit(Bench.commandLine);
    return 0;
  }

  static long fds(long pid) {
    try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return s.count();
    } catch (Exception e) {
      return -1;
    }
  }

  static long threads(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("Threads:")) {
          return Long.parseLong(l.replaceAll("\\D", ""));
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }
}
