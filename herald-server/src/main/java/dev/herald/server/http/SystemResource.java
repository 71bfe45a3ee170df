package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.Packages;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementService;
import dev.herald.server.element.Transfer;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.TaskStore.TaskRow;
import dev.herald.server.task.Tasks;
import java.io.IOException;
import java.io.InputStream;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * SMC's {@code system} entry point as smc-python's {@code System} drives it (its links, the
 * version and time, system properties, the trash bin, export and import of elements through
 * tasks), and the tasks themselves under {@code task_progress}. The links and properties are
 * data ({@code dev/herald/server/system.json}); a link Herald does not do answers 501.
 */
final class SystemResource {
  /** An import file's limit (a zip of Herald's export format). */
  static final long MAX_UPLOAD_BYTES = 64L * 1024 * 1024;
  private static final String PROPERTY = "system_property.";

  private record SystemLink(String rel, String method, boolean implemented, String why) {}

  private record Property(long key, String name, String defaultValue) {}

  private final ElementService elements;
  private final Tasks tasks;
  private final Transfer transfer;
  private final InstantSource clock;
  private final String smcVersion;
  private final Map<String, SystemLink> links = new LinkedHashMap<>();
  private final Map<Long, Property> properties = new LinkedHashMap<>();
  private final Map<String, Set<String>> exportTypes = new LinkedHashMap<>();
  /** Uploads are read into memory: two at once at most. */
  private final Semaphore uploads = new Semaphore(2);

  private final ElementResource elementResource;

  private final dev.herald.server.element.BlockLists blockLists;

  private final Packages packages;
  private final dev.herald.server.element.Licences licences;
  private final dev.herald.server.element.EngineNodes nodes;
  private final dev.herald.server.element.UpcomingEvents upcoming;
  private final dev.herald.server.element.CertificateAuthorities authorities;
  private final dev.herald.server.element.SystemSnapshots snapshots;
  private final dev.herald.server.element.Ldif ldif;

  SystemResource(ElementService elements, ElementResource elementResource, Tasks tasks, InstantSource clock,
      dev.herald.server.element.EngineModel engines, Packages packages,
      dev.herald.server.element.UpcomingEvents upcoming) {
    this.upcoming = upcoming;
    this.authorities = new dev.herald.server.element.CertificateAuthorities(elements, clock);
    this.snapshots = new dev.herald.server.element.SystemSnapshots(elements, clock);
    this.ldif = new dev.herald.server.element.Ldif(elements);
    elementResource.register("content", (c, type, key) -> Reply.bytes(200, "application/zip", snapshots.content(caller(c), key))
        .header("Content-Disposition", "attachment; filename=\"system_snapshot_" + key + ".zip\""));
    // text/plain: smc-python reads a raw result's content only as text/plain or octet-stream
    elementResource.register("certificate", (c, type, key) ->
        Reply.text(200, "text/plain", authorities.certificate(caller(c), key)));
    elementResource.register("untrust", this::untrust);
    this.blockLists = engines == null ? null : engines.blockLists();
    this.licences = engines == null ? null : engines.licences();
    this.nodes = engines == null ? null : engines.nodes();
    this.packages = packages;
    elementResource.register("download", this::download);
    elementResource.register("activate", this::activate);
    this.elements = elements;
    this.elementResource = elementResource;
    elementResource.register("export", this::exportOne);
    this.tasks = tasks;
    this.transfer = new Transfer(elements);
    this.clock = clock;
    try (InputStream in = SystemResource.class.getResourceAsStream("/dev/herald/server/system.json")) {
      JsonNode root = Json.mapper().readTree(in);
      this.smcVersion = root.get("smc_version").asText();
      for (JsonNode l : root.get("links")) {
        links.put(l.get("rel").asText(), new SystemLink(l.get("rel").asText(), l.get("method").asText(),
            l.path("implemented").asBoolean(false), l.path("why").asText("")));
      }
      root.get("export_types").properties().forEach(e -> {
        Set<String> set = new java.util.TreeSet<>();
        JsonNode spec = e.getValue();
        if (spec.has("family")) {
          set.addAll(Catalogue.context(spec.get("family").asText()).orElseThrow(() ->
              new IllegalStateException("system.json names an unknown family " + spec.get("family"))));
        }
        spec.path("types").forEach(t -> {
          if (!Catalogue.isRelName(t.asText())) {
            throw new IllegalStateException("system.json names an unknown type " + t);
          }
          set.add(Catalogue.canonical(t.asText()));
        });
        exportTypes.put(e.getKey(), Set.copyOf(set));
      });
      for (JsonNode p : root.get("system_properties")) {
        properties.put(p.get("system_key").asLong(), new Property(p.get("system_key").asLong(),
            p.get("name").asText(), p.get("default_value").asText()));
      }
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("system.json is missing from the server jar or unreadable", e);
    }
  }

