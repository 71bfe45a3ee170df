package dev.herald.server.element;

import dev.herald.protocol.EventType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import dev.herald.server.store.SearchQuery;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The element operations of the SMC API: create, read, update, delete, search and the trash /
 * untrash / validate actions. Each write is one store transaction with its change rows.
 *
 * <p>Domains: a caller sees the elements of its own domain and of {@code Shared Domain}; it may
 * write only those of its own domain. Domains themselves are {@code admin_domain} elements of
 * Shared Domain.
 */
public final class ElementService {
  /** Fields derived when rendering; never stored from a request body. */
  private static final Set<String> DERIVED = Set.of("key", "link", "system", "read_only", "trashed",
      "admin_domain", "etag", "system_key", "locked");
  /** Secret fields moved to the credential table: type → field names, the one it is set by first. */
  private static final Map<String, List<String>> SECRETS =
      Map.of(
          "api_client", List.of("authentication_key", "authenticationkey"),
          "admin_user", List.of("password"),
          "web_portal_user", List.of("password"));

  public static final String SHARED_DOMAIN = "Shared Domain";
  /** The type of domains. */
  public static final String DOMAIN = "admin_domain";

  /** Who may do what, and where: kept by a reset unless asked. */
  public static final Set<String> ACCESS =
      Set.of("admin_user", "api_client", "web_portal_user", "role", "access_control_list", "admin_domain");
  /**
   * Types only a superuser may create, change or delete (in Shared Domain): {@link #ACCESS},
   * licences, and the software SMC lists under system (the catalogue's packages).
   */
  public static final Set<String> ADMINISTRATION = java.util.stream.Stream.of(ACCESS.stream(),
      java.util.stream.Stream.of(Licences.TYPE), Catalogue.packages().keySet().stream()).flatMap(x -> x)
      .collect(java.util.stream.Collectors.toUnmodifiableSet());
  /** Types whose elements log in: a change to one ends its sessions. */
  public static final Set<String> USERS = Set.of("admin_user", "api_client", "web_portal_user");

  private final ElementStore store;
  private final Bootstrap.SecretStorer secrets;
  private final long sharedDomain;
  private final java.time.InstantSource clock;
  private volatile SessionControl sessions = SessionControl.NONE;

  public ElementService(ElementStore store, Bootstrap.SecretStorer secrets, long sharedDomain,
      java.time.InstantSource clock) {
    this.store = store;
    this.secrets = secrets;
    this.sharedDomain = sharedDomain;
    this.clock = clock;
  }

  public ElementStore store() {
    return store;
  }

  /** What a change to a user or domain does to sessions (the session package's). */
  public interface SessionControl {
    SessionControl NONE = new SessionControl() {
      @Override public void endUser(long userKey) {}
      @Override public void endDomain(long domainKey) {}
    };

    /** The user's credential, rights or state changed: its sessions end, on every node. */
    void endUser(long userKey);

    /** The domain is deleted: the sessions working in it end. */
    void endDomain(long domainKey);
  }

  public void sessions(SessionControl control) {
    this.sessions = control;
  }

  public long sharedDomain() {
    return sharedDomain;
  }

  /**
   * A change the log still holds, with the element's body as it was then, if the caller may see
   * the element's domain (else empty, as if it did not exist).
   */
  public Optional<dev.herald.server.store.ChangeLog.Recorded> recordedChange(Caller caller, long seq) {
    return store.changeLog().recorded(seq)
        .filter(r -> visibleDomains(caller).contains(r.change().domainKey()));
  }

  public Set<Long> visibleDomains(Caller caller) {
    return caller.domainKey() == sharedDomain
        ? Set.of(sharedDomain)
        : Set.of(caller.domainKey(), sharedDomain);
  }

  public ElementRecord create(Caller caller, String relName, JsonNode json) {
    return create(caller, relName, json, Map.of());
  }

  /**
   * Creates an element with content behind some of its links ({@code resources}: rel → content),
   * stored in the same write.
   */
  public ElementRecord create(Caller caller, String relName, JsonNode json, Map<String, String> resources) {
    return insert(caller, List.of(prepare(caller, relName, json)), resources).get(0);
  }

  /** Creates several elements in one write: all of them, or none when one is refused. */
  public List<ElementRecord> createAll(Caller caller, String relName, List<? extends JsonNode> bodies) {
    List<Prepared> prepared = new ArrayList<>();
    for (JsonNode json : bodies) {
      prepared.add(prepare(caller, relName, json));
    }
    return insert(caller, prepared, Map.of());
  }

  /** An element checked and shaped for its insert. */
  private record Prepared(String type, ObjectNode body, Validation.Result v, Map<String, String[]> stored) {}

  private Prepared prepare(Caller caller, String relName, JsonNode json) {
    String type = requireType(relName);
    ObjectNode body = requireObject(json);
    if (Catalogue.type(type).rule()) {
      throw HeraldException.badRequest("Impossible to store the element.",
          "A " + type + " is created in a policy: POST it to the policy's rule collection link.");
    }
    requireEdit(caller, type, "store", body.path("name").asText(""));
    if (ADMINISTRATION.contains(type) && caller.domainKey() != sharedDomain) {
      throw HeraldException.forbidden("Impossible to store the element.",
          "Administrators, API clients, roles, access control lists, domains, licences and packages belong to Shared"
              + " Domain: log in to Shared Domain to create them.");
    }
    Map<String, String[]> stored = storeSecrets(type, body);
    fillDefaults(type, body);
    Engines.shape(type, body, store::newKey);
    Validation.Result v = validate(caller, type, body, "Impossible to store the element");
    return new Prepared(type, body, v, stored);
  }

  private List<ElementRecord> insert(Caller caller, List<Prepared> prepared, Map<String, String> resources) {
    long now = clock.millis();
    List<ElementRecord> recs = new ArrayList<>();
    for (Prepared p : prepared) {
      recs.add(new ElementRecord(store.newKey(), caller.domainKey(), p.type(), p.body().get("name").asText(),
          Json.write(p.body()), 1, false, false));
    }
    store.write(
        tx -> {
          for (int i = 0; i < prepared.size(); i++) {
            Prepared p = prepared.get(i);
            ElementRecord rec = recs.get(i);
            tx.insert(rec, searchText(p.body()));
            if (!p.v().references().isEmpty()) {
              tx.setReferences(rec.key(), p.v().references());
            }
            saveSecrets(tx, rec.key(), p.stored(), rec.name());
            for (var res : resources.entrySet()) {
              tx.putResource(rec.key(), res.getKey(), res.getValue());
            }
            tx.stamp(rec.key(), true, caller.userKey(), now);
            tx.record(pending(rec, EventType.CREATE, caller));
          }
          return null;
        });
    return recs;
  }

