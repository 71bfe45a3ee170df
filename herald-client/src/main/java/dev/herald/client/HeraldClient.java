package dev.herald.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * A client of Herald (or of a real SMC): login, elements, search and notifications.
 *
 * <pre>{@code
 * try (HeraldClient c = HeraldClient.builder().url("http://localhost:8082").apiKey(key).build()) {
 *   Element h = c.create("host", Json.object().put("name", "h1").put("address", "10.0.0.1"));
 *   Subscription s = c.subscribe(Subscription.Spec.of("host"), event -> System.out.println(event));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Calls block the calling thread (use virtual threads for many at once). A call
 * that meets an expired session logs in again and is retried once. Errors from the server are
 * {@link HeraldApiException}s; answers outside the protocol {@link HeraldProtocolException}s; network
 * failures are {@link UncheckedIOException}s.
 */
public final class HeraldClient implements AutoCloseable {
  private final Builder config;
  private final HttpClient http;
  private final String version;
  private final List<RealSubscription> subscriptions = new CopyOnWriteArrayList<>();
  private final List<StatusWatch> watches = new CopyOnWriteArrayList<>();
  private volatile String cookie;

  private HeraldClient(Builder b) {
    this.config = b;
    HttpClient.Builder hb = HttpClient.newBuilder().cookieHandler(new CookieManager())
        .connectTimeout(b.timeout).version(HttpClient.Version.HTTP_1_1);
    b.sslContext.ifPresent(hb::sslContext);
    this.http = hb.build();
    this.version = b.apiVersion.orElseGet(this::discoverVersion);
    login();
  }

  /** What subscriptions see of this client. */
  private final SocketSession socketSession = new SocketSession() {
    @Override
    public HttpClient http() {
      return http;
    }

    @Override
    public URI socketUri() {
      return URI.create(base().replaceFirst("^http", "ws") + "/notification/socket");
    }

    @Override
    public String cookie() {
      return cookie;
    }

    @Override
    public void relogin() {
      login();
    }

    @Override
    public java.time.Duration timeout() {
      return config.timeout;
    }

    @Override
    public void closed(RealSubscription s) {
      subscriptions.remove(s);
    }
  };

  public static Builder builder() {
    return new Builder();
  }

  /** Connection settings. {@link #url} and one of {@link #apiKey} / {@link #login} are required. */
  public static final class Builder {
    private String url;
    private Optional<String> apiKey = Optional.empty();
    private Optional<String> user = Optional.empty();
    private Optional<String> password = Optional.empty();
    private String domain = "Shared Domain";
    private Optional<String> apiVersion = Optional.empty();
    private Duration timeout = Duration.ofSeconds(30);
    private Optional<SSLContext> sslContext = Optional.empty();
    private Duration maxBackoff = Duration.ofSeconds(10);

    /**
     * The server, e.g. {@code http://localhost:8082} (what smc-python calls {@code url}).
     *
     * @throws IllegalArgumentException not an http or https URL with a host
     */
    public Builder url(String v) {
      String u = v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
      URI parsed;
      try {
        parsed = new URI(u);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("not a URL: " + v + " (" + e.getReason() + ")");
      }
      if (parsed.getScheme() == null || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))
          || parsed.getHost() == null) {
        throw new IllegalArgumentException("the URL must start with http:// or https:// and name a host,"
            + " e.g. http://localhost:8082; got " + v);
      }
      url = u;
      return this;
    }

    public Builder apiKey(String v) {
      apiKey = Optional.of(v);
      return this;
    }

    /** Administrator login ({@code lms_login}) instead of an API key. */
    public Builder login(String user, String password) {
      this.user = Optional.of(user);
      this.password = Optional.of(password);
      return this;
    }

    public Builder domain(String v) {
      domain = v;
      return this;
    }

    /** The API version; discovered from {@code GET /api} (the newest) when not given. */
    public Builder apiVersion(String v) {
      apiVersion = Optional.of(v);
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    /** The TLS context for https/wss (to trust a server's own certificate). */
    public Builder sslContext(SSLContext v) {
      sslContext = Optional.of(v);
      return this;
    }

    /**
     * Trusts the certificates in a PEM file (a self-signed server certificate, or the CA that
     * signed it) instead of the JDK's default trust store.
     *
     * @throws IllegalArgumentException the file cannot be read or holds no certificate
     */
    public Builder trustCertificates(java.nio.file.Path pem) {
      sslContext = Optional.of(TlsTrust.fromPem(pem));
      return this;
    }

    /**
     * Trusts any server certificate and host name. For a development server only: a man in the
     * middle can read everything, the API key included.
     */
    public Builder insecure() {
      sslContext = Optional.of(TlsTrust.trustAll());
      return this;
    }

    /** Upper bound of the reconnect back-off of subscriptions (default 10 s, jittered). */
    public Builder maxBackoff(Duration v) {
      maxBackoff = v;
      return this;
    }

    /**
     * Connects: discovers the API version (unless given) and logs in. Login failures are
     * {@link HeraldApiException}s; an unreachable server an {@link UncheckedIOException}.
     */
    public HeraldClient build() {
      if (url == null) {
        throw new IllegalArgumentException("url is required");
      }
      if (apiKey.isEmpty() && user.isEmpty()) {
        throw new IllegalArgumentException("an API key or a login is required");
      }
      return new HeraldClient(this);
    }
  }

  public String apiVersion() {
    return version;
  }

  /** {@code url/version}: the prefix of every API path. */
  public String base() {
    return config.url + "/" + version;
  }

  // ---- session ----

  private String discoverVersion() {
    JsonNode r = expect(sendRaw(HttpRequest.newBuilder(URI.create(config.url + "/api")).GET()), 200);
    String best = null;
    for (JsonNode v : r.path("version")) {
      String rel = v.path("rel").asText();
      if (best == null || compareVersions(rel, best) > 0) {
        best = rel;
      }
    }
    if (best == null) {
      throw new HeraldApiException(500, "GET /api listed no version", List.of());
    }
    return best;
  }

  private static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0,
          i < y.length ? Integer.parseInt(y[i]) : 0);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** Logs in (again). Called by the constructor and after a session expired. */
  synchronized void login() {
    HttpResponse<String> r;
    String domainJson = Json.write(Json.object().put("domain", config.domain));
    if (config.apiKey.isPresent()) {
      r = sendRaw(HttpRequest.newBuilder(URI.create(base() + "/login"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(Json.write(Json.object()
              .put("domain", config.domain).put("authenticationkey", config.apiKey.get())))));
    } else {
      r = sendRaw(HttpRequest.newBuilder(URI.create(base() + "/lms_login?login="
              + enc(config.user.get()) + "&pwd=" + enc(config.password.get()) + "&domain=" + enc(config.domain)))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(domainJson)));
    }
    expect(r, 200);
    cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID="))
        .map(c -> c.split(";")[0]).findFirst()
        .orElseThrow(() -> new HeraldApiException(200, "The login answer set no JSESSIONID cookie", List.of()));
  }

  // ---- elements ----

  public Element create(String type, ObjectNode body) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(base() + "/elements/" + type))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    expect(r, 201);
    return toElement(r, r.headers().firstValue("Location").orElseThrow(() ->
        new HeraldProtocolException("The server created " + type + " without a Location header.")));
  }

  public Element get(String href) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(href)).GET());
    expect(r, 200);
    return toElement(r, href);
  }

  public Element get(String type, long key) {
    return get(base() + "/elements/" + type + "/" + key);
  }

  /** Replaces the element's JSON if it still has {@code etag} (else 412). */
  public Element update(String href, ObjectNode body, String etag) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(href))
        .header("Content-Type", "application/json").header("If-Match", etag)
        .PUT(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    expect(r, 200);
    return toElement(r, href);
  }

  public Element update(Element current, ObjectNode body) {
    return update(current.href(), body, current.etag());
  }

  /** Deletes the element, whatever its version. */
  public void delete(String href) {
    expect(call(() -> HttpRequest.newBuilder(URI.create(href)).DELETE()), 204);
  }

  /**
   * Deletes the element only if it did not change since {@code etag} (else a 412); a null etag
   * (an answer that carried none) deletes whatever the version, as {@link #delete(String)}.
   */
  public void delete(String href, String etag) {
    if (etag == null) {
      delete(href);
      return;
    }
    expect(call(() -> HttpRequest.newBuilder(URI.create(href)).DELETE().header("If-Match", etag)), 204);
  }

  /** The elements matching {@code search} as {@code {name, href, type}} items. */
  public List<Meta> search(Search search) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(base() + search.path())).GET());
    JsonNode j = expect(r, 200);
    List<Meta> out = new ArrayList<>();
    for (JsonNode item : j.path("result")) {
      out.add(new Meta(item.path("name").asText(), item.path("href").asText(), item.path("type").asText()));
    }
    return out;
  }

  /** One search result. */
  public record Meta(String name, String href, String type) {}

  // ---- monitored status ----

  /**
   * The status of a monitored element (an engine, its node, a server) as SMC's
   * {@code monitoring_status} answers it; 400 ({@link HeraldApiException}) for an element that
   * is not monitored.
   */
  public JsonNode status(String href) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(base() + "/monitoring_status"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(Json.object().put("value", href)))));
    return expect(r, 200);
  }

  /**
   * Subscribes on the status socket ({@code /{version}/status/socket}) to {@code target}: an
   * element href (an engine or one of its nodes, a VPN or one of its tunnels) or a context
   * ({@code fw_single}, {@code engine_clusters}, {@code vpn}, {@code *}); every status message's
   * status reaches {@code onStatus}. Returns once the server acknowledged; close the result to
   * stop. When the socket closes it reconnects as a notification subscription does (jittered
   * back-off up to {@link Builder#maxBackoff}, a new login when the session is gone) and, on an
   * element, first delivers its status read over REST: a status is a current state, so what
   * changed during the gap arrives as the state now. It stops when the element is no longer
   * monitored.
   *
   * @throws SubscriptionRefusedException the server refused (not a monitored element or context)
   */
  public AutoCloseable watchStatus(String target, java.util.function.Consumer<JsonNode> onStatus) {
    StatusWatch w = new StatusWatch(socketSession, target, onStatus, this::status, config.maxBackoff, watches::remove);
    w.open();
    watches.add(w);
    return w;
  }

  // ---- Herald's admin API (servers started with --admin-api; superusers only) ----

  /**
   * A call of Herald's admin API without a body: {@code method} on {@code /herald/admin/PATH};
   * returns the JSON answer.
   *
   * @throws HeraldApiException any answer but 200, 201 or 204 (404: the server runs without
   *     {@code --admin-api}; 403: the user is not a superuser)
   */
  public JsonNode admin(String method, String path) {
    return admin(method, path, HttpRequest.BodyPublishers.noBody());
  }

  /** The same with a JSON body. */
  public JsonNode admin(String method, String path, String jsonBody) {
    return admin(method, path, HttpRequest.BodyPublishers.ofString(jsonBody));
  }

  private JsonNode admin(String method, String path, HttpRequest.BodyPublisher body) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(config.url + "/herald/admin/" + path))
        .header("Content-Type", "application/json").method(method, body));
    int status = r.statusCode();
    return expect(adminOn(r), status == 201 || status == 204 ? status : 200);
  }

  /** A 404 for the admin API's own paths means the server runs without it: say so. */
  private static HttpResponse<String> adminOn(HttpResponse<String> r) {
    if (r.statusCode() == 404 && r.body().contains("No resource at /herald/admin/")) {
      throw new HeraldApiException(404, "Herald's admin API is off on this server.",
          List.of("Start the server with --admin-api (herald serve) to reset it, take snapshots, inject faults"
              + " or read its journal."));
    }
    return r;
  }

  /** Brings the server back to its fresh state ({@code keepUsers}: users and keys stay). */
  public JsonNode reset(boolean keepUsers) {
    return admin("POST", "reset" + (keepUsers ? "" : "?keep_users=False"));
  }

  /** Saves the server's state to a snapshot file; returns its size in bytes. */
  public long saveSnapshot(java.nio.file.Path file) {
    HttpResponse<String> r = call(() -> HttpRequest.newBuilder(URI.create(config.url + "/herald/admin/snapshot")).GET());
    if (r.statusCode() != 200) {
      expect(adminOn(r), 200);
    }
    try {
      java.nio.file.Files.writeString(file, r.body(), StandardCharsets.UTF_8);
      return java.nio.file.Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Replaces the server's state by a snapshot file's (the session ends: this client logs in again). */
  public JsonNode loadSnapshot(java.nio.file.Path file) {
    HttpResponse<String> r = call(() -> {
      try {
        return HttpRequest.newBuilder(URI.create(config.url + "/herald/admin/snapshot"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofFile(file));
      } catch (java.io.FileNotFoundException e) {
        throw new UncheckedIOException("No file " + file, e);
      }
    });
    return expect(adminOn(r), 200);
  }

  // ---- notifications ----

  /**
   * Subscribes on a socket of its own and returns once the server acknowledged the
   * subscription: every change committed after this returns reaches {@code listener}. The
   * subscription reconnects by itself with jittered back-off (logging in again when the session
   * ended) and, on Herald, resumes from its position, so no change is lost or repeated — also
   * when it had received nothing yet.
   *
   * @throws SubscriptionRefusedException the server refused the subscription (e.g. an unknown
   *     type, or {@code since} beyond the server's newest change)
   * @throws IllegalArgumentException a bad spec (an unknown event type, a negative since)
   * @throws UncheckedIOException no socket, or no answer within the timeout
   */
  public Subscription subscribe(Subscription.Spec spec, NotificationListener listener) {
    RealSubscription s = new RealSubscription(socketSession, spec.command(), listener, config.maxBackoff);
    subscriptions.add(s);
    s.start();
    return s;
  }

  public void logout() {
    sendRaw(HttpRequest.newBuilder(URI.create(base() + "/logout")).PUT(HttpRequest.BodyPublishers.noBody()));
  }

  @Override
  public void close() {
    for (RealSubscription s : subscriptions) {
      s.close();
    }
    for (StatusWatch w : watches) {
      w.close(); // before the logout: a watch would otherwise reconnect and log in again
    }
    try {
      logout();
    } catch (RuntimeException ignored) {
      // the server may be gone
    }
  }

  // ---- plumbing ----

  @FunctionalInterface
  private interface RequestFactory {
    HttpRequest.Builder build();
  }

  /** Sends with the session; on 401 logs in again and retries once. */
  private HttpResponse<String> call(RequestFactory f) {
    HttpResponse<String> r = sendRaw(f.build());
    if (r.statusCode() == 401) {
      login();
      r = sendRaw(f.build());
    }
    return r;
  }

  private HttpResponse<String> sendRaw(HttpRequest.Builder b) {
    try {
      return http.send(b.timeout(config.timeout).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot reach " + config.url + ": " + RealSubscription.describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted"));
    }
  }

  private static JsonNode expect(HttpResponse<String> r, int status) {
    JsonNode body = null;
    if (!r.body().isEmpty()) {
      body = Json.parseObject(r.body()).map(o -> (JsonNode) o).orElse(null);
    }
    if (r.statusCode() == status && body == null && !r.body().isBlank()) {
      throw new HeraldProtocolException("The answer (" + status + ") is not a JSON object: "
          + abbreviate(r.body()));
    }
    if (r.statusCode() != status) {
      String message = body != null ? body.path("message").asText(r.body()) : r.body();
      List<String> details = new ArrayList<>();
      if (body != null && body.path("details").isArray()) {
        body.path("details").forEach(d -> details.add(d.asText()));
      }
      throw new HeraldApiException(r.statusCode(), message.isEmpty() ? "HTTP " + r.statusCode() : message, details);
    }
    return body == null ? Json.object() : body;
  }

  private static Element toElement(HttpResponse<String> r, String href) {
    JsonNode json = expect(r, r.statusCode());
    if (!json.isObject()) {
      throw new HeraldProtocolException("The answer is not a JSON object: " + abbreviate(r.body()));
    }
    int slash = href.lastIndexOf('/');
    String type = slash > 0 ? href.substring(0, slash) : "";
    type = type.substring(type.lastIndexOf('/') + 1);
    long key;
    try {
      key = Long.parseLong(href.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new HeraldProtocolException("Not an element's href (…/elements/TYPE/KEY): " + href);
    }
    return new Element(href, type, key, r.headers().firstValue("ETag").orElse(null), (ObjectNode) json);
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