  /** The SMC version Herald answers as (system.json's {@code smc_version}). */
  static String smcVersion() {
    try (InputStream in = SystemResource.class.getResourceAsStream("/dev/herald/server/system.json")) {
      return Json.mapper().readTree(in).get("smc_version").asText();
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("system.json is missing from the server jar or unreadable", e);
    }
  }

  List<Route> routes() {
    List<Route> out = new java.util.ArrayList<>();
    // the software SMC lists under system (catalogue data): the list and the upload of each kind
    Catalogue.packages().forEach((type, k) -> {
      out.add(new Route("/{v}/system/" + k.listRel(), Set.of("GET"), c -> packageList(c, type)));
      out.add(Route.upload("/{v}/system/" + k.importRel(), Set.of("POST"), c -> importPackage(c, type, k)));
    });
    out.addAll(fixedRoutes());
    return out;
  }

  private List<Route> fixedRoutes() {
    return List.of(
        new Route("/{v}/system", Set.of("GET", "HEAD"), this::system),
        new Route("/{v}/system/smc_version", Set.of("GET"), c -> value(c, smcVersion + " [Herald]")),
        new Route("/{v}/system/smc_time", Set.of("GET"), c -> value(c, clock.millis())),
        new Route("/{v}/system/last_activated_package", Set.of("GET"),
            c -> value(c, packages.lastActivated(caller(c)).orElse("0"))),
        new Route("/{v}/system/system_properties", Set.of("GET"), this::propertyList),
        new Route("/{v}/system/system_properties/{key}", Set.of("GET", "PUT"), this::property),
        new Route("/{v}/system/references_by_element", Set.of("POST"), elementResource::referencesByElement),
        new Route("/{v}/system/empty_trash_bin", Set.of("DELETE"), this::emptyTrash),
        new Route("/{v}/system/export_elements", Set.of("POST"), this::exportElements),
        Route.upload("/{v}/system/import_elements", Set.of("POST"), this::importElements),
        new Route("/{v}/system/licenses", Set.of("GET"), c -> list(c, Json.object().set("license", licences.list(caller(c), c.base())))),
        new Route("/{v}/system/unlicensed_components", Set.of("GET"), c -> list(c, licences.unlicensed(caller(c), nodes, c.base()))),
        Route.upload("/{v}/system/license_install", Set.of("PUT"), this::installLicence),
        new Route("/{v}/system/delete_license", Set.of("PUT"), c -> {
          licences.delete(caller(c), c.param("license_id").orElseThrow(() -> HeraldException.badRequest(
              "Impossible to delete the licence.", "Name it: ?license_id=ID.")));
          return Reply.json(200, Json.object());
        }),
        new Route("/{v}/system/license_bind", Set.of("POST"), c -> {
          JsonNode b = c.json();
          licences.bindComponent(caller(c), b.path("component_href").asText(""),
              b.path("license_item_id").isTextual() || b.path("license_item_id").isNumber()
                  ? Optional.of(b.get("license_item_id").asText()) : Optional.empty(), nodes);
          return Reply.json(200, Json.object());
        }),
        new Route("/{v}/system/license_fetch", Set.of("GET"), c -> {
          Caller caller = caller(c);
          String pos = c.param("proofofserial").orElseThrow(() -> HeraldException.badRequest(
              "Impossible to fetch a licence.", "Name its proof of serial: ?proofofserial=POS."));
          return Reply.json(200, Json.object().set("license", licences.render(licences.fetch(caller, pos), c.base())));
        }),
        new Route("/{v}/system/license_check_for_new", Set.of("GET"), c -> {
          Caller caller = caller(c);
          dev.herald.server.element.Licences.requireManager(caller, "check for new licences"); // 403 before a task
          TaskRow t = tasks.start(caller, "license_check_for_new", List.of(), ctx -> {
            int n = licences.fetchNew(caller).size();
            return Tasks.Outcome.of(n == 0 ? "No new licence." : "Installed " + n + " new licence" + (n == 1 ? "." : "s."));
          });
          return Reply.json(200, Tasks.json(t, c.base()));
        }),
        new Route("/{v}/system/massive_license_bind", Set.of("POST"),
            c -> Reply.json(200, Json.object().put("value", licences.bindAll(caller(c), nodes)))),
        new Route("/{v}/system/uncommitted", Set.of("GET"), c -> list(c, Json.mapper().createArrayNode())),
        new Route("/{v}/system/visible_virtual_engine_mapping", Set.of("GET"),
            c -> list(c, Json.object().set("mapping", Json.mapper().createArrayNode()))),
        new Route("/{v}/system/massive_delete", Set.of("POST"), this::massiveDelete),
        new Route("/{v}/system/upcoming_event", Set.of("GET"), c -> list(c, upcoming.events(caller(c), c.base()))),
        new Route("/{v}/system/upcoming_event_policy", Set.of("GET", "PUT"), c -> {
          if (c.method().equals("PUT")) {
            upcoming.setPolicy(caller(c), c.json());
          }
          return list(c, upcoming.policy(caller(c), c.base()));
        }),
        new Route("/{v}/system/upcoming_event_ignore_settings", Set.of("GET", "PUT"), c -> {
          if (c.method().equals("PUT")) {
            upcoming.setIgnored(caller(c), c.json());
          }
          return list(c, upcoming.ignored(caller(c), c.base()));
        }),
        new Route("/{v}/system/system_snapshot", Set.of("GET"), c -> ElementResource.metaList(c, snapshots.list(caller(c)))),
        new Route("/{v}/system/export_ldif_elements", Set.of("POST"), this::exportLdif),
        Route.upload("/{v}/system/import_ldif_elements", Set.of("POST"), this::importLdif),
        Route.upload("/{v}/system/certificate_authority", Set.of("GET", "POST"), this::certificateAuthorities),
        new Route("/{v}/system/block_list", Set.of("POST"), this::blockList),
        new Route("/{v}/system/blacklist", Set.of("POST"), this::blockList),
        new Route("/{v}/system/{rel}", Set.of("GET", "POST", "PUT", "DELETE"), this::notYet),
        new Route("/{v}/elements/task_progress", Set.of("GET", "HEAD"), this::taskList),
        new Route("/{v}/elements/task_progress/{id}", Set.of("GET", "HEAD"), c -> task(c, tasks.get(caller(c), id(c)))),
        new Route("/{v}/elements/task_progress/{id}/abort", Set.of("DELETE", "POST", "PUT"), this::abort),
        new Route("/{v}/elements/task_progress/{id}/result", Set.of("GET"), this::result));
  }

