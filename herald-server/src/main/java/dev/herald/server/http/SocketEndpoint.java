package dev.herald.server.http;

import dev.herald.server.session.Session;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Upgrades an authenticated request on {@code /{v}/notification/socket} (or, with
 * {@code statusSocket}, {@code /{v}/status/socket}) to a WebSocket. The
 * HTTP layer has already checked the session (401) and the Origin (403).
 */
@FunctionalInterface
public interface SocketEndpoint {
  /**
   * @param base the href prefix of this connection, {@code scheme://host:port/version}
   * @return false when the request is not a WebSocket upgrade (the caller answers 400)
   */
  boolean upgrade(Request request, Response response, Callback callback, Session session,
      String version, String base, boolean statusSocket) throws Exception;
}
