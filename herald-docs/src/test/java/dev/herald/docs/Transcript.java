package dev.herald.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a wire transcript of the documentation against a server. Lines:
 *
 * <ul>
 *   <li>{@code POST|PUT|GET|DELETE PATH [JSON]} — a REST call with the transcript's session (a
 *       login is made first unless the transcript logs in itself; PUT sends the element's current
 *       ETag);
 *   <li>{@code WS PATH} — opens a notification socket, which later lines use;
 *   <li>{@code > JSON} — sent on the socket; {@code < JSON} — the next frame must be equal;
 *   <li>anything else, and text after a JSON value, is commentary.
 * </ul>
 *
 * <p>What may differ from the page: the host and port of hrefs; element keys (each key of the
 * page stands for one real key, and one it first meets in a request stands for the oldest
 * element of its type the transcript created and has not named yet); seqs (all shifted by the
 * same amount); {@code at} (any instant). Everything else must be equal.
 */
final class Transcript {
  private static final Pattern HREF =
      Pattern.compile("^https?://[^/]+/(\\d+\\.\\d+(?:\\.\\d+)?)/elements/([a-z0-9_]+)/(\\d+)$");
  private static final Pattern REST = Pattern.compile("^(POST|PUT|GET|DELETE)\\s+(\\S+)\\s*(.*)$");
  private static final Set<String> SEQ_FIELDS = Set.of("seq", "oldest_seq", "head_seq");
  private static final Pattern SEQ_IN_TEXT = Pattern.compile("seq \\d+");

  /** Reads the first JSON value of a line; what follows it is commentary. */
  private static final com.fasterxml.jackson.databind.ObjectMapper LENIENT =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final DocServer server;
  private final CodeBlock block;
  private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
  private boolean loggedIn;
  private Socket socket;
  private final List<Socket> sockets = new ArrayList<>();
  /** page key → real key, per type; and the elements created but not yet named, per type. */
  private final Map<String, Map<Long, Long>> keys = new HashMap<>();
  private final Map<String, Deque<Long>> unnamed = new HashMap<>();
  private Long seqOffset;
  /** The real {@code since} of the last message sent (an answer echoes it). */
  private Long sentSince;

  Transcript(DocServer server, CodeBlock block) {
    this.server = server;
    this.block = block;
  }

  static boolean looksLikeOne(CodeBlock b) {
    return b.info().isEmpty() && b.text().lines().anyMatch(l -> l.startsWith("> ") || l.startsWith("< ")
        || REST.matcher(l).matches() || l.startsWith("WS "));
  }

  void run() throws Exception {
    try {
      int n = block.line();
      for (String raw : block.text().split("\n")) {
        n++;
        String line = raw.replace("<the printed key>", DocServer.API_KEY);
        String at = block.file().getFileName() + ":" + (n - 1) + ": ";
        try {
          step(line);
        } catch (AssertionError e) {
          throw new AssertionError(at + line + "\n" + e.getMessage(), e);
        }
      }
    } finally {
      for (Socket s : sockets) {
        s.ws.abort();
      }
    }
  }

  private void step(String line) throws Exception {
    Matcher rest = REST.matcher(line);
    if (rest.matches()) {
      rest(rest.group(1), rest.group(2), json(rest.group(3)));
    } else if (line.startsWith("WS ")) {
      open(line.substring(3).strip());
    } else if (line.startsWith("> ")) {
      if (socket == null) {
        open("/7.2/notification/socket");
      }
      Optional<JsonNode> sent = json(line.substring(2));
      if (sent.isEmpty()) {
        socket.ws.sendText(line.substring(2).strip(), true).join(); // a bad message, as written
      } else {
        JsonNode real = toReal(sent.get(), null);
        if (real.has("since")) {
          sentSince = real.get("since").asLong();
        }
        socket.ws.sendText(Json.write(real), true).join();
      }
    } else if (line.startsWith("< ")) {
      JsonNode expected = json(line.substring(2)).orElseThrow(() -> new AssertionError("< needs JSON"));
      assertThat(socket).as("a socket is open").isNotNull();
      String got = socket.frames.poll(10, TimeUnit.SECONDS);
      assertThat(got).as("a frame like %s", expected).isNotNull();
      match(expected, Json.mapper().readTree(got), "", null, got);
    }
  }

