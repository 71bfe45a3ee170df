package dev.herald.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.testing.HeraldExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** herald reset, snapshot, fault and journal, and serve --data mem --from-snapshot, as processes. */
class CliAdminTest {
  @RegisterExtension
  static HeraldExtension herald = HeraldExtension.create();

  @TempDir
  Path tmp;

  private CliTest.Run run(String... args) throws Exception {
    return CliTest.finish(CliTest.startCli(herald.url(), herald.apiKey(), tmp, Map.of(), args));
  }

  private static JsonNode json(CliTest.Run r) throws Exception {
    assertThat(r.exit()).as(r.err()).isZero();
    return Json.mapper().readTree(r.out());
  }

  @Test
  void resetAndSnapshots_saveResetLoad() throws Exception {
    assertThat(run("create", "host", "name=cli-snap", "address=192.0.2.9").exit()).isZero();
    Path file = tmp.resolve("state.json");
    CliTest.Run saved = run("snapshot", "save", file.toString());
    assertThat(saved.exit()).as(saved.err()).isZero();
    assertThat(saved.out()).startsWith("Saved " + file);
    assertThat(Json.mapper().readTree(file.toFile()).get("format").asText()).isEqualTo("herald-snapshot");

    assertThat(json(run("reset")).get("elements_removed").asInt()).isEqualTo(1);
    assertThat(run("get", "host", "cli-snap").exit()).isEqualTo(1);

    assertThat(json(run("snapshot", "load", file.toString())).get("elements").asInt()).isPositive();
    assertThat(run("get", "host", "cli-snap").exit()).isZero();

    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"format\":\"something-else\"}");
    CliTest.Run refused = run("snapshot", "load", bad.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("Invalid snapshot").contains("not a Herald snapshot");
    assertThat(run("get", "host", "cli-snap").exit()).isZero(); // untouched
    assertThat(run("snapshot", "load", tmp.resolve("missing.json").toString()).exit()).isEqualTo(2);
  }

  @Test
  void faultsAndTheJournal() throws Exception {
    JsonNode added = json(run("fault", "add", "--method", "GET", "--path", "/7.2/elements/host", "--status", "503",
        "--retry-after", "1", "--times", "1"));
    assertThat(added.get("id").asLong()).isPositive();
    assertThat(json(run("fault", "list")).get("faults")).hasSize(1);
    CliTest.Run hit = run("get", "host", "x"); // get by name searches GET /7.2/elements/host
    assertThat(hit.exit()).isEqualTo(1);
    assertThat(hit.err()).contains("Fault injected");
    assertThat(json(run("fault", "list")).get("faults")).isEmpty();

    CliTest.Run bad = run("fault", "add", "--status", "200");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("Invalid fault");

    JsonNode journal = json(run("journal", "--status", "503"));
    assertThat(journal.get("entries")).isNotEmpty();
    assertThat(journal.get("entries").get(0).get("fault").asText()).contains("503");
    assertThat(json(run("fault", "close-sockets", "--code", "4000")).get("closed").asInt()).isZero();
    assertThat(json(run("fault", "stall-feed", "PT0.1S")).get("stalled_ms").asInt()).isEqualTo(100);
    assertThat(json(run("fault", "db-outage", "PT0.1S")).get("unreachable_ms").asInt()).isEqualTo(100);
  }