  /**
   * What a fresh element of the type shows on GET that the request did not give (SMC's
   * defaults, as the catalogue has them): clients read these attributes without a default.
   */
  static void fillDefaults(String type, ObjectNode body) {
    Catalogue.type(type).defaults().properties().forEach(e -> {
      if (!body.has(e.getKey())) {
        JsonNode v = e.getValue();
        // a default naming the element ("cn=<name>,dc=stonegate,…", the Terraform provider's schema) is a template
        body.set(e.getKey(), v.isTextual() && v.asText().contains(NAME_IN_DEFAULT)
            ? body.textNode(v.asText().replace(NAME_IN_DEFAULT, body.path("name").asText()))
            : v.deepCopy());
      }
    });
  }

  private static final String NAME_IN_DEFAULT = "<name>";

  private void saveSecrets(ElementStore.WriteTx tx, long key, Map<String, String[]> stored, String name)
      throws java.sql.SQLException {
    for (var s : stored.entrySet()) {
      String lookup = s.getValue()[1];
      if (lookup != null && tx.lookupTaken(lookup, key)) {
        throw HeraldException.badRequest("Impossible to store the element " + name + ".",
            "This authentication key is already another API client's: give each its own.");
      }
      tx.saveCredential(key, s.getKey(), s.getValue()[0], lookup);
    }
  }

  public ElementRecord get(Caller caller, String relName, long key) {
    String type = requireType(relName);
    requireView(caller);
    return store
        .find(key)
        .filter(r -> r.type().equals(type))
        .filter(r -> visibleDomains(caller).contains(r.domainKey()))
        .orElseThrow(() -> notFound(type, key));
  }

  /** The logged-in user's own element (an api_client or admin_user of Shared Domain). */
  public ElementRecord user(Caller caller) {
    return store.find(caller.userKey())
        .orElseThrow(() -> HeraldException.notFound("Current user not found."));
  }

  public ElementRecord update(
      Caller caller, String relName, long key, JsonNode json, Optional<String> ifMatch) {
    String type = requireType(relName);
    ElementRecord r = update0(caller, type, key, json, ifMatch);
    afterWrite(type, key, false);
    return r;
  }

  private ElementRecord update0(
      Caller caller, String type, long key, JsonNode json, Optional<String> ifMatch) {
    ObjectNode body = requireObject(json);
    if (ifMatch.isEmpty()) {
      throw new HeraldException(
          428,
          "Impossible to update the element.",
          "Send the element's ETag in an If-Match (or Etag) header; GET the element to obtain it.");
    }
    ElementRecord probe = writable(caller, type, key, "update");
    refuseLocked(probe, "update");
    keepComputed(type, (ObjectNode) parse(probe.body()), body);
    Engines.shape(type, body, store::newKey);
    Map<String, String[]> stored = storeSecrets(type, body);
    Validation.Result v = validate(caller, type, body, "Impossible to update the element");
    long now = clock.millis();
    return store
        .write(
            tx -> {
              ElementRecord cur = tx.lock(key).orElseThrow(() -> notFound(type, key));
              checkETag(ifMatch.get(), cur, "update");
              refuseLocked(cur, "update");
              ElementRecord next = cur.withBody(body.get("name").asText(), Json.write(body));
              tx.update(next, searchText(body));
              tx.setReferences(key, withResources(tx, type, key, body, v.references()));
              saveSecrets(tx, key, stored, next.name());
              tx.stamp(key, false, caller.userKey(), now);
              for (UpdateHook h : updateHooks) {
                h.updated(tx, next, body);
              }
              tx.record(pending(next, EventType.UPDATE, caller));
              return next;
            })
        .value();
  }

  /**
   * What the server keeps of a rule on an update, whatever the request says: its computed
   * attributes (the catalogue's: tag, parent_policy, parent_insert_point), as stored.
   */
  private static void keepComputed(String type, ObjectNode stored, ObjectNode body) {
    if (!Catalogue.type(type).rule()) {
      return; // others' computed attributes include ones SMC lets a PUT set (a user's enabled)
    }
    Catalogue.type(type).attributes().forEach((name, a) -> {
      if (a.computed() && !DERIVED.contains(name)) {
        JsonNode was = stored.get(name);
        if (was == null) {
          body.remove(name);
        } else {
          body.set(name, was);
        }
      }
    });
  }

  /** Behaviour of a kind of element on an update, inside its transaction (a rule's rank moves it). */
  @FunctionalInterface
  public interface UpdateHook {
    void updated(ElementStore.WriteTx tx, ElementRecord next, ObjectNode body) throws java.sql.SQLException;
  }

  private final List<UpdateHook> updateHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

  public void onUpdate(UpdateHook hook) {
    updateHooks.add(hook);
  }

  /** A locked element refuses changes until it is unlocked (its lock/unlock links). */
  static ElementRecord refuseLocked(ElementRecord r, String what) {
    if (isLocked(r)) {
      throw HeraldException.badRequest("Impossible to " + what + " the element " + r.name() + ".",
          "The element is locked: unlock it first.");
    }
    return r;
  }

  static boolean isLocked(ElementRecord r) {
    return r.body().contains("\"locked\"") && parse(r.body()).path("locked").asBoolean(false);
  }

  /** After a committed write: a changed user or a deleted domain ends sessions. */
  private void afterWrite(String type, long key, boolean deleted) {
    if (USERS.contains(type)) {
      sessions.endUser(key);
    } else if (type.equals("admin_domain") && deleted) {
      sessions.endDomain(key);
    } else if (type.equals("role")) {
      // what a role grants changed: the users granted it log in again, under the new grants
      for (long user : store.referrers(key)) {
        store.find(user).filter(u -> USERS.contains(u.type())).ifPresent(u -> sessions.endUser(u.key()));
      }
    }
  }

