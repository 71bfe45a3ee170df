package dev.herald.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every code block of README.md and docs/*.md, run against real servers: a test per block, so a
 * page that drifts from the code fails the build. One server per page (the protocol page's keeps
 * 5 changes, for its history_expired example).
 *
 * <p>Kinds: {@code bash} ({@link ShellBlock}), {@code java} ({@link JavaBlock}), wire
 * transcripts without a language ({@link Transcript}), {@code python} (smc-python cannot be
 * installed here: see {@link #PYTHON_CHECKED_BY_HAND}), {@code properties} (herald serve's
 * settings file: every key must be a serve option), blocks saved as files with
 * {@code <!-- file: NAME -->} (used by the page's other blocks), and {@code text} for pictures.
 * A block that needs what a test cannot have (root, a database server) says so with
 * {@code <!-- not run: REASON -->}; the test checks that the reason is given.
 */
class DocsTest {
  /**
   * The python blocks that were run by hand with the real smc-python against
   * {@code ./herald serve}, by the SHA-256 of their text, with what was seen. smc-python cannot
   * be installed here (no reachable registry has it), so the test replays the requests of their
   * calls (the wire behaviour SMC-API.md records); a block whose text changed fails until it is
   * run by hand again and recorded here.
   */
  static final Map<String, String> PYTHON_RUN_BY_HAND = Map.of(
      "19e0b393e767d209802d82fa4de58fdea31e095aa263d7f2605142918cf385bf",
      "README.md, 2026-11-30, smc-python 1.0.31 (fp-NGFW-SMC-python dfd8919) with Debian's"
          + " python3-requests and python3-websocket: after 'herald create host name=web-7' and"
          + " 'herald update host web-7 address=10.0.0.8' it printed 'create Host(name=web-7)' and"
          + " 'update Host(name=web-7)'");

  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @TempDir
  Path tmp;

  @TestFactory
  Stream<DynamicNode> everyCodeBlock() throws Exception {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    List<DynamicNode> out = new ArrayList<>();
    for (Path page : pages) {
      List<CodeBlock> blocks = CodeBlock.parse(page);
      if (blocks.isEmpty()) {
        continue;
      }
      out.add(DynamicContainer.dynamicContainer(ROOT.relativize(page).toString(),
          Stream.of(DynamicTest.dynamicTest("every block in order", () -> runPage(page, blocks)))));
    }
    return out.stream();
  }

  private void runPage(Path page, List<CodeBlock> blocks) throws Exception {
    Path dir = Files.createTempDirectory(tmp, page.getFileName().toString());
    for (CodeBlock b : blocks) {
      if (b.fileName().isPresent()) {
        Files.writeString(dir.resolve(b.fileName().get()), b.text());
      }
    }
    long retention = page.getFileName().toString().equals("protocol.md") ? 5 : 1_000_000;
    List<String> ran = new ArrayList<>();
    try (DocServer server = DocServer.start(retention)) {
      for (CodeBlock b : blocks) {
        server.server.pruneChangeLog(); // retention applied now, not within the minute
        String kind = run(b, server, dir);
        ran.add(b.where() + " " + kind);
      }
    }
    System.out.println(String.join("\n", ran));
  }

  private String run(CodeBlock b, DocServer server, Path dir) throws Exception {
    if (b.notRunReason().isPresent()) {
      assertThat(b.notRunReason().get()).as("%s: a reason for not running it", b.where()).hasSizeGreaterThan(10);
      return "not run: " + b.notRunReason().get();
    }
    if (b.fileName().isPresent()) {
      return "saved as " + b.fileName().get();
    }
    switch (b.info()) {
      case "bash", "sh" -> {
        Path d = Files.createDirectories(dir.resolve("sh-" + b.line()));
        for (Path f : Files.list(dir).filter(Files::isRegularFile).toList()) {
          Files.copy(f, d.resolve(f.getFileName()));
        }
        new ShellBlock(server, b, d, ROOT).run();
        return "ran (bash)";
      }
      case "java" -> {
        JavaBlock.run(b, server, Files.createDirectories(dir.resolve("java-" + b.line())));
        return "compiled and ran (java)";
      }
      case "python" -> {
        python(b, server);
        return "checked (python, run by hand; requests replayed)";
      }
      case "properties" -> {
        properties(b);
        return "checked (herald serve settings)";
      }
      case "text" -> {
        return "a picture";
      }
      case "" -> {
        assertThat(Transcript.looksLikeOne(b)).as("%s: a block without a language must be a wire"
            + " transcript (or say ```text for a picture)", b.where()).isTrue();
        new Transcript(server, b).run();
        return "ran (transcript)";
      }
      default -> throw new AssertionError(b.where() + ": no runner for ```" + b.info()
          + " (mark it <!-- not run: REASON --> if it cannot run in a test)");
    }
  }

