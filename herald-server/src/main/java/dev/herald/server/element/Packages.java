package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import dev.herald.server.task.Tasks;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;

/**
 * Software SMC lists under its system entry point — dynamic update packages and engine upgrades
 * (the catalogue's {@code package} types): each an element of its type with a {@code state}
 * (available, imported, active) and the action that state offers ({@code download},
 * {@code activate}). A package becomes available when Forcepoint's download server publishes it
 * (in Herald: {@code POST /herald/admin/packages}, a test's way to stand in for that server),
 * imported by a download task or an upload of its file, active by an activation task: an update
 * package becomes the system's active one (the last activated package, the nodes' {@code dyn_up}),
 * an engine upgrade the software of the nodes it is activated on (their {@code version}).
 * Every change is an update of the package, evented.
 */
public final class Packages {
  /** What a zip archive (and so a signed .jar or .zip package) starts with. */
  private static final byte[] ZIP = {'P', 'K', 3, 4};

  private final ElementService elements;
  private final ElementStore store;
  private final InstantSource clock;
  private final EngineNodes nodes;
  private final String smcVersion;

  public Packages(ElementService elements, EngineNodes nodes, InstantSource clock, String smcVersion) {
    this.elements = elements;
    this.store = elements.store();
    this.nodes = nodes;
    this.clock = clock;
    this.smcVersion = smcVersion;
  }

  /** The package type listed by a system rel ({@code update_package}), if one is. */
  public static Optional<String> typeListedBy(String rel) {
    return Catalogue.packages().entrySet().stream().filter(e -> e.getValue().listRel().equals(rel))
        .map(java.util.Map.Entry::getKey).findFirst();
  }

  /** The package type a system upload rel imports ({@code import_package}), if one does. */
  public static Optional<String> typeImportedBy(String rel) {
    return Catalogue.packages().entrySet().stream().filter(e -> e.getValue().importRel().equals(rel))
        .map(java.util.Map.Entry::getKey).findFirst();
  }

  private static Catalogue.Package kind(String type) {
    return Catalogue.type(type).pkg().orElseThrow(() -> HeraldException.notFound("No package type " + type + "."));
  }

  /** The packages of a type the caller sees, newest first (the highest identity). */
  public List<ElementRecord> list(Caller caller, String type) {
    Catalogue.Package k = kind(type);
    List<ElementRecord> out = new ArrayList<>(elements.search(caller, Set.of(type), Optional.empty(), false, false,
        Integer.MAX_VALUE));
    java.util.Map<Long, String> ids = new java.util.HashMap<>();
    out.forEach(r -> ids.put(r.key(), identity(r, k))); // each body parsed once, not per comparison
    out.sort(Comparator.comparing((ElementRecord r) -> ids.get(r.key()), Packages::compareVersions).reversed());
    return out;
  }

  private static String identity(ElementRecord r, Catalogue.Package k) {
    return ElementService.parse(r.body()).path(k.identity()).asText("");
  }

  /** Compares dotted numbers part by part as numbers (7.10 after 7.9); other text as text. */
  static int compareVersions(String a, String b) {
    String[] x = a.split("\\D+");
    String[] y = b.split("\\D+");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = x[i].isEmpty() || y[i].isEmpty() ? x[i].compareTo(y[i])
          : new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return x.length != y.length ? Integer.compare(x.length, y.length) : a.compareTo(b);
  }

  /**
   * A package Forcepoint's download server offers (state {@code available}): {@code spec} gives
   * its identity ({@code package_id} / {@code version}) and may give {@code name},
   * {@code release_date}, {@code release_notes}, {@code platform}; the same identity twice: 400.
   */
  public ElementRecord publish(Caller caller, String type, JsonNode spec) {
    Catalogue.Package k = kind(type);
    if (!(spec instanceof ObjectNode in) || !in.path(k.identity()).isValueNode() || in.path(k.identity()).asText().isBlank()) {
      throw HeraldException.badRequest("Impossible to publish the package.", "Give its " + k.identity() + ".");
    }
    ObjectNode body = Json.object();
    in.properties().forEach(e -> {
      if (!e.getKey().equals("type") && !e.getKey().equals("state")) {
        body.set(e.getKey(), e.getValue());
      }
    });
    identityTyped(type, k, body, in.get(k.identity()).asText());
    body.put("state", k.published());
    if (!body.hasNonNull("release_date")) {
      body.put("release_date", LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString());
    }
    if (!body.hasNonNull("name")) {
      body.put("name", defaultName(k, body));
    }
    refuseKnown(caller, type, k, body.get(k.identity()).asText());
    return elements.create(caller, type, body);
  }