  public void delete(Caller caller, String relName, long key, Optional<String> ifMatch) {
    String type = requireType(relName);
    deleteAll(caller, List.of(refuseLocked(writable(caller, type, key, "delete"), "delete")), ifMatch);
  }

  /**
   * A change the server makes to an element's stored fields on the caller's behalf (the effect of
   * one of its links), in a write of its own: an update with its event.
   */
  public ElementRecord edit(Caller caller, ElementRecord r, java.util.function.Consumer<ObjectNode> edit) {
    return store.write(tx -> edit(tx, caller, tx.lock(r.key()).orElseThrow(() -> notFound(r.type(), r.key())),
        edit, clock.millis())).value();
  }

  /** {@link #edit(Caller, ElementRecord, java.util.function.Consumer)} inside a write. */
  static ElementRecord edit(ElementStore.WriteTx tx, Caller caller, ElementRecord now,
      java.util.function.Consumer<ObjectNode> edit, long at) throws java.sql.SQLException {
    ObjectNode body = (ObjectNode) parse(now.body());
    edit.accept(body);
    ElementRecord next = now.withBody(body.path("name").asText(now.name()), Json.write(body));
    tx.update(next, searchText(body));
    tx.stamp(next.key(), false, caller.userKey(), at);
    tx.record(pending(next, EventType.UPDATE, caller));
    return next;
  }

  /** The longest a list setting may be (the column holds 1,000,000: migration V7). */
  public static final int MAX_SETTING_CHARS = 900_000;

  /** A server setting that holds a JSON list (empty when never stored). */
  public com.fasterxml.jackson.databind.node.ArrayNode setting(String name) {
    return store.settingValue(name).map(ElementService::parseList).orElseGet(() -> Json.mapper().createArrayNode());
  }

  private static com.fasterxml.jackson.databind.node.ArrayNode parseList(String s) {
    try {
      return (com.fasterxml.jackson.databind.node.ArrayNode) Json.mapper().readTree(s);
    } catch (java.io.IOException | ClassCastException e) {
      throw new IllegalStateException("a stored list setting is not a JSON list", e);
    }
  }

  /**
   * Changes a list setting as a compare-and-set, again if another writer (another node) came
   * first; {@code change} may refuse with a {@link HeraldException}, and nothing changes.
   */
  public void updateSetting(String name,
      java.util.function.UnaryOperator<com.fasterxml.jackson.databind.node.ArrayNode> change) {
    for (int attempt = 0; attempt < 50; attempt++) {
      Optional<String> cur = store.settingValue(name);
      var next = change.apply(cur.map(ElementService::parseList).orElseGet(() -> Json.mapper().createArrayNode()));
      String text = next.toString();
      if (text.length() > MAX_SETTING_CHARS) {
        throw HeraldException.badRequest("Impossible to store the setting.", "It would hold " + text.length()
            + " characters; the limit is " + MAX_SETTING_CHARS + ": remove entries first.");
      }
      if (store.replaceSetting(name, cur, text)) {
        return;
      }
    }
    throw new HeraldException(503, "The setting is changing too often.", List.of("Retry in a moment."), null);
  }

  /** The most elements one {@code massive_delete} may name. */
  public static final int MAX_MASSIVE_DELETE = 10_000;

  /**
   * SMC's {@code massive_delete} (smc-python's {@code System.massive_delete}: {@code {"resource":
   * [href, ...]}}): every named element deleted in one transaction, or none — an element may be
   * referred to by others of the same batch (a group and its members go together), not by one
   * that stays.
   */
  public int deleteByHref(Caller caller, List<String> hrefs) {
    if (hrefs.isEmpty() || hrefs.size() > MAX_MASSIVE_DELETE) {
      throw HeraldException.badRequest("Impossible to delete the elements.",
          "Name between 1 and " + MAX_MASSIVE_DELETE + " elements in resource.");
    }
    Map<Long, ElementRecord> targets = new LinkedHashMap<>();
    for (String href : hrefs) {
      ElementRecord r = resolveHref(caller, href).orElseThrow(() -> HeraldException.badRequest(
          "Impossible to delete the elements.", "No element at " + href + "; nothing was deleted."));
      targets.putIfAbsent(r.key(), refuseLocked(writable(caller, r.type(), r.key(), "delete"), "delete"));
    }
    deleteAll(caller, List.copyOf(targets.values()), Optional.empty());
    return targets.size();
  }

  private void deleteAll(Caller caller, List<ElementRecord> targets, Optional<String> ifMatch) {
    Set<Long> batch = new HashSet<>();
    targets.forEach(t -> batch.add(t.key()));
    List<ElementRecord> ordered = new ArrayList<>(targets);
    ordered.sort(java.util.Comparator.comparingLong(ElementRecord::key)); // one lock order: no deadlock between batches
    store.write(
        tx -> {
          List<ElementRecord> locked = new ArrayList<>();
          for (ElementRecord t : ordered) {
            locked.add(tx.lock(t.key()).orElseThrow(() -> notFound(t.type(), t.key())));
            if (!Catalogue.type(t.type()).rules().isEmpty()) {
              batch.addAll(tx.rulesOf(t.key())); // a policy's rules go with it
            }
          }
          for (ElementRecord cur : locked) {
            if (ifMatch.isPresent()) {
              checkETag(ifMatch.get(), cur, "delete");
            }
            List<Long> referrers = tx.referrers(cur.key()).stream().filter(k -> !batch.contains(k)).toList();
            if (!referrers.isEmpty()) {
              throw HeraldException.badRequest(
                  "Impossible to delete the element " + cur.name() + ".",
                  "It is referenced by " + describe(caller, referrers) + ".");
            }
            if (cur.type().equals("admin_domain")) {
              long held = tx.countInDomain(cur.key());
              if (held > 0) {
                throw HeraldException.badRequest(
                    "Impossible to delete the element " + cur.name() + ".",
                    "The domain still holds " + held + " element" + (held == 1 ? "" : "s")
                        + ": delete them first (log in to " + cur.name() + ").");
              }
            }
          }
          Set<Long> deleted = new HashSet<>();
          for (ElementRecord cur : locked) {
            if (!Catalogue.type(cur.type()).rules().isEmpty()) {
              // a policy's rules go with it, each with its delete event
              for (long rule : tx.rulesOf(cur.key())) {
                Optional<ElementRecord> r = tx.lock(rule);
                if (r.isPresent() && deleted.add(rule)) {
                  tx.delete(rule);
                  tx.record(pending(r.get(), EventType.DELETE, caller));
                }
              }
            }
            if (deleted.add(cur.key())) { // a rule named beside its policy goes once
              tx.delete(cur.key());
              tx.record(pending(cur, EventType.DELETE, caller));
            }
          }
          return null;
        });
    targets.forEach(t -> afterWrite(t.type(), t.key(), true));
  }

