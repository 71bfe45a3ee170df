package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real headless Chromium (Debian's {@code chromium}), driven over the DevTools protocol with
 * the JDK's WebSocket client: navigate, evaluate JavaScript in the page, wait for a condition.
 */
final class Chrome implements AutoCloseable {
  private final Process process;
  private final Path profile;
  private final WebSocket page;
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  private Chrome(Process process, Path profile, WebSocket page) {
    this.process = process;
    this.profile = profile;
    this.page = page;
  }

  static String binary() {
    for (String b : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (Files.isExecutable(Path.of(b))) {
        return b;
      }
    }
    throw new AssertionError("No Chromium: install Debian's chromium (apt-get install chromium); .ci/run does");
  }

  static Chrome start() throws Exception {
    Path profile = Files.createTempDirectory("herald-chrome");
    Process p = new ProcessBuilder(binary(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0", "--window-size=1280,800",
        "--user-data-dir=" + profile, "about:blank").redirectErrorStream(true).start();
    String endpoint = null;
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String line;
    while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
      int i = line.indexOf("DevTools listening on ");
      if (i >= 0) {
        endpoint = line.substring(i + "DevTools listening on ".length()).strip();
        break;
      }
    }
    if (endpoint == null) {
      p.destroyForcibly();
      throw new AssertionError("Chromium did not start its DevTools endpoint");
    }
    Thread.ofVirtual().start(() -> {
      try {
        while (out.readLine() != null) {
          // drain its output
        }
      } catch (java.io.IOException ignored) {
        // it stopped
      }
    });
    URI browser = URI.create(endpoint);
    HttpClient http = HttpClient.newHttpClient();
    String list = http.send(HttpRequest.newBuilder(URI.create("http://" + browser.getAuthority() + "/json/list")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    String pageWs = null;
    for (JsonNode t : Json.mapper().readTree(list)) {
      if (t.path("type").asText().equals("page")) {
        pageWs = t.path("webSocketDebuggerUrl").asText();
      }
    }
    Chrome[] self = new Chrome[1];
    StringBuilder part = new StringBuilder();
    WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create(pageWs), new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
              JsonNode m = Json.mapper().valueToTree(Json.parseObject(part.toString()).orElse(Json.object()));
              part.setLength(0);
              if (m.has("id")) {
                CompletableFuture<JsonNode> f = self[0].pending.remove(m.get("id").asLong());
                if (f != null) {
                  f.complete(m);
                }
              }
            }
            w.request(1);
            return null;
          }
        }).join();
    self[0] = new Chrome(p, profile, ws);
    return self[0];
  }

  JsonNode send(String method, ObjectNode params) throws Exception {
    long id = ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    page.sendText(Json.write(Json.object().put("id", id).put("method", method).set("params", params)), true).join();
    JsonNode answer = f.get(30, TimeUnit.SECONDS);
    if (answer.has("error")) {
      throw new AssertionError(method + " failed: " + answer.get("error"));
    }
    return answer.path("result");
  }

  /** Saves what the page shows now as a PNG. */
  void screenshot(Path file) throws Exception {
    JsonNode r = send("Page.captureScreenshot", Json.object().put("format", "png"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, java.util.Base64.getDecoder().decode(r.get("data").asText()));
  }

  /** Forgets every cookie (each test logs in afresh). */
  void clearCookies() throws Exception {
    send("Network.clearBrowserCookies", Json.object());
  }

  void navigate(String url) throws Exception {
    send("Page.navigate", Json.object().put("url", url));
  }

  /** Evaluates an expression in the page (promises awaited); its value. */
  JsonNode eval(String expression) throws Exception {
    JsonNode r = send("Runtime.evaluate", Json.object().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new AssertionError("page script failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** Waits until {@code expression} is true in the page. */
  void await(String expression) throws Exception {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          try {
            return eval(expression).asBoolean(false);
          } catch (AssertionError e) {
            return false; // the page is still loading
          }
        });
  }

  @Override
  public void close() throws Exception {
    page.abort();
    // Chromium's helpers (renderer, zygote, crash handler) write to the profile too: all of them
    // go before it is deleted
    java.util.List<ProcessHandle> all = new java.util.ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        h.destroyForcibly();
        h.onExit().get(10, TimeUnit.SECONDS);
      }
    }
    TestServer.deleteTree(profile);
  }
}
