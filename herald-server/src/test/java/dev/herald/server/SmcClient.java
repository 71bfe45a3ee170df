package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A test client that talks to Herald the way smc-python does, over the JDK HttpClient (an
 * independent HTTP implementation) with a cookie jar.
 */
public final class SmcClient {
  public final HttpClient http;
  public final CookieManager cookies = new CookieManager();
  public final String base;
  public final String version;

  public SmcClient(String url, String version) {
    this.http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
    this.base = url;
    this.version = version;
  }

  public static SmcClient loggedIn(TestServer s) throws Exception {
    return loggedIn(s, "7.2", "Shared Domain");
  }

  public static SmcClient loggedIn(TestServer s, String version, String domain) throws Exception {
    return loggedInTo(s.url(), version, domain);
  }

  /** A client logged in with the test API key at {@code url} (a node of several, say). */
  public static SmcClient loggedInTo(String url) throws Exception {
    return loggedInTo(url, "7.2", "Shared Domain");
  }

  private static SmcClient loggedInTo(String url, String version, String domain) throws Exception {
    SmcClient c = new SmcClient(url, version);
    Response r = c.post("/login", "{\"domain\": \"" + domain + "\", \"authenticationkey\": \"" + TestServer.API_KEY + "\"}");
    if (r.status() != 200) {
      throw new AssertionError("login failed: " + r);
    }
    return c;
  }

  /** A response with its body parsed when it is JSON. */
  public record Response(int status, HttpResponse<String> raw) {
    public JsonNode json() {
      try {
        return Json.mapper().readTree(raw.body());
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + raw.body(), e);
      }
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public String body() {
      return raw.body();
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  public String v(String path) {
    return base + "/" + version + path;
  }

  public Response send(HttpRequest.Builder b) throws Exception {
    HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r);
  }

  /**
   * Sends on a connection of its own (a client of its own, with this session's cookie): for a
   * request the server answers by closing the connection (a body too large), so that no other
   * request races that close on a pooled connection.
   */
  public Response sendAlone(HttpRequest.Builder b) throws Exception {
    try (java.net.http.HttpClient alone = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
      HttpResponse<String> r = alone.send(b.header("Cookie", sessionCookie()).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r);
    }
  }

  /** GET as smc-python sends it: with a {} JSON body. */
  public Response get(String path) throws Exception {
    return getUrl(v(path));
  }

  public Response getUrl(String url) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .method("GET", HttpRequest.BodyPublishers.ofString("{}")));
  }

  public Response post(String path, String json) throws Exception {
    return postUrl(v(path), json);
  }

  public Response postUrl(String url, String json) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  /** PUT as smc-python sends it: the ETag under the header name Etag. */
  public Response put(String url, String json, String etag) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json));
    if (etag != null) {
      b.header("Etag", etag);
    }
    return send(b);
  }

  /** DELETE as smc-python sends it: lower-case if-match, no Content-Type. */
  public Response delete(String url, String etag) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).DELETE();
    if (etag != null) {
      b.header("if-match", etag);
    }
    return send(b);
  }

  /** Creates an element and returns its href (the Location header). */
  public String create(String type, String json) throws Exception {
    Response r = post("/elements/" + type, json);
    if (r.status() != 201) {
      throw new AssertionError("create " + type + " failed: " + r);
    }
    return r.header("Location");
  }

  public String sessionCookie() {
    return cookies.getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals("JSESSIONID")).findFirst()
        .map(c -> "JSESSIONID=" + c.getValue()).orElseThrow();
  }
}