  private static Caller caller(Call c) {
    return c.session().caller();
  }

  /** GET system: an element-like document whose links smc-python follows by rel. */
  private Reply system(Call call) {
    caller(call);
    String self = call.base() + "/system";
    ObjectNode o = Json.object();
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", "system");
    for (SystemLink l : links.values()) {
      link.addObject().put("rel", l.rel()).put("href", self + "/" + l.rel());
    }
    return Reply.json(200, o);
  }

  private Reply value(Call call, Object v) {
    caller(call);
    ObjectNode o = Json.object();
    if (v instanceof Long n) {
      o.put("value", n);
    } else {
      o.put("value", v.toString());
    }
    return Reply.json(200, o);
  }

  private Reply list(Call call, JsonNode body) {
    caller(call);
    return Reply.json(200, body);
  }

  /**
   * The global block list (smc-python's {@code System.block_list}): the entries go to every engine
   * the caller may change, all or none.
   */
  private Reply blockList(Call c) throws Exception {
    var entries = dev.herald.server.element.BlockLists.entries(c.json());
    List<dev.herald.server.store.ElementRecord> engines = new java.util.ArrayList<>();
    for (var e : elements.search(caller(c), dev.herald.server.element.Engines.types().keySet(), java.util.Optional.empty(),
        false, false, Integer.MAX_VALUE)) {
      try {
        engines.add(elements.writableForLink(caller(c), e.type(), e.key(), "add to the block list of",
            dev.herald.server.element.Rights.Capability.OPERATE));
      } catch (HeraldException notYours) {
        // an engine the caller may see but not change (another domain's, a read-only role): left alone
      }
    }
    blockLists.add(engines, entries);
    return Reply.json(200, Json.object());
  }

