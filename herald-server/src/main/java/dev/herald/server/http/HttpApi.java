package dev.herald.server.http;

import dev.herald.server.element.ElementService;
import dev.herald.server.session.Sessions;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;

/** Assembles the REST surface from its resources. */
public final class HttpApi {
  private HttpApi() {}

  /** What the handlers need from the rest of the server. */
  public record Parts(ElementService elements, Sessions sessions, ApiVersions versions,
      MeterRegistry metrics, Supplier<String> prometheus, SocketEndpoint socket, Origins origins,
      int maxBodyBytes, Supplier<Readiness> ready, Optional<String> metricsToken,
      Runnable onOutOfMemory, dev.herald.server.task.Tasks tasks, java.time.InstantSource clock,
      Optional<AdminControl> admin, Journal journal, Faults faults,
      dev.herald.server.element.EngineModel engines, boolean sessionTokens, boolean console,
      boolean connectionAuth) {}

  /** The handler of the main port: every resource. */
  public static Handler main(Parts p) {
    SessionResource sessions = new SessionResource(p.sessions(), p.elements(), p.sessionTokens(),
        p.connectionAuth());
    List<Route> routes = new ArrayList<>();
    routes.addAll(new OpsResource(p.ready(), p.prometheus(), p.metricsToken(), false).routes());
    routes.addAll(new OperationsResource(p.metrics(), p.ready(), p.clock()).routes());
    routes.addAll(new ChangeResource(p.elements()).routes());
    routes.addAll(new ApiResource(p.versions()).routes());
    if (p.console()) {
      routes.addAll(new ConsoleResource().routes());
    }
    routes.addAll(sessions.routes());
    dev.herald.server.element.Packages packages = new dev.herald.server.element.Packages(p.elements(),
        p.engines().nodes(), p.clock(), SystemResource.smcVersion());
    dev.herald.server.element.UpcomingEvents upcoming = new dev.herald.server.element.UpcomingEvents(p.elements(), p.clock());
    p.admin().ifPresent(a -> routes.addAll(new AdminApiResource(a, p.faults(), p.journal(), packages, upcoming,
        p.engines().licences()).routes()));
    routes.addAll(new SocketResource(p.socket(), p.origins()).routes());
    ElementResource elements = new ElementResource(p.elements(), new dev.herald.server.element.ElementLinks(p.elements()));
    // before the element routes: task_progress is served by the system resource, not as elements
    routes.addAll(new SystemResource(p.elements(), elements, p.tasks(), p.clock(), p.engines(),
        packages, upcoming).routes());
    new AdminResource(p.elements(), elements);
    EngineResource engines = new EngineResource(p.elements(), elements, p.engines(), p.tasks());
    // before the rules' nested routes: a VPN's tunnels and gateway nodes, an engine's internal gateway,
    // the elements a gateway holds
    SubElementResource subElements = new SubElementResource(elements, p.elements(), p.engines().subElements());
    routes.addAll(new VpnResource(elements, p.engines().vpns(), p.engines().nodes(), subElements,
        p.engines().routeVpns()).routes());
    routes.addAll(subElements.routes());
    routes.addAll(engines.routes());
    routes.addAll(new RuleResource(p.elements(), elements, new dev.herald.server.element.Rules(p.elements(), p.clock()),
        p.tasks(), engines).routes());
    routes.addAll(new MonitoringResource(p.elements(), p.engines().monitored()).routes());
    routes.addAll(elements.routes());
    return new SmcHandler(routes, p.versions(), p.metrics(), new Bodies(p.maxBodyBytes()),
        sessions::of, p.origins(), p.onOutOfMemory(), p.journal(), p.admin().isPresent() ? p.faults() : null);
  }

  /** The handler of the metrics port: metrics, health and readiness, without a token. */
  public static Handler metricsPort(Parts p) {
    return new SmcHandler(new OpsResource(p.ready(), p.prometheus(), Optional.empty(), true).routes(),
        p.versions(), p.metrics(), new Bodies(1024), req -> {
          throw new IllegalStateException("no sessions on the metrics port");
        }, p.origins(), p.onOutOfMemory());
  }
}