  private void login() throws Exception {
    if (!loggedIn) {
      rest("POST", "/7.2/login", Optional.of(Json.object().put("authenticationkey", DocServer.API_KEY)
          .put("domain", "Shared Domain")));
    }
  }

  private void rest(String method, String path, Optional<JsonNode> body) throws Exception {
    boolean isLogin = path.endsWith("/login") || path.contains("/lms_login");
    if (!isLogin) {
      login();
    }
    String realPath = realPath(path);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + realPath));
    String text = body.map(Json::write).orElse("");
    switch (method) {
      case "POST" -> b.POST(HttpRequest.BodyPublishers.ofString(text)).header("Content-Type", "application/json");
      case "PUT" -> {
        HttpResponse<String> cur = http.send(HttpRequest.newBuilder(URI.create(server.url() + realPath)).build(),
            HttpResponse.BodyHandlers.ofString());
        b.PUT(HttpRequest.BodyPublishers.ofString(text)).header("Content-Type", "application/json")
            .header("If-Match", cur.headers().firstValue("ETag").orElse("*"));
      }
      case "DELETE" -> b.DELETE();
      default -> b.GET();
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s → %s", method, realPath, r.body()).isBetween(200, 299);
    if (isLogin) {
      loggedIn = true;
    }
    r.headers().firstValue("Location").ifPresent(loc -> {
      Matcher m = HREF.matcher(loc);
      if (m.matches() && method.equals("POST")) {
        unnamed.computeIfAbsent(m.group(2), t -> new ArrayDeque<>()).add(Long.parseLong(m.group(3)));
      }
    });
  }

  private String realPath(String path) {
    Matcher m = Pattern.compile("^(/[^/]+/elements/([a-z0-9_]+)/)(\\d+)(.*)$").matcher(path);
    if (!m.matches()) {
      return path;
    }
    return m.group(1) + realKey(m.group(2), Long.parseLong(m.group(3))) + m.group(4);
  }

  /** The real key a page key stands for, naming the oldest unnamed created element if new. */
  private long realKey(String type, long pageKey) {
    Map<Long, Long> byType = keys.computeIfAbsent(type, t -> new HashMap<>());
    Long real = byType.get(pageKey);
    if (real == null) {
      Deque<Long> q = unnamed.get(type);
      if (q == null || q.isEmpty()) {
        throw new AssertionError("key " + pageKey + " of " + type + " names no element this transcript created");
      }
      real = q.poll();
      byType.put(pageKey, real);
    }
    return real;
  }

  private void open(String path) throws Exception {
    login();
    Socket s = new Socket();
    String cookie = ((CookieManager) http.cookieHandler().orElseThrow()).getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals("JSESSIONID")).findFirst().orElseThrow().toString();
    s.ws = http.newWebSocketBuilder().header("Cookie", cookie)
        .buildAsync(URI.create(server.url().replace("http", "ws") + path), s).join();
    sockets.add(s);
    socket = s;
  }

  /** A sent message: page keys and (once known) page seqs replaced by real ones. */
  private JsonNode toReal(JsonNode n, String field) {
    if (n instanceof ObjectNode o) {
      ObjectNode out = Json.object();
      o.properties().forEach(e -> out.set(e.getKey(), toReal(e.getValue(), e.getKey())));
      return out;
    }
    if (n instanceof ArrayNode a) {
      ArrayNode out = Json.mapper().createArrayNode();
      for (JsonNode c : a) {
        out.add(toReal(c, field));
      }
      return out;
    }
    if ("keys".equals(field) && n.canConvertToLong()) {
      // a page key in a filter: the element of that key, of whatever type was created
      for (Map.Entry<String, Map<Long, Long>> e : keys.entrySet()) {
        if (e.getValue().containsKey(n.asLong())) {
          return Json.mapper().getNodeFactory().numberNode(e.getValue().get(n.asLong()));
        }
      }
      for (Map.Entry<String, Deque<Long>> e : unnamed.entrySet()) {
        if (!e.getValue().isEmpty()) {
          return Json.mapper().getNodeFactory().numberNode(realKey(e.getKey(), n.asLong()));
        }
      }
    }
    if ((SEQ_FIELDS.contains(field) || "since".equals(field)) && n.canConvertToLong() && seqOffset != null) {
      return Json.mapper().getNodeFactory().numberNode(n.asLong() + seqOffset);
    }
    return n;
  }

  private void match(JsonNode expected, JsonNode actual, String path, String field, String frame) {
    String where = "at " + (path.isEmpty() ? "the top" : path) + " of " + frame;
    if (expected.isObject()) {
      assertThat(actual.isObject()).as(where).isTrue();
      assertThat(fieldNames(actual)).as(where).containsExactlyInAnyOrderElementsOf(fieldNames(expected));
      expected.properties().forEach(e -> match(e.getValue(), actual.get(e.getKey()),
          path + "." + e.getKey(), e.getKey(), frame));
    } else if (expected.isArray()) {
      assertThat(actual.isArray() && actual.size() == expected.size()).as(where).isTrue();
      for (int i = 0; i < expected.size(); i++) {
        match(expected.get(i), actual.get(i), path + "[" + i + "]", field, frame);
      }
    } else if ("at".equals(field)) {
      Instant.parse(actual.asText());
    } else if (expected.isTextual() && HREF.matcher(expected.asText()).matches()) {
      Matcher e = HREF.matcher(expected.asText());
      Matcher a = HREF.matcher(actual.asText());
      e.matches();
      assertThat(a.matches()).as(where).isTrue();
      assertThat(a.group(1) + "/" + a.group(2)).as(where).isEqualTo(e.group(1) + "/" + e.group(2));
      Map<Long, Long> byType = keys.computeIfAbsent(e.group(2), t -> new HashMap<>());
      long pageKey = Long.parseLong(e.group(3));
      long real = Long.parseLong(a.group(3));
      Long bound = byType.get(pageKey);
      if (bound == null) {
        assertThat(byType.containsValue(real)).as("%s: key %d already stands for another key of the page", where, real).isFalse();
        byType.put(pageKey, real);
        Deque<Long> q = unnamed.get(e.group(2));
        if (q != null) {
          q.remove(real);
        }
      } else {
        assertThat(real).as("%s: the key the page calls %d", where, pageKey).isEqualTo(bound);
      }
    } else if ("since".equals(field)) {
      assertThat(actual.asLong()).as("%s: the since that was sent", where).isEqualTo(sentSince);
    } else if (expected.isTextual() && SEQ_IN_TEXT.matcher(expected.asText()).find()) {
      // a message that names a seq: any seq there
      String pattern = Pattern.quote(expected.asText()).replaceAll("seq \\d+", "\\\\E" + "seq \\\\d+" + "\\\\Q");
      assertThat(actual.asText()).as(where).matches(pattern);
    } else if (SEQ_FIELDS.contains(field) && expected.canConvertToLong()) {
      assertThat(actual.canConvertToLong()).as(where).isTrue();
      if (seqOffset == null) {
        seqOffset = actual.asLong() - expected.asLong();
      }
      assertThat(actual.asLong()).as("%s: seq %d of the page, shifted by %d", where, expected.asLong(), seqOffset)
          .isEqualTo(expected.asLong() + seqOffset);
    } else {
      assertThat(actual).as(where).isEqualTo(expected);
    }
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    Iterator<String> it = n.fieldNames();
    it.forEachRemaining(out::add);
    return out;
  }

  /** The first JSON value of {@code text}; what follows it is commentary. */
  private static Optional<JsonNode> json(String text) {
    String t = text.strip();
    if (t.isEmpty() || !(t.startsWith("{") || t.startsWith("["))) {
      return Optional.empty();
    }
    try (JsonParser p = LENIENT.getFactory().createParser(t)) {
      return Optional.of(LENIENT.readTree(p));
    } catch (java.io.IOException e) {
      fail("not JSON: " + t + " (" + e.getMessage() + ")");
      return Optional.empty();
    }
  }

  private static final class Socket implements WebSocket.Listener {
    WebSocket ws;
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final StringBuilder part = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      part.append(data);
      if (last) {
        frames.add(part.toString());
        part.setLength(0);
      }
      w.request(1);
      return null;
    }
  }
}