  /** Every key of a settings file must be an option of herald serve. */
  private static void properties(CodeBlock b) throws Exception {
    Properties p = new Properties();
    p.load(new java.io.StringReader(b.text()));
    picocli.CommandLine serve = dev.herald.cli.Herald.commandLine().getSubcommands().get("serve");
    Set<String> options = serve.getCommandSpec().options().stream()
        .flatMap(o -> Stream.of(o.names())).map(n -> n.replaceFirst("^--", "")).collect(Collectors.toSet());
    assertThat(p.stringPropertyNames()).as("%s: herald serve options", b.where()).isNotEmpty()
        .allSatisfy(k -> assertThat(options).as("%s: %s is an option of herald serve", b.where(), k).contains(k));
  }

  /**
   * A python block: it must be one that was run by hand (by its hash), and the requests its
   * smc-python calls send (SMC-API.md, observed on the wire) are replayed: login, the
   * notification socket with Notification(context), a change, the event.
   */
  private static void python(CodeBlock b, DocServer server) throws Exception {
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(b.text().getBytes(StandardCharsets.UTF_8)));
    assertThat(PYTHON_RUN_BY_HAND).as("%s changed: run it by hand with smc-python against ./herald serve,"
        + " then record its hash (%s) and what it printed in DocsTest.PYTHON_RUN_BY_HAND", b.where(), hash)
        .containsKey(hash);
    java.util.regex.Matcher ctx = java.util.regex.Pattern.compile("Notification\\(\"([^\"]*)\"\\)").matcher(b.text());
    assertThat(ctx.find()).as("%s: a Notification(context)", b.where()).isTrue();
    HttpClient http = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
    // session.login(url=…, api_key=…, api_version="7.2"): GET /api, POST login, GET /7.2/api
    assertThat(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/7.2/login"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"domain\": \"Shared Domain\", \"authenticationkey\": \"" + DocServer.API_KEY + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(login.statusCode()).isEqualTo(200);
    String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    // notification.notify(): the socket with the cookie, no Origin, and json.dumps spacing
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie)
        .buildAsync(URI.create(server.url().replace("http", "ws") + "/7.2/notification/socket"),
            new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                frames.add(data.toString());
                w.request(1);
                return null;
              }
            }).join();
    try {
      ws.sendText("{\"context\": \"" + ctx.group(1) + "\"}", true).join();
      assertThat(Json.parseObject(frames.poll(10, TimeUnit.SECONDS)).orElseThrow().has("success")).isTrue();
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/7.2/elements/host"))
          .header("Content-Type", "application/json").header("Cookie", cookie).POST(HttpRequest.BodyPublishers.ofString(
              "{\"name\": \"py-doc\", \"address\": \"10.0.0.1\"}")).build(), HttpResponse.BodyHandlers.ofString());
      String href = created.headers().firstValue("Location").orElseThrow();
      var event = Json.parseObject(frames.poll(10, TimeUnit.SECONDS)).orElseThrow();
      assertThat(event.path("event").path("type").asText()).isEqualTo("create");
      assertThat(event.path("event").path("element").asText()).isEqualTo(href);
      // event.element: a GET of the href, whose self link carries the type smc-python builds Host from
      var element = Json.parseObject(http.send(HttpRequest.newBuilder(URI.create(href)).header("Cookie", cookie).build(),
          HttpResponse.BodyHandlers.ofString()).body()).orElseThrow();
      assertThat(element.path("link").get(0).path("type").asText()).isEqualTo("host");
    } finally {
      ws.abort();
    }
  }
}
