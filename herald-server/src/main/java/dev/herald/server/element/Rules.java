package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.EventType;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Policies' rules, as SMC keeps them: each rule is an element of its rule type (validated by the
 * catalogue, its references tracked, its changes evented with its policy in its href) with a
 * place in one of its policy's collections. The place is a rank (a number): a rule added between
 * two others takes a rank between theirs, so adding a rule writes that rule only; the ranks are
 * renumbered only when two neighbours' ranks leave no room between them.
 *
 * <p>Positions as the clients give them: none (the top, as SMC does), {@code after} / {@code before}
 * a rule (its tag, {@code 2097166.0}, or its key), the {@code add_after} / {@code add_before}
 * link of a rule, or a {@code rank} in the body (the Terraform provider's).
 */
public final class Rules {
  /** Attributes the server sets on a rule; a body's (a moved rule's whole JSON) are ignored. */
  private static final Set<String> SERVER_SET = Set.of("key", "link", "tag", "parent_policy", "parent_insert_point",
      "read_only", "system", "system_key", "admin_domain", "etag", "locked", "trashed");
  /** The match cells a rule that is not a section has; missing ones are {"none": true}. */
  private static final List<String> CELLS = List.of("sources", "destinations", "services");

  /** Where a new rule goes. */
  public sealed interface Position {
    /** The top of the collection (no position given). */
    record Top() implements Position {}

    /** Right after or before another rule of the collection. */
    record Next(long ruleKey, boolean after) implements Position {}

    /** At a rank (ties go after the rules already there). */
    record Rank(double rank) implements Position {}
  }

  private final ElementService elements;
  private final ElementStore store;
  private final InstantSource clock;

  public Rules(ElementService elements, InstantSource clock) {
    this.elements = elements;
    this.store = elements.store();
    this.clock = clock;
    // a rule sits in one of its template's insert points: that insert point cannot go while it does
    elements.addReferenceSource((type, key, body, resources) -> Catalogue.isRelName(type) && Catalogue.type(type).rule()
        ? insertPointKey(body).filter(k -> store.find(k).filter(Rules::isNormalInsertPoint).isPresent())
            .map(Set::of).orElse(Set.of())
        : Set.of());
    // a policy whose rules sit in its template's insert points keeps that template
    elements.onUpdate((tx, next, body) -> {
      if (!Catalogue.type(next.type()).rules().isEmpty()) {
        refuseTemplateChange(next, body);
      }
    });
    // a rank in a PUT moves the rule
    elements.onUpdate((tx, next, body) -> {
      if (Catalogue.type(next.type()).rule() && body.path("rank").isNumber()) {
        store.rulePlace(next.key()).ifPresent(p -> {
          try {
            tx.placeRule(next.key(), p.policyKey(), p.collection(), body.get("rank").asDouble());
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
          }
        });
      }
    });
  }

  /** The rule type of a policy's collection, by the collection's rel or href segment; 404 otherwise. */
  public static String collection(String policyType, String relOrPath) {
    return Catalogue.type(policyType).ruleCollection(relOrPath).orElseThrow(() -> HeraldException.notFound(
        "No rule collection " + relOrPath + " on " + policyType + ".", "GET the policy: its link list names its collections."));
  }

  /**
   * A collection's rules, in order: a policy's own rules, those of its template's first insert
   * point first, then the next insert point's (each insert point's by rank).
   */
  public List<ElementRecord> list(Caller caller, String policyType, long policyKey, String ruleType) {
    ElementRecord policy = elements.get(caller, policyType, policyKey);
    List<ElementRecord> out = new ArrayList<>();
    for (Placed e : layout(chain(policy), ruleType)) {
      if (e.policyKey() == policyKey) {
        out.add(e.rule());
      }
    }
    return out;
  }

  /** A rule in a policy's layout, with the policy (or template) that holds it. */
  public record Placed(ElementRecord rule, long policyKey) {}

  /**
   * A policy and the templates it is based on (its {@code template}, that one's, …), the policy
   * first; a chain that loops or runs deeper than 16 stops there.
   */
  public List<ElementRecord> chain(ElementRecord policy) {
    return chain(store, policy);
  }

  /** {@link #chain(ElementRecord)}, for those who hold the store alone. */
  public static List<ElementRecord> chain(ElementStore store, ElementRecord policy) {
    List<ElementRecord> out = new ArrayList<>();
    Set<Long> seen = new java.util.HashSet<>();
    ElementRecord p = policy;
    while (p != null && seen.add(p.key()) && out.size() < 16) {
      out.add(p);
      String t = ElementService.parse(p.body()).path("template").asText("");
      long key = lastKey(t);
      p = key < 0 ? null : store.find(key).filter(x -> Catalogue.isRelName(x.type())
          && !Catalogue.type(x.type()).rules().isEmpty()).orElse(null);
    }
    return out;
  }

  /**
   * A collection as the policy at the head of {@code chain} is installed: the root template's
   * rules, with each normal insert point of a template followed by the rules that the policy
   * based on it placed there (and so down the chain). A policy's rules at no insert point of its
   * template (its template has none) come after the template's.
   */
  public List<Placed> layout(List<ElementRecord> chain, String ruleType) {
    List<Placed> eff = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      ElementRecord p = chain.get(i);
      List<ElementRecord> own = store.rules(p.key(), ruleType);
      if (eff == null) {
        eff = new ArrayList<>(own.size());
        for (ElementRecord r : own) {
          eff.add(new Placed(r, p.key()));
        }
        continue;
      }
      long template = chain.get(i + 1).key();
      List<Placed> next = new ArrayList<>(eff.size() + own.size());
      if (eff.stream().noneMatch(e -> e.policyKey() == template && isNormalInsertPoint(e.rule()))) {
        next.addAll(eff); // no insert point to fill: the policy's rules after the template's, unparsed
        own.forEach(r -> next.add(new Placed(r, p.key())));
        eff = next;
        continue;
      }
      java.util.Map<Long, List<ElementRecord>> byPoint = new java.util.LinkedHashMap<>();
      for (ElementRecord r : own) {
        Optional<Long> point = r.body().contains("parent_insert_point")
            ? insertPointKey(ElementService.parse(r.body())) : Optional.empty();
        byPoint.computeIfAbsent(point.orElse(-1L), k -> new ArrayList<>()).add(r);
      }
      for (Placed e : eff) {
        next.add(e);
        if (e.policyKey() == template && isNormalInsertPoint(e.rule())) {
          for (ElementRecord r : byPoint.getOrDefault(e.rule().key(), List.of())) {
            next.add(new Placed(r, p.key()));
          }
          byPoint.remove(e.rule().key());
        }
      }
      byPoint.values().forEach(rest -> rest.forEach(r -> next.add(new Placed(r, p.key()))));
      eff = next;
    }
    return eff == null ? List.of() : eff;
  }

  /**
   * The insert points a policy's own rules go in: the normal insert points its template holds
   * itself, in the template's order (none when it has no template or its template none).
   */
  public List<ElementRecord> openInsertPoints(ElementRecord policy, String ruleType) {
    List<ElementRecord> chain = chain(policy);
    if (chain.size() < 2) {
      return List.of();
    }
    long template = chain.get(1).key();
    List<ElementRecord> out = new ArrayList<>();
    for (Placed e : layout(chain.subList(1, chain.size()), ruleType)) {
      if (e.policyKey() == template && isNormalInsertPoint(e.rule())) {
        out.add(e.rule());
      }
    }
    return out;
  }

  /** An insert point that a policy based on its template fills ({@code "type": "normal"}). */
  private static boolean isNormalInsertPoint(ElementRecord r) {
    if (!r.body().contains("normal")) {
      return false;
    }
    JsonNode b = ElementService.parse(r.body());
    return !b.has("action") && b.path("type").asText("").equals("normal");
  }

  /** The key of the insert point a rule sits in (its parent_insert_point), if any. */
  private static Optional<Long> insertPointKey(JsonNode body) {
    long k = lastKey(body.path("parent_insert_point").asText(""));
    return k < 0 ? Optional.empty() : Optional.of(k);
  }

  private static long lastKey(String href) {
    if (href.isEmpty()) {
      return -1;
    }
    try {
      return Long.parseLong(href.substring(href.lastIndexOf('/') + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * A policy's template may change only when none of its rules sits in an insert point of the
   * template it had (those rules would be left nowhere): checked when the template changes.
   */
  private void refuseTemplateChange(ElementRecord next, ObjectNode body) {
    ElementRecord before = store.find(next.key()).orElse(null);
    if (before == null) {
      return;
    }
    long was = lastKey(ElementService.parse(before.body()).path("template").asText(""));
    long now = lastKey(body.path("template").asText(""));
    if (was == now || was < 0) {
      return;
    }
    long held = store.rulesOfPolicy(next.key()).stream()
        .filter(r -> insertPointKey(ElementService.parse(r.body())).isPresent()).count();
    if (held > 0) {
      throw HeraldException.badRequest("Impossible to update the element " + next.name() + ".",
          held + " of its rules sit in insert points of its template: delete them (or save the policy under another"
              + " name based on the other template) before changing the template.");
    }
  }

  /**
   * A policy's validation (its {@code validate} link): each enabled rule of each collection, in
   * the order the engine gets them (its templates' rules with its own at their insert points),
   * checked for what cannot work — a cell that matches nothing ({@code none}), an element
   * in the trash or gone, a VPN action without its VPN, a jump to an empty sub-policy, a rule no
   * packet reaches because one before it matches everything and ends the match. The answer lists
   * each problem with its rule; {@code status} is ERROR, WARNING or OK.
   */
  public com.fasterxml.jackson.databind.node.ObjectNode validate(Caller caller, String policyType, long policyKey,
      String base) {
    ElementRecord policy = elements.get(caller, policyType, policyKey);
    com.fasterxml.jackson.databind.node.ObjectNode out = dev.herald.protocol.Json.object().put("name", policy.name());
    com.fasterxml.jackson.databind.node.ArrayNode problems = out.putArray("problems");
    boolean errors = false;
    for (String ruleType : new java.util.TreeSet<>(Catalogue.type(policyType).rules().values())) {
      // what its actions mean (catalogue data): those that end the match, those that need a VPN
      Set<String> ends = Catalogue.type(ruleType).ruleActions().map(Catalogue.RuleActions::ends).orElse(Set.of());
      Set<String> needVpn = Catalogue.type(ruleType).ruleActions().map(Catalogue.RuleActions::needsVpn).orElse(Set.of());
      ElementRecord shadowing = null;
      // the rules as the engine gets them: the templates' with this policy's in their insert points
      for (Placed placed : layout(chain(policy), ruleType)) {
        ElementRecord r = placed.rule();
        com.fasterxml.jackson.databind.JsonNode b = ElementService.parse(r.body());
        if (b.path("is_disabled").asBoolean(false) || !b.has("action")) {
          continue; // a disabled rule, a section or an insert point
        }
        List<String[]> found = new java.util.ArrayList<>();
        if (shadowing != null) {
          found.add(new String[] {"warning", "No packet reaches it: " + label(shadowing)
              + " before it matches everything and ends the match."});
        }
        for (String cell : CELLS) {
          if (b.path(cell).path("none").asBoolean(false)) {
            found.add(new String[] {"warning", "It never matches: its " + cell + " are none."});
          }
        }
        for (String href : references(b)) {
          Optional<ElementRecord> ref = elements.resolveHref(caller, href);
          if (ref.isEmpty()) {
            found.add(new String[] {"error", "It uses " + href + ", which does not exist."});
          } else if (ref.get().trashed()) {
            found.add(new String[] {"error", "It uses " + ref.get().type() + " " + ref.get().name() + ", which is in the trash."});
          }
        }
        List<String> actions = Validation.actionsOf(b.path("action"));
        if (actions.stream().anyMatch(needVpn::contains) && !b.path("action").path("vpn").isTextual()) {
          found.add(new String[] {"error", "Its action " + String.join(", ", actions) + " needs a VPN (action.vpn)."});
        }
        if (actions.contains("jump") && b.path("action").path("sub_policy").isTextual()) {
          elements.resolveHref(caller, b.path("action").path("sub_policy").asText())
              .filter(sub -> store.rulesOfPolicy(sub.key()).isEmpty())
              .ifPresent(sub -> found.add(new String[] {"warning", "It jumps to " + sub.name() + ", which has no rules."}));
        }
        for (String[] f : found) {
          errors |= f[0].equals("error");
          problems.addObject().put("severity", f[0]).put("rule", label(r)).put("rule_type", ruleType)
              .put("href", ElementJson.selfHref(r, base)).put("message", f[1]);
        }
        if (shadowing == null && CELLS.stream().allMatch(c -> b.path(c).path("any").asBoolean(false))
            && actions.stream().anyMatch(ends::contains)) {
          shadowing = r;
        }
      }
    }
    out.put("status", errors ? "ERROR" : problems.isEmpty() ? "OK" : "WARNING");
    return out;
  }

  private static String label(ElementRecord r) {
    String name = ElementService.parse(r.body()).path("name").asText("");
    return name.isEmpty() ? "Rule @" + tag(r) : name + " (@" + tag(r) + ")";
  }

  /** The element hrefs a rule's cells and action name. */
  private static List<String> references(com.fasterxml.jackson.databind.JsonNode b) {
    List<String> out = new java.util.ArrayList<>();
    for (String cell : CELLS) {
      b.path(cell).properties().forEach(e -> {
        if (e.getValue().isArray()) {
          e.getValue().forEach(v -> {
            if (v.isTextual() && v.asText().contains("/elements/")) {
              out.add(v.asText());
            }
          });
        }
      });
    }
    for (String f : List.of("vpn", "sub_policy")) {
      if (b.path("action").path(f).isTextual()) {
        out.add(b.path("action").path(f).asText());
      }
    }
    return out;
  }

  /**
   * {@code save_as?name=NEW} (smc-python's {@code Policy.save_as}): a new policy like this one —
   * its settings and template — with a copy of each of its rules, in the same order. The name is
   * checked first (a name in use: 400, nothing made).
   */
  public ElementRecord saveAs(Caller caller, String policyType, long policyKey, String newName, String base) {
    ElementRecord from = elements.get(caller, policyType, policyKey);
    ObjectNode body = (ObjectNode) ElementService.parse(from.body());
    if (from.system()) {
      ElementJson.withBase(body, base);
    }
    body.put("name", newName);
    body.remove("locked");
    // every rule's copy checked before anything is made: one that no longer validates (it uses a
    // trashed element, say) refuses the whole save, nothing made
    record Copy(String ruleType, ObjectNode body, double rank, Optional<String> insertPoint) {}
    List<Copy> copies = new ArrayList<>();
    for (String ruleType : new java.util.TreeSet<>(Catalogue.type(policyType).rules().values())) {
      for (ElementRecord r : store.rules(policyKey, ruleType)) {
        ObjectNode rb = (ObjectNode) ElementService.parse(r.body());
        ElementJson.withBase(rb, base);
        double rank = rb.path("rank").asDouble();
        Optional<String> point = insertPointKey(rb).map(String::valueOf);
        for (String server : List.of("rank", "tag", "parent_policy", "parent_insert_point", "key", "link")) {
          rb.remove(server);
        }
        ObjectNode check = rb.deepCopy();
        prepare(ruleType, check);
        ElementService.fillDefaults(ruleType, check);
        elements.validate(caller, ruleType, check, "Impossible to copy the rule " + label(r) + ":");
        copies.add(new Copy(ruleType, rb, rank, point));
      }
    }
    if (!elements.search(caller, Set.of(policyType), Optional.of(newName), true, true, 1).isEmpty()) {
      throw HeraldException.badRequest("Impossible to save the policy as " + newName + ".",
          "Element name " + newName + " is already used.");
    }
    ElementRecord copy = elements.create(caller, policyType, body);
    for (Copy c : copies) {
      create(caller, policyType, copy.key(), c.ruleType(), c.body(), new Position.Rank(c.rank()), c.insertPoint());
    }
    return copy;
  }

  /** A rule, checked to be one of this policy's. */
  public ElementRecord rule(Caller caller, String policyType, long policyKey, String ruleType, long ruleKey) {
    ElementRecord r = elements.get(caller, ruleType, ruleKey);
    ElementStore.RulePlace p = store.rulePlace(ruleKey).orElse(null);
    if (p == null || p.policyKey() != policyKey) {
      throw HeraldException.notFound("Element not found.", "No " + ruleType + " " + ruleKey + " in " + policyType + " " + policyKey + ".");
    }
    return r;
  }

  /** A position from the query parameters a client sends: after / before a tag or key; none: the top. */
  public Position position(Optional<String> after, Optional<String> before, ObjectNode body) {
    if (after.isPresent() || before.isPresent()) {
      String tag = after.orElseGet(before::orElseThrow);
      return new Position.Next(keyOfTag(tag), after.isPresent());
    }
    if (body.path("rank").isNumber()) {
      return new Position.Rank(body.get("rank").asDouble());
    }
    return new Position.Top();
  }

  private static long keyOfTag(String tag) {
    String t = tag.startsWith("@") ? tag.substring(1) : tag;
    int dot = t.indexOf('.');
    try {
      return Long.parseLong(dot < 0 ? t : t.substring(0, dot));
    } catch (NumberFormatException e) {
      throw HeraldException.badRequest("Invalid position.", "after and before take a rule's tag, such as 2097166.0; got " + tag + ".");
    }
  }

  /** A rule's tag: its key, and after a dot how many times it changed. */
  public static String tag(ElementRecord r) {
    return r.key() + "." + (r.version() - 1);
  }

  /**
   * Creates a rule in a policy's collection at a position; the rule's body is validated as its
   * type says. Returns the stored rule.
   */
  public ElementRecord create(Caller caller, String policyType, long policyKey, String ruleType, ObjectNode body,
      Position position, Optional<String> insertPoint) {
    ElementRecord policy = elements.writable(caller, policyType, policyKey, "add a rule to");
    ElementService.refuseLocked(policy, "add a rule to");
    collection(policyType, ruleType);
    prepare(ruleType, body);
    Optional<ElementRecord> point = insertPoint(policy, ruleType, position, insertPoint);
    body.put("parent_policy", BuiltIns.PREFIX + "/elements/" + policyType + "/" + policyKey);
    ElementService.fillDefaults(ruleType, body);
    Validation.Result v = elements.validate(caller, ruleType, body, "Impossible to store the element");
    body.put("parent_policy", BuiltIns.PREFIX + "/elements/" + policyType + "/" + policyKey);
    point.ifPresent(ip -> body.put("parent_insert_point", BuiltIns.PREFIX + "/elements/" + ElementService.parentOf(ip)
        + "/" + ip.type() + "/" + ip.key()));
    Set<Long> refs = new java.util.HashSet<>(v.references());
    point.ifPresent(ip -> refs.add(ip.key()));
    long key = store.newKey();
    long now = clock.millis();
    return store.write(tx -> {
      ElementRecord locked = tx.lock(policyKey).orElseThrow(() -> HeraldException.notFound("Element not found."));
      if (point.isPresent() && (tx.lock(point.get().key()).isEmpty()
          || !(store.rulePlace(point.get().key()).map(ElementStore.RulePlace::policyKey).orElse(-1L)
              == lastKey(ElementService.parse(locked.body()).path("template").asText(""))))) {
        throw HeraldException.badRequest("Invalid insert point.", "The insert point " + label(point.get())
            + " was deleted, or the policy's template changed, meanwhile: add the rule again.");
      }
      double rank = rankFor(tx, policyKey, ruleType, position, key);
      body.put("rank", rank);
      String name = body.path("name").asText("");
      ElementRecord rec = new ElementRecord(key, policy.domainKey(), ruleType, name, Json.write(body), 1, false, false);
      tx.insert(rec, ElementService.searchText(body));
      if (!refs.isEmpty()) {
        tx.setReferences(key, refs);
      }
      tx.placeRule(key, policyKey, ruleType, rank);
      tx.stamp(key, true, caller.userKey(), now);
      tx.record(ElementService.pending(rec, EventType.CREATE, caller));
      return rec;
    }).value();
  }

  /**
   * The insert point of its template that a new rule of {@code policy} goes in: the one named
   * ({@code ?insert_point=} its href, tag or key), else the one of the rule it goes next to, else
   * the template's first; none when the template has none. One that is not a normal insert point
   * of this policy's template, or that disagrees with the neighbour's, is refused (400).
   */
  private Optional<ElementRecord> insertPoint(ElementRecord policy, String ruleType, Position position,
      Optional<String> named) {
    List<ElementRecord> open = openInsertPoints(policy, ruleType);
    Optional<ElementRecord> neighbour = position instanceof Position.Next n
        ? store.find(n.ruleKey()).filter(r -> store.rulePlace(r.key()).map(ElementStore.RulePlace::policyKey)
            .orElse(-1L) == policy.key()) : Optional.empty();
    Optional<Long> beside = neighbour.flatMap(r -> insertPointKey(ElementService.parse(r.body())));
    if (named.isPresent()) {
      String n = named.get().strip();
      long key;
      try {
        key = n.contains("/") ? lastKey(n) : keyOfTag(n);
      } catch (HeraldException notATag) {
        key = -1;
      }
      long wanted = key;
      ElementRecord ip = open.stream().filter(r -> r.key() == wanted).findFirst().orElseThrow(() -> HeraldException.badRequest(
          "Invalid insert point.", open.isEmpty()
              ? "The template of " + policy.name() + " has no insert point for " + ruleType + " rules; got " + n + "."
              : n + " is not an insert point of the template of " + policy.name() + "; its insert points: "
                  + String.join(", ", open.stream().map(Rules::label).toList()) + "."));
      if (neighbour.isPresent() && beside.orElse(-1L) != wanted) {
        throw HeraldException.badRequest("Invalid position.", "The rule " + label(neighbour.get())
            + " is not in the insert point " + label(ip) + ".");
      }
      return Optional.of(ip);
    }
    if (neighbour.isPresent()) {
      return beside.flatMap(k -> open.stream().filter(r -> r.key() == k).findFirst());
    }
    return open.stream().findFirst();
  }

  /**
   * Creates a rule next to another (its add_after / add_before link): in the same policy and
   * collection. A moved rule arrives as its whole old JSON; what the server sets is ignored.
   */
  public ElementRecord createNextTo(Caller caller, String ruleType, long ruleKey, boolean after, ObjectNode body) {
    elements.get(caller, ruleType, ruleKey);
    ElementStore.RulePlace p = store.rulePlace(ruleKey).orElseThrow(() -> HeraldException.notFound(
        "Element not found.", "Rule " + ruleKey + " is in no policy."));
    ElementRecord policy = store.find(p.policyKey()).orElseThrow(() -> HeraldException.notFound("Element not found."));
    body.remove("rank");
    return create(caller, policy.type(), policy.key(), p.collection(), body, new Position.Next(ruleKey, after),
        Optional.empty());
  }

  /** Takes out what the server sets, and gives a rule (not a section or insert point) its cells. */
  private static void prepare(String ruleType, ObjectNode body) {
    SERVER_SET.forEach(body::remove);
    Catalogue.Type t = Catalogue.type(ruleType);
    boolean section = CELLS.stream().noneMatch(body::has) && !body.has("action") && !body.has("options")
        && !body.has("used_on");
    if (!section) {
      for (String cell : CELLS) {
        if (t.attributes().containsKey(cell) && (!body.has(cell) || body.get(cell).isNull())) {
          body.putObject(cell).put("none", true);
        }
      }
    }
    // smc-python sends a NAT rule's engine as a bare href; SMC's shape is {"firewall_ref": href}
    JsonNode usedOn = body.get("used_on");
    if (usedOn != null && usedOn.isTextual()) {
      body.putObject("used_on").put("firewall_ref", usedOn.asText());
    }
    if (!body.has("name") || body.get("name").isNull()) {
      body.put("name", "");
    }
  }

  private double rankFor(ElementStore.WriteTx tx, long policyKey, String collection, Position position, long except)
      throws java.sql.SQLException {
    return switch (position) {
      case Position.Rank r -> r.rank();
      case Position.Top t -> {
        double[] b = tx.rankBounds(policyKey, collection);
        yield Double.isNaN(b[0]) ? 1.0 : b[0] - 1.0;
      }
      case Position.Next n -> {
        ElementStore.RulePlace p = tx.rulePlace(n.ruleKey()).filter(x -> x.policyKey() == policyKey
            && x.collection().equals(collection)).orElseThrow(() -> HeraldException.badRequest(
                "Invalid position.", "Rule " + n.ruleKey() + " is not in this " + collection + " collection."));
        double other = tx.ranksAround(policyKey, collection, p.rank(), !n.after(), except)[0];
        if (Double.isInfinite(other)) {
          yield n.after() ? p.rank() + 1.0 : p.rank() - 1.0;
        }
        double mid = (p.rank() + other) / 2;
        if (!roomBetween(p.rank(), other)) {
          // no room left between them: spread out the rules after the lower one, then place
          respace(tx, policyKey, collection, Math.min(p.rank(), other));
          yield rankFor(tx, policyKey, collection, position, except);
        }
        yield mid;
      }
    };
  }

  /** Whether a rank fits strictly between two, with room for more after it. */
  private static boolean roomBetween(double a, double b) {
    double lo = Math.min(a, b);
    double hi = Math.max(a, b);
    return hi - lo > 64 * Math.ulp(Math.max(Math.abs(lo), Math.abs(hi)));
  }

  /**
   * Spreads out the rules right after {@code from}: the fewest (32, 64, … of them) whose span up
   * to the next rule leaves even gaps with room, so a run of adds at one place rewrites a few
   * neighbours now and then, never the whole policy. Each moved rule is an update (evented).
   */
  private void respace(ElementStore.WriteTx tx, long policyKey, String collection, double from)
      throws java.sql.SQLException {
    for (int w = 32; ; w *= 2) {
      List<ElementRecord> window = store.rulesAfter(policyKey, collection, from, w + 1);
      boolean last = window.size() <= w;
      List<ElementRecord> moved = last ? window : window.subList(0, w);
      double hi = last ? from + 2.0 * (moved.size() + 2) : rankOf(window.get(w));
      double gap = (hi - from) / (moved.size() + 2);
      if (!roomBetween(from, from + gap) && !last) {
        continue;
      }
      double rank = from + gap;
      for (ElementRecord r : moved) {
        rank += gap;
        ObjectNode b = (ObjectNode) ElementService.parse(r.body());
        b.put("rank", rank);
        ElementRecord next = r.withBody(r.name(), Json.write(b));
        tx.update(next, ElementService.searchText(b));
        tx.placeRule(r.key(), policyKey, collection, rank);
        tx.record(ElementService.pending(next, EventType.UPDATE, SYSTEM));
      }
      return;
    }
  }

  private static double rankOf(ElementRecord r) {
    return ElementService.parse(r.body()).path("rank").asDouble();
  }

  /** Who moves rules when ranks are spread out (the actor of those update events). */
  private static final Caller SYSTEM = new Caller(0, "herald", 0, null);

  /**
   * search_rule: a policy's rules whose name or comment contains {@code filter}, or, for
   * {@code @KEY}, the rule with that tag.
   */
  public List<ElementRecord> search(Caller caller, String policyType, long policyKey, String filter) {
    elements.get(caller, policyType, policyKey);
    List<ElementRecord> out = new ArrayList<>();
    String f = filter.toLowerCase(Locale.ROOT);
    for (ElementRecord r : store.rulesOfPolicy(policyKey)) {
      if (f.startsWith("@")) {
        if (f.substring(1).equals(Long.toString(r.key())) || f.substring(1).equals(tag(r))) {
          out.add(r);
        }
        continue;
      }
      JsonNode b = ElementService.parse(r.body());
      if (f.isEmpty() || r.name().toLowerCase(Locale.ROOT).contains(f)
          || b.path("comment").asText("").toLowerCase(Locale.ROOT).contains(f)) {
        out.add(r);
      }
    }
    return out;
  }
}
