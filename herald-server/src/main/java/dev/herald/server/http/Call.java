package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.HeraldException;
import dev.herald.server.session.Session;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One request as a route sees it: its variables, query, body and session. The session is
 * resolved on first use (a route that needs none, such as login, never asks).
 */
final class Call {
  final Request request;
  final Response response;
  final Callback callback;
  final Map<String, String> vars;
  private final Bodies bodies;
  private final Sessions sessions;
  private Fields query;
  private Session session;

  /** Resolves the session of a request, or fails with 401. */
  @FunctionalInterface
  interface Sessions {
    Session of(Request request);
  }

  Call(Request request, Response response, Callback callback, Map<String, String> vars,
      Bodies bodies, Sessions sessions) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.vars = vars;
    this.bodies = bodies;
    this.sessions = sessions;
  }

  String method() {
    return request.getMethod();
  }

  String var(String name) {
    return vars.get(name);
  }

  /** {@code scheme://host:port/version}: the prefix of every href of the answer. */
  String base() {
    return base(request, vars.get("v"));
  }

  static String base(Request req, String version) {
    String scheme = req.isSecure() ? "https" : "http";
    return scheme + "://" + req.getHttpURI().getAuthority() + "/" + version;
  }

  /** Whether the route resolved a session (the journal names its user). */
  boolean hasSession() {
    return session != null;
  }

  Session session() {
    if (session == null) {
      session = sessions.of(request);
    }
    return session;
  }

  Fields query() {
    if (query == null) {
      query = Request.extractQueryParameters(request);
    }
    return query;
  }

  Optional<String> param(String name) {
    return Optional.ofNullable(query().getValue(name));
  }

  /** A boolean query parameter: True/False as smc-python sends them, also 1/0 and yes/no. */
  boolean flag(String name, boolean dflt) {
    String v = query().getValue(name);
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

  /** The JSON object body (required). */
  JsonNode json() throws Exception {
    return bodies.json(request);
  }

  /** The JSON body when there is one, else an empty object. */
  JsonNode optionalJson() throws Exception {
    return bodies.optionalJson(request);
  }

  /**
   * The file of one part of a multipart/form-data upload (smc-python's import_file,
   * package_file, …), read in memory up to {@code maxBytes}: 413 beyond, 400 when the body is
   * not multipart or has no such part.
   */
  byte[] file(String part, long maxBytes) throws Exception {
    return upload(part, maxBytes).bytes();
  }

  /** An uploaded file: the name the client gave it (may be null) and its bytes. */
  record Upload(String fileName, byte[] bytes) {}

  /** {@link #file}, with the file's name as the multipart part gives it. */
  Upload upload(String part, long maxBytes) throws Exception {
    String ct = header(HttpHeader.CONTENT_TYPE);
    if (!SmcHandler.isMultipart(ct)) {
      throw HeraldException.badRequest("Invalid upload.",
          "Send the file as multipart/form-data, in a part named " + part + ".");
    }
    String boundary = org.eclipse.jetty.http.MultiPart.extractBoundary(ct);
    if (boundary == null || boundary.isEmpty()) {
      throw HeraldException.badRequest("Invalid upload.", "The multipart/form-data Content-Type has no boundary.");
    }
    var parser = new org.eclipse.jetty.http.MultiPartFormData.Parser(boundary);
    parser.setMaxParts(16);
    parser.setMaxLength(maxBytes);
    parser.setMaxFileSize(maxBytes);
    parser.setMaxMemoryFileSize(maxBytes); // in memory only: never a temporary file
    parser.setUseFilesForPartsWithoutFileName(false);
    org.eclipse.jetty.http.MultiPartFormData.Parts parts;
    try {
      parts = parser.parse(request).get(120, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      String why = String.valueOf(e.getCause() == null ? e : e.getCause().getMessage());
      if (why.toLowerCase(Locale.ROOT).contains("max")) {
        throw new HeraldException(413, "Upload too large.", java.util.List.of("The limit is " + maxBytes + " bytes."), null);
      }
      throw HeraldException.badRequest("Invalid upload.", "The multipart/form-data body cannot be read: " + why);
    } catch (java.util.concurrent.TimeoutException e) {
      throw HeraldException.badRequest("Invalid upload.", "The upload did not arrive within 120 s.");
    }
    try (parts) {
      org.eclipse.jetty.http.MultiPart.Part p = parts.getFirst(part);
      if (p == null) {
        throw HeraldException.badRequest("Invalid upload.", "The body has no part named " + part + ".");
      }
      try (java.io.InputStream in = org.eclipse.jetty.io.Content.Source.asInputStream(p.getContentSource())) {
        return new Upload(p.getFileName(), in.readAllBytes());
      }
    }
  }

  /** The version the client names for a write: If-Match, or the Etag header smc-python sends. */
  java.util.Optional<String> ifMatch() {
    return java.util.Optional.ofNullable(header(HttpHeader.IF_MATCH)).or(() -> java.util.Optional.ofNullable(header("Etag")));
  }

  /**
   * For something with no element version (a tunnel, a routing node): a version the client names
   * that is not the digest of what it reads now is a 412; none given is accepted.
   */
  void checkDigest(com.fasterxml.jackson.databind.JsonNode current, String what) {
    java.util.Optional<String> given = ifMatch();
    if (given.isPresent() && !dev.herald.server.element.ETags.matches(given.get(),
        dev.herald.server.element.ETags.digest(current))) {
      throw new dev.herald.server.HeraldException(412, "Impossible to update " + what + ".",
          java.util.List.of("It changed since you read it: GET it again."), null);
    }
  }

  String header(HttpHeader h) {
    return request.getHeaders().get(h);
  }

  String header(String name) {
    return request.getHeaders().get(name);
  }
}