  /** {@code massive_delete}: {@code {"resource": [href, ...]}}, every one deleted or none. */
  private Reply massiveDelete(Call c) throws Exception {
    JsonNode res = c.json().get("resource");
    if (res == null || !res.isArray()) {
      throw HeraldException.badRequest("Impossible to delete the elements.", "Send {\"resource\": [element href, ...]}.");
    }
    List<String> hrefs = new java.util.ArrayList<>();
    for (JsonNode h : res) {
      if (!h.isTextual()) {
        throw HeraldException.badRequest("Impossible to delete the elements.", "Each resource is an element's href.");
      }
      hrefs.add(h.asText());
    }
    elements.deleteByHref(caller(c), hrefs);
    return Reply.empty(204);
  }

  /**
   * {@code certificate_authority}: GET lists the CAs as smc-python's sub_collection reads them;
   * POST (multipart, part {@code ca_certificate}) imports one from its certificate.
   */
  private Reply certificateAuthorities(Call c) throws Exception {
    Caller caller = caller(c);
    if (c.method().equals("GET")) {
      return ElementResource.metaList(c, authorities.list(caller));
    }
    byte[] file = c.file("ca_certificate", dev.herald.server.element.CertificateAuthorities.MAX_BYTES);
    ElementRecord r = authorities.importCertificate(caller, file);
    return Reply.json(201, ElementJson.render(r, c.base()))
        .header("Location", ElementJson.href(c.base(), r.type(), r.key()));
  }

  /** A CA's {@code untrust} (smc-python: PUT, then polls the task). */
  private Reply untrust(Call c, String type, long key) {
    Caller caller = caller(c);
    ElementRecord r = authorities.checkUntrust(caller, key);
    TaskRow t = tasks.start(caller, "untrust", List.of("/elements/" + type + "/" + key), ctx -> {
      authorities.untrust(caller, r);
      return Tasks.Outcome.of(r.name() + " is untrusted.");
    });
    return Reply.json(200, Tasks.json(t, c.base()));
  }

  private Reply notYet(Call call) {
    caller(call);
    String rel = call.var("rel");
    if (!links.containsKey(rel)) {
      throw HeraldException.notFound("No link " + rel + " on system.", "GET system: its link list names what it offers.");
    }
    String why = links.get(rel).why();
    throw new HeraldException(501, "Herald does not implement " + rel + " on system yet.",
        why.isEmpty() ? List.of("docs/rest-api.md lists what Herald's system entry point does.") : List.of(why), null);
  }

  // ---- system properties ----