  /** A package's identity as its type has it: a number where the catalogue says integer. */
  private static void identityTyped(String type, Catalogue.Package k, ObjectNode body, String value) {
    Catalogue.Attribute a = Catalogue.type(type).attributes().get(k.identity());
    if (a != null && a.type().equals("integer")) {
      try {
        body.put(k.identity(), Long.parseLong(value.strip()));
      } catch (NumberFormatException e) {
        throw HeraldException.badRequest("Impossible to publish the package.", k.identity() + " is a number; got " + value + ".");
      }
    } else {
      body.put(k.identity(), value.strip());
    }
  }

  private static String defaultName(Catalogue.Package k, ObjectNode body) {
    Matcher m = java.util.regex.Pattern.compile("\\{([a-z_]+)}").matcher(k.defaultName());
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(body.path(m.group(1)).asText("unknown")));
    }
    m.appendTail(out);
    return out.toString();
  }

  private Optional<ElementRecord> known(Caller caller, String type, Catalogue.Package k, String identity) {
    return list(caller, type).stream().filter(r -> identity(r, k).equals(identity)).findFirst();
  }

  private void refuseKnown(Caller caller, String type, Catalogue.Package k, String identity) {
    known(caller, type, k, identity).ifPresent(r -> {
      throw HeraldException.badRequest("Impossible to store the package.", "The " + type + " " + identity
          + " is known already (" + r.name() + ", " + state(r) + ").");
    });
  }

  private static String state(ElementRecord r) {
    return ElementService.parse(r.body()).path("state").asText("");
  }

  /**
   * An uploaded package file ({@code import_package} / {@code import_upgrade}): a zip archive
   * (as Forcepoint's signed .jar and .zip packages are) whose name carries its identity. It is
   * imported under its file name — a package published as available becomes imported; one
   * imported already: 400. Returns the packages imported.
   */
  public List<ElementRecord> importFile(Caller caller, String type, String fileName, byte[] bytes) {
    Catalogue.Package k = kind(type);
    String name = fileName == null ? "" : fileName.replaceAll(".*[/\\\\]", "").strip();
    String what = "Impossible to import the file " + (name.isEmpty() ? "(no file name)" : name) + ".";
    if (bytes.length < ZIP.length || !java.util.Arrays.equals(bytes, 0, ZIP.length, ZIP, 0, ZIP.length)) {
      throw HeraldException.badRequest(what, "It is not a package: Forcepoint's packages are signed zip archives (.jar, .zip).");
    }
    ObjectNode body = Json.object().put("name", name);
    for (var e : k.fromFileName().entrySet()) {
      Matcher m = e.getValue().matcher(name);
      if (m.find()) {
        body.put(e.getKey(), m.group(1));
      } else if (e.getKey().equals(k.identity())) {
        throw HeraldException.badRequest(what, "Herald reads a package's " + k.identity() + " in its file name"
            + " (SMC reads it in the signed archive) and finds none in \"" + name + "\".");
      }
    }
    identityTyped(type, k, body, body.get(k.identity()).asText());
    String identity = body.get(k.identity()).asText();
    Optional<ElementRecord> was = known(caller, type, k, identity);
    if (was.isPresent() && !state(was.get()).equals(k.published())) {
      throw HeraldException.badRequest(what, "The " + type + " " + identity + " is " + state(was.get())
          + " already (" + was.get().name() + "): delete it first to import it again.");
    }
    if (was.isPresent()) {
      return List.of(change(caller, was.get(), b -> b.put("state", k.imported()).put("name", name)));
    }
    body.put("state", k.imported());
    return List.of(elements.create(caller, type, body));
  }

  /** A package that can be downloaded (it is available): 400 saying why otherwise. */
  public ElementRecord downloadable(Caller caller, String type, long key) {
    ElementRecord r = inState(caller, type, key, "download", kind(type).published());
    elements.writableForLink(caller, type, key, "download");
    return r;
  }

  /** {@code download}: the package's file comes from the download server: it is imported. */
  public ElementRecord download(Caller caller, String type, long key) {
    Catalogue.Package k = kind(type);
    ElementRecord r = inState(caller, type, key, "download", k.published());
    return change(caller, r, b -> b.put("state", k.imported()));
  }

  /**
   * Checks an activation before its task starts: the package is imported (or active), and an
   * engine upgrade names the nodes it goes to ({@code resource}: node hrefs), each a node of an
   * engine the caller may change that answers. Returns those nodes.
   */
  public List<NodeRef> checkActivation(Caller caller, String type, long key, JsonNode body) {
    ElementRecord r = elements.writableForLink(caller, type, key, "activate");
    Catalogue.Package k = kind(type);
    if (!state(r).equals(k.imported()) && !k.active().map(state(r)::equals).orElse(false)) {
      throw HeraldException.badRequest("Impossible to activate " + r.name() + ".",
          "It is " + state(r) + ": download (or import) it first.");
    }
    if (!k.activated().equals("nodes")) {
      return List.of();
    }
    JsonNode resource = body == null ? null : body.get("resource");
    if (resource == null || !resource.isArray() || resource.isEmpty()) {
      throw HeraldException.badRequest("Impossible to activate " + r.name() + ".",
          "Name the engine nodes to upgrade: {\"resource\": [node href, …]}.");
    }
    List<NodeRef> out = new ArrayList<>();
    for (JsonNode h : resource) {
      String href = h.asText("");
      NodeRef n = nodes.nodeByHref(caller, href, "upgrade").orElseThrow(() -> HeraldException.badRequest(
          "Impossible to activate " + r.name() + ".", href + " is not an engine node."));
      out.add(n);
    }
    return out;
  }

  /** An engine node an activation goes to. */
  public record NodeRef(EngineNodes.Engine engine, Engines.Node node) {}

  /**
   * The activation itself (in its task): an update package becomes the active one (the one active
   * before goes back to imported); an engine upgrade becomes the nodes' software — each must
   * answer, or nothing changes and the task fails saying which does not.
   */
  public String activate(Caller caller, String type, long key, List<NodeRef> to) {
    ElementRecord r = elements.get(caller, type, key);
    Catalogue.Package k = kind(type);
    if (k.activated().equals("nodes")) {
      JsonNode b = ElementService.parse(r.body());
      String version = b.path("version").asText();
      String platform = b.path("platform").asText("");
      for (NodeRef n : to) {
        if (!nodes.answers(n.engine(), n.node())) {
          throw new Tasks.Failed("Impossible to upgrade " + n.node().name() + " of " + n.engine().record().name()
              + ": the node does not answer.");
        }
      }
      for (NodeRef n : to) {
        nodes.upgrade(n.engine(), n.node(), version, platform);
      }
      return r.name() + " was activated on " + to.size() + " node" + (to.size() == 1 ? "" : "s") + ".";
    }
    long now = clock.millis();
    String active = k.active().orElseThrow(() -> new IllegalStateException(type + " has no active state"));
    List<Long> others = list(caller, type).stream().filter(o -> o.key() != key).map(ElementRecord::key).toList();
    // the one active before goes back to imported in the same write: never two active, never none
    store.write(tx -> {
      ElementRecord cur = tx.lock(key).orElseThrow(() -> HeraldException.notFound("Element not found."));
      for (long o : others) {
        Optional<ElementRecord> other = tx.lock(o);
        if (other.isPresent() && state(other.get()).equals(active)) {
          ElementService.edit(tx, caller, other.get(), x -> x.put("state", k.imported()), now);
        }
      }
      ElementService.edit(tx, caller, cur, x -> x.put("state", active).put("activation_date", now).put("smc_version", smcVersion), now);
      return null;
    });
    return r.name() + " is active.";
  }

  /** The identity of the active update package ({@code last_activated_package}), if any. */
  public Optional<String> lastActivated(Caller caller) {
    for (var e : Catalogue.packages().entrySet()) {
      if (e.getValue().active().isPresent()) {
        for (ElementRecord r : list(caller, e.getKey())) {
          if (state(r).equals(e.getValue().active().get())) {
            return Optional.of(identity(r, e.getValue()));
          }
        }
      }
    }
    return Optional.empty();
  }

  private ElementRecord inState(Caller caller, String type, long key, String action, String state) {
    ElementRecord r = elements.get(caller, type, key);
    if (!state(r).equals(state)) {
      throw HeraldException.badRequest("Impossible to " + action + " " + r.name() + ".",
          "It is " + state(r) + "; only an " + state + " package can be " + action + "ed.");
    }
    return r;
  }

  /** Changes a package's stored fields: an update of the element, with its event. */
  private ElementRecord change(Caller caller, ElementRecord r, Consumer<ObjectNode> edit) {
    elements.writableForLink(caller, r.type(), r.key(), "change");
    return elements.edit(caller, r, edit);
  }
}