  /**
   * The referrers of an element as the caller may see them: names of its own domain's and Shared
   * Domain's elements, only a count of others (another domain's names are not for this caller).
   */
  private String describe(Caller caller, List<Long> referrers) {
    List<String> names = new ArrayList<>();
    int hidden = 0;
    Set<Long> visible = visibleDomains(caller);
    for (ElementRecord r : store.findAll(referrers)) {
      if (visible.contains(r.domainKey())) {
        names.add(r.type() + " " + r.name());
      } else {
        hidden++;
      }
    }
    if (hidden > 0) {
      names.add(hidden + " element" + (hidden == 1 ? "" : "s") + " in another domain");
    }
    return String.join(", ", names);
  }

  /** The action links every element offers: trash/untrash, and validate for policies. */
  public ElementRecord act(Caller caller, String relName, long key, String action) {
    String type = requireType(relName);
    ElementRecord r = act0(caller, type, key, action);
    afterWrite(type, key, false);
    return r;
  }

  private ElementRecord act0(Caller caller, String type, long key, String action) {
    writable(caller, type, key, action);
    return store
        .write(
            tx -> {
              ElementRecord cur = tx.lock(key).orElseThrow(() -> notFound(type, key));
              switch (action) {
                case "trash", "untrash" -> {
                  boolean toTrash = action.equals("trash");
                  if (cur.trashed() == toTrash) {
                    throw HeraldException.badRequest(
                        "Impossible to " + (toTrash ? "trash" : "restore") + " the element " + cur.name() + ".",
                        toTrash ? "It is already in the trash." : "It is not in the trash.");
                  }
                  ElementRecord next = cur.withTrashed(toTrash);
                  tx.setTrashed(next);
                  tx.record(pending(next, toTrash ? EventType.TRASHED : EventType.UNTRASHED, caller));
                  return next;
                }
                case "validate" -> {
                  if (Catalogue.type(type).link("validate").isEmpty()) {
                    throw HeraldException.notFound(
                        "No action validate on " + type + ".", "Only policies can be validated.");
                  }
                  tx.record(pending(cur, EventType.VALIDATING, caller));
                  tx.record(pending(cur, EventType.VALIDATED, caller));
                  return cur;
                }
                default ->
                    throw HeraldException.notFound(
                        "No action " + action + " on " + type + ".",
                        "Actions are trash, untrash and (for policies) validate.");
              }
            })
        .value();
  }

  public List<ElementRecord> search(
      Caller caller,
      Set<String> types,
      Optional<String> filter,
      boolean exact,
      boolean caseSensitive,
      int limit) {
    requireView(caller);
    return store.search(
        new SearchQuery(visibleDomains(caller), types, filter, exact, caseSensitive, limit));
  }

  /** Resolves an element href (as rendered by this server, any host and version) to a key. */
  public Optional<ElementRecord> resolveHref(Caller caller, String href) {
    return resolveAnywhere(href).filter(r -> visibleDomains(caller).contains(r.domainKey()));
  }

