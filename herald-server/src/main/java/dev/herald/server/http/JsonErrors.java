package dev.herald.server.http;

import dev.herald.protocol.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty answers itself (a bad request line, a too-long URI or header, an unknown
 * HTTP version) in SMC's JSON shape instead of an HTML page; nothing of the request is echoed.
 */
public final class JsonErrors extends ErrorHandler {
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(new HttpField(HttpHeader.CONTENT_TYPE, SmcHandler.JSON));
    return ByteBuffer.wrap(body(status).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Object s = request.getAttribute(ERROR_STATUS);
    int status = s instanceof Integer i ? i : response.getStatus();
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, SmcHandler.JSON);
    Content.Sink.write(response, true, body(status), callback);
    return true;
  }

  private static String body(int status) {
    String reason = HttpStatus.getMessage(status);
    return Json.write(Json.object().put("message", reason + ".")
        .set("details", Json.mapper().createArrayNode().add("HTTP " + status + ": the request could not be read.")));
  }
}
