package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.ElementRecord;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMC REST surface (SMC-API.md) as one plain Jetty handler, so every status, header and
 * {@code Content-Type} is exactly under our control. Runs blocking code on virtual threads.
 *
 * <p>Every JSON answer has {@code Content-Type: application/json} exactly (smc-python compares
 * the header with ==). 401 is used only for a missing or expired session (smc-python re-logs in
 * on 401); permission problems are 403.
 */
public final class SmcHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(SmcHandler.class);
  private static final String JSON = "application/json";
  static final String COOKIE = "JSESSIONID";

  private final ElementService elements;
  private final Sessions sessions;
  private final ApiVersions versions;
  private final MeterRegistry metrics;
  private final Supplier<String> prometheus;
  private final SocketEndpoint socket;
  private final Set<String> allowedOrigins;
  private final int maxBodyBytes;
  private final Supplier<Readiness> ready;

  public SmcHandler(
      ElementService elements,
      Sessions sessions,
      ApiVersions versions,
      MeterRegistry metrics,
      Supplier<String> prometheus,
      SocketEndpoint socket,
      Set<String> allowedOrigins,
      int maxBodyBytes,
      Supplier<Readiness> ready) {
    this.elements = elements;
    this.sessions = sessions;
    this.versions = versions;
    this.metrics = metrics;
    this.prometheus = prometheus;
    this.socket = socket;
    this.allowedOrigins = Set.copyOf(allowedOrigins);
    this.maxBodyBytes = maxBodyBytes;
    this.ready = ready;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    String route = "unknown";
    int status;
    try {
      String path = request.getHttpURI().getPath();
      List<String> seg = segments(path);
      route = routeName(seg);
      if (seg.size() == 3 && seg.get(1).equals("notification") && seg.get(2).equals("socket")
          && versions.accepts(seg.get(0))) {
        status = upgrade(request, response, callback, seg.get(0));
        record(request, route, status, start);
        return true;
      }
      Reply reply = route(request, seg);
      status = reply.status();
      send(request, response, callback, reply);
    } catch (HeraldException e) {
      status = e.status();
      if (status == 503) {
        // expected while the database is away (many per second): one line, no stack trace
        LOG.warn("{} {} answered 503: {}", request.getMethod(), request.getHttpURI().getPath(),
            e.getCause() == null ? e.getMessage() : e.getCause().toString());
      } else if (status >= 500) {
        LOG.warn("{} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.getMessage(), e);
      }
      send(request, response, callback, error(e));
    } catch (Exception e) {
      status = 500;
      LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
      send(request, response, callback,
          error(new HeraldException(500, "Internal server error.", List.of(String.valueOf(e)), e)));
    }
    record(request, route, status, start);
    return true;
  }

  private void record(Request request, String route, int status, long start) {
    Timer.builder("herald.http.requests")
        .tag("method", request.getMethod())
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(metrics)
        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private Reply route(Request req, List<String> seg) throws Exception {
    String method = req.getMethod();
    if (seg.size() == 1) {
      switch (seg.get(0)) {
        case "api" -> {
          allow(method, "GET");
          return Reply.json(200, versionList(req));
        }
        case "metrics" -> {
          allow(method, "GET");
          return new Reply(200, Optional.of(Json.mapper().getNodeFactory().textNode(prometheus.get())),
              new java.util.LinkedHashMap<>()).header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        }
        case "health" -> {
          allow(method, "GET");
          return Reply.json(200, Json.object().put("status", "UP"));
        }
        case "ready" -> {
          allow(method, "GET");
          Readiness r = ready.get();
          return Reply.json(r.ready() ? 200 : 503, Json.object()
              .put("status", r.ready() ? "READY" : "NOT_READY")
              .put("database", r.databaseReachable() ? "UP" : "UNREACHABLE")
              .put("change_feed", r.feedCaughtUp() ? "CAUGHT_UP" : "BEHIND")
              .put("seq", r.seq()));
        }
        default -> { }
      }
    }
    if (seg.isEmpty() || !versions.accepts(seg.get(0))) {
      throw notFoundPath(req);
    }
    String v = seg.get(0);
    String base = base(req, v);
    List<String> rest = seg.subList(1, seg.size());
    if (rest.size() == 1) {
      switch (rest.get(0)) {
        case "api" -> {
          allow(method, "GET");
          return Reply.json(200, entryPoints(base));
        }
        case "login" -> {
          allow(method, "POST");
          return login(req, false);
        }
        case "lms_login" -> {
          allow(method, "POST");
          return login(req, true);
        }
        case "logout" -> {
          allow(method, "PUT", "POST");
          Session s = session(req);
          sessions.logout(s);
          return Reply.empty(204)
              .header("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        }
        case "elements" -> {
          allow(method, "GET");
          return search(req, session(req), base, Optional.empty());
        }
        default -> { }
      }
    }
    if (rest.size() == 2 && rest.get(0).equals("system") && rest.get(1).equals("current_user")) {
      allow(method, "GET");
      Session s = session(req);
      ElementRecord user = elements.user(s.caller());
      return Reply.json(200, Json.object().put("value", ElementJson.href(base, user.type(), user.key())));
    }
    if (!rest.isEmpty() && rest.get(0).equals("elements")) {
      return elementRoute(req, rest.subList(1, rest.size()), base);
    }
    throw notFoundPath(req);
  }

  private Reply elementRoute(Request req, List<String> p, String base) throws Exception {
    String method = req.getMethod();
    String type = p.get(0);
    if (!Catalogue.isRelName(type)) {
      throw HeraldException.notFound(
          "Unknown element type " + type + ".", "GET /{version}/api lists the element types.");
    }
    Session s = session(req);
    if (p.size() == 1) {
      allow(method, "GET", "POST");
      if (method.equals("GET")) {
        return search(req, s, base, Optional.of(type));
      }
      JsonNode body = readJson(req);
      ElementRecord r = elements.create(s.caller(), type, body);
      String href = ElementJson.href(base, type, r.key());
      // body now holds exactly the stored fields (create strips derived and secret ones)
      return Reply.json(201, ElementJson.render(r, (ObjectNode) body, base))
          .header("Location", href)
          .header("ETag", ETags.of(r.key(), r.version()));
    }
    long key = parseKey(p.get(1));
    if (p.size() == 2) {
      allow(method, "GET", "PUT", "DELETE");
      switch (method) {
        case "GET" -> {
          ElementRecord r = elements.get(s.caller(), type, key);
          return Reply.json(200, ElementJson.render(r, base)).header("ETag", ETags.of(r.key(), r.version()));
        }
        case "PUT" -> {
          JsonNode body = readJson(req);
          ElementRecord r = elements.update(s.caller(), type, key, body, ifMatch(req));
          String href = ElementJson.href(base, type, key);
          return Reply.json(200, ElementJson.render(r, (ObjectNode) body, base))
              .header("Location", href)
              .header("ETag", ETags.of(r.key(), r.version()));
        }
        default -> {
          elements.delete(s.caller(), type, key, ifMatch(req));
          return Reply.empty(204);
        }
      }
    }
    if (p.size() == 3) {
      allow(method, "POST");
      ElementRecord r = elements.act(s.caller(), type, key, p.get(2));
      return Reply.json(200, ElementJson.render(r, base)).header("ETag", ETags.of(r.key(), r.version()));
    }
    throw notFoundPath(req);
  }

  private Reply search(Request req, Session s, String base, Optional<String> type) {
    Fields q = Request.extractQueryParameters(req);
    Set<String> types = new LinkedHashSet<>();
    type.ifPresent(types::add);
    String ctx = q.getValue("filter_context");
    if (ctx != null && !ctx.isBlank()) {
      for (String item : ctx.split(",")) {
        String it = item.strip();
        if (it.isEmpty()) {
          continue;
        }
        Set<String> family = Catalogue.context(it).orElseThrow(() -> HeraldException.badRequest(
            "Invalid filter_context.", "Unknown element type or context " + it + "."));
        if (type.isPresent()) {
          // on a type's own entry point, filter_context narrows it
          if (!family.contains(type.get())) {
            types.clear();
          }
        } else {
          types.addAll(family);
        }
      }
      if (types.isEmpty()) {
        return Reply.json(200, Json.object().set("result", Json.mapper().createArrayNode()));
      }
    }
    Optional<String> filter = Optional.ofNullable(q.getValue("filter")).filter(f -> !f.isEmpty());
    boolean exact = bool(q, "exact_match", false);
    boolean caseSensitive = bool(q, "case_sensitive", false);
    int limit = Integer.MAX_VALUE;
    String l = q.getValue("limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l.strip());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1) {
        throw HeraldException.badRequest("Invalid limit.", "limit must be a positive integer; got " + l + ".");
      }
    }
    List<ElementRecord> rows = elements.search(s.caller(), types, filter, exact, caseSensitive, limit);
    ArrayNode result = Json.mapper().createArrayNode();
    for (ElementRecord r : rows) {
      result.add(ElementJson.meta(r, base));
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  private static boolean bool(Fields q, String name, boolean dflt) {
    String v = q.getValue(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw HeraldException.badRequest(
          "Invalid " + name + ".", name + " must be True or False; got " + v + ".");
    };
  }

  private Reply login(Request req, boolean password) throws Exception {
    Fields q = Request.extractQueryParameters(req);
    JsonNode body = readOptionalJson(req);
    String domain = text(body, "domain").orElseGet(() -> Optional.ofNullable(q.getValue("domain")).orElse(""));
    String remote = Request.getRemoteAddr(req);
    Sessions.Opened opened;
    if (password) {
      String login = Optional.ofNullable(q.getValue("login")).or(() -> text(body, "login"))
          .orElseThrow(() -> HeraldException.badRequest("Login failed.", "Give login and pwd."));
      String pwd = Optional.ofNullable(q.getValue("pwd")).or(() -> text(body, "pwd"))
          .orElseThrow(() -> HeraldException.badRequest("Login failed.", "Give login and pwd."));
      opened = sessions.loginWithPassword(remote, login, pwd, domain);
    } else {
      String key = text(body, "authenticationkey").orElseThrow(() -> HeraldException.badRequest(
          "Login failed.", "The body must be {\"authenticationkey\": \"...\", \"domain\": \"...\"}."));
      opened = sessions.loginWithKey(remote, key, domain);
    }
    String cookie = COOKIE + "=" + opened.id() + "; Path=/; HttpOnly; SameSite=Lax"
        + (req.isSecure() ? "; Secure" : "");
    return Reply.json(200, Json.object().put("user", opened.session().caller().userName())
            .put("domain", domain.isEmpty() ? ElementService.SHARED_DOMAIN : domain))
        .header("Set-Cookie", cookie);
  }

  private static Optional<String> text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }

  private int upgrade(Request req, Response res, Callback cb, String version) throws Exception {
    Session s = session(req);
    String origin = req.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !originAllowed(req, origin)) {
      throw HeraldException.forbidden("Origin not allowed.",
          "Origin " + origin + " may not open the notification socket.");
    }
    if (!socket.upgrade(req, res, cb, s, version, base(req, version))) {
      throw HeraldException.badRequest("Not a WebSocket upgrade.",
          "Connect with a WebSocket client to " + req.getHttpURI().getPath() + ".");
    }
    return 101;
  }

  private boolean originAllowed(Request req, String origin) {
    if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
      return true;
    }
    String own = (req.isSecure() ? "https://" : "http://") + req.getHttpURI().getAuthority();
    return origin.equalsIgnoreCase(own);
  }

  private Session session(Request req) {
    for (HttpCookie c : Request.getCookies(req)) {
      if (c.getName().equals(COOKIE)) {
        Optional<Session> s = sessions.resolve(c.getValue());
        if (s.isPresent()) {
          return s.get();
        }
      }
    }
    throw HeraldException.unauthorized("Not logged in, or the session expired. Log in again.");
  }

  private static Optional<String> ifMatch(Request req) {
    String v = req.getHeaders().get(HttpHeader.IF_MATCH);
    if (v == null) {
      v = req.getHeaders().get("Etag"); // smc-python sends its cached ETag under this name
    }
    return Optional.ofNullable(v).filter(x -> !x.isBlank());
  }

  private JsonNode readJson(Request req) throws Exception {
    String text = readBody(req);
    if (text.isBlank()) {
      throw HeraldException.badRequest("Invalid request.", "The request body must be a JSON object.");
    }
    return parseJson(text);
  }

  private JsonNode readOptionalJson(Request req) throws Exception {
    String text = readBody(req);
    return text.isBlank() ? Json.object() : parseJson(text);
  }

  private static JsonNode parseJson(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw HeraldException.badRequest("Invalid JSON in the request body.",
          e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ", column "
              + e.getLocation().getColumnNr() + ")");
    }
  }

  /**
   * How much of a too-large body is read and dropped before answering 413, and for how long: a
   * server that answers and closes while the client still sends makes the client's TCP stack
   * discard the answer (a reset), so the client would see a broken connection instead of the
   * 413. A client that sent {@code Expect: 100-continue} has sent nothing yet: no drain.
   */
  private static final long DRAIN_LIMIT = 16L * 1024 * 1024;
  private static final long DRAIN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3);

  private String readBody(Request req) throws Exception {
    long declared = req.getLength();
    boolean expectsContinue = "100-continue".equalsIgnoreCase(req.getHeaders().get("Expect"));
    if (declared > maxBodyBytes && expectsContinue) {
      throw tooLarge();
    }
    try (java.io.InputStream in = Content.Source.asInputStream(req)) {
      if (declared > maxBodyBytes) {
        drainTooLarge(in, declared);
      }
      byte[] bytes = in.readNBytes(maxBodyBytes + 1);
      if (bytes.length > maxBodyBytes) {
        drainTooLarge(in, declared);
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw HeraldException.badRequest("Could not read the request body.", String.valueOf(e));
    }
  }

  private void drainTooLarge(java.io.InputStream in, long declared) {
    if (declared <= DRAIN_LIMIT) {
      long deadline = System.nanoTime() + DRAIN_NANOS;
      long left = DRAIN_LIMIT;
      try {
        long n;
        while (left > 0 && System.nanoTime() < deadline && (n = in.skip(Math.min(left, 64 * 1024))) > 0) {
          left -= n;
        }
      } catch (java.io.IOException e) {
        // the client went away: the 413 below is all there is to say
      }
    }
    throw tooLarge();
  }

  private HeraldException tooLarge() {
    return new HeraldException(413, "Request body too large.",
        List.of("The limit is " + maxBodyBytes + " bytes."), null);
  }

  private static long parseKey(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Element not found.", "Element keys are integers; got " + s + ".");
    }
  }

  private static void allow(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    throw new HeraldException(405, "Method " + method + " not allowed.",
        List.of("Allowed: " + String.join(", ", allowed) + "."), null)
        .header("Allow", String.join(", ", allowed));
  }

  private static HeraldException notFoundPath(Request req) {
    return HeraldException.notFound("Not found.", "No resource at " + req.getHttpURI().getPath() + ".");
  }

  private ObjectNode versionList(Request req) {
    ObjectNode o = Json.object();
    ArrayNode arr = o.putArray("version");
    for (String v : versions.advertised()) {
      arr.addObject().put("rel", v).put("href", base(req, v) + "/api");
    }
    return o;
  }

  private static ObjectNode entryPoints(String base) {
    ObjectNode o = Json.object();
    ArrayNode arr = o.putArray("entry_point");
    arr.addObject().put("rel", "elements").put("href", base + "/elements");
    arr.addObject().put("rel", "login").put("href", base + "/login");
    arr.addObject().put("rel", "lms_login").put("href", base + "/lms_login");
    arr.addObject().put("rel", "logout").put("href", base + "/logout");
    arr.addObject().put("rel", "current_user").put("href", base + "/system/current_user");
    for (String r : Catalogue.relNames()) {
      arr.addObject().put("rel", r).put("href", base + "/elements/" + r);
    }
    return o;
  }

  static String base(Request req, String version) {
    var uri = req.getHttpURI();
    String scheme = req.isSecure() ? "https" : "http";
    return scheme + "://" + uri.getAuthority() + "/" + version;
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  private static String routeName(List<String> seg) {
    if (seg.isEmpty()) {
      return "/";
    }
    if (seg.size() >= 3 && seg.get(1).equals("elements")) {
      return switch (seg.size()) {
        case 3 -> "/{v}/elements/{type}";
        case 4 -> "/{v}/elements/{type}/{key}";
        default -> "/{v}/elements/{type}/{key}/{action}";
      };
    }
    if (seg.size() == 1) {
      return "/" + (Set.of("api", "metrics", "health", "ready").contains(seg.get(0)) ? seg.get(0) : "other");
    }
    return "/{v}/" + String.join("/", seg.subList(1, Math.min(seg.size(), 3)));
  }

  private static Reply error(HeraldException e) {
    ObjectNode body = Json.object().put("message", e.getMessage());
    ArrayNode d = body.putArray("details");
    e.details().forEach(d::add);
    Reply r = Reply.json(e.status(), body);
    e.headers().forEach(r::header);
    return r;
  }

  /**
   * Reads what is left of the request body (smc-python sends {} with every GET; action POSTs
   * carry bodies no route reads), so the connection can be reused. A body beyond the limit is
   * not read: the connection is closed instead.
   */
  private void drain(Request req, Response res) {
    try (java.io.InputStream in = Content.Source.asInputStream(req)) {
      byte[] buf = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(buf)) >= 0) {
        total += n;
        if (total > maxBodyBytes) {
          res.getHeaders().put(HttpHeader.CONNECTION, "close");
          return;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      res.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
  }

  private void send(Request req, Response res, Callback cb, Reply reply) {
    drain(req, res);
    res.setStatus(reply.status());
    reply.headers().forEach((k, v) -> res.getHeaders().add(k, v));
    if (reply.body().isEmpty()) {
      cb.succeeded();
      return;
    }
    JsonNode body = reply.body().get();
    String text;
    if (body.isTextual()) {
      text = body.asText(); // pre-rendered (metrics)
    } else {
      res.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
      text = Json.write(body);
    }
    if (req.getMethod().equals("HEAD")) {
      cb.succeeded();
      return;
    }
    Content.Sink.write(res, true, text, cb);
  }
}
