package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.ElementRecord;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.server.Request;

/** Login (API key, user and password), logout and the current user. */
final class SessionResource {
  static final String COOKIE = "JSESSIONID";

  private final Sessions sessions;
  private final ElementService elements;
  private final boolean tokens;
  private final boolean connectionAuth;

  SessionResource(Sessions sessions, ElementService elements) {
    this(sessions, elements, false, true);
  }

  /**
   * @param tokens token mode (SMC's "Use SSL for session ID") besides cookies
   * @param connectionAuth an upgrade on the connection that logged in needs no cookie
   */
  SessionResource(Sessions sessions, ElementService elements, boolean tokens, boolean connectionAuth) {
    this.tokens = tokens;
    this.connectionAuth = connectionAuth;
    this.sessions = sessions;
    this.elements = elements;
  }

  List<Route> routes() {
    return List.of(
        new Route("/{v}/login", Set.of("POST"), c -> login(c, false)),
        new Route("/{v}/lms_login", Set.of("POST"), c -> login(c, true)),
        new Route("/{v}/logout", Set.of("PUT", "POST"), this::logout),
        new Route("/{v}/system/current_user", Set.of("GET"), this::currentUser),
        new Route("/{v}/system/temporary_banned_ip_statuses", Set.of("GET"), this::bannedAddresses),
        new Route("/{v}/system/unlock_source_ip_account", Set.of("PUT"), this::unlockAddress));
  }

  /**
   * {@code temporary_banned_ip_statuses} (smc-python's {@code temporary_banned_source_ip_statuses}):
   * {@code {"statuses": [{"source_ip", "last_failure", "banned_until"?}]}} — the addresses with
   * failed logins this node counts, {@code banned_until} once they reached the limit. A superuser
   * sees every address, anyone else their own.
   */
  private Reply bannedAddresses(Call call) {
    Session s = call.session();
    Optional<String> only = s.caller().rights().superuser() ? Optional.empty()
        : Optional.of(Request.getRemoteAddr(call.request));
    var statuses = Json.mapper().createArrayNode();
    for (var t : sessions.throttled(only)) {
      var o = statuses.addObject();
      if (t.bannedUntil() != null) {
        o.put("banned_until", t.bannedUntil());
      }
      o.put("last_failure", t.lastFailure());
      o.put("source_ip", t.sourceIp());
    }
    return Reply.json(200, Json.object().set("statuses", statuses));
  }

  /**
   * {@code unlock_source_ip_account} (smc-python's {@code unlock_temporary_banned_source_ip}):
   * forgets the failed logins of the caller's address, or of {@code override_source_ip}; a
   * superuser's. {@code unlock_reason} goes to the log (SMC audits it; default "Unlock source IP
   * from SMC API").
   */
  private Reply unlockAddress(Call call) {
    Session s = call.session();
    if (!s.caller().rights().superuser()) {
      throw HeraldException.forbidden("Impossible to unlock the source IP.",
          "Only a superuser may unlock a source IP address.");
    }
    String address = call.param("override_source_ip").orElse(Request.getRemoteAddr(call.request)).strip();
    if (address.isEmpty() || address.length() > 64) {
      throw HeraldException.badRequest("Impossible to unlock the source IP.", "Give an address in override_source_ip.");
    }
    String reason = call.param("unlock_reason").orElse("Unlock source IP from SMC API");
    int n = sessions.unlockAddress(address);
    LOG.info("{} unlocked source IP {} ({} failed-login record{}): {}", s.caller().userName(), address, n,
        n == 1 ? "" : "s", reason.length() > 200 ? reason.substring(0, 200) : reason);
    return Reply.json(200, Json.object()); // smc-python accepts only 200 or 202 to a PUT
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SessionResource.class);

  /** The value that names the token among a socket's offered subprotocols. */
  static final String ACCESS_TOKEN = "access_token";

  /**
   * The connection attribute that holds the session a login on this keep-alive connection
   * opened: a WebSocket upgrade sent later on the same connection is authenticated by it, without
   * a cookie ("share the socket itself", SMC-API.md §3.4). It lives in this server's memory for
   * as long as the TCP (or TLS) connection does; a logout, an expiry or a later login on the
   * connection ends or replaces it.
   */
  static final String CONNECTION_SESSION = "dev.herald.session";