  private Reply propertyList(Call call) {
    caller(call);
    ArrayNode result = Json.mapper().createArrayNode();
    for (Property p : properties.values()) {
      result.addObject().put("name", p.name()).put("href", propertyHref(call, p)).put("type", "system_property");
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  private static String propertyHref(Call call, Property p) {
    return call.base() + "/system/system_properties/" + p.key();
  }

  private Reply property(Call call) throws Exception {
    Caller caller = caller(call);
    Property p = Optional.ofNullable(properties.get(parseKey(call.var("key"))))
        .orElseThrow(() -> HeraldException.notFound("System property " + call.var("key") + " not found.",
            "GET system_properties lists them."));
    Optional<String> stored = elements.store().settingValue(PROPERTY + p.key());
    String value = stored.orElse(p.defaultValue());
    if (call.method().equals("PUT")) {
      if (!caller.rights().superuser()) {
        throw HeraldException.forbidden("Impossible to update the element " + p.name() + ".",
            "Only a superuser may change system properties.");
      }
      Optional<String> etag = ElementResource.ifMatch(call);
      if (etag.isEmpty()) {
        throw new HeraldException(428, "Impossible to update the element " + p.name() + ".",
            List.of("Send the property's ETag in an If-Match (or Etag) header; GET it to obtain it."), null);
      }
      if (!ETags.matches(etag.get(), p.key(), version(value))) {
        throw new HeraldException(412, "Impossible to update the element " + p.name() + ".",
            List.of("The property was changed since you read it (ETag mismatch); GET it again and retry."), null);
      }
      JsonNode v = call.json().get("value");
      if (v == null || !(v.isTextual() || v.isNumber() || v.isBoolean()) || v.asText().length() > 1024) {
        throw HeraldException.badRequest("Impossible to update the element " + p.name() + ".",
            "Field value must be a string of at most 1024 characters.");
      }
      if (!elements.store().replaceSetting(PROPERTY + p.key(), stored, v.asText())) {
        throw new HeraldException(412, "Impossible to update the element " + p.name() + ".",
            List.of("The property was changed meanwhile; GET it again and retry."), null);
      }
      value = v.asText();
    }
    ObjectNode o = Json.object();
    o.put("name", p.name());
    o.put("system_key", p.key());
    o.put("value", value);
    o.put("default_value", p.defaultValue());
    o.putArray("link").addObject().put("rel", "self").put("href", propertyHref(call, p)).put("type", "system_property");
    return Reply.json(200, o).header("ETag", ETags.of(p.key(), version(value)));
  }

  private static long version(String value) {
    return value.hashCode() & 0x7fffffffL;
  }

  private static long parseKey(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  // ---- trash, export, import ----

  private Reply emptyTrash(Call call) {
    elements.emptyTrash(caller(call));
    return Reply.empty(204);
  }

  /**
   * POST export_elements?recursive=…&type=all|nw|sv|…&exclude_trashed=…: a task whose result is
   * the zip.
   */
  private Reply exportElements(Call call) {
    Caller caller = caller(call);
    boolean recursive = call.flag("recursive", true);
    boolean excludeTrashed = call.flag("exclude_trashed", false);
    Set<String> types = exportTypes(call.param("type").orElse("all"));
    List<ElementRecord> set = elements.exportSet(caller, types, recursive, excludeTrashed, List.of());
    return export(call, caller, "export_elements", set, List.of());
  }

  /** {@code file_password}: the export's zip is encrypted with it, an import's decrypted (1 to 256 characters). */
  private static Optional<String> filePassword(Call call) {
    Optional<String> p = call.param("file_password");
    if (p.isPresent() && (p.get().isEmpty() || p.get().length() > 256)) {
      throw HeraldException.badRequest("Impossible to use the file password.", "A file_password has 1 to 256 characters.");
    }
    return p;
  }

  /** POST an element's export link: that element and what it refers to. */
  private Reply exportOne(Call call, String type, long key) {
    Caller caller = caller(call);
    ElementRecord r = elements.get(caller, type, key);
    if (r.system() || !ElementService.exportable(type)) {
      throw HeraldException.badRequest("Impossible to export the element " + r.name() + ".", r.system()
          ? "System elements are not exported: every SMC has them."
          : "Administrators, API clients, roles, access control lists and domains are not exported.");
    }
    List<ElementRecord> set = elements.exportSet(caller, Set.of(), true, false, List.of(key));
    return export(call, caller, "export", set, List.of("/elements/" + type + "/" + key));
  }

  private Reply export(Call call, Caller caller, String kind, List<ElementRecord> set, List<String> resources) {
    Optional<String> password = filePassword(call);
    TaskRow t = tasks.start(caller, kind, resources, ctx -> {
      byte[] zip = transfer.export(set, ctx, password);
      return new Tasks.Outcome("Exported " + set.size() + " element" + (set.size() == 1 ? "" : "s") + ".",
          "application/zip", zip);
    });
    return Reply.json(200, Tasks.json(t, call.base()));
  }

  /** smc-python's export types (system.json {@code export_types}); an unknown one, or all: every type. */
  private Set<String> exportTypes(String type) {
    return exportTypes.getOrDefault(type, Set.of());
  }

  /**
   * POST import_elements (multipart, part import_file) ?import_only_new=…: a task; the first
   * answer is in progress (smc-python requires it), a bad file ends it failed, nothing changed.
   */
  private Reply importElements(Call call) throws Exception {
    Caller caller = caller(call);
    boolean onlyNew = call.flag("import_only_new", false);
    call.flag("restoration", true);
    Optional<String> password = filePassword(call);
    byte[] file = upload(call, x -> x.file("import_file", MAX_UPLOAD_BYTES));
    return importTask(call, caller, "import_elements", "elements", onlyNew, () -> Transfer.read(file, password));
  }

  /**
   * An import as a task: the file read in it ({@code read}: a bad file fails the task saying why),
   * then every element imported in one transaction; the first answer is in progress.
   */
  private Reply importTask(Call call, Caller caller, String kind, String what, boolean onlyNew,
      java.util.function.Supplier<List<ElementService.Imported>> read) {
    String base = call.base();
    TaskRow t = tasks.start(caller, kind, List.of(), ctx -> {
      List<ElementService.Imported> items = read.get();
      ctx.checkAbort();
      ctx.progress(30, "Read " + items.size() + " " + what + ".");
      ElementService.ImportCounts n = elements.importBatch(caller, items, onlyNew, base, ctx::checkAbort);
      return Tasks.Outcome.of("Imported " + items.size() + " " + what + ": " + n.created() + " created, "
          + n.updated() + " updated, " + n.unchanged() + " unchanged.");
    });
    return Reply.json(200, Tasks.json(t, base));
  }

  /** {@code export_ldif_elements}: a task whose result is a zip holding the internal users and groups as LDIF. */
  private Reply exportLdif(Call call) {
    Caller caller = caller(call);
    dev.herald.server.element.Ldif.checkDomain(call.param("ldap_domain"));
    dev.herald.server.element.ElementService.requireView(caller);
    TaskRow t = tasks.start(caller, "export_ldif_elements", List.of(), ctx ->
        new Tasks.Outcome("Exported the internal users and groups.", "application/zip", ldif.export(caller, ctx)));
    return Reply.json(200, Tasks.json(t, call.base()));
  }

  /**
   * {@code import_ldif_elements} (multipart, part {@code import_file}): a task; the first answer
   * is in progress, a bad file ends it failed with nothing changed.
   */
  private Reply importLdif(Call call) throws Exception {
    Caller caller = caller(call);
    dev.herald.server.element.Ldif.checkDomain(call.param("ldap_domain"));
    dev.herald.server.element.Ldif.checkImport(caller); // before reading the file
    byte[] file = upload(call, x -> x.file("import_file", MAX_UPLOAD_BYTES));
    return importTask(call, caller, "import_ldif_elements", "LDAP entries", false, () -> ldif.read(caller, file));
  }

  private interface UploadRead<T> {
    T read(Call call) throws Exception;
  }

  /** Reads an upload into memory, two at once at most (503 with Retry-After beyond). */
  private <T> T upload(Call call, UploadRead<T> read) throws Exception {
    if (!uploads.tryAcquire()) {
      throw new HeraldException(503, "Too many uploads at once.", List.of("Retry in a moment."), null)
          .header("Retry-After", "5");
    }
    try {
      return read.read(call);
    } finally {
      uploads.release();
    }
  }

  /** {@code license_install} (smc-python: PUT, multipart part {@code license_file}): a Herald licence file. */
  private Reply installLicence(Call c) throws Exception {
    Caller caller = caller(c);
    byte[] file = upload(c, x -> x.file("license_file", 1024 * 1024));
    licences.install(caller, file);
    return Reply.json(200, Json.object());
  }

  // ---- update packages and engine upgrades ----

  /** The packages of a kind, newest first, as smc-python's sub_collection reads them: [{name, href, type}]. */
  private Reply packageList(Call c, String type) {
    return ElementResource.metaList(c, packages.list(caller(c), type));
  }


  /**
   * An uploaded package file (smc-python's {@code update_package_import} /
   * {@code engine_upgrade_import}): the packages imported, as their JSON. {@code force_import}
   * (import under an expired signing certificate) is accepted: Herald checks no signature.
   */
  private Reply importPackage(Call c, String type, Catalogue.Package k) throws Exception {
    Caller caller = caller(c);
    c.flag("force_import", false);
    Call.Upload file = upload(c, x -> x.upload(k.filePart(), MAX_UPLOAD_BYTES));
    ArrayNode out = Json.mapper().createArrayNode();
    for (ElementRecord r : packages.importFile(caller, type, file.fileName(), file.bytes())) {
      out.add(ElementJson.render(r, c.base()));
    }
    return Reply.json(200, out);
  }

  /** {@code download}: a task that fetches the package from the download server (it becomes imported). */
  private Reply download(Call c, String type, long key) {
    requirePost(c);
    Caller caller = caller(c);
    ElementRecord r = packages.downloadable(caller, type, key);
    TaskRow t = tasks.start(caller, "download", List.of("/elements/" + type + "/" + key), ctx -> {
      ctx.progress(50, "Downloading " + r.name() + ".");
      packages.download(caller, type, key);
      return Tasks.Outcome.of(r.name() + " was downloaded and imported.");
    });
    return Reply.json(200, Tasks.json(t, c.base()));
  }

  /**
   * {@code activate}: checked first (an imported package; an engine upgrade's {@code resource}
   * names nodes of engines the caller may change), then a task that activates it.
   */
  private Reply activate(Call c, String type, long key) throws Exception {
    requirePost(c);
    Caller caller = caller(c);
    c.flag("force_upgrade", false);
    var to = packages.checkActivation(caller, type, key, c.json());
    TaskRow t = tasks.start(caller, "activate", List.of("/elements/" + type + "/" + key), ctx -> {
      String done = packages.activate(caller, type, key, to);
      try {
        return Tasks.Outcome.of(snapshots.afterActivation(caller, type, key, ctx)
            .map(s -> done + " System snapshot " + s.name() + " taken.").orElse(done));
      } catch (Tasks.Failed | HeraldException noSnapshot) {
        // the activation is committed: the task says so, and why no snapshot was taken
        return Tasks.Outcome.of(done + " No system snapshot: " + noSnapshot.getMessage());
      }
    });
    return Reply.json(200, Tasks.json(t, c.base()));
  }

  private static void requirePost(Call c) {
    if (!c.method().equals("POST")) {
      throw new HeraldException(405, "Method " + c.method() + " not allowed.", List.of("Allowed: POST."), null)
          .header("Allow", "POST");
    }
  }

  // ---- tasks ----

  private static long id(Call call) {
    try {
      return Long.parseLong(call.var("id"));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Task " + call.var("id") + " not found.");
    }
  }

  private Reply task(Call call, TaskRow t) {
    return Reply.json(200, Tasks.json(t, call.base()));
  }

  private Reply taskList(Call call) {
    ArrayNode result = Json.mapper().createArrayNode();
    for (TaskRow t : tasks.list(caller(call))) {
      result.add(Tasks.meta(t, call.base()));
    }
    return Reply.json(200, Json.object().set("result", result));
  }

  private Reply abort(Call call) {
    long id = id(call);
    tasks.abort(caller(call), id);
    return Reply.json(200, Tasks.json(tasks.get(caller(call), id), call.base()));
  }

  private Reply result(Call call) {
    long id = id(call);
    byte[] bytes = tasks.result(caller(call), id);
    return Reply.bytes(200, "application/zip", bytes)
        .header("Content-Disposition", "attachment; filename=\"export_" + id + ".zip\"");
  }
}
