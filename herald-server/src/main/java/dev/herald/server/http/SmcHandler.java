package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry of every request: finds its route, applies the rules every route shares, answers.
 * Routes live in the resources ({@link ApiResource}, {@link SessionResource},
 * {@link ElementResource}, {@link OpsResource}); this class only dispatches.
 *
 * <p>Rules every route shares:
 * <ul>
 *   <li>every JSON answer has {@code Content-Type: application/json} exactly (smc-python
 *       compares the header with ==), errors in SMC's shape {@code {"message", "details"}};
 *   <li>401 only for a missing or expired session (smc-python logs in again on 401);
 *   <li>a state-changing request (not GET/HEAD/OPTIONS) from another site is refused with 403:
 *       a present {@code Origin} must be the server's own or an allowed one, and a
 *       {@code Sec-Fetch-Site} must not say {@code cross-site}. smc-python sends neither;
 *   <li>a state-changing request with a body must say {@code Content-Type: application/json}
 *       (415 otherwise): a cross-site form cannot send JSON without a preflight;
 *   <li>metrics are labelled by route template and a known method, never by the raw request, so
 *       no client can grow them.
 * </ul>
 */
public final class SmcHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(SmcHandler.class);
  static final String JSON = "application/json";
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

  private record Compiled(Route route, List<String> parts) {}

  private final List<Compiled> routes = new ArrayList<>();
  private final ApiVersions versions;
  private final MeterRegistry metrics;
  private final Bodies bodies;
  private final Call.Sessions sessions;
  private final Origins origins;
  private final Runnable onOutOfMemory;
  private final Journal journal;
  private final Faults faults;

  public SmcHandler(List<Route> routes, ApiVersions versions, MeterRegistry metrics, Bodies bodies,
      Call.Sessions sessions, Origins origins, Runnable onOutOfMemory) {
    this(routes, versions, metrics, bodies, sessions, origins, onOutOfMemory, new Journal(0), null);
  }

  /**
   * @param onOutOfMemory called when a request failed for lack of memory (readiness fails)
   * @param journal where exchanges are recorded (capacity 0: nowhere)
   * @param faults injected faults, or null for none (the metrics port)
   */
  public SmcHandler(List<Route> routes, ApiVersions versions, MeterRegistry metrics, Bodies bodies,
      Call.Sessions sessions, Origins origins, Runnable onOutOfMemory, Journal journal, Faults faults) {
    this.journal = journal;
    this.faults = faults;
    for (Route r : routes) {
      this.routes.add(new Compiled(r, r.parts()));
    }
    this.versions = versions;
    this.metrics = metrics;
    this.bodies = bodies;
    this.sessions = sessions;
    this.origins = origins;
    this.onOutOfMemory = onOutOfMemory;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    String label = "other";
    int status;
    String[] sent = new String[1];
    Call[] made = new Call[1];
    Optional<Faults.Rule> fault = faults == null ? Optional.empty()
        : faults.match(request.getMethod(), request.getHttpURI().getPath());
    // journalled before the answer is written: a client that got it finds it in the journal
    java.util.function.BiConsumer<Integer, String> log = !journal.enabled() ? NOT_JOURNALLED
        : (st, text) -> journal(request, st, start, made[0], text, fault);
    try {
      if (fault.isPresent()) {
        Faults.Rule f = fault.get();
        if (f.delayMs() > 0) {
          Thread.sleep(f.delayMs());
        }
        if (f.action() == Faults.Action.DROP) {
          // the connection ends without an answer, as when a proxy or the network fails
          request.getConnectionMetaData().getConnection().getEndPoint().close();
          callback.failed(new java.io.IOException("connection dropped by an injected fault"));
          record(request.getMethod(), label, 0, start);
          journal(request, 0, start, made[0], null, fault);
          return true;
        }
        if (f.action() == Faults.Action.STATUS) {
          HeraldException e = new HeraldException(f.status(), "Fault injected by Herald.",
              List.of("Fault " + f.id() + " of the admin API answers " + f.method() + " " + f.pathGlob()
                  + " with " + f.status() + "."), null);
          f.retryAfter().ifPresent(r -> e.header("Retry-After", Integer.toString(r)));
          throw e;
        }
      }
      List<String> seg = segments(request.getHttpURI().getPath());
      Compiled hit = null;
      Map<String, String> vars = null;
      for (Compiled c : routes) {
        Optional<Map<String, String>> m = c.route().match(c.parts(), seg, versions);
        if (m.isPresent()) {
          hit = c;
          vars = m.get();
          break;
        }
      }
      if (hit == null) {
        throw HeraldException.notFound("Not found.", "No resource at " + request.getHttpURI().getPath() + ".");
      }
      label = hit.route().template();
      String method = request.getMethod();
      if (!hit.route().methods().contains(method)) {
        String allow = String.join(", ", hit.route().methods().stream().sorted().toList());
        throw new HeraldException(405, "Method " + method + " not allowed.",
            List.of("Allowed: " + allow + "."), null).header("Allow", allow);
      }
      if (!SAFE.contains(method)) {
        origins.checkStateChanging(request);
        if (Bodies.hasBody(request) && !isJson(request.getHeaders().get(HttpHeader.CONTENT_TYPE))
            && !(hit.route().uploads() && isMultipart(request.getHeaders().get(HttpHeader.CONTENT_TYPE)))) {
          throw new HeraldException(415, "Unsupported content type.",
              List.of("Send the body as JSON with Content-Type: application/json."), null);
        }
      }
      made[0] = new Call(request, response, callback, vars, bodies, sessions);
      Reply reply = hit.route().handler().handle(made[0]);
      status = reply.status();
      if (reply != Reply.UPGRADED) {
        sent[0] = send(request, response, callback, reply, log);
      }
    } catch (HeraldException e) {
      status = e.status();
      if (status == 503) {
        // expected while the database is away (many per second): one line, no stack trace
        LOG.warn("{} {} answered 503: {}", request.getMethod(), request.getHttpURI().getPath(),
            e.getCause() == null ? e.getMessage() : e.getCause().toString());
      } else if (status >= 500) {
        LOG.warn("{} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), e.getMessage(), e);
      }
      sent[0] = send(request, response, callback, error(e), log);
    } catch (OutOfMemoryError e) {
      status = 503;
      onOutOfMemory.run();
      sent[0] = send(request, response, callback, error(new HeraldException(503, "The server is out of memory.",
          List.of("Retry the request in a moment."), null).header("Retry-After", "5")), log);
    } catch (Exception e) {
      status = 500;
      LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
      sent[0] = send(request, response, callback, error(new HeraldException(500, "Internal server error.",
          List.of(e.getClass().getSimpleName() + "; the server log has the details."), e)), log);
    }
    record(request.getMethod(), label, status, start);
    if (sent[0] == null && status == 101) {
      journal(request, status, start, made[0], null, fault); // an upgraded socket: nothing was sent
    }
    return true;
  }

  private static final java.util.function.BiConsumer<Integer, String> NOT_JOURNALLED = (st, text) -> { };

  private void journal(Request request, int status, long start, Call call, String responseText,
      Optional<Faults.Rule> fault) {
    if (!journal.enabled() || request.getHttpURI().getPath().startsWith("/herald/admin/")) {
      return;
    }
    String user = "";
    if (call != null && call.hasSession()) {
      user = call.session().caller().userName();
    }
    Object body = request.getAttribute(Bodies.READ_BODY);
    journal.record(System.currentTimeMillis(), "http", request.getMethod(), request.getHttpURI().getPath(),
        Optional.ofNullable(request.getHttpURI().getQuery()).orElse(""), status,
        (System.nanoTime() - start) / 1e6, user, body == null ? null : body.toString(), responseText,
        fault.map(Faults.Rule::describe).orElse(null));
  }

  /** A file upload (smc-python sends them as multipart/form-data). */
  static boolean isMultipart(String contentType) {
    return contentType != null
        && contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals("multipart/form-data");
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String media = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return media.equals(JSON) || (media.startsWith("application/") && media.endsWith("+json"));
  }

  private void record(String method, String route, int status, long start) {
    Timer.builder("herald.http.requests")
        .tag("method", METHODS.contains(method) ? method : "other")
        .tag("route", route)
        .tag("status", status >= 100 && status <= 599 ? Integer.toString(status) : "other")
        .register(metrics)
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  static Reply error(HeraldException e) {
    ObjectNode body = Json.object().put("message", e.getMessage());
    ArrayNode d = body.putArray("details");
    e.details().forEach(d::add);
    Reply r = Reply.json(e.status(), body);
    e.headers().forEach(r::header);
    return r;
  }

  /** Sends the reply; returns its text (JSON or text), or null for none or bytes. */
  private String send(Request req, Response res, Callback cb, Reply reply,
      java.util.function.BiConsumer<Integer, String> before) {
    bodies.drain(req, res);
    res.setStatus(reply.status());
    reply.headers().forEach((k, v) -> res.getHeaders().add(k, v));
    String text;
    if (reply.body().isPresent()) {
      res.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
      text = Json.write(reply.body().get());
    } else if (reply.text().isPresent()) {
      text = reply.text().get();
    } else if (reply.bytes().isPresent()) {
      before.accept(reply.status(), null);
      if (req.getMethod().equals("HEAD")) {
        cb.succeeded();
        return null;
      }
      res.write(true, java.nio.ByteBuffer.wrap(reply.bytes().get()), cb);
      return null;
    } else {
      before.accept(reply.status(), null);
      cb.succeeded();
      return null;
    }
    before.accept(reply.status(), text);
    if (req.getMethod().equals("HEAD")) {
      cb.succeeded();
      return text;
    }
    Content.Sink.write(res, true, text, cb);
    return text;
  }
}
