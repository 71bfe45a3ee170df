package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.element.Rules;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.TaskStore.TaskRow;
import dev.herald.server.task.Tasks;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Policies' rule collections and rules over HTTP: {@code <policy>/fw_ipv4_access_rule} (the
 * href of the policy's {@code fw_ipv4_access_rules} link) lists the rules in order (GET) and adds
 * one (POST, at the top or {@code ?after=TAG} / {@code ?before=TAG} / a body {@code rank});
 * {@code <policy>/fw_ipv4_access_rule/KEY} is a rule (GET, PUT, DELETE) and its links
 * ({@code add_after}, {@code add_before}, history, …); a policy's {@code search_rule},
 * {@code rule_counter}, {@code upload} and {@code force_unlock}.
 */
final class RuleResource {
  private final ElementService elements;
  private final ElementResource elementResource;
  private final Rules rules;
  private final Tasks tasks;
  private final EngineResource engines;

  RuleResource(ElementService elements, ElementResource elementResource, Rules rules, Tasks tasks,
      EngineResource engines) {
    this.engines = engines;
    this.elements = elements;
    this.elementResource = elementResource;
    this.rules = rules;
    this.tasks = tasks;
    elementResource.registerRules(this::collection);
    elementResource.register("add_after", (c, t, k) -> nextTo(c, t, k, true));
    elementResource.register("add_before", (c, t, k) -> nextTo(c, t, k, false));
    elementResource.register("search_rule", this::searchRule);
    elementResource.register("rule_counter", (c, t, k) -> {
      elements.get(c.session().caller(), t, k);
      // hits are counted by engines: with none, no rule has any
      return Reply.json(200, Json.object().set("result", Json.mapper().createArrayNode()));
    });
    elementResource.register("upload", this::upload);
    elementResource.registerPolicyCopier((caller, t, k, name, base) -> rules.saveAs(caller, t, k, name, base));
    elementResource.register("save_as", (c, t, k) -> {
      requireMethod(c, "POST");
      String name = c.param("name").filter(n -> !n.isBlank()).orElseThrow(() ->
          HeraldException.badRequest("Impossible to save the policy.", "Give the new policy's name: ?name=NEW."));
      ElementRecord copy = rules.saveAs(c.session().caller(), t, k, name, c.base());
      return Reply.json(201, ElementJson.render(copy, c.base())).header("Location", ElementJson.href(c.base(), copy.type(), copy.key()))
          .header("ETag", ETags.of(copy.key(), copy.version()));
    });
    elementResource.registerValidator((c, t, k) -> Catalogue.type(t).rules().isEmpty() ? Optional.empty()
        : Optional.of(rules.validate(c.session().caller(), t, k, c.base())));
    elementResource.register("force_unlock", (c, t, k) -> {
      requireMethod(c, "POST");
      ElementRecord r = elements.get(c.session().caller(), t, k);
      return Reply.json(200, ElementJson.render(r, c.base())).header("ETag", ETags.of(r.key(), r.version()));
    });
  }

  List<Route> routes() {
    return List.of(
        new Route("/{v}/elements/{ptype}/{pkey}/{type}/{key}", Set.of("GET", "HEAD", "PUT", "DELETE"), this::rule),
        new Route("/{v}/elements/{ptype}/{pkey}/{type}/{key}/{rel}", Set.of("GET", "POST", "PUT", "DELETE"), this::ruleLink));
  }

  private static long number(Call call, String var) {
    try {
      return Long.parseLong(call.var(var));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Element not found.", "Element keys are integers; got " + call.var(var) + ".");
    }
  }

  /** The policy and rule a nested href names, checked to belong together. */
  private ElementRecord check(Call call) {
    String ptype = call.var("ptype");
    String rtype = call.var("type");
    if (!Catalogue.isRelName(ptype) || !Catalogue.isRelName(rtype)) {
      throw HeraldException.notFound("Not found.", "No resource at " + call.request.getHttpURI().getPath() + ".");
    }
    String ruleType = Rules.collection(Catalogue.canonical(ptype), rtype);
    return rules.rule(call.session().caller(), Catalogue.canonical(ptype), number(call, "pkey"), ruleType, number(call, "key"));
  }

