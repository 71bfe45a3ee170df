package dev.herald.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.HeraldExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The herald command run as a separate process against a real server. */
class CliTest {
  @RegisterExtension
  static HeraldExtension herald = HeraldExtension.create();

  @TempDir
  Path tmp;

  record Run(int exit, String out, String err) {}

  private Process start(Map<String, String> env, String... args) throws Exception {
    return startCli(herald.url(), herald.apiKey(), tmp, env, args);
  }

  static Process startCli(String url, String apiKey, Path home, Map<String, String> env,
      String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), Herald.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("HERALD_URL", url);
    pb.environment().put("HERALD_API_KEY", apiKey);
    pb.environment().put("HOME", home.toString()); // no user config file
    env.forEach((k, v) -> {
      if (v.isEmpty()) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    return pb.start();
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    return finish(start(env, args));
  }

  static Run finish(Process p) throws Exception {
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  private Run run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  @Test
  void createGetUpdateSearchDelete() throws Exception {
    Run created = run("create", "host", "name=cli-h1", "address=10.1.1.1", "comment=from the CLI");
    assertThat(created.exit()).as(created.err()).isZero();
    String href = created.out().strip();
    assertThat(href).matches(".*/elements/host/\\d+");
    String key = href.substring(href.lastIndexOf('/') + 1);

    Run got = run("get", "host", key);
    assertThat(got.exit()).isZero();
    assertThat(got.out()).contains("\"name\" : \"cli-h1\"").contains("\"address\" : \"10.1.1.1\"");

    Run updated = run("update", "host", key, "address=10.1.1.2");
    assertThat(updated.exit()).as(updated.err()).isZero();
    assertThat(run("get", href).out()).contains("10.1.1.2");

    Run found = run("search", "host", "--filter", "cli-h");
    assertThat(found.out().strip()).isEqualTo("host\tcli-h1\t" + href);

    assertThat(run("delete", "host", key).exit()).isZero();
    Run gone = run("get", "host", key);
    assertThat(gone.exit()).isEqualTo(1);
    assertThat(gone.err()).contains("404").contains("Element not found");
  }

  @Test
  void errors_haveClearMessagesAndDistinctExitCodes() throws Exception {
    Run invalid = run("create", "host", "name=bad", "address=300.0.0.1");
    assertThat(invalid.exit()).isEqualTo(1);
    assertThat(invalid.err()).contains("not a valid IPv4 address");

    Run badKey = run(Map.of("HERALD_API_KEY", "wrong-key-0000"), "search");
    assertThat(badKey.exit()).isEqualTo(4);
    assertThat(badKey.err()).contains("Login to").contains("failed");

    Run unreachable = run(Map.of("HERALD_URL", "http://127.0.0.1:1"), "search");
    assertThat(unreachable.exit()).isEqualTo(3);
    assertThat(unreachable.err()).contains("Cannot reach");

    Run usage = run("create", "host", "no-equals-sign");
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(usage.err()).contains("Expected FIELD=VALUE");

    Run help = run("listen", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("--since").contains("--types");
  }

  @Test
  void import_fromJsonAndCsv_withSummary() throws Exception {
    Path json = tmp.resolve("elements.json");
    Files.writeString(json, "[{\"type\":\"host\",\"name\":\"imp-1\",\"address\":\"10.2.0.1\"},"
        + "{\"type\":\"network\",\"name\":\"imp-net\",\"ipv4_network\":\"10.2.0.0/16\"},"
        + "{\"type\":\"host\",\"name\":\"imp-bad\",\"address\":\"nope\"}]");
    Run r = run("import", json.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("created 2, skipped 0, failed 1").contains("imp-bad");

    Path csv = tmp.resolve("hosts.csv");
    Files.writeString(csv, "type,name,address\nhost,imp-1,10.2.0.1\nhost,imp-2,10.2.0.2\n");
    Run c = run("import", csv.toString());
    assertThat(c.exit()).as(c.err()).isZero();
    assertThat(c.out()).contains("created 1, skipped 1, failed 0");
  }

  @Test
  void listen_printsEvents_andTheLastSeqOnExit() throws Exception {
    Process p = start(Map.of(), "listen", "host", "--json");
    java.util.concurrent.LinkedBlockingQueue<String> errLines = new java.util.concurrent.LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = err.readLine()) != null) {
          errLines.add(l);
        }
      } catch (java.io.IOException ignored) {
        // the process ended
      }
    });
    String line;
    StringBuilder before = new StringBuilder();
    do {
      line = errLines.poll(30, TimeUnit.SECONDS);
      before.append(line).append('\n');
    } while (line != null && !line.contains("listening to host"));
    assertThat(line).isNotNull();
    Run created = run("create", "host", "name=listened", "address=10.3.0.1");
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String event = out.readLine();
    assertThat(event).startsWith("{\"type\":\"create\",\"element\":\"" + created.out().strip() + "\",\"seq\":");
    // Ctrl-C; where this JVM was started with SIGINT ignored (a background job of a shell without
    // job control), the CLI inherits that and rightly ignores it: then the TERM of a service
    // manager, which ends it the same way
    String signal = sigintIgnored() ? "-TERM" : "-INT";
    new ProcessBuilder("kill", signal, Long.toString(p.pid())).inheritIO().start().waitFor();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("ended by kill %s", signal).isTrue();
    StringBuilder rest = new StringBuilder();
    while ((line = errLines.poll(10, TimeUnit.SECONDS)) != null) {
      rest.append(line).append('\n');
      if (line.contains("stopped;")) {
        break;
      }
    }
    assertThat(rest.toString()).as("exit %d, before: %s", p.exitValue(), before).containsPattern("stopped; last seq \\d+ \\(continue with --since \\d+\\)");
  }

  @Test
  void serve_readsAConfigFile_flagsWin_andUnknownKeysAreRefused() throws Exception {
    Path fromFile = tmp.resolve("data-from-file");
    Path fromFlag = tmp.resolve("data-from-flag");
    Path conf = tmp.resolve("herald.properties");
    Files.writeString(conf, "# herald serve settings\nport = 0\nhost = 127.0.0.1\ndata = " + fromFile
        + "\napi-key = key-from-the-file-01\nadmin-password = password-from-the-file\napi-version = 6.5,7.0\n");
    Process p = start(Map.of(), "serve", "--config", conf.toString(), "--data", fromFlag.toString(),
        "--api-version", "7.4");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).as("first line of herald serve").startsWith("Herald is serving http://127.0.0.1:")
          .contains("this machine only").endsWith("data: " + fromFlag.toAbsolutePath() + ")");
      String url = "http://127.0.0.1:" + line.replaceAll(".*127\\.0\\.0\\.1:(\\d+)/.*", "$1");
      // the admin password came from the file; the API key from HERALD_API_KEY, which wins
      java.net.http.HttpResponse<String> login = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(url
              + "/7.2/lms_login?login=admin&pwd=password-from-the-file")).POST(
              java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
      // a list given as a flag replaces the file's list
      String versions = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(versions).contains("\"rel\":\"7.4\"").doesNotContain("\"rel\":\"6.5\"").doesNotContain("\"rel\":\"7.0\"");
      Run created = run(Map.of("HERALD_URL", url), "create", "host", "name=configured", "address=10.9.0.1");
      assertThat(created.exit()).as(created.err()).isZero();
      assertThat(fromFile).doesNotExist();
    } finally {
      p.destroy(); // SIGTERM: a clean stop
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Files.writeString(conf, "port = 0\ndatabase = jdbc:postgresql://x/y\n");
    Run unknown = run("serve", "--config", conf.toString());
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains(conf + ": unknown setting 'database'");

    Files.writeString(conf, "port = eighty\n");
    Run bad = run("serve", "--config", conf.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains(conf.toString()).contains("eighty");

    Files.writeString(conf, "port = 0\ndata = " + tmp.resolve("unused") + "\ndb-pool = 1\n");
    Run tooSmall = run("serve", "--config", conf.toString());
    assertThat(tooSmall.exit()).isEqualTo(2);
    assertThat(tooSmall.err()).contains("the database pool size must be 2..1000: 1");
  }

  @Test
  void noArguments_isAUsageError_andVersionNamesTheBuild() throws Exception {
    Run none = run();
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("Usage: herald").contains("name a command");
    Run v = run("-V");
    assertThat(v.exit()).isZero();
    assertThat(v.out()).startsWith("herald 0.1.0-SNAPSHOT").doesNotContain("development build");
  }

  @Test
  void badUrls_andUnreachableServers_getClearMessages() throws Exception {
    Run noScheme = run(Map.of("HERALD_URL", "localhost:8082"), "search");
    assertThat(noScheme.exit()).isEqualTo(2);
    assertThat(noScheme.err()).contains("must start with http:// or https://").doesNotContain("Exception");
    Run unreachable = run(Map.of("HERALD_URL", "http://127.0.0.1:1"), "search");
    assertThat(unreachable.exit()).isEqualTo(3);
    assertThat(unreachable.err()).contains("Cannot reach http://127.0.0.1:1: connection refused").doesNotContain("null");
  }

  @Test
  void aMistypedKeyInTheConfigFile_isRefused() throws Exception {
    Path conf = tmp.resolve("client.properties");
    Files.writeString(conf, "url=" + herald.url() + "\napikey=" + herald.apiKey() + "\n");
    Run r = run(Map.of("HERALD_API_KEY", ""), "search", "--config", conf.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown setting 'apikey'").contains("api_key");
  }

  @Test
  void listen_saysWhyTheServerRefused_andExits() throws Exception {
    Run badType = run("listen", "--types", "bogus");
    assertThat(badType.exit()).isEqualTo(2);
    assertThat(badType.err()).contains("unknown event type bogus");
    Run negative = run("listen", "--since", "-5");
    assertThat(negative.exit()).isEqualTo(2);
    assertThat(negative.err()).contains("--since must be 0 or more");
    Run beyond = run("listen", "--since", "99999");
    assertThat(beyond.exit()).isEqualTo(1);
    assertThat(beyond.err()).contains("refused").contains("beyond the newest change");
    Run unknown = run("listen", "hots");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("Unknown element type hots");
  }

  @Test
  void getUpdateDelete_takeANameAsWellAsAKey() throws Exception {
    String href = run("create", "host", "name=by-name-1", "address=10.4.0.1").out().strip();
    Run got = run("get", "host", "by-name-1");
    assertThat(got.exit()).as(got.err()).isZero();
    assertThat(got.out()).contains("\"address\" : \"10.4.0.1\"");
    assertThat(run("update", "host", "by-name-1", "address=10.4.0.2").exit()).isZero();
    assertThat(run("get", href).out()).contains("10.4.0.2");
    Run missing = run("get", "host", "no-such-host");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("No host named no-such-host");
    assertThat(run("delete", "host", "by-name-1").exit()).isZero();
    assertThat(run("get", href).exit()).isEqualTo(1);
  }

  @Test
  void import_csvWithQuotedCommas_andNoProgressBarWhenRedirected() throws Exception {
    Path csv = tmp.resolve("quoted.csv");
    Files.writeString(csv, "type,name,address,comment\nhost,q-1,10.5.0.1,\"quoted, with comma\"\n"
        + "host,q-2,10.5.0.2,\"say \"\"hi\"\"\"\n");
    Run r = run("import", csv.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("created 2, skipped 0, failed 0");
    assertThat(r.err()).doesNotContain("\r");
    assertThat(run("get", "host", "q-1").out()).contains("\"comment\" : \"quoted, with comma\"");
    assertThat(run("get", "host", "q-2").out()).contains("\"comment\" : \"say \\\"hi\\\"\"");
    Files.writeString(csv, "type,name,address\nhost,q-3,10.5.0.3,extra\n");
    Run bad = run("import", csv.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("line 2: 4 cells, the header has 3");
  }

  @Test
  void listen_resumesAcrossAServerRestart_beforeAnyEvent_andPrintsTheCommitTime() throws Exception {
    Process p = start(Map.of(), "listen", "host", "--json");
    java.util.concurrent.LinkedBlockingQueue<String> errLines = lines(p.getErrorStream());
    java.util.concurrent.LinkedBlockingQueue<String> outLines = lines(p.getInputStream());
    try {
      awaitLine(errLines, "listening to host");
      herald.restart(); // the listener has received nothing yet
      Run created = run("create", "host", "name=after-restart", "address=10.6.0.1");
      assertThat(created.exit()).as(created.err()).isZero();
      String event = outLines.poll(60, TimeUnit.SECONDS);
      assertThat(event).as("stderr: %s", errLines).isNotNull();
      assertThat(event).startsWith("{\"type\":\"create\",\"element\":\"" + created.out().strip() + "\",\"seq\":")
          .containsPattern("\"at\":\"\\d{4}-\\d\\d-\\d\\dT");
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void serve_onATakenPort_createsNothing_andASecondServeOnTheSameDataSaysWhoHasIt() throws Exception {
    Path data = tmp.resolve("fresh-data");
    int taken = java.net.URI.create(herald.url()).getPort();
    Run busy = run("serve", "--port", Integer.toString(taken), "--data", data.toString());
    assertThat(busy.exit()).isEqualTo(1);
    assertThat(busy.err()).contains("Cannot listen on 127.0.0.1:" + taken).contains("--port");
    assertThat(data).doesNotExist(); // so the next start is a first start that prints the key

    Process first = start(Map.of("HERALD_API_KEY", ""), "serve", "--port", "0", "--data", data.toString());
    try {
      java.util.concurrent.LinkedBlockingQueue<String> out = lines(first.getInputStream());
      awaitLine(out, "Herald is serving");
      assertThat(awaitLine(out, "Generated API key")).isNotNull();
      Run second = run("serve", "--port", "0", "--data", data.toString());
      assertThat(second.exit()).isEqualTo(1);
      assertThat(second.err()).contains("is already in use by process " + first.pid());
    } finally {
      first.destroy();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** Whether this process ignores SIGINT (its children inherit that): bit 1 of the SigIgn mask of Linux's /proc/self/status. */
  static boolean sigintIgnored() throws java.io.IOException {
    java.nio.file.Path s = java.nio.file.Path.of("/proc/self/status");
    var m = java.util.regex.Pattern.compile("SigIgn:\\s*([0-9a-f]+)").matcher(java.nio.file.Files.exists(s) ? java.nio.file.Files.readString(s) : "");
    return m.find() && (Long.parseUnsignedLong(m.group(1), 16) & 2) != 0;
  }

  @Test
  void serve_withAMistypedHeapTrim_saysSo_andCreatesNothing() throws Exception {
    Path data = tmp.resolve("trim-data");
    Run mistyped = run(Map.of("JAVA_TOOL_OPTIONS", "-Dherald.heapTrim=idle"), "serve", "--port", "0", "--data", data.toString());
    assertThat(mistyped.exit()).as(mistyped.err()).isEqualTo(2);
    assertThat(mistyped.err()).contains("herald serve: -Dherald.heapTrim is true, false or after-load, not \"idle\".");
    Run former = run(Map.of("JAVA_TOOL_OPTIONS", "-Dherald.idleHeapTrim=false"), "serve", "--port", "0", "--data", data.toString());
    assertThat(former.exit()).as(former.err()).isEqualTo(2);
    assertThat(former.err()).contains("-Dherald.idleHeapTrim is now -Dherald.heapTrim");
    assertThat(data).doesNotExist();
  }

  static java.util.concurrent.LinkedBlockingQueue<String> lines(java.io.InputStream in) {
    java.util.concurrent.LinkedBlockingQueue<String> q = new java.util.concurrent.LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          q.add(l);
        }
      } catch (java.io.IOException ignored) {
        // the process ended
      }
    });
    return q;
  }

  static String awaitLine(java.util.concurrent.BlockingQueue<String> q, String part) throws InterruptedException {
    StringBuilder seen = new StringBuilder();
    while (true) {
      String l = q.poll(60, TimeUnit.SECONDS);
      assertThat(l).as("a line with '%s'; saw:%n%s", part, seen).isNotNull();
      seen.append(l).append('\n');
      if (l.contains(part)) {
        return l;
      }
    }
  }

  @Test
  void help_completionAndSuggestions_knowEveryCommand_thoughACommandNamedFirstIsBuiltAlone() throws Exception {
    List<String> commands = List.of("serve", "listen", "get", "create", "update", "delete", "search",
        "import", "reset", "snapshot", "fault", "journal", "simulate", "scenario", "status", "help",
        "generate-completion");
    Run help = run("help");
    assertThat(help.exit()).isZero();
    for (String c : commands) {
      assertThat(help.out()).as(c).containsPattern("(?m)^  " + c + " ");
    }
    Run completion = run("generate-completion");
    assertThat(completion.exit()).isZero();
    assertThat(completion.out()).contains("commands=\"" + String.join(" ", commands) + "\"");
    Run typo = run("serv");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("Did you mean: herald serve");
    Run serveHelp = run("serve", "--help");
    assertThat(serveHelp.exit()).isZero();
    assertThat(serveHelp.out()).startsWith("Usage: herald serve ");
    Run badOption = run("get", "host", "--no-such-option");
    assertThat(badOption.exit()).isEqualTo(2);
    assertThat(badOption.err()).contains("Unknown option: '--no-such-option'").contains("Usage: herald get ");
  }

  @Test
  void help_neverBreaksInsideAValue_andNamesEveryParameter() throws Exception {
    for (String cmd : List.of("serve", "listen", "get", "create", "update", "delete", "search", "import")) {
      Run h = run(cmd, "--help");
      assertThat(h.exit()).isZero();
      assertThat(h.out()).as(cmd).doesNotContain(": //").doesNotContain(". /").doesNotContainPattern("<[a-zA-Z]+>");
    }
  }

  @Test
  void serve_isQuietByDefault_evenWhenAClientDrops() throws Exception {
    Path data = tmp.resolve("quiet-data");
    Process p = start(Map.of(), "serve", "--port", "0", "--data", data.toString());
    // a thread of its own: the common pool (one thread on 2 cores) runs the JDK WebSocket's stages
    java.util.concurrent.CompletableFuture<String> stderr = new java.util.concurrent.CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try {
        stderr.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (java.io.IOException e) {
        stderr.complete("unreadable: " + e);
      }
    });
    try {
      String banner = awaitLine(lines(p.getInputStream()), "Herald is serving");
      String url = banner.replaceAll(".*(http://127\\.0\\.0\\.1:\\d+)/.*", "$1");
      try (dev.herald.client.HeraldClient c = dev.herald.client.HeraldClient.builder().url(url)
          .apiKey(herald.apiKey()).build()) { // serve got the same key through HERALD_API_KEY
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        c.create("host", dev.herald.protocol.Json.object().put("name", "q").put("address", "10.0.0.1"));
        // a socket that subscribes, then drops its connection without a close frame
        java.net.http.HttpResponse<String> login = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(url + "/7.2/login")).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\""
                + herald.apiKey() + "\"}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        java.net.http.WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie).buildAsync(
            java.net.URI.create(url.replace("http", "ws") + "/7.2/notification/socket"),
            new java.net.http.WebSocket.Listener() { }).get(30, TimeUnit.SECONDS);
        ws.sendText("{\"context\":\"*\"}", true).get(30, TimeUnit.SECONDS);
        ws.abort();
        c.create("host", dev.herald.protocol.Json.object().put("name", "q2").put("address", "10.0.0.2"));
      }
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(stderr.get(10, TimeUnit.SECONDS)).as("stderr of a server at the default log level").isEmpty();
  }
}
