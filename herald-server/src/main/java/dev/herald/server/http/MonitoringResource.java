package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.store.ElementRecord;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code monitoring_status} entry point (every monitored kind answers through
 * {@link dev.herald.server.element.Monitored}: engines, their nodes, VPNs, their tunnels, the
 * Management and Log Servers) and the {@code ha} entry point of a Management Server without
 * standby servers.
 */
final class MonitoringResource {
  private final ElementService elements;
  private final dev.herald.server.element.Monitored monitored;

  MonitoringResource(ElementService elements, dev.herald.server.element.Monitored monitored) {
    this.elements = elements;
    this.monitored = monitored;
  }

  List<Route> routes() {
    return List.of(
        new Route("/{v}/monitoring_status", Set.of("POST"), this::status),
        new Route("/{v}/ha", Set.of("GET"), this::ha),
        new Route("/{v}/ha/diagnostic", Set.of("GET"), this::diagnostic),
        new Route("/{v}/ha/{action}", Set.of("POST"), this::haAction));
  }

  /**
   * POST {"value": href}: smc-python's MonitoringStatus.get_status. 400 (its NotMonitored) for an
   * element Herald does not monitor.
   */
  private Reply status(Call call) throws Exception {
    Caller caller = call.session().caller();
    JsonNode v = call.json().get("value");
    if (v == null || !v.isTextual()) {
      throw HeraldException.badRequest("Invalid request.", "Send {\"value\": \"<element href>\"}.");
    }
    Optional<ObjectNode> monitored = this.monitored.status(caller, v.asText(), call.base());
    if (monitored.isPresent()) {
      return Reply.json(200, monitored.get());
    }
    ElementRecord r = elements.resolveHref(caller, v.asText()).orElseThrow(() ->
        HeraldException.notFound("Element not found.", v.asText() + " does not exist."));
    throw HeraldException.badRequest("Element " + r.name() + " is not monitored.",
        "Herald monitors its Management Server and Log Server, engines and their nodes, VPNs and their tunnels.");
  }

  private Optional<ElementRecord> managementServer(Caller caller) {
    return elements.search(caller, Set.of("mgt_server"), Optional.empty(), false, false, 1).stream().findFirst();
  }

  /** GET ha: this server is the active one, connected to, with no standby servers. */
  private Reply ha(Call call) {
    Caller caller = call.session().caller();
    ElementRecord mgt = managementServer(caller).orElseThrow(() -> HeraldException.notFound("No Management Server."));
    String href = ElementJson.href(call.base(), mgt.type(), mgt.key());
    ObjectNode o = Json.object().put("active_server", href).put("connected_server", href);
    o.putArray("standby_servers");
    return Reply.json(200, o);
  }

  private Reply diagnostic(Call call) {
    Caller caller = call.session().caller();
    ElementRecord mgt = managementServer(caller).orElseThrow(() -> HeraldException.notFound("No Management Server."));
    ObjectNode o = Json.object().put("status", "OK");
    o.putArray("execution_message");
    ObjectNode ew = o.putObject("errors_warnings").put("title", "No issues were detected while running the diagnostic.");
    ew.putArray("message");
    o.putObject("durations").put("title", "Durations").putArray("message");
    ObjectNode server = o.putArray("message").addObject().put("title", "Management Server");
    server.putArray("message").add("    Name: " + mgt.name()).add("    Status: active, no standby server");
    return Reply.json(200, o);
  }

  /** set_active, set_standby, full_replication, exclude: nothing to do with one Management Server. */
  private Reply haAction(Call call) {
    call.session().caller();
    String action = call.var("action");
    if (action.equals("set_active")) {
      return Reply.empty(200); // it is the active one already
    }
    if (Set.of("set_standby", "full_replication", "exclude").contains(action)) {
      throw HeraldException.badRequest("Impossible to " + action.replace('_', ' ') + ".",
          "This SMC has one Management Server and no standby server.");
    }
    throw HeraldException.notFound("No HA action " + action + ".");
  }
}