  @Test
  void serve_inMemory_fromASnapshot_withTheAdminApi() throws Exception {
    assertThat(run("create", "host", "name=carried-over", "address=192.0.2.4").exit()).isZero();
    Path file = tmp.resolve("carry.json");
    assertThat(run("snapshot", "save", file.toString()).exit()).isZero();
    Process p = CliTest.startCli(herald.url(), herald.apiKey(), tmp, Map.of(), "serve", "--port", "0",
        "--data", "mem", "--admin-api", "--api-key", herald.apiKey(), "--from-snapshot", file.toString());
    try {
      var out = CliTest.lines(p.getInputStream());
      assertThat(CliTest.awaitLine(out, "Loaded the snapshot")).contains("elements");
      String banner = CliTest.awaitLine(out, "Herald is serving");
      assertThat(banner).contains("in memory");
      assertThat(CliTest.awaitLine(out, "Admin API:")).contains("/herald/admin/");
      String url = banner.replaceAll(".*(http://127\\.0\\.0\\.1:\\d+)/.*", "$1");
      CliTest.Run got = CliTest.finish(CliTest.startCli(url, herald.apiKey(), tmp, Map.of(), "get", "host", "carried-over"));
      assertThat(got.exit()).as(got.err()).isZero();
      assertThat(Files.list(tmp).filter(f -> f.getFileName().toString().startsWith("herald-data")).count()).isZero();
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** An engine as smc-python's Layer3Firewall.create sends it, made in this JVM. */
  private String engine(String name) {
    String logServer;
    try (dev.herald.client.HeraldClient c = dev.herald.client.HeraldClient.builder().url(herald.url())
        .apiKey(herald.apiKey()).build()) {
      logServer = c.search(dev.herald.client.Search.of("log_server")).get(0).href();
      var body = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parseObject("{\"name\":\"" + name + "\","
          + "\"nodes\":[{\"firewall_node\":{\"name\":\"" + name + " node 1\",\"nodeid\":1}}],"
          + "\"log_server_ref\":\"" + logServer + "\",\"physicalInterfaces\":[{\"physical_interface\":{\"interface_id\":0,"
          + "\"interfaces\":[{\"single_node_interface\":{\"address\":\"192.168.10.1\",\"network_value\":\"192.168.10.0/24\","
          + "\"nicid\":\"0\",\"nodeid\":1,\"primary_mgt\":true}}]}}]}").orElseThrow();
      return c.create("single_fw", body).href();
    }
  }

  @Test
  void status_simulate_andWatch() throws Exception {
    String href = engine("cli-fw");
    String node;
    try (dev.herald.client.HeraldClient c = dev.herald.client.HeraldClient.builder().url(herald.url())
        .apiKey(herald.apiKey()).build()) {
      node = c.get(href).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
    }
    CliTest.Run before = run("status", "single_fw", "cli-fw");
    assertThat(before.exit()).as(before.err()).isZero();
    assertThat(before.out()).contains("cli-fw: UNKNOWN (INITIAL)").contains("cli-fw node 1: UNKNOWN (NO_STATUS), Unknown, configuration Initial");

    Process watch = CliTest.startCli(herald.url(), herald.apiKey(), tmp, Map.of(), "status", "single_fw", "cli-fw", "--watch");
    try {
      var out = CliTest.lines(watch.getInputStream());
      CliTest.awaitLine(CliTest.lines(watch.getErrorStream()), "watching the status of");
      JsonNode set = json(run("simulate", node, "--node-status", "Offline", "--health", "ERROR", "--for", "PT1S"));
      assertThat(set.get("engine_node_status").asText()).isEqualTo("Offline");
      // the engine's and the node's lines come on two sockets, in either order
      java.util.List<String> seen = new java.util.ArrayList<>();
      while (!(seen.stream().anyMatch(l -> l.startsWith("cli-fw node 1: ERROR") && l.contains("Offline"))
          && seen.stream().anyMatch(l -> l.startsWith("cli-fw: ERROR")))) {
        String l = out.poll(30, TimeUnit.SECONDS);
        assertThat(l).as("status lines; saw %s", seen).isNotNull();
        seen.add(l);
      }
    } finally {
      watch.destroy();
      assertThat(watch.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    CliTest.Run bad = run("simulate", node, "--node-status", "Sleeping");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("Invalid simulation");
    assertThat(run("status", "host", "nothing-here").exit()).isEqualTo(1);
  }

  private static java.net.http.HttpResponse<String> call(java.net.http.HttpClient http, String method, String url,
      String json) throws Exception {
    var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("Content-Type", "application/json")
        .method(method, json == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + url + ": " + r.body()).isBetween(200, 201);
    return r;
  }

  @Test
  void status_andSimulate_ofAVpnAndItsTunnels() throws Exception {
    String east = engine("cli-east");
    var http = java.net.http.HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
    String base = herald.url() + "/7.2";
    call(http, "POST", base + "/login", "{\"authenticationkey\":\"" + herald.apiKey() + "\"}");
    String gateway = Json.mapper().readTree(call(http, "GET", east + "/internal_gateway", null).body())
        .get("result").get(0).get("href").asText();
    String partner = call(http, "POST", base + "/elements/external_gateway", "{\"name\":\"cli-partner\"}")
        .headers().firstValue("Location").orElseThrow();
    String vpn = call(http, "POST", base + "/elements/vpn", "{\"name\":\"cli-vpn\"}").headers().firstValue("Location").orElseThrow();
    call(http, "POST", vpn + "/central_gateway_node", "{\"gateway\":\"" + gateway + "\",\"node_usage\":\"central\"}");
    call(http, "POST", vpn + "/satellite_gateway_node", "{\"gateway\":\"" + partner + "\",\"node_usage\":\"satellite\"}");
    String tunnel = Json.mapper().readTree(call(http, "GET", vpn + "/gateway_tunnel", null).body())
        .get("result").get(0).get("href").asText();

    JsonNode set = json(run("simulate", tunnel, "--health", "WARNING", "--latency", "450", "--loss", "700"));
    assertThat(set.get("latency_in_ms").asInt()).isEqualTo(450);
    CliTest.Run status = run("status", "vpn", "cli-vpn");
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("cli-vpn: WARNING (READY)")
        .contains("Gateway Tunnel cli-east Primary-cli-partner: WARNING (READY), health")
        .contains("latency 450 ms").contains("loss 700 per 10,000");
    // a scenario from a file: the tunnel fails, then comes back clear
    Path scenario = tmp.resolve("scenario.json");
    Files.writeString(scenario, "{\"name\":\"tunnel down\",\"steps\":[{\"after_ms\":0,\"element\":\"" + tunnel
        + "\",\"monitoring_status\":\"ERROR\"},{\"after_ms\":300,\"element\":\"" + tunnel + "\",\"clear\":true}]}");
    long id = json(run("scenario", "run", scenario.toString())).get("id").asLong();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
        json(run("scenario", "list")).get("scenarios").findValuesAsText("state").stream().allMatch("done"::equals));
    // cleared: back to what its gateways make it (the engine never made contact)
    assertThat(run("status", "vpn", "cli-vpn").out()).contains("cli-vpn: UNKNOWN (INITIAL)");
    assertThat(json(run("scenario", "cancel", Long.toString(id))).get("id").asLong()).isEqualTo(id);
    Files.writeString(scenario, "{\"steps\":[{\"after_ms\":0,\"element\":\"" + tunnel + "\",\"monitoring_status\":\"SLOW\"}]}");
    CliTest.Run refused = run("scenario", "run", scenario.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("Invalid scenario").contains("Step 1");

    CliTest.Run bad = run("simulate", tunnel, "--loss", "20000");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("Invalid simulation");
  }

  @Test
  void withoutTheAdminApi_theCommandsSaySo() throws Exception {
    Process p = CliTest.startCli(herald.url(), herald.apiKey(), tmp, Map.of(), "serve", "--port", "0",
        "--data", "mem", "--api-key", herald.apiKey());
    try {
      String banner = CliTest.awaitLine(CliTest.lines(p.getInputStream()), "Herald is serving");
      String url = banner.replaceAll(".*(http://127\\.0\\.0\\.1:\\d+)/.*", "$1");
      CliTest.Run r = CliTest.finish(CliTest.startCli(url, herald.apiKey(), tmp, Map.of(), "reset"));
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains("admin API is off").contains("--admin-api");
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