  private Reply rule(Call call) throws Exception {
    if (EngineResource.isEngine(call.var("ptype"))) {
      return engines.sub(call); // a node or an interface of an engine
    }
    check(call);
    return elementResource.element(call);
  }

  private Reply ruleLink(Call call) throws Exception {
    if (EngineResource.isEngine(call.var("ptype"))) {
      return engines.subLink(call);
    }
    check(call);
    return elementResource.link(call);
  }

  /** GET: the collection's rules in order, as meta; POST: a new rule at its position. */
  private Reply collection(Call call, String policyType, long policyKey) throws Exception {
    Caller caller = call.session().caller();
    String ruleType = Rules.collection(policyType, call.var("rel"));
    if (call.method().equals("GET") || call.method().equals("HEAD")) {
      ArrayNode result = Json.mapper().createArrayNode();
      for (ElementRecord r : rules.list(caller, policyType, policyKey, ruleType)) {
        result.add(ElementJson.meta(r, call.base()));
      }
      return Reply.json(200, Json.object().set("result", result));
    }
    requireMethod(call, "POST");
    ObjectNode body = object(call.json());
    call.flag("validate", true);
    ElementRecord r = rules.create(caller, policyType, policyKey, ruleType, body,
        rules.position(call.param("after"), call.param("before"), body), call.param("insert_point"));
    return created(call, r);
  }

  /** POST a rule to another's add_after / add_before: the new rule goes right there. */
  private Reply nextTo(Call call, String ruleType, long ruleKey, boolean after) throws Exception {
    requireMethod(call, "POST");
    ElementRecord r = rules.createNextTo(call.session().caller(), ruleType, ruleKey, after, object(call.json()));
    return created(call, r);
  }

  private static Reply created(Call call, ElementRecord r) {
    String href = ElementJson.selfHref(r, call.base());
    return Reply.json(201, ElementJson.render(r, call.base())).header("Location", href)
        .header("ETag", ETags.of(r.key(), r.version()));
  }

  /** GET search_rule?filter=TEXT (a name or comment part, or @TAG): meta of the policy's rules. */
  private Reply searchRule(Call call, String policyType, long policyKey) {
    String filter = call.param("filter").orElse("");
    ArrayNode result = Json.mapper().createArrayNode();
    for (ElementRecord r : rules.search(call.session().caller(), policyType, policyKey, filter)) {
      result.add(ElementJson.meta(r, call.base()));
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  /**
   * POST upload?filter=ENGINE: a task that installs this policy on the engine of that name (on
   * its nodes that made initial contact), as the engine's own upload does; it fails, saying why,
   * when there is no such engine or none of its nodes made contact.
   */
  private Reply upload(Call call, String policyType, long policyKey) {
    if (EngineResource.isEngine(policyType)) {
      return engines.upload(call, policyType, policyKey); // an engine's upload: the policy is ?filter=
    }
    requireMethod(call, "POST");
    Caller caller = call.session().caller();
    ElementRecord policy = elements.get(caller, policyType, policyKey);
    String engine = call.param("filter").orElse("");
    TaskRow t = tasks.start(caller, "upload", List.of("/elements/" + policyType + "/" + policyKey), ctx -> {
      if (engine.isEmpty()) {
        throw new Tasks.Failed("Policy " + policy.name() + " cannot be uploaded: no engine was given (?filter=ENGINE).");
      }
      engines.install(caller, engine, policy);
      return Tasks.Outcome.of("Policy " + policy.name() + " was installed on " + engine + ".");
    });
    return Reply.json(200, Tasks.json(t, call.base()));
  }

  private static ObjectNode object(JsonNode json) {
    if (!(json instanceof ObjectNode o)) {
      throw HeraldException.badRequest("Invalid element.", "The request body must be a JSON object.");
    }
    return o;
  }

  private static void requireMethod(Call call, String method) {
    if (!call.method().equals(method)) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", List.of("Allowed: " + method + "."), null)
          .header("Allow", method);
    }
  }
}
