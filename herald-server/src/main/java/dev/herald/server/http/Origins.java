package dev.herald.server.http;

import dev.herald.server.HeraldException;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Which web pages may drive a logged-in browser's session: the server's own origin and the ones
 * given with {@code --allowed-origin}. A request without {@code Origin} (smc-python, curl, the
 * SDK) is not a browser's cross-site request and is allowed.
 */
public final class Origins {
  private final Set<String> allowed;

  public Origins(Set<String> allowed) {
    this.allowed = Set.copyOf(allowed);
  }

  boolean allowed(Request req, String origin) {
    if (allowed.contains(origin) || allowed.contains("*")) {
      return true;
    }
    String own = (req.isSecure() ? "https://" : "http://") + req.getHttpURI().getAuthority();
    return origin.equalsIgnoreCase(own);
  }

  /**
   * Refuses a state-changing request that a browser sends for another site's page: its
   * {@code Origin} is not allowed, or it has no Origin but {@code Sec-Fetch-Site: cross-site}.
   */
  void checkStateChanging(Request req) {
    String origin = req.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !origin.equals("null") && allowed(req, origin)) {
      return;
    }
    String site = req.getHeaders().get("Sec-Fetch-Site");
    boolean crossSite = site != null && !Set.of("same-origin", "none").contains(site.toLowerCase(Locale.ROOT));
    if (origin != null || crossSite) {
      throw HeraldException.forbidden("Cross-site request refused.",
          "Requests that change something are accepted from this server's own pages, from origins"
              + " given with --allowed-origin, and from clients that send no Origin.");
    }
  }

  /** For the WebSocket upgrade: a present Origin must be allowed (cross-site WebSocket hijacking). */
  void checkSocket(Request req) {
    String origin = req.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !allowed(req, origin)) {
      throw HeraldException.forbidden("Origin not allowed.",
          "Origin " + origin + " may not open the notification socket.");
    }
  }
}
