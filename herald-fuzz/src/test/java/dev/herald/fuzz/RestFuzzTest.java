package dev.herald.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import dev.herald.server.element.Catalogue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the REST request handling of a real server over a real socket: request lines, paths
 * (versions, element types of the catalogue, keys, links), headers (content types, ETags,
 * origins, cookies) and bodies (JSON of element shapes, and anything else). Whatever arrives,
 * the server answers without a 500 (a 500 is a bug: bad input is the client's, a 4xx), every
 * JSON answer has SMC's exact content type and error shape, and it stays healthy.
 */
class RestFuzzTest {
  private static HeraldServer server;
  private static String cookie;
  private static final List<String> TYPES = new ArrayList<>(Catalogue.relNames());
  private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "BREW"};
  private static final String[] CONTENT_TYPES = {"application/json", "application/json; charset=utf-8",
      "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/merge-patch+json"};
  private static final String[] FIELDS = {"name", "address", "ipv6_address", "secondary", "comment",
      "ipv4_network", "ip_range", "min_dst_port", "max_dst_port", "element", "authentication_key",
      "password", "superuser", "permissions", "enabled", "protocol_number", "icmp_type", "key", "link",
      "system", "domain", "authenticationkey", "context"};

  @BeforeAll
  static void start() throws Exception {
    server = HeraldServer.start(ServerConfig.builder().port(0)
        .dataDir(Files.createTempDirectory("herald-fuzz")).apiKey("fuzz-api-key-0123456")
        .adminPassword("fuzz-admin-0123").secretHashIterations(1_000)
        .limits(new ServerConfig.Limits(0, 0, java.time.Duration.ofSeconds(10), 1024)).build());
    HttpResponse<String> login = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + "/7.2/login"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"fuzz-api-key-0123456\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @FuzzTest(maxDuration = "20s")
  void anyRequest_isAnsweredWithoutA500_inSmcsShape(FuzzedDataProvider data) throws Exception {
    allowLoopback();
    String method = data.pickValue(METHODS);
    String path = path(data);
    StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\n").append("Connection: close\r\n");
    if (data.consumeBoolean()) {
      req.append("Cookie: ").append(cookie).append("\r\n");
    }
    String ct = data.pickValue(CONTENT_TYPES);
    if (!ct.isEmpty()) {
      req.append("Content-Type: ").append(ct).append("\r\n");
    }
    if (data.consumeBoolean()) {
      req.append(data.pickValue(new String[] {"If-Match", "Etag", "Origin", "Sec-Fetch-Site", "Expect", "X-Any"}))
          .append(": ").append(header(data.consumeString(40))).append("\r\n");
    }
    byte[] body = body(data);
    req.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    String answer = send(req.toString().getBytes(StandardCharsets.ISO_8859_1), body);
    if (answer.isEmpty()) {
      return; // the server closed an unreadable request: fine
    }
    assertThat(answer).startsWith("HTTP/1.1 ");
    int status = Integer.parseInt(answer.substring(9, 12));
    assertThat(status).as("%s %s → %s", method, path, answer).isNotEqualTo(500);
    String head = answer.contains("\r\n\r\n") ? answer.substring(0, answer.indexOf("\r\n\r\n")) : answer;
    String rest = answer.substring(head.length()).strip();
    if (rest.startsWith("{") && !head.toLowerCase().contains("content-type: text/plain")) {
      assertThat(head).as("a JSON answer says so exactly").containsIgnoringCase("Content-Type: application/json\r\n");
      if (status >= 400) {
        assertThat(rest).contains("\"message\"").contains("\"details\"");
      }
    }
    assertThat(send(("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
        new byte[0])).startsWith("HTTP/1.1 200");
  }

  /**
   * The test talks to its own server on loopback: not a server-side request forgery. (The bug
   * detectors exist only while Jazzer fuzzes, not while it replays the corpus.)
   */
  private static void allowLoopback() {
    try {
      com.code_intelligence.jazzer.api.BugDetectors.allowNetworkConnections(
          (host, port) -> host.equals("127.0.0.1") || host.equals("localhost"));
    } catch (IllegalStateException notFuzzing) {
      // replaying the corpus: no detectors
    }
  }

  private static String path(FuzzedDataProvider data) {
    return switch (data.consumeInt(0, 5)) {
      case 0 -> "/" + data.pickValue(new String[] {"api", "health", "ready", "metrics", "7.2", ""});
      case 1 -> "/" + version(data) + "/" + data.pickValue(new String[] {"api", "login", "lms_login", "logout",
          "elements", "system/current_user", "notification/socket"}) + query(data);
      case 2 -> "/" + version(data) + "/elements/" + data.pickValue(TYPES) + query(data);
      case 3 -> "/" + version(data) + "/elements/" + data.pickValue(TYPES) + "/" + data.consumeLong(-5, 5000)
          + (data.consumeBoolean() ? "/" + data.pickValue(new String[] {"trash", "untrash", "validate", "export",
          "x"}) : "");
      case 4 -> "/" + segment(data) + "/" + segment(data) + "/" + segment(data);
      default -> "/" + segment(data);
    };
  }

  private static String version(FuzzedDataProvider data) {
    return data.pickValue(new String[] {"7.2", "6.5", "7.2.1", "7.4", "9.9", "x"});
  }

  private static String query(FuzzedDataProvider data) {
    if (!data.consumeBoolean()) {
      return "";
    }
    return "?" + data.pickValue(new String[] {"filter", "filter_context", "exact_match", "case_sensitive", "limit",
        "login", "pwd", "domain"}) + "=" + segment(data);
  }

  /** A path segment: printable, percent-encoded where needed. */
  private static String segment(FuzzedDataProvider data) {
    String s = data.consumeString(30);
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  private static String header(String s) {
    return s.replaceAll("[\\r\\n]", " ");
  }

  private static byte[] body(FuzzedDataProvider data) {
    return switch (data.consumeInt(0, 3)) {
      case 0 -> new byte[0];
      case 1 -> data.consumeBytes(2_000);
      default -> {
        // an element-shaped JSON object with fuzzed values
        StringBuilder b = new StringBuilder("{");
        int n = data.consumeInt(0, 6);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            b.append(',');
          }
          b.append('"').append(data.pickValue(FIELDS)).append("\":").append(value(data, 0));
        }
        yield b.append('}').toString().getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  private static String value(FuzzedDataProvider data, int depth) {
    return switch (data.consumeInt(0, depth > 3 ? 4 : 6)) {
      case 0 -> "null";
      case 1 -> Boolean.toString(data.consumeBoolean());
      case 2 -> Long.toString(data.consumeLong());
      case 3 -> dev.herald.protocol.Json.write(dev.herald.protocol.Json.mapper().getNodeFactory()
          .textNode(data.consumeString(40)));
      case 4 -> "\"10.0." + data.consumeInt(0, 300) + "." + data.consumeInt(0, 300) + "\"";
      case 5 -> "[" + value(data, depth + 1) + "," + value(data, depth + 1) + "]";
      default -> "{\"" + data.pickValue(FIELDS) + "\":" + value(data, depth + 1) + "}";
    };
  }

  private static String send(byte[] head, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(head);
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      try {
        while ((n = in.read(buf)) > 0 && got.size() < 1_000_000) {
          got.write(buf, 0, n);
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // what arrived is the answer (a WebSocket upgrade stays open)
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
