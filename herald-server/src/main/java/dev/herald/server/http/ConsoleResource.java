package dev.herald.server.http;

import dev.herald.server.HeraldException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The console ({@code /console/}): a page served from the server's jar that uses the same REST
 * API and notification socket as any client, with the same session cookie — no private back
 * door. Only its own files are served; every answer forbids inline script and framing.
 */
final class ConsoleResource {
  private static final Map<String, String> FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");
  /** No inline script or style, nothing from elsewhere, sockets to this server only, no framing. */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self' ws: wss:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  List<Route> routes() {
    return List.of(
        new Route("/console", Set.of("GET", "HEAD"), c -> {
          if (!c.request.getHttpURI().getPath().endsWith("/")) {
            return Reply.empty(302).header("Location", "/console/"); // its files are relative to /console/
          }
          return file("index.html");
        }),
        new Route("/console/{file}", Set.of("GET", "HEAD"), c -> file(c.var("file"))));
  }

  private static Reply file(String name) throws IOException {
    String type = FILES.get(name);
    if (type == null) {
      throw HeraldException.notFound("Not found.", "The console has no file " + name + ".");
    }
    byte[] bytes;
    try (InputStream in = ConsoleResource.class.getResourceAsStream("/dev/herald/server/console/" + name)) {
      if (in == null) {
        throw HeraldException.notFound("Not found.", "The console is not in this build.");
      }
      bytes = in.readAllBytes();
    }
    return Reply.bytes(200, type, bytes)
        .header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "no-referrer")
        .header("Cache-Control", "no-cache");
  }
}
