package dev.herald.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Status subscribers over simulated engine nodes: {@code --subscribers} status sockets, each on
 * one of {@code --nodes} nodes (so each node has subscribers/nodes of them), then every node's
 * status changed once at a paced rate (latency from the change's POST to each subscriber's status
 * frame) and once as a burst (deliveries/s). In the same run, the notification fan-out as the
 * raw baseline of the path: as many notification sockets, each subscribed to one of as many
 * hosts (the keys filter), every host updated once, paced then burst.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Status sockets over simulated engine nodes changing state, beside the notification fan-out.")
final class StatusBench implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "1000", description = "engines (one node each)")
  int nodes;
  @Option(names = "--subscribers", defaultValue = "10000", description = "status sockets (and as many notification sockets)")
  int subscribers;
  @Option(names = "--rate", defaultValue = "100", description = "paced changes per second")
  int rate;

  @Override
  public Integer call() throws Exception {
    Path data = Bench.tempData();
    try (ServerProcess server = ServerProcess.start("herald", data, "3g")) {
      Writer w = new Writer(server.url(), true);
      String logServer = get(w, w.base + "/elements/log_server").get("result").get(0).get("href").asText();
      List<String> nodeHrefs = new ArrayList<>();
      List<String> engines = new ArrayList<>();
      List<String> hosts = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < nodes; i++) {
        String engine = post(w, w.base + "/elements/single_fw", engineBody(i, logServer)).headers()
            .firstValue("Location").orElseThrow();
        engines.add(engine);
        nodeHrefs.add(get(w, engine).get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText());
        hosts.add(post(w, w.base + "/elements/host", "{\"name\":\"sb-" + i + "\",\"address\":\"10.9."
            + (i >> 8 & 255) + "." + (i & 255) + "\"}").headers().firstValue("Location").orElseThrow());
      }
      System.out.printf(java.util.Locale.ROOT, "created %d engines and %d hosts in %.1f s%n", nodes, nodes,
          (System.nanoTime() - t0) / 1e9);

      Run status;
      Run notify;
      try (Subscribers subs = new Subscribers(false, true)) {
        openEach(subs, server.url(), w.cookie, nodeHrefs, true);
        status = drive(server, subs, nodeHrefs, i -> i, i -> simulate(w, nodeHrefs.get(i), i, 0));
        Run burst = burst(server, subs, nodeHrefs, i -> simulate(w, nodeHrefs.get(i), i, 1));
        status = status.withBurst(burst);
      }
      try (Subscribers subs = new Subscribers(false, false)) {
        openEach(subs, server.url(), w.cookie, hosts, false);
        notify = drive(server, subs, hosts, i -> Long.parseLong(hosts.get(i).substring(hosts.get(i).lastIndexOf('/') + 1)),
            i -> update(w, hosts.get(i), i, 0));
        notify = notify.withBurst(burst(server, subs, hosts, i -> update(w, hosts.get(i), i, 1)));
      }
      new Results("status")
          .put("nodes", nodes).put("subscribers", subscribers).put("rate", rate)
          .put("status_p50_ms", Bench.ms(status.paced, 50)).put("status_p99_ms", Bench.ms(status.paced, 99))
          .put("status_burst_deliveries_per_s", status.burstPerS)
          .put("status_lost", status.lost)
          .put("baseline_notify_p50_ms", Bench.ms(notify.paced, 50)).put("baseline_notify_p99_ms", Bench.ms(notify.paced, 99))
          .put("baseline_notify_burst_deliveries_per_s", notify.burstPerS)
          .put("notify_lost", notify.lost)
          .put("server_cpu_pct", status.serverCpu).put("client_cpu_pct", status.clientCpu)
          .put("server_rss_mb", server.rssBytes() / 1048576.0)
          .emit(Bench.commandLine);
    } finally {
      Bench.deleteTree(data);
    }
    return 0;
  }

  private record Run(Histogram paced, long lost, double burstPerS, double serverCpu, double clientCpu) {
    Run withBurst(Run b) {
      return new Run(paced, lost + b.lost, b.burstPerS, b.serverCpu, b.clientCpu);
    }
  }

  /** Socket j subscribes to target j % targets (status: {"element"}, notification: the host's key). */
  private void openEach(Subscribers subs, String url, String cookie, List<String> targets, boolean status) throws Exception {
    int per = Math.max(1, subscribers / targets.size());
    for (int i = 0; i < targets.size(); i++) {
      String t = targets.get(i);
      String cmd = status ? "{\"element\":\"" + t + "\"}"
          : "{\"context\":\"host\",\"keys\":[" + t.substring(t.lastIndexOf('/') + 1) + "]}";
      subs.open(url, cookie, per, cmd, true);
    }
  }

  @FunctionalInterface
  private interface Change {
    void make(int i) throws Exception;
  }

  /** Every target changed once at the paced rate; latency from each POST to each delivery. */
  private Run drive(ServerProcess server, Subscribers subs, List<String> targets,
      java.util.function.IntToLongFunction keyOf, Change change) throws Exception {
    subs.clearRecords();
    Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    long periodNs = 1_000_000_000L / rate;
    long next = System.nanoTime();
    for (int i = 0; i < targets.size(); i++) {
      while (System.nanoTime() < next) {
        java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
      }
      sentAt.put(keyOf.applyAsLong(i), System.nanoTime());
      change.make(i);
      next += periodNs;
    }
    long expected = (long) targets.size() * Math.max(1, subscribers / targets.size());
    subs.awaitDelivered(expected, 60_000);
    return new Run(subs.latencies(sentAt), expected - subs.delivered.sum(), 0, 0, 0);
  }

  /** Every target changed once, eight writers at full speed: deliveries per second. */
  private Run burst(ServerProcess server, Subscribers subs, List<String> targets, Change change) throws Exception {
    subs.clearRecords();
    long expected = (long) targets.size() * Math.max(1, subscribers / targets.size());
    double s0 = server.cpuSeconds();
    double c0 = Results.clientCpuSeconds();
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> jobs = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      int n = i;
      jobs.add(pool.submit(() -> {
        change.make(n);
        return null;
      }));
    }
    for (Future<?> f : jobs) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long t1 = subs.awaitDelivered(expected, 60_000);
    double wall = (t1 - t0) / 1e9;
    return new Run(new Histogram(3), expected - subs.delivered.sum(), subs.delivered.sum() / wall,
        (server.cpuSeconds() - s0) / wall * 100, (Results.clientCpuSeconds() - c0) / wall * 100);
  }

  private static String engineBody(int i, String logServer) {
    return "{\"name\":\"sb-" + i + "\",\"nodes\":[{\"firewall_node\":{\"name\":\"sb-" + i + " node 1\",\"nodeid\":1}}],"
        + "\"log_server_ref\":\"" + logServer + "\",\"physicalInterfaces\":[{\"physical_interface\":{\"interface_id\":\"0\","
        + "\"interfaces\":[{\"single_node_interface\":{\"address\":\"10.8." + (i >> 8 & 255) + "." + (i & 255) + "\","
        + "\"network_value\":\"10.8." + (i >> 8 & 255) + ".0/24\",\"nicid\":\"0\",\"nodeid\":1,\"primary_mgt\":true}}]}}]}";
  }

  private static void simulate(Writer w, String node, int i, int pass) throws Exception {
    String state = (i + pass) % 2 == 0 ? "Offline" : "Online";
    post(w, w.base.replace("/7.2", "") + "/herald/admin/simulate", "{\"node\":\"" + node + "\",\"engine_node_status\":\""
        + state + "\",\"monitoring_status\":\"" + (state.equals("Online") ? "OK" : "WARNING") + "\"}");
  }

  private static void update(Writer w, String host, int i, int pass) throws Exception {
    HttpResponse<String> cur = w.http.send(HttpRequest.newBuilder(URI.create(host)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    String etag = cur.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> r = w.http.send(HttpRequest.newBuilder(URI.create(host)).header("Content-Type", "application/json")
        .header("If-Match", etag).PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"sb-" + i + "\",\"address\":\"10.9."
            + (i >> 8 & 255) + "." + (i & 255) + "\",\"comment\":\"pass " + pass + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("update answered " + r.statusCode() + ": " + r.body());
    }
  }

  private static JsonNode get(Writer w, String url) throws Exception {
    HttpResponse<String> r = w.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return Json.mapper().readTree(r.body());
  }

  private static HttpResponse<String> post(Writer w, String url, String body) throws Exception {
    HttpResponse<String> r = w.http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("POST " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }
}
