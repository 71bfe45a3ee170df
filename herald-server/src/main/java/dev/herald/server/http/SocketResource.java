package dev.herald.server.http;

import dev.herald.server.HeraldException;
import java.util.List;
import java.util.Set;

/** {@code /{v}/notification/socket}: the upgrade, after the session (401) and Origin (403). */
final class SocketResource {
  private final SocketEndpoint endpoint;
  private final Origins origins;

  SocketResource(SocketEndpoint endpoint, Origins origins) {
    this.endpoint = endpoint;
    this.origins = origins;
  }

  List<Route> routes() {
    return List.of(new Route("/{v}/notification/socket", Set.of("GET"), c -> upgrade(c, false)),
        new Route("/{v}/status/socket", Set.of("GET"), c -> upgrade(c, true)));
  }

  private Reply upgrade(Call call, boolean status) throws Exception {
    var session = call.session();
    origins.checkSocket(call.request);
    if (!endpoint.upgrade(call.request, call.response, call.callback, session, call.var("v"), call.base(), status)) {
      throw HeraldException.badRequest("Not a WebSocket upgrade.",
          "Connect with a WebSocket client to " + call.request.getHttpURI().getPath() + ".");
    }
    return Reply.UPGRADED;
  }
}
