package dev.herald.server;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** One server, two connectors: requests of {@code special} go to their own handler. */
final class ByConnector extends Handler.Wrapper {
  private final Connector special;
  private final Handler specialHandler;

  ByConnector(Connector special, Handler specialHandler, Handler others) {
    super(others);
    this.special = special;
    this.specialHandler = specialHandler;
    addBean(specialHandler);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (request.getConnectionMetaData().getConnector() == special) {
      return specialHandler.handle(request, response, callback);
    }
    return super.handle(request, response, callback);
  }
}
