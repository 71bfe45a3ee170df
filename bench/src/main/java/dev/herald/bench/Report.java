package dev.herald.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./herald-bench report}: turns bench-results/results.txt into docs/benchmarks.md. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write docs/benchmarks.md from bench-results/results.txt (the newest result of each command).")
final class Report implements Callable<Integer> {
  @Option(names = "--results", defaultValue = "bench-results/results.txt")
  Path results;

  @Option(names = "--out", defaultValue = "docs/benchmarks.md")
  Path out;

  record Row(String scenario, Map<String, String> values, String command, String machine, String date) {}

  /** What each figure means, for the table. */
  private static final Map<String, String> LABELS = new LinkedHashMap<>();

  static {
    LABELS.put("creates_per_s", "REST creates/s, full speed (with their change rows, durable)");
    LABELS.put("p99_ms", "create latency p99 at full speed (ms)");
    LABELS.put("paced_p99_ms", "latency p99 in the paced phase (ms)");
    LABELS.put("paced_p50_ms", "latency p50 in the paced phase (ms)");
    LABELS.put("paced_p999_ms", "latency p99.9 in the paced phase (ms)");
    LABELS.put("delivered_per_s", "delivered messages/s in the burst");
    LABELS.put("baseline_delivered_per_s", "raw baseline: delivered messages/s in the burst");
    LABELS.put("ratio", "Herald / baseline, burst delivered messages/s");
    LABELS.put("baseline_paced_p99_ms", "raw baseline: latency p99 in the paced phase (ms)");
    LABELS.put("total_per_conn_kib", "server memory per idle subscribed socket (KiB: heap + off-heap)");
    LABELS.put("heap_per_conn_kib", "live heap per idle socket (KiB)");
    LABELS.put("offheap_per_conn_kib", "off-heap (RSS beyond a fixed pre-touched heap) per idle socket (KiB)");
    LABELS.put("server_cpu_pct", "server CPU (% of one core)");
    LABELS.put("client_cpu_pct", "load client CPU (% of one core)");
    LABELS.put("paced_server_cpu_pct", "server CPU in the paced phase (% of one core)");
    LABELS.put("paced_client_cpu_pct", "load client CPU in the paced phase (% of one core)");
    LABELS.put("lost", "events lost or not received");
    LABELS.put("catch_up_s", "time until every subscriber has replayed what it missed (s)");
    LABELS.put("replayed_per_s", "replayed deliveries/s during the catch-up");
    LABELS.put("repeated", "events delivered twice");
    LABELS.put("startup.first_start_ms", "first start on an empty data directory: launch to serving (ms, median)");
    LABELS.put("startup.restart_ms", "restart on that data directory (ms, median)");
    LABELS.put("startup.baseline_start_ms", "raw baseline: a bare Jetty WebSocket server's launch to serving (ms, median)");
    LABELS.put("startup.first_minus_restart_ms", "first-start cost: migrations and creating the built-in elements (ms)");
    // a soak's figures: first and last minute, and the worst minute, of a long run at a steady load
    LABELS.put("soak.minutes", "minutes at a steady load");
    LABELS.put("soak.subscribers", "sockets open throughout (idle, probes, reconnecting)");
    LABELS.put("soak.creates_per_s", "REST creates/s, paced");
    LABELS.put("soak.logins_per_s", "logins/s, paced");
    LABELS.put("soak.reconnects_per_s", "socket reconnects/s (close, reopen, resubscribe)");
    LABELS.put("soak.rss_first_mib", "server RSS, first minute (MiB; the 2 GiB heap is pre-touched)");
    LABELS.put("soak.rss_last_mib", "server RSS, last minute (MiB)");
    LABELS.put("soak.rss_max_mib", "server RSS, highest minute (MiB)");
    LABELS.put("soak.live_heap_first_mib", "live heap after a full GC, first minute (MiB)");
    LABELS.put("soak.live_heap_last_mib", "live heap after a full GC, last minute (MiB)");
    LABELS.put("soak.live_heap_max_mib", "live heap after a full GC, highest minute (MiB)");
    LABELS.put("soak.fds_first", "server file descriptors, first minute");
    LABELS.put("soak.fds_last", "server file descriptors, last minute");
    LABELS.put("soak.fds_max", "server file descriptors, highest minute");
    LABELS.put("soak.threads_first", "server threads, first minute");
    LABELS.put("soak.threads_last", "server threads, last minute");
    LABELS.put("soak.p99_first_ms", "write-to-probe latency p99, first minute (ms)");
    LABELS.put("soak.p99_last_ms", "write-to-probe latency p99, last minute (ms)");
    LABELS.put("soak.p99_max_ms", "write-to-probe latency p99, worst minute (ms)");
    LABELS.put("soak.failures", "failed writes and logins");
    LABELS.put("out_of_order", "events out of seq order");
    // jvm: the paced phase again, writes going to Herald and to the raw baseline in alternating windows
    LABELS.put("jvm.windows", "alternating windows each (Herald and the raw baseline both up, writes to one at a time)");
    LABELS.put("alt_paced_p50_ms", "alternating: Herald latency p50, paced (ms)");
    LABELS.put("alt_paced_p99_ms", "alternating: Herald latency p99, paced (ms)");
    LABELS.put("alt_baseline_paced_p50_ms", "alternating: raw baseline latency p50, paced (ms)");
    LABELS.put("alt_baseline_paced_p99_ms", "alternating: raw baseline latency p99, paced (ms)");
    LABELS.put("alt_p50_vs_baseline", "alternating: Herald / baseline, paced p50");
    LABELS.put("alt_p99_vs_baseline", "alternating: Herald / baseline, paced p99");
    LABELS.put("alt_lost", "alternating: events lost or not received");
    LABELS.put("one_delivered_per_s", "one node on PostgreSQL: delivered messages/s in the burst");
    LABELS.put("one_paced_p50_ms", "one node: latency p50, paced (ms)");
    LABELS.put("one_paced_p99_ms", "one node: latency p99, paced (ms)");
    LABELS.put("one_server_cpu_pct", "one node: node + PostgreSQL CPU in the burst (% of one core)");
    LABELS.put("cross_delivered_per_s", "cross-node (writes on A, subscribers on B): delivered messages/s in the burst");
    LABELS.put("cross_paced_p50_ms", "cross-node: write on A to receive on B, p50, paced (ms)");
    LABELS.put("cross_paced_p99_ms", "cross-node: write on A to receive on B, p99, paced (ms)");
    LABELS.put("cross_paced_p999_ms", "cross-node: write on A to receive on B, p99.9, paced (ms)");
    LABELS.put("cross_server_cpu_pct", "cross-node: both nodes + PostgreSQL CPU in the burst (% of one core)");
    LABELS.put("two_delivered_per_s", "two nodes (subscribers split over A and B): delivered messages/s in the burst");
    LABELS.put("two_paced_p50_ms", "two nodes: latency p50, paced (ms)");
    LABELS.put("two_paced_p99_ms", "two nodes: latency p99, paced (ms)");
    LABELS.put("two_server_cpu_pct", "two nodes: both nodes + PostgreSQL CPU in the burst (% of one core)");
    LABELS.put("two_client_cpu_pct", "two nodes: load client CPU in the burst (% of one core)");
    LABELS.put("two_vs_one", "two nodes / one node, burst delivered messages/s (same 2 cores)");
    LABELS.put("idle_b_paced_p50_ms", "one node beside an idle second node: latency p50, paced (ms)");
    LABELS.put("idle_b_paced_p99_ms", "one node beside an idle second node: latency p99, paced (ms)");
    LABELS.put("idle_b_server_cpu_pct", "one node beside an idle second node: CPU in the burst (% of one core)");
    LABELS.put("paced_deliveries_per_s", "deliveries/s in the paced phase");
    LABELS.put("matchChange_1000Channels_ns_op", "match one change against 1,000 channels (ns)");
    LABELS.put("renderFrame_1000ChannelsSameStyle_ns_op", "render one change's frame for 1,000 channels (ns, total)");
    LABELS.put("renderFrame_firstOfAChange_ns_op", "render a new change's first frame (ns)");
    LABELS.put("parseSubscribe_ns_op", "parse a subscribe with extensions (ns)");
    LABELS.put("parseSmcSubscribe_ns_op", "parse an SMC subscribe (ns)");
  }

