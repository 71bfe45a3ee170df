package dev.herald.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.client.HeraldClient;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald status TYPE NAME [--watch]}: a monitored element's status, and its changes. */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    description = {"Print the status of an engine and of each of its nodes, or of a VPN and of each of its tunnels"
        + " (SMC's monitoring_status);"
        + " with --watch, then one line per status change from the status socket until Ctrl-C."},
    footer = {"", "Examples:", "  herald status single_fw fw1", "  herald status single_fw fw1 --watch",
        "  herald status vpn corporate --watch"})
final class StatusCommand implements Callable<Integer> {
  @Mixin Connection conn;
  @Parameters(index = "0", paramLabel = "TYPE", description = "The element's type (single_fw, fw_cluster, …, vpn).") String type;
  @Parameters(index = "1", paramLabel = "KEY|NAME", description = "The element's key or name.") String name;
  @Option(names = "--watch", description = "Then print its status changes as they happen, until Ctrl-C.") boolean watch;

  @Override
  public Integer call() throws Exception {
    try (HeraldClient c = conn.open()) {
      String href = ElementCommands.href(c, type, name);
      JsonNode engine = c.status(href);
      System.out.println(line(engine));
      for (JsonNode child : engine.path("result")) {
        System.out.println("  " + line(c.status(child.path("href").asText())));
      }
      System.out.flush();
      if (!watch) {
        return 0;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      List<String> targets = new java.util.ArrayList<>();
      targets.add(href);
      for (JsonNode child : engine.path("result")) {
        targets.add(child.path("href").asText());
      }
      List<AutoCloseable> subs = new java.util.ArrayList<>();
      for (String t : targets) {
        subs.add(c.watchStatus(t, s -> {
          System.out.println(line(s));
          System.out.flush();
        }));
      }
      System.err.println("watching the status of " + href + " (Ctrl-C stops)");
      stopped.await();
      for (AutoCloseable s : subs) {
        s.close();
      }
      return 0;
    }
  }

  /** name: monitoring_status (monitoring_state), engine_node_status, configuration_status, policy. */
  static String line(JsonNode s) {
    StringBuilder b = new StringBuilder(s.path("name").asText()).append(": ")
        .append(s.path("monitoring_status").asText()).append(" (").append(s.path("monitoring_state").asText()).append(")");
    if (s.hasNonNull("engine_node_status")) {
      b.append(", ").append(s.get("engine_node_status").asText());
    }
    if (s.hasNonNull("configuration_status")) {
      b.append(", configuration ").append(s.get("configuration_status").asText());
    }
    if (s.hasNonNull("installed_policy")) {
      b.append(", policy ").append(s.get("installed_policy").asText());
    }
    if (s.has("latency_in_ms")) { // a VPN or a tunnel
      b.append(", health ").append(s.path("health_in_percent").asLong()).append(" %, latency ")
          .append(s.path("latency_in_ms").asLong()).append(" ms, jitter ").append(s.path("jitter_in_ms").asLong())
          .append(" ms, loss ").append(s.path("packet_loss_in_permyriad").asLong()).append(" per 10,000");
    }
    return b.toString();
  }
}
