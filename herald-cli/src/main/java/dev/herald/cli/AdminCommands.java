package dev.herald.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.HeraldClient;
import dev.herald.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herald reset | snapshot | fault | journal}: Herald's admin API, on a server started with
 * {@code --admin-api}, as a superuser (the built-in {@code herald} api_client is one).
 */
final class AdminCommands {
  private AdminCommands() {}

  private static Integer print(JsonNode n) {
    System.out.println(ElementCommands.pretty(n));
    return 0;
  }

  @Command(name = "reset", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = {"Bring a running server back to its fresh state: every element made since is"
          + " removed (built-in elements stay; users, API clients, roles and domains stay;"
          + " --users removes users, API clients and roles too), with the change log. Open notification sockets are closed with 4002."})
  static final class Reset implements Callable<Integer> {
    @Mixin Connection conn;
    @Option(names = "--users", description = "Remove users, API clients, roles and access control lists too (all but the built-in herald and admin; domains stay).")
    boolean users;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.reset(!users));
      }
    }
  }

  @Command(name = "snapshot", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Save a running server's state to a file, or replace it by a file's.",
      subcommands = {Save.class, Load.class})
  static final class Snapshot implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new CliException(Connection.USAGE, "Give save FILE or load FILE.");
    }
  }

  @Command(name = "save", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Write the server's state (elements, domains, users and their keys) to FILE.")
  static final class Save implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "FILE") Path file;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        long bytes = c.saveSnapshot(file);
        System.out.println("Saved " + file + " (" + bytes + " bytes)");
        return 0;
      }
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Replace the server's state by FILE's (sessions end; sockets close with 4002)."
          + " A file that is not a valid snapshot changes nothing.")
  static final class Load implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "FILE") Path file;

    @Override
    public Integer call() {
      if (!java.nio.file.Files.isReadable(file)) {
        throw new CliException(Connection.USAGE, "Cannot read " + file + ".");
      }
      try (HeraldClient c = conn.open()) {
        return print(c.loadSnapshot(file));
      }
    }
  }

  @Command(name = "fault", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Inject faults to test a client's resilience; every fault ends by itself.",
      subcommands = {FaultAdd.class, FaultList.class, FaultClear.class, CloseSockets.class,
          StallFeed.class, DatabaseOutage.class},
      footer = {"", "Examples:",
          "  herald fault add --method GET --path '/7.2/elements/host/**' --status 503 --retry-after 1 --times 2",
          "  herald fault add --path '/**' --delay PT2S --share 0.5 --ttl PT1M",
          "  herald fault close-sockets --code 1011",
          "  herald fault stall-feed PT5S",
          "  herald fault db-outage PT3S"})
  static final class Fault implements Runnable {
    @Override
    public void run() {
      throw new CliException(Connection.USAGE, "Give add, list, clear, close-sockets, stall-feed or db-outage.");
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Answer matching requests with a status, after a delay, or by dropping the connection.")
  static final class FaultAdd implements Callable<Integer> {
    @Mixin Connection conn;
    @Option(names = "--method", defaultValue = "*", description = "GET, POST, PUT, DELETE, … or * (default).") String method;
    @Option(names = "--path", defaultValue = "/**", description = "Path pattern: * within a segment, ** across (default /**).") String path;
    @Option(names = "--status", description = "Answer with this status (e.g. 503, 409, 500).") Integer status;
    @Option(names = "--retry-after", paramLabel = "SECONDS", description = "Retry-After header with --status.") Integer retryAfter;
    @Option(names = "--delay", paramLabel = "DURATION", description = "Wait this long first (ISO-8601, e.g. PT2S; at most a minute).") Duration delay;
    @Option(names = "--drop", description = "Drop the connection without an answer.") boolean drop;
    @Option(names = "--times", description = "The next N matching requests (default 1).") Long times;
    @Option(names = "--share", description = "Instead of --times: this share of matching requests (0 < share <= 1) until --ttl.") Double share;
    @Option(names = "--ttl", paramLabel = "DURATION", description = "The fault ends after this long at the latest (default PT5M).") Duration ttl;

    @Override
    public Integer call() {
      ObjectNode spec = Json.object().put("method", method).put("path", path);
      if (status != null) {
        spec.put("status", status);
      }
      if (retryAfter != null) {
        spec.put("retry_after", retryAfter);
      }
      if (delay != null) {
        spec.put("delay_ms", delay.toMillis());
      }
      if (drop) {
        spec.put("drop", true);
      }
      if (times != null) {
        spec.put("times", times);
      }
      if (share != null) {
        spec.put("share", share);
      }
      if (ttl != null) {
        spec.put("ttl_ms", ttl.toMillis());
      }
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "faults", Json.write(spec)));
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The faults in force.")
  static final class FaultList implements Callable<Integer> {
    @Mixin Connection conn;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("GET", "faults"));
      }
    }
  }

  @Command(name = "clear", mixinStandardHelpOptions = true, description = "End every request fault now.")
  static final class FaultClear implements Callable<Integer> {
    @Mixin Connection conn;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("DELETE", "faults"));
      }
    }
  }

  @Command(name = "close-sockets", mixinStandardHelpOptions = true,
      description = "Close every notification socket (or one user's) with a close code.")
  static final class CloseSockets implements Callable<Integer> {
    @Mixin Connection conn;
    @Option(names = "--code", defaultValue = "1011", description = "Close code (default ${DEFAULT-VALUE}).") int code;
    @Option(names = "--reason", description = "Close reason.") String reason;
    @Option(names = "--of-user", paramLabel = "NAME", description = "Only the sockets of this user's sessions.") String user;

    @Override
    public Integer call() {
      ObjectNode spec = Json.object().put("code", code);
      if (reason != null) {
        spec.put("reason", reason);
      }
      if (user != null) {
        spec.put("user", user);
      }
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "faults/sockets", Json.write(spec)));
      }
    }
  }

  @Command(name = "stall-feed", mixinStandardHelpOptions = true,
      description = "Hold the notification feed for a time: events arrive late, in order, none lost.")
  static final class StallFeed implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "DURATION", description = "ISO-8601, e.g. PT5S.") Duration duration;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "faults/feed", Json.write(Json.object().put("stall_ms", duration.toMillis()))));
      }
    }
  }

  @Command(name = "db-outage", mixinStandardHelpOptions = true,
      description = "Make the database look unreachable for a time: 503s and a paused feed, then recovery.")
  static final class DatabaseOutage implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "DURATION", description = "ISO-8601, e.g. PT3S.") Duration duration;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "faults/database", Json.write(Json.object().put("unreachable_ms", duration.toMillis()))));
      }
    }
  }

  @Command(name = "simulate", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Set an engine node's or a VPN tunnel's simulated status (for a test of monitoring automation); with --for it comes back by itself.",
      footer = {"", "Examples:",
          "  herald simulate https://127.0.0.1:8082/7.2/elements/single_fw/1125/firewall_node/1126 --node-status Offline --health ERROR --for PT30S",
          "  herald simulate https://127.0.0.1:8082/7.2/elements/single_fw/1125/firewall_node/1126 --cpu 97",
          "  herald simulate https://127.0.0.1:8082/7.2/elements/vpn/1140/tunnels/MSMy --health WARNING --latency 450 --loss 700 --for PT30S"})
  static final class Simulate implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "HREF", description = "A node's href (an engine's nodes link lists them) or a tunnel's (a VPN's gateway_tunnel link lists them).") String href;
    @Option(names = "--node-status", paramLabel = "STATUS", description = "A node's engine_node_status: Online, Offline, Standby, Locked Online, …") String nodeStatus;
    @Option(names = "--health", paramLabel = "STATUS", description = "monitoring_status: OK, WARNING, ERROR, UNKNOWN, …") String health;
    @Option(names = "--state", paramLabel = "STATE", description = "A node's monitoring_state: READY, TIMEOUT, NO_STATUS, …") String state;
    @Option(names = "--cpu", paramLabel = "PERCENT", description = "A node's CPU usage (it moves by itself otherwise).") Double cpu;
    @Option(names = "--memory", paramLabel = "PERCENT", description = "A node's memory usage.") Double memory;
    @Option(names = "--latency", paramLabel = "MS", description = "A tunnel's latency_in_ms.") Long latency;
    @Option(names = "--jitter", paramLabel = "MS", description = "A tunnel's jitter_in_ms.") Long jitter;
    @Option(names = "--loss", paramLabel = "PERMYRIAD", description = "A tunnel's packet_loss_in_permyriad (per 10,000).") Long loss;
    @Option(names = "--health-percent", paramLabel = "PERCENT", description = "A tunnel's health_in_percent.") Long healthPercent;
    @Option(names = "--for", paramLabel = "DURATION", description = "Come back to the previous status after this long (ISO-8601, e.g. PT30S).") Duration duration;

    @Override
    public Integer call() {
      ObjectNode spec = Json.object().put("element", href);
      if (nodeStatus != null) {
        spec.put("engine_node_status", nodeStatus);
      }
      if (health != null) {
        spec.put("monitoring_status", health);
      }
      if (state != null) {
        spec.put("monitoring_state", state);
      }
      if (cpu != null) {
        spec.put("cpu_percent", cpu);
      }
      if (memory != null) {
        spec.put("memory_percent", memory);
      }
      if (latency != null) {
        spec.put("latency_in_ms", latency);
      }
      if (jitter != null) {
        spec.put("jitter_in_ms", jitter);
      }
      if (loss != null) {
        spec.put("packet_loss_in_permyriad", loss);
      }
      if (healthPercent != null) {
        spec.put("health_in_percent", healthPercent);
      }
      if (duration != null) {
        spec.put("for_ms", duration.toMillis());
      }
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "simulate", Json.write(spec)));
      }
    }
  }

  @Command(name = "scenario", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Run a scripted scenario of simulation steps (nodes, tunnels), each at its time; list or cancel them.",
      subcommands = {ScenarioRun.class, ScenarioList.class, ScenarioCancel.class},
      footer = {"", "A scenario file:",
          "  {\"name\": \"fw1 offline for 30 s\", \"steps\": [",
          "    {\"after_ms\": 0, \"element\": \"<node href>\", \"engine_node_status\": \"Offline\", \"monitoring_status\": \"WARNING\"},",
          "    {\"after_ms\": 30000, \"element\": \"<node href>\", \"engine_node_status\": \"Online\", \"monitoring_status\": \"OK\"}]}",
          "", "Examples:", "  herald scenario run fw1-offline.json", "  herald scenario list", "  herald scenario cancel 3"})
  static final class Scenario implements Runnable {
    @Override
    public void run() {
      throw new CliException(Connection.USAGE, "Give run FILE, list or cancel ID.");
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Start the scenario in FILE (every step is checked first: one bad step starts nothing).")
  static final class ScenarioRun implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "FILE") Path file;

    @Override
    public Integer call() throws java.io.IOException {
      if (!java.nio.file.Files.isReadable(file)) {
        throw new CliException(Connection.USAGE, "Cannot read " + file + ".");
      }
      String text = java.nio.file.Files.readString(file);
      if (Json.parseObject(text).isEmpty()) {
        throw new CliException(Connection.USAGE, file + " is not a JSON object.");
      }
      try (HeraldClient c = conn.open()) {
        return print(c.admin("POST", "scenarios", text));
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The running scenarios and the last ended.")
  static final class ScenarioList implements Callable<Integer> {
    @Mixin Connection conn;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("GET", "scenarios"));
      }
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a scenario's steps still to come.")
  static final class ScenarioCancel implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(paramLabel = "ID") long id;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        return print(c.admin("DELETE", "scenarios/" + id));
      }
    }
  }

  @Command(name = "journal", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Print the journal: the last REST exchanges and socket commands (a server started with --journal N).")
  static final class JournalCommand implements Callable<Integer> {
    @Mixin Connection conn;
    @Option(names = "--method") String method;
    @Option(names = "--path", description = "Path pattern: * within a segment, ** across.") String path;
    @Option(names = "--status") Integer status;
    @Option(names = "--limit", defaultValue = "100") int limit;
    @Option(names = "--clear", description = "Empty the journal instead.") boolean clear;

    @Override
    public Integer call() {
      StringBuilder q = new StringBuilder("journal?limit=").append(limit);
      if (method != null) {
        q.append("&method=").append(java.net.URLEncoder.encode(method, java.nio.charset.StandardCharsets.UTF_8));
      }
      if (path != null) {
        q.append("&path=").append(java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8));
      }
      if (status != null) {
        q.append("&status=").append(status);
      }
      try (HeraldClient c = conn.open()) {
        return print(clear ? c.admin("DELETE", "journal") : c.admin("GET", q.toString()));
      }
    }
  }
}