  @Override
  public Integer call() throws Exception {
    Map<String, List<Row>> runs = new LinkedHashMap<>();
    for (String line : Files.readAllLines(results)) {
      if (!line.startsWith("RESULT ")) {
        continue;
      }
      String[] parts = line.split(" \\| ");
      Map<String, String> values = new LinkedHashMap<>();
      for (String kv : parts[0].substring(7).split(" ")) {
        int eq = kv.indexOf('=');
        values.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      String command = field(parts, "command");
      Row row = new Row(values.get("scenario"), values, command, field(parts, "machine"), field(parts, "date"));
      String key = command + " / " + row.scenario();
      List<Row> list = runs.remove(key);
      if (list == null) {
        list = new ArrayList<>();
      }
      list.add(row);
      runs.put(key, list); // the most recently run command last

    }
    StringBuilder md = new StringBuilder();
    md.append("# Benchmarks\n\n")
        .append("Generated by `./herald-bench report` from `bench-results/results.txt`; every figure\n")
        .append("comes with the command that produced it. Run `./herald-bench quick` (a few minutes) or\n")
        .append("the full commands below, then `./herald-bench report`.\n\n")
        .append("How the figures are taken: the server under test runs in its own JVM on loopback\n")
        .append("(127.0.0.1), driven by the load client in the `herald-bench` JVM on the same machine, so\n")
        .append("both share the cores: each result shows the server's and the load client's CPU. Latency\n")
        .append("is measured from the moment the client sends the REST create to the moment a subscriber\n")
        .append("receives its event (so it includes the HTTP request and the durable commit), over every\n")
        .append("delivery. The raw baseline is a minimal broadcaster on the same Jetty that writes each\n")
        .append("message to every socket straight from its broadcast loop, with no database.\n\n");
    // the hand-written reading of the figures, kept beside the generated page
    Path notes = out.toAbsolutePath().getParent().resolve("benchmarks-notes.md");
    if (Files.exists(notes)) {
      md.append(Files.readString(notes).strip()).append("\n\n");
    }
    List<Map<String, String>> fanouts = new ArrayList<>();
    for (List<Row> all : runs.values()) {
      for (Row r : all) {
        if ("fanout".equals(r.scenario()) && r.values().containsKey("delivered_per_s")) {
          fanouts.add(r.values());
        }
      }
    }
    Path img = out.toAbsolutePath().getParent().resolve("img");
    if (Plots.throughput(fanouts, img.resolve("fanout-throughput.png"))) {
      md.append("![Delivered messages/s against subscribers](img/fanout-throughput.png)\n\n");
    }
    if (Plots.latency(fanouts, img.resolve("fanout-latency.png"))) {
      md.append("![Latency percentiles in the paced phase](img/fanout-latency.png)\n\n");
    }
    int results = 0;
    for (List<Row> all : runs.values()) {
      List<Row> shown = all.subList(Math.max(0, all.size() - 5), all.size()); // the newest five
      Row first = shown.get(0);
      Row last = shown.get(shown.size() - 1);
      String dates = first.date().equals(last.date()) ? first.date() : first.date() + " to " + last.date();
      md.append("## `").append(first.command()).append("` — ").append(first.scenario()).append("\n\n")
          .append("Machine: ").append(first.machine()).append(". Date: ").append(dates)
          .append(". ").append(shown.size()).append(shown.size() == 1 ? " run" : " runs, one column each")
          .append(".\n\n| figure |");
      for (int i = 1; i <= shown.size(); i++) {
        md.append(" run ").append(i).append(" |");
      }
      md.append("\n|---|").append("---|".repeat(shown.size())).append('\n');
      java.util.Set<String> keys = new java.util.LinkedHashSet<>(); // a figure a later run added too
      for (Row r : shown) {
        keys.addAll(r.values().keySet());
      }
      for (String k : keys) {
        if (k.equals("scenario")) {
          continue;
        }
        md.append("| ").append(LABELS.getOrDefault(first.scenario() + "." + k, LABELS.getOrDefault(k, "`" + k + "`"))).append(" |");
        for (Row r : shown) {
          md.append(' ').append(r.values().getOrDefault(k, "")).append(" |");
        }
        md.append('\n');
      }
      md.append('\n');
      results += shown.size();
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md.toString());
    System.out.println("wrote " + out + " (" + results + " results)");
    return 0;
  }

  private static String field(String[] parts, String name) {
    for (String p : parts) {
      if (p.startsWith(name + "=")) {
        return p.substring(name.length() + 1).strip();
      }
    }
    return "";
  }
}
