package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Aliases resolved on an engine, as smc-python reads them ({@code engine.alias_resolving()},
 * {@code alias.resolve(engine)}). An alias's elements on an engine are the engine's own value
 * for it (its {@code alias_value} entry), else the alias's value for that engine (an
 * {@code alias_value} entry whose {@code cluster_ref} is the engine), else its
 * {@code default_alias_value}; their addresses are its resolved value. SMC's interface aliases
 * ({@code $$ Interface ID 0.ip}, {@code … 0.net}) resolve to the addresses or networks of the
 * engine's interface of that id.
 */
public final class Aliases {
  /** SMC's interface aliases: the field of the interface's addresses each resolves to. */
  private static final Map<String, String> FROM_INTERFACE = Map.of(
      "interface_nic_x_ip_alias", "address", "interface_nic_x_net_alias", "network_value");
  private static final Pattern INTERFACE_ID = Pattern.compile("\\$\\$ Interface ID ([0-9.]+)\\.(ip|net)");

  private final ElementService elements;

  public Aliases(ElementService elements) {
    this.elements = elements;
  }

  /** What an alias resolves to on an engine: its translated elements and their values. */
  public record Resolved(List<String> elements, List<String> values) {}

  public Optional<Resolved> resolve(Caller caller, ElementRecord alias, EngineNodes.Engine engine) {
    JsonNode a = ElementService.parse(alias.body());
    String field = FROM_INTERFACE.get(alias.type());
    if (field != null) {
      Matcher m = INTERFACE_ID.matcher(alias.name());
      if (!m.matches()) {
        return Optional.empty();
      }
      List<String> values = new ArrayList<>();
      for (Engines.Interface itf : Engines.interfaces(engine.body())) {
        if (itf.data().path("interface_id").asText().equals(m.group(1))) {
          for (JsonNode wrapped : itf.data().path("interfaces")) {
            ObjectNode sub = Engines.unwrap(wrapped);
            if (sub != null && sub.hasNonNull(field) && !values.contains(sub.get(field).asText())) {
              values.add(sub.get(field).asText());
            }
          }
        }
      }
      return values.isEmpty() ? Optional.empty() : Optional.of(new Resolved(List.of(), values));
    }
    List<String> translated = translated("/elements/" + alias.type() + "/" + alias.key(), a, engine);
    if (translated.isEmpty()) {
      return Optional.empty();
    }
    List<String> values = new ArrayList<>();
    List<String> hrefs = new ArrayList<>();
    for (String href : translated) {
      Optional<ElementRecord> r = elements.resolveHref(caller, href);
      if (r.isEmpty()) {
        continue;
      }
      hrefs.add("/elements/" + r.get().type() + "/" + r.get().key());
      values.addAll(addresses(caller, r.get(), new LinkedHashSet<>()));
    }
    return Optional.of(new Resolved(hrefs, values));
  }

  private static List<String> translated(String aliasPath, JsonNode alias, EngineNodes.Engine engine) {
    String self = "/elements/" + engine.record().type() + "/" + engine.record().key();
    for (JsonNode v : engine.body().path("alias_value")) {
      if (v.path("alias_ref").asText().endsWith(aliasPath)) {
        return strings(v.path("translated_element"));
      }
    }
    for (JsonNode v : alias.path("alias_value")) {
      if (v.path("cluster_ref").asText().endsWith(self)) {
        return strings(v.path("translated_element"));
      }
    }
    return strings(alias.path("default_alias_value"));
  }

  private static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> {
      if (x.isTextual()) {
        out.add(x.asText());
      }
    });
    return out;
  }

  /** An element's addresses: a host's or router's, a network's, a range's, a group's members'. */
  private List<String> addresses(Caller caller, ElementRecord r, Set<Long> seen) {
    if (!seen.add(r.key())) {
      return List.of();
    }
    JsonNode b = ElementService.parse(r.body());
    List<String> out = new ArrayList<>();
    for (String f : List.of("address", "ipv6_address", "ipv4_network", "ipv6_network", "ip_range")) {
      if (b.hasNonNull(f) && b.get(f).isTextual()) {
        out.add(b.get(f).asText());
      }
    }
    for (JsonNode member : b.path("element")) {
      if (member.isTextual()) {
        elements.resolveHref(caller, member.asText()).ifPresent(m -> out.addAll(addresses(caller, m, seen)));
      }
    }
    return out;
  }

  /** Every visible alias that resolves on the engine (its {@code alias_resolving} link). */
  public ArrayNode resolving(Caller caller, EngineNodes.Engine engine, String base) {
    ArrayNode out = Json.mapper().createArrayNode();
    Set<String> types = Catalogue.context("alias").orElse(Set.of());
    for (ElementRecord alias : elements.search(caller, types, Optional.empty(), false, false, Integer.MAX_VALUE)) {
      resolve(caller, alias, engine).ifPresent(res -> {
        ObjectNode o = out.addObject().put("alias_ref", ElementJson.href(base, alias.type(), alias.key()));
        ArrayNode values = o.putArray("resolved_value");
        res.values().forEach(values::add);
        ArrayNode tr = o.putArray("translated_element");
        res.elements().forEach(h -> tr.add(base + h));
      });
    }
    return out;
  }

  /** An alias's {@code resolve?for=ENGINE}: 404 when there is no such engine. */
  public ObjectNode resolveFor(Caller caller, ElementRecord alias, String engineName, String base) {
    ElementRecord e = elements.search(caller, Engines.types().keySet(), Optional.of(engineName), true, true, 1).stream()
        .findFirst().orElseThrow(() -> HeraldException.notFound("Engine not found.", "There is no engine " + engineName + "."));
    EngineNodes.Engine engine = new EngineNodes.Engine(e, (ObjectNode) ElementService.parse(e.body()),
        Engines.kind(e.type()).orElseThrow());
    Resolved res = resolve(caller, alias, engine).orElse(new Resolved(List.of(), List.of()));
    ObjectNode o = Json.object();
    ArrayNode values = o.putArray("resolved_value");
    res.values().forEach(values::add);
    ArrayNode tr = o.putArray("translated_element");
    res.elements().forEach(h -> tr.add(base + h));
    return o;
  }
}
