package dev.herald.server.http;

import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code /health} (liveness), {@code /ready} (readiness) and {@code /metrics}. Health and
 * readiness are open (load balancers need them) and say only UP/READY and which part is not;
 * metrics are served on this port only behind a token ({@code --metrics-token}), else on a port
 * of their own ({@code --metrics-port}).
 */
final class OpsResource {
  private final Supplier<Readiness> ready;
  private final Supplier<String> prometheus;
  private final Optional<String> metricsToken;
  private final boolean metricsOpen;

  /**
   * @param metricsOpen serve metrics without a token (the dedicated metrics port)
   */
  OpsResource(Supplier<Readiness> ready, Supplier<String> prometheus, Optional<String> metricsToken,
      boolean metricsOpen) {
    this.ready = ready;
    this.prometheus = prometheus;
    this.metricsToken = metricsToken;
    this.metricsOpen = metricsOpen;
  }

  List<Route> routes() {
    return List.of(
        new Route("/health", Set.of("GET", "HEAD"), c -> Reply.json(200, Json.object().put("status", "UP"))),
        new Route("/ready", Set.of("GET", "HEAD"), c -> readiness()),
        new Route("/metrics", Set.of("GET"), this::metrics));
  }

  private Reply readiness() {
    Readiness r = ready.get();
    return Reply.json(r.ready() ? 200 : 503, Json.object()
        .put("status", r.ready() ? "READY" : "NOT_READY")
        .put("database", r.databaseReachable() ? "UP" : "UNREACHABLE")
        .put("change_feed", r.feedCaughtUp() ? "CAUGHT_UP" : "BEHIND")
        .put("memory", r.memoryOk() ? "OK" : "EXHAUSTED"));
  }

  private Reply metrics(Call call) {
    if (!metricsOpen) {
      if (metricsToken.isEmpty()) {
        throw HeraldException.notFound("Not found.", "Metrics are off on this port: serve them with"
            + " --metrics-port (a port of their own) or --metrics-token (here, behind a token).");
      }
      String auth = Optional.ofNullable(call.header(HttpHeader.AUTHORIZATION)).orElse("");
      if (!MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8),
          ("Bearer " + metricsToken.get()).getBytes(StandardCharsets.UTF_8))) {
        throw HeraldException.forbidden("Metrics need the token.",
            "Send Authorization: Bearer <the --metrics-token>.");
      }
    }
    return Reply.text(200, "text/plain; version=0.0.4; charset=utf-8", prometheus.get());
  }
}