  /** The element an href names, whatever its domain (the caller may not see it). */
  private Optional<ElementRecord> resolveAnywhere(String href) {
    int i = href.indexOf("/elements/");
    if (i < 0) {
      return Optional.empty();
    }
    String[] parts = href.substring(i + "/elements/".length()).split("/");
    if (parts.length == 4) {
      parts = new String[] {parts[2], parts[3]}; // a rule under its policy
    }
    if (parts.length != 2 || !Catalogue.isRelName(parts[0])) {
      return Optional.empty();
    }
    try {
      long key = Long.parseLong(parts[1]);
      String type = Catalogue.canonical(parts[0]);
      return store.find(key).filter(r -> r.type().equals(type));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether elements of a type go into export files (administration ones never do). */
  public static boolean exportable(String type) {
    return !ADMINISTRATION.contains(Catalogue.canonical(type));
  }

  /** One element of an import: its type, name and attributes, references as {@link #REF} strings. */
  public record Imported(String type, String name, ObjectNode body) {}

  /** What an import did. */
  public record ImportCounts(int created, int updated, int unchanged) {}

  /**
   * How a file names a reference: {@code herald-ref:TYPE:NAME}, resolved on import against the
   * file's own elements first, then the caller's visible ones (SMC's built-ins are on every
   * Herald).
   */
  public static final String REF = "herald-ref:";

  /**
   * Imports elements into the caller's domain, all or nothing, in one transaction: one that does
   * not exist is created, one that exists (same type and name) is replaced unless
   * {@code onlyNew}; built-in ones are left as they are. Every element is validated as on a
   * create; every change is evented.
   *
   * @param checkAbort called between steps (it throws to stop)
   */
  public ImportCounts importBatch(Caller caller, List<Imported> items, boolean onlyNew, String base,
      Runnable checkAbort) {
    record Plan(Imported item, long key, Optional<ElementRecord> existing) {}
    Map<String, Plan> byName = new java.util.LinkedHashMap<>();
    for (Imported it : items) {
      String type = requireType(it.type());
      requireEdit(caller, type, "import", it.name());
      if (ADMINISTRATION.contains(type)) {
        throw HeraldException.badRequest("Impossible to import the element " + it.name() + ".",
            "Administrators, API clients, roles, access control lists, domains and licences are not imported.");
      }
      String id = type + "\0" + it.name();
      if (byName.containsKey(id)) {
        throw HeraldException.badRequest("Impossible to import the file.", "It holds " + type + " " + it.name() + " twice.");
      }
      Optional<ElementRecord> existing = store.findByName(caller.domainKey(), type, it.name());
      byName.put(id, new Plan(new Imported(type, it.name(), it.body()), existing.map(ElementRecord::key)
          .orElseGet(store::newKey), existing));
    }
    checkAbort.run();
    Set<Long> visible = visibleDomains(caller);
    Map<Long, String> pendingTypes = new HashMap<>();
    byName.values().forEach(p -> pendingTypes.put(p.key(), p.item().type()));
    java.util.function.Function<String, String> refs = ref -> {
      String[] parts = ref.substring(REF.length()).split(":", 2);
      if (parts.length != 2 || !Catalogue.isRelName(parts[0])) {
        throw HeraldException.badRequest("Impossible to import the file.", "Unreadable reference " + ref + ".");
      }
      String type = Catalogue.canonical(parts[0]);
      Plan inFile = byName.get(type + "\0" + parts[1]);
      if (inFile != null) {
        return ElementJson.href(base, type, inFile.key());
      }
      for (long d : visible) {
        Optional<ElementRecord> r = store.findByName(d, type, parts[1]);
        if (r.isPresent()) {
          return ElementJson.href(base, type, r.get().key());
        }
      }
      throw HeraldException.badRequest("Impossible to import the file.", "It refers to " + type + " " + parts[1]
          + ", which is neither in the file nor on this server.");
    };
    List<Plan> writes = new ArrayList<>();
    List<Validation.Result> results = new ArrayList<>();
    int unchanged = 0;
    for (Plan p : byName.values()) {
      if (p.existing().isPresent() && (onlyNew || p.existing().get().system())) {
        unchanged++;
        continue;
      }
      ObjectNode body = p.item().body();
      resolveRefs(body, refs);
      body.put("name", p.item().name());
      if (p.existing().isEmpty()) {
        fillDefaults(p.item().type(), body);
      }
      for (String d : DERIVED) {
        body.remove(d);
      }
      Validation.Result v = Validation.validate(p.item().type(), body, href -> {
        Optional<ElementRecord> r = resolveAnywhere(href);
        if (r.isPresent()) {
          return r.map(x -> new Validation.Member(x.key(), x.type(), visible.contains(x.domainKey())));
        }
        long key = keyOf(href);
        return Optional.ofNullable(pendingTypes.get(key)).map(t -> new Validation.Member(key, t, true));
      });
      if (!v.errors().isEmpty()) {
        throw new HeraldException(400, "Impossible to import the element " + p.item().name() + ".", v.errors(), null);
      }
      writes.add(p);
      results.add(v);
    }
    checkAbort.run();
    long now = clock.millis();
    int[] counts = new int[2];
    store.write(tx -> {
      for (int i = 0; i < writes.size(); i++) {
        Plan p = writes.get(i);
        ObjectNode body = p.item().body();
        if (p.existing().isEmpty()) {
          ElementRecord rec = new ElementRecord(p.key(), caller.domainKey(), p.item().type(), p.item().name(),
              Json.write(body), 1, false, false);
          tx.insert(rec, searchText(body));
          tx.stamp(p.key(), true, caller.userKey(), now);
          tx.record(pending(rec, EventType.CREATE, caller));
          counts[0]++;
        } else {
          ElementRecord cur = tx.lock(p.key()).orElseThrow(() -> notFound(p.item().type(), p.key()));
          refuseLocked(cur, "import");
          ElementRecord next = cur.withBody(p.item().name(), Json.write(body));
          tx.update(next, searchText(body));
          tx.stamp(p.key(), false, caller.userKey(), now);
          tx.record(pending(next, EventType.UPDATE, caller));
          counts[1]++;
        }
        tx.setReferences(p.key(), withResources(tx, p.item().type(), p.key(), body, results.get(i).references()));
      }
      return null;
    });
    return new ImportCounts(counts[0], counts[1], unchanged);
  }

  private static long keyOf(String href) {
    try {
      return Long.parseLong(href.substring(href.lastIndexOf('/') + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void resolveRefs(JsonNode node, java.util.function.Function<String, String> refs) {
    if (node instanceof ObjectNode o) {
      o.properties().forEach(e -> {
        if (e.getValue().isTextual() && e.getValue().asText().startsWith(REF)) {
          e.setValue(o.textNode(refs.apply(e.getValue().asText())));
        } else {
          resolveRefs(e.getValue(), refs);
        }
      });
    } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual() && a.get(i).asText().startsWith(REF)) {
          a.set(i, a.textNode(refs.apply(a.get(i).asText())));
        } else {
          resolveRefs(a.get(i), refs);
        }
      }
    }
  }

  /**
   * The elements of the caller's domain to export ({@code types} empty: every type), with the
   * ones they refer to when {@code recursive}; built-in and administration elements are left
   * out (built-ins are on every Herald, credentials are never exported).
   */
  public List<ElementRecord> exportSet(Caller caller, Set<String> types, boolean recursive, boolean excludeTrashed,
      List<Long> only) {
    requireView(caller);
    List<ElementRecord> start = new ArrayList<>();
    if (only.isEmpty()) {
      for (ElementRecord r : store.listInDomain(caller.domainKey())) {
        if ((types.isEmpty() || types.contains(r.type())) && !(excludeTrashed && r.trashed())) {
          start.add(r);
        }
      }
    } else {
      for (long k : only) {
        store.find(k).filter(r -> visibleDomains(caller).contains(r.domainKey())).ifPresent(start::add);
      }
    }
    Map<Long, ElementRecord> out = new java.util.LinkedHashMap<>();
    java.util.ArrayDeque<ElementRecord> todo = new java.util.ArrayDeque<>(start);
    Set<Long> visible = visibleDomains(caller);
    while (!todo.isEmpty()) {
      ElementRecord r = todo.poll();
      if (r.system() || ADMINISTRATION.contains(r.type()) || out.containsKey(r.key())) {
        continue;
      }
      out.put(r.key(), r);
      if (recursive) {
        for (String href : hrefsIn(parse(r.body()))) {
          resolveAnywhere(href).filter(x -> visible.contains(x.domainKey())).ifPresent(todo::add);
        }
      }
    }
    return new ArrayList<>(out.values());
  }

  /**
   * An element's body for a file: its attributes, with each reference to an element as
   * {@link #REF}{@code TYPE:NAME}.
   */
  public ObjectNode forExport(ElementRecord r) {
    ObjectNode body = (ObjectNode) parse(r.body());
    for (String d : DERIVED) {
      body.remove(d);
    }
    body.remove("name");
    replaceHrefs(body);
    return body;
  }

  private void replaceHrefs(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.properties().forEach(e -> {
        Optional<String> ref = e.getValue().isTextual() ? asRef(e.getValue().asText()) : Optional.empty();
        if (ref.isPresent()) {
          e.setValue(o.textNode(ref.get()));
        } else {
          replaceHrefs(e.getValue());
        }
      });
    } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        Optional<String> ref = a.get(i).isTextual() ? asRef(a.get(i).asText()) : Optional.empty();
        if (ref.isPresent()) {
          a.set(i, a.textNode(ref.get()));
        } else {
          replaceHrefs(a.get(i));
        }
      }
    }
  }