  /**
   * The live session of a request's cookie, or 401. In token mode also of its
   * {@code Authorization} header, or for a socket of the token offered beside
   * {@code access_token} in {@code Sec-WebSocket-Protocol} (in either order, as smc-python sends
   * them).
   */
  Session of(Request req) {
    if (tokens) {
      Optional<String> token = Optional.ofNullable(req.getHeaders().get(org.eclipse.jetty.http.HttpHeader.AUTHORIZATION))
          .map(a -> a.startsWith("Bearer ") ? a.substring(7) : a).map(String::strip)
          .or(() -> socketToken(req));
      if (token.isPresent()) {
        Optional<Session> s = sessions.resolve(token.get());
        if (s.isPresent()) {
          return s.get();
        }
      }
    }
    for (HttpCookie c : Request.getCookies(req)) {
      if (c.getName().equals(COOKIE)) {
        Optional<Session> s = sessions.resolve(c.getValue());
        if (s.isPresent()) {
          return s.get();
        }
      }
    }
    if (connectionAuth && isSocketUpgrade(req) && !viaProxy(req) && req.getConnectionMetaData().getAttribute(CONNECTION_SESSION) instanceof String id) {
      Optional<Session> s = sessions.resolve(id);
      if (s.isPresent()) {
        return s.get();
      }
    }
    throw HeraldException.unauthorized("Not logged in, or the session expired. Log in again.");
  }

  /**
   * Whether a proxy says it forwarded the request: a proxy may carry several clients' requests
   * on one connection to Herald, so its connections authenticate nothing.
   */
  private static boolean viaProxy(Request req) {
    var h = req.getHeaders();
    return h.contains(org.eclipse.jetty.http.HttpHeader.FORWARDED) || h.contains(org.eclipse.jetty.http.HttpHeader.X_FORWARDED_FOR)
        || h.contains(org.eclipse.jetty.http.HttpHeader.VIA);
  }

  /** Only an upgrade is authenticated by its connection; REST calls carry their cookie or token. */
  private static boolean isSocketUpgrade(Request req) {
    return "websocket".equalsIgnoreCase(req.getHeaders().get(org.eclipse.jetty.http.HttpHeader.UPGRADE));
  }

  private static Optional<String> socketToken(Request req) {
    List<String> offered = new java.util.ArrayList<>();
    for (String v : req.getHeaders().getValuesList(org.eclipse.jetty.http.HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL)) {
      for (String item : v.split(",")) {
        if (!item.isBlank()) {
          offered.add(item.strip());
        }
      }
    }
    if (offered.size() == 2 && offered.contains(ACCESS_TOKEN)) {
      return offered.stream().filter(o -> !o.equals(ACCESS_TOKEN)).findFirst();
    }
    return Optional.empty();
  }

  private Reply login(Call call, boolean password) throws Exception {
    // whoever logged in on this connection before, a new attempt (even a failed one) ends that
    call.request.getConnectionMetaData().removeAttribute(CONNECTION_SESSION);
    JsonNode body = call.optionalJson();
    String domain = text(body, "domain").orElseGet(() -> call.param("domain").orElse(""));
    String remote = Request.getRemoteAddr(call.request);
    Sessions.Opened opened;
    if (password) {
      String login = call.param("login").or(() -> text(body, "login"))
          .orElseThrow(() -> HeraldException.badRequest("Login failed.", "Give login and pwd."));
      String pwd = call.param("pwd").or(() -> text(body, "pwd"))
          .orElseThrow(() -> HeraldException.badRequest("Login failed.", "Give login and pwd."));
      opened = sessions.loginWithPassword(remote, login, pwd, domain);
    } else {
      String key = text(body, "authenticationkey").orElseThrow(() -> HeraldException.badRequest(
          "Login failed.", "The body must be {\"authenticationkey\": \"...\", \"domain\": \"...\"}."));
      opened = sessions.loginWithKey(remote, key, domain);
    }
    if (connectionAuth && !viaProxy(call.request)) {
      call.request.getConnectionMetaData().setAttribute(CONNECTION_SESSION, opened.id());
    }
    String cookie = COOKIE + "=" + opened.id() + "; Path=/; HttpOnly; SameSite=Lax"
        + (call.request.isSecure() ? "; Secure" : "");
    Reply r = Reply.json(200, Json.object().put("user", opened.session().caller().userName())
            .put("domain", domain.isEmpty() ? ElementService.SHARED_DOMAIN : domain))
        .header("Set-Cookie", cookie);
    if (tokens) {
      r.header("Authorization", opened.id()); // smc-python sends it back as it is
    }
    return r;
  }

  private Reply logout(Call call) {
    Session ending = call.session();
    sessions.logout(ending);
    // forgotten only if it is the session remembered here (a logout of another one by its cookie
    // leaves this connection's own)
    if (call.request.getConnectionMetaData().getAttribute(CONNECTION_SESSION) instanceof String id
        && sessions.resolve(id).isEmpty()) {
      call.request.getConnectionMetaData().removeAttribute(CONNECTION_SESSION);
    }
    return Reply.empty(204).header("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  }

  private Reply currentUser(Call call) {
    ElementRecord user = elements.user(call.session().caller());
    return Reply.json(200, Json.object().put("value", ElementJson.href(call.base(), user.type(), user.key())));
  }

  private static Optional<String> text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }
}
