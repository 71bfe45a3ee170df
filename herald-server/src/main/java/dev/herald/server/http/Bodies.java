package dev.herald.server.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * Request bodies: read within a size limit, as UTF-8 JSON. A bad body is a 400 that names what is
 * wrong; nothing of it reaches a route.
 */
final class Bodies {
  /**
   * How much of a too-large body is read and dropped before answering 413, and for how long: a
   * server that answers and closes while the client still sends makes the client's TCP stack
   * discard the answer (a reset), so the client would see a broken connection instead of the
   * 413. A client that sent {@code Expect: 100-continue} has sent nothing yet: no drain.
   */
  private static final long DRAIN_LIMIT = 16L * 1024 * 1024;
  private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(3);

  private final int maxBodyBytes;
  /** The request attribute holding the body text a route read. */
  static final String READ_BODY = "herald.body";

  Bodies(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  JsonNode json(Request req) throws Exception {
    String text = read(req);
    if (text.isBlank()) {
      throw HeraldException.badRequest("Invalid request.", "The request body must be a JSON object.");
    }
    return parse(text);
  }

  JsonNode optionalJson(Request req) throws Exception {
    String text = read(req);
    return text.isBlank() ? Json.object() : parse(text);
  }

  /**
   * Whether a request carries a body: a declared length above zero, or a chunked one. (A
   * bodiless POST of an action link has neither.)
   */
  static boolean hasBody(Request req) {
    return req.getLength() > 0 || req.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
  }

  /** Parses JSON text; every string in it must be well-formed Unicode (no lone surrogate). */
  static JsonNode parse(String text) {
    JsonNode n;
    try {
      n = Json.mapper().readTree(text);
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      throw HeraldException.badRequest("Invalid JSON in the request body.",
          e.getOriginalMessage() + (at == null ? ""
              : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }
    Unicode.check(n);
    return n;
  }

  private String read(Request req) throws Exception {
    long declared = req.getLength();
    boolean expectsContinue = "100-continue".equalsIgnoreCase(req.getHeaders().get("Expect"));
    if (declared > maxBodyBytes && expectsContinue) {
      throw tooLarge();
    }
    byte[] bytes;
    try (InputStream in = Content.Source.asInputStream(req)) {
      if (declared > maxBodyBytes) {
        drainTooLarge(in, declared);
      }
      bytes = in.readNBytes(maxBodyBytes + 1);
      if (bytes.length > maxBodyBytes) {
        drainTooLarge(in, declared);
      }
    } catch (IOException e) {
      throw HeraldException.badRequest("Could not read the request body.", String.valueOf(e));
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      req.setAttribute(READ_BODY, text); // for the journal
      return text;
    } catch (CharacterCodingException e) {
      throw HeraldException.badRequest("Invalid request body.", "The body is not valid UTF-8.");
    }
  }

  private void drainTooLarge(InputStream in, long declared) {
    if (declared <= DRAIN_LIMIT) {
      long deadline = System.nanoTime() + DRAIN_NANOS;
      long left = DRAIN_LIMIT;
      try {
        long n;
        while (left > 0 && System.nanoTime() < deadline && (n = in.skip(Math.min(left, 64 * 1024))) > 0) {
          left -= n;
        }
      } catch (IOException e) {
        // the client went away: the 413 below is all there is to say
      }
    }
    throw tooLarge();
  }

  /**
   * The 413, with {@code Connection: close}: what is left of the body (or, after a refused
   * {@code Expect: 100-continue}, whether the client sends it anyway) is unknown, so the
   * connection is not reused — a client that pooled it would send its next request into a
   * connection the server is closing ("broken pipe", no answer: seen once in RestApiTest).
   */
  private HeraldException tooLarge() {
    return new HeraldException(413, "Request body too large.",
        List.of("The limit is " + maxBodyBytes + " bytes."), null).header("Connection", "close");
  }

  /**
   * Reads what is left of the request body (smc-python sends {} with every GET; action POSTs
   * carry bodies no route reads), so the connection can be reused. A body beyond the limit is
   * not read: the connection is closed instead.
   */
  void drain(Request req, Response res) {
    try (InputStream in = Content.Source.asInputStream(req)) {
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
    } catch (IOException | RuntimeException e) {
      res.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
  }
}