  private Optional<String> asRef(String s) {
    if (!s.contains("/elements/")) {
      return Optional.empty();
    }
    return resolveAnywhere(s).map(r -> REF + r.type() + ":" + r.name());
  }

  private static List<String> hrefsIn(JsonNode node) {
    List<String> out = new ArrayList<>();
    if (node.isTextual() && node.asText().contains("/elements/")) {
      out.add(node.asText());
    } else if (node.isContainerNode()) {
      node.forEach(c -> out.addAll(hrefsIn(c)));
    }
    return out;
  }

  /**
   * Deletes the caller's domain's trashed elements that nothing refers to (SMC's empty trash
   * bin); returns how many. Each delete is evented.
   */
  public int emptyTrash(Caller caller) {
    requireEdit(caller, "host", "delete", "in the trash");
    int n = 0;
    for (ElementRecord r : store.listInDomain(caller.domainKey())) {
      if (r.trashed() && !r.system() && !ADMINISTRATION.contains(r.type())) {
        boolean deleted = store.write(tx -> {
          ElementRecord cur = tx.lock(r.key()).orElse(null);
          if (cur == null || !cur.trashed() || isLocked(cur) || !tx.referrers(cur.key()).isEmpty()) {
            return false; // restored, locked or still used meanwhile: it stays
          }
          tx.delete(cur.key());
          tx.record(pending(cur, EventType.DELETE, caller));
          return true;
        }).value();
        n += deleted ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * A user's enabled flag toggled (smc-python's enable_disable): an update, evented; disabling
   * ends the user's sessions on every node.
   */
  public ElementRecord enableDisable(Caller caller, String relName, long key) {
    String type = requireUserType(relName);
    ElementRecord probe = writable(caller, type, key, "update");
    refuseLocked(probe, "update");
    long now = clock.millis();
    ElementRecord r = store.write(tx -> {
      ElementRecord cur = tx.lock(key).orElseThrow(() -> notFound(type, key));
      ObjectNode body = (ObjectNode) parse(cur.body());
      body.put("enabled", !body.path("enabled").asBoolean(true));
      ElementRecord next = cur.withBody(cur.name(), Json.write(body));
      tx.update(next, searchText(body));
      tx.stamp(key, false, caller.userKey(), now);
      tx.record(pending(next, EventType.UPDATE, caller));
      return next;
    }).value();
    afterWrite(type, key, false);
    return r;
  }

  /**
   * A user's password (an API client's authentication key) replaced; a superuser may change
   * anyone's, a user its own. Evented as an update; the user's sessions end.
   */
  public ElementRecord changePassword(Caller caller, String relName, long key, String password) {
    String type = requireUserType(relName);
    ElementRecord cur0 = get(caller, type, key);
    if (!(caller.rights().superuser() || caller.userKey() == key)) {
      throw HeraldException.forbidden("Impossible to change the password of " + cur0.name() + ".",
          "Only a superuser may change another user's password.");
    }
    if (cur0.system()) {
      throw HeraldException.forbidden("Impossible to change the password of " + cur0.name() + ".", "Cannot modify system element.");
    }
    ObjectNode secret = Json.object().put(SECRETS.get(type).get(0), password);
    Map<String, String[]> stored = storeSecrets(type, secret);
    long now = clock.millis();
    ElementRecord r = store.write(tx -> {
      ElementRecord cur = tx.lock(key).orElseThrow(() -> notFound(type, key));
      saveSecrets(tx, key, stored, cur.name());
      tx.putResource(key, "pwd_meta_data", Json.write(Json.object().put("creation_date", now)));
      return edit(tx, caller, cur, b -> { }, now);
    }).value();
    afterWrite(type, key, false);
    return r;
  }

  /**
   * An administrator's engine password (smc-python's {@code AdminUser.change_engine_password}:
   * PUT {@code change_engine_password?password=}): the password the administrator logs in to the
   * command line of the engines it may administer with. Only a local administrator has one
   * ({@code local_admin}); the administrator or a superuser sets it; stored hashed as a resource
   * of the element, never shown — Herald has no engine command line that would take it.
   */
  public ElementRecord changeEnginePassword(Caller caller, String relName, long key, String password) {
    String type = requireType(relName);
    ElementRecord cur0 = get(caller, type, key);
    String what = "Impossible to change the engine password of " + cur0.name() + ".";
    if (!(caller.rights().superuser() || caller.userKey() == key)) {
      throw HeraldException.forbidden(what, "Only a superuser may change another administrator's engine password.");
    }
    if (cur0.system()) {
      throw HeraldException.forbidden(what, "Cannot modify system element.");
    }
    if (!parse(cur0.body()).path("local_admin").asBoolean(false)) {
      throw HeraldException.badRequest(what, cur0.name() + " is not a local administrator of engines (local_admin).");
    }
    if (password.length() < 8 || password.length() > 256) {
      throw HeraldException.badRequest(what, "An engine password has 8 to 256 characters.");
    }
    String hash = secrets.store("password", password)[0];
    long now = clock.millis();
    // not a login credential: the administrator's sessions go on
    return store.write(tx -> {
      ElementRecord cur = tx.lock(key).orElseThrow(() -> notFound(type, key));
      tx.putResource(key, "engine_password", Json.write(Json.object().put("hash", hash).put("creation_date", now)));
      return edit(tx, caller, cur, b -> { }, now);
    }).value();
  }

  /** When a user's password was last set ({@code creation_date}, epoch ms), if it ever was by a change. */
  public Optional<JsonNode> passwordMetaData(Caller caller, String relName, long key) {
    String type = requireUserType(relName);
    get(caller, type, key);
    return store.resource(key, "pwd_meta_data").map(ElementService::parse);
  }

  private static String requireUserType(String relName) {
    String type = requireType(relName);
    if (!USERS.contains(type)) {
      throw HeraldException.badRequest("Not a user.", type + " elements have no password.");
    }
    return type;
  }

  /** An element the caller may change through one of its links (not a system one, its own domain). */
  public ElementRecord writableForLink(Caller caller, String relName, long key, String what) {
    return writable(caller, requireType(relName), key, what);
  }

  /**
   * An element the caller may act on with {@code needed} (a command to an engine: OPERATE; a
   * policy upload: UPLOAD) rather than by editing it.
   */
  public ElementRecord writableForLink(Caller caller, String relName, long key, String what, Rights.Capability needed) {
    String type = requireType(relName);
    ElementRecord cur = get(caller, type, key);
    require(caller, type, what, cur.name(), needed);
    return changeable(caller, cur, what);
  }

  ElementRecord writable(Caller caller, String type, long key, String what) {
    ElementRecord cur = get(caller, type, key);
    requireEdit(caller, type, what, cur.name());
    return changeable(caller, cur, what);
  }

  private static ElementRecord changeable(Caller caller, ElementRecord cur, String what) {
    if (cur.system()) {
      throw HeraldException.forbidden(
          "Impossible to " + what + " the element " + cur.name() + ".", "Cannot modify system element.");
    }
    if (cur.domainKey() != caller.domainKey()) {
      throw HeraldException.forbidden(
          "Impossible to " + what + " the element " + cur.name() + ".",
          "It belongs to Shared Domain; log in to Shared Domain to change it.");
    }
    return cur;
  }

  /**
   * Checks a part of an element against its catalogue type before it goes inside the element (a
   * master engine's virtual resource): 400 with {@code message} when it is not valid.
   */
  public void validatePart(Caller caller, String type, ObjectNode part, String message) {
    validate(caller, type, part, message);
  }

  /**
   * A part held inside an engine's JSON ({@code …/elements/master_engine/5/virtual_resource/7}):
   * it has the part's type, and referring to it refers to the engine (which then cannot be
   * deleted while a virtual engine uses its resource).
   */
  private Optional<Validation.Member> enginePart(String href, Set<Long> visible) {
    java.util.regex.Matcher m = ENGINE_PART.matcher(href);
    if (!m.matches() || Engines.kind(m.group(1)).isEmpty()) {
      return Optional.empty();
    }
    return store.find(Long.parseLong(m.group(2)))
        .filter(r -> r.type().equals(Catalogue.canonical(m.group(1))))
        .filter(r -> Engines.holds((ObjectNode) parse(r.body()), m.group(3), Long.parseLong(m.group(4))))
        .map(r -> new Validation.Member(r.key(), m.group(3), visible.contains(r.domainKey())));
  }

  /**
   * Names what a nested href is part of ({@code …/single_fw/5/internal_gateway/5},
   * {@code …/external_gateway/9/external_endpoint/2}): the element holding it and the part's type.
   * Referring to the part refers to that element.
   */
  @FunctionalInterface
  public interface PartResolver {
    Optional<Part> resolve(String href);
  }

  /** A part of an element: the element's key and the part's type. */
  public record Part(long element, String type) {}

  private final List<PartResolver> partResolvers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Adds a kind of part that bodies may refer to. */
  public void addPartResolver(PartResolver resolver) {
    partResolvers.add(resolver);
  }

  /**
   * The elements, as this write sees them, that refer to {@code key} and name {@code path} (a
   * part's href without its base, {@code /elements/external_gateway/9/external_endpoint/2}), or
   * something under it, in their body: a part still named cannot go.
   */
  static List<ElementRecord> referrersNaming(ElementStore.WriteTx tx, long key, String path) throws java.sql.SQLException {
    List<ElementRecord> out = new java.util.ArrayList<>();
    for (long k : tx.referrers(key)) {
      Optional<ElementRecord> r = tx.lock(k);
      if (r.isPresent() && (r.get().body().contains(path + "\"") || r.get().body().contains(path + "/"))) {
        out.add(r.get());
      }
    }
    return out;
  }

  private Optional<Validation.Member> part(String href, Set<Long> visible) {
    for (PartResolver p : partResolvers) {
      Optional<Part> found = p.resolve(href);
      if (found.isPresent()) {
        return store.find(found.get().element())
            .map(r -> new Validation.Member(r.key(), found.get().type(), visible.contains(r.domainKey())));
      }
    }
    return Optional.empty();
  }

  private static final java.util.regex.Pattern ENGINE_PART =
      java.util.regex.Pattern.compile(".*/elements/([a-z0-9_]+)/(\\d{1,18})/([a-z0-9_]+)/(\\d{1,18})/?");

  /**
   * What an element's resources refer to besides its body (a VPN's gateways, an engine's routes
   * and contact addresses): told the element's type, key and body (the new one, in an update)
   * and its resources as the writing transaction sees them.
   */
  @FunctionalInterface
  public interface ReferenceSource {
    Set<Long> references(String type, long key, ObjectNode body, Resources resources);
  }

  /** An element's resources, read inside the transaction that computes its references. */
  @FunctionalInterface
  public interface Resources {
    Optional<String> read(String rel);
  }

  private final List<ReferenceSource> referenceSources = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Adds what an element's resources refer to, to every computation of its references. */
  public void addReferenceSource(ReferenceSource source) {
    referenceSources.add(source);
  }

  /** An element's references: its body's and its resources'. */
  private Set<Long> withResources(ElementStore.WriteTx tx, String type, long key, ObjectNode body, Set<Long> bodyRefs) {
    if (referenceSources.isEmpty()) {
      return bodyRefs;
    }
    Resources resources = rel -> {
      try {
        return tx.resource(key, rel);
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    };
    Set<Long> all = new java.util.LinkedHashSet<>(bodyRefs);
    for (ReferenceSource s : referenceSources) {
      all.addAll(s.references(type, key, body, resources));
    }
    return all;
  }

  /**
   * Sets an element's references again — its body's and its resources' as this transaction
   * leaves them — inside a write that changed one of its resources.
   */
  void setReferences(ElementStore.WriteTx tx, Caller caller, ElementRecord r) throws java.sql.SQLException {
    ObjectNode body = (ObjectNode) parse(r.body());
    Set<Long> bodyRefs = validate(caller, r.type(), body.deepCopy(), "Impossible to store the element").references();
    tx.setReferences(r.key(), withResources(tx, r.type(), r.key(), body, bodyRefs));
  }

  Validation.Result validate(Caller caller, String type, ObjectNode body, String message) {
    for (String d : DERIVED) {
      body.remove(d);
    }
    Set<Long> visible = visibleDomains(caller);
    Validation.Result v =
        Validation.validate(
            type,
            body,
            href -> resolveAnywhere(href).map(r -> new Validation.Member(r.key(), r.type(),
                visible.contains(r.domainKey()))).or(() -> enginePart(href, visible)).or(() -> part(href, visible)));
    if (!v.errors().isEmpty()) {
      JsonNode n = body.get("name");
      String suffix = n != null && n.isTextual() ? " " + n.asText() + "." : ".";
      throw new HeraldException(400, message + suffix, v.errors(), null);
    }
    return v;
  }

  /**
   * Takes the secrets out of a body and makes their stored form: kind → {hash, lookup}. API keys
   * need 16 characters (they are found by their own hash: a short one is a guessable one),
   * passwords 8.
   */
  private Map<String, String[]> storeSecrets(String type, ObjectNode body) {
    Map<String, String[]> out = new java.util.HashMap<>();
    for (String f : SECRETS.getOrDefault(type, List.of())) {
      JsonNode n = body.remove(f);
      if (n != null && !n.isNull()) {
        String kind = type.equals("api_client") ? "api_key" : "password";
        int min = kind.equals("api_key") ? 16 : 8;
        if (!n.isTextual() || n.asText().length() < min) {
          throw HeraldException.badRequest(
              "Impossible to store the element.", "Field " + f + " must be a string of " + min + " or more characters.");
        }
        out.put(kind, secrets.store(kind, n.asText()));
      }
    }
    return out;
  }

  public static void requireView(Caller caller) {
    if (!caller.rights().can(Rights.Capability.VIEW, caller.domainKey())) {
      throw HeraldException.forbidden("Not allowed.", caller.userName()
          + " has no role that grants viewing elements in this domain.");
    }
  }

  static void requireEdit(Caller caller, String type, String what, String name) {
    require(caller, type, what, name, switch (what) {
      case "store", "import" -> Rights.Capability.CREATE;
      case "delete", "trash", "untrash" -> Rights.Capability.DELETE;
      default -> Rights.Capability.EDIT;
    });
  }

  /** What each capability is called when a role lacks it. */
  private static final Map<Rights.Capability, String> GRANTS = Map.of(
      Rights.Capability.CREATE, "creating elements", Rights.Capability.EDIT, "editing elements",
      Rights.Capability.DELETE, "deleting elements", Rights.Capability.OPERATE, "sending commands to engines",
      Rights.Capability.UPLOAD, "uploading and refreshing policies", Rights.Capability.VIEW, "viewing elements",
      Rights.Capability.VIEW_LOGS, "viewing logs");

  private static void require(Caller caller, String type, String what, String name, Rights.Capability needed) {
    if (ADMINISTRATION.contains(type) ? !caller.rights().superuser() : !caller.rights().can(needed, caller.domainKey())) {
      throw HeraldException.forbidden("Impossible to " + what + " the element " + name + ".",
          ADMINISTRATION.contains(type)
              ? "Only a superuser may manage administrators, API clients, roles, access control lists, domains, licences"
                  + " and update packages."
              : caller.userName() + " has no role that grants " + GRANTS.get(needed) + " in this domain.");
    }
  }

  private static void checkETag(String header, ElementRecord cur, String what) {
    if (!ETags.matches(header, cur.key(), cur.version())) {
      throw new HeraldException(
          412,
          "Impossible to " + what + " the element " + cur.name() + ".",
          "The element was changed since you read it (ETag mismatch); GET it again and retry.");
    }
  }

  /** The type a RelName stands for (an alias names another); 404 for an unknown one. */
  private static String requireType(String type) {
    if (!Catalogue.isRelName(type)) {
      throw HeraldException.notFound(
          "Unknown element type " + type + ".", "GET /{version}/api lists the element types.");
    }
    return Catalogue.canonical(type);
  }

  private static ObjectNode requireObject(JsonNode json) {
    if (!(json instanceof ObjectNode o)) {
      throw HeraldException.badRequest(
          "Invalid element.", "The request body must be a JSON object.");
    }
    return o;
  }

  private static HeraldException notFound(String type, long key) {
    return HeraldException.notFound(
        "Element not found.", "No " + type + " element with key " + key + ".");
  }

  static Change.Pending pending(ElementRecord r, EventType a, Caller caller) {
    return new Change.Pending(r.domainKey(), r.type(), r.key(), r.name(), a, caller.userName(), parentOf(r));
  }

  /**
   * The start of the href of an element that lives under another (a rule: {@code fw_policy/12},
   * from its parent_policy), else null.
   */
  static String parentOf(ElementRecord r) {
    if (!Catalogue.isRelName(r.type()) || !Catalogue.type(r.type()).rule()) {
      return null;
    }
    String p = parse(r.body()).path("parent_policy").asText("");
    int i = p.indexOf("/elements/");
    return i < 0 ? null : p.substring(i + "/elements/".length());
  }

  static JsonNode parse(String body) {
    return Json.parseObject(body).orElseThrow();
  }

  /** Lower-cased string field values (except name) for case-insensitive filter searches. */
  static String searchText(ObjectNode body) {
    StringBuilder sb = new StringBuilder();
    collect(body, sb, true);
    String s = sb.toString().toLowerCase(Locale.ROOT);
    return s.length() > 8000 ? s.substring(0, 8000) : s;
  }

  private static void collect(JsonNode n, StringBuilder sb, boolean top) {
    if (n.isTextual()) {
      sb.append(n.asText()).append('\n');
    } else if (n.isObject()) {
      n.properties()
          .forEach(
              e -> {
                if (!(top && e.getKey().equals("name"))) {
                  collect(e.getValue(), sb, false);
                }
              });
    } else if (n.isArray()) {
      n.forEach(c -> collect(c, sb, false));
    }
  }
}
