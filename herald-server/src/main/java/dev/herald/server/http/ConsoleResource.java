package dev.herald.server.http;

import dev.herald.server.HeraldException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.webjars.WebJarVersionLocator;

/**
 * The console ({@code /console/}): a page served from the server's jar that uses the same REST
 * API and notification socket as any client, with the same session cookie — no private back
 * door. Only its own files are served; every answer forbids inline script and framing.
 */
final class ConsoleResource {
  /** A file of the console: where it is read from (the classpath) and what it is. */
  private record File(String resource, String contentType) {}

  private static final String JS = "text/javascript; charset=utf-8";
  private static final String CSS = "text/css; charset=utf-8";
  private static final String HTML = "text/html; charset=utf-8";
  private static final WebJarVersionLocator WEBJARS = new WebJarVersionLocator();

  /**
   * Every file the console serves, and nothing else: its own, and from the WebJars on the
   * classpath (Maven Central; their versions are the build's, found by the locator) Swagger UI
   * for the API explorer and uPlot for the plots.
   */
  private static final Map<String, File> FILES = Map.of(
      "index.html", own("index.html", HTML),
      "console.js", own("console.js", JS),
      "console.css", own("console.css", CSS),
      "api.html", own("api.html", HTML),
      "api.js", own("api.js", JS),
      "swagger-ui-bundle.js", webjar("swagger-ui", "swagger-ui-bundle.js", JS),
      "swagger-ui.css", webjar("swagger-ui", "swagger-ui.css", CSS),
      "uPlot.iife.min.js", webjar("uplot", "dist/uPlot.iife.min.js", JS),
      "uPlot.min.css", webjar("uplot", "dist/uPlot.min.css", CSS));

  private static File own(String name, String type) {
    return new File("/dev/herald/server/console/" + name, type);
  }

  private static File webjar(String name, String path, String type) {
    String full = WEBJARS.fullPath(name, path);
    return new File(full == null ? "/missing/" + name + "/" + path : "/" + full, type);
  }

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
    File f = FILES.get(name);
    if (f == null) {
      throw HeraldException.notFound("Not found.", "The console has no file " + name + ".");
    }
    String type = f.contentType();
    byte[] bytes;
    try (InputStream in = ConsoleResource.class.getResourceAsStream(f.resource())) {
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
