package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.element.ElementService;
import dev.herald.server.element.SubElements;
import dev.herald.server.store.ElementRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Elements kept under another one over HTTP ({@link SubElements}): for each link of kind
 * {@code sub_elements} in the catalogue, the collection ({@code <holder>/REL}: GET the meta list,
 * POST one) and one ({@code <holder>/REL/ID}: GET, PUT with If-Match, DELETE). Changing one needs
 * the right to change its holder. {@link VpnResource} serves an internal gateway's the same way.
 */
final class SubElementResource {
  private final ElementService elements;
  private final SubElements subs;
  private final Set<String> rels = new TreeSet<>();

  SubElementResource(ElementResource elementResource, ElementService elements, SubElements subs) {
    this.elements = elements;
    this.subs = subs;
    for (Catalogue.Type t : Catalogue.types().values()) {
      t.links().stream().filter(l -> l.kind().equals("sub_elements")).forEach(l -> rels.add(l.rel()));
    }
    for (String rel : rels) {
      elementResource.register(rel, (c, t, k) -> collection(c, holder(c, t, k, rel), () -> writable(c, t, k)));
    }
  }

  List<Route> routes() {
    List<Route> out = new ArrayList<>();
    for (String rel : rels) {
      out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + rel + "/{id}", Set.of("GET", "HEAD", "PUT", "DELETE"), c -> {
        String type = Catalogue.isRelName(c.var("ptype")) ? Catalogue.canonical(c.var("ptype")) : "";
        long key = number(c, "pkey");
        if (!SubElements.holds(type, rel)) {
          throw HeraldException.notFound("Not found.", "No resource at " + c.request.getHttpURI().getPath() + ".");
        }
        return one(c, holder(c, type, key, rel), number(c, "id"), () -> writable(c, type, key));
      }));
      if (Catalogue.isRelName(rel) && Catalogue.type(rel).subElement().map(s -> s.links().contains(SubElements.CONTACT_ADDRESSES))
          .orElse(false)) {
        out.add(new Route("/{v}/elements/{ptype}/{pkey}/" + rel + "/{id}/" + SubElements.CONTACT_ADDRESSES, Set.of("GET", "HEAD", "PUT"),
            c -> contactAddresses(c, rel)));
      }
    }
    return out;
  }

  /** A sub-element's contact addresses: GET with an ETag; PUT the list back (If-Match as for the sub-element). */
  private Reply contactAddresses(Call c, String rel) throws Exception {
    String type = Catalogue.isRelName(c.var("ptype")) ? Catalogue.canonical(c.var("ptype")) : "";
    long key = number(c, "pkey");
    if (!SubElements.holds(type, rel)) {
      throw HeraldException.notFound("Not found.", "No resource at " + c.request.getHttpURI().getPath() + ".");
    }
    SubElements.Holder h = holder(c, type, key, rel);
    long id = number(c, "id");
    ObjectNode current = subs.contactAddresses(h, id, c.base());
    if (c.method().equals("PUT")) {
      c.checkDigest(current, "the contact addresses");
      writable(c, type, key);
      ObjectNode now = subs.putContactAddresses(c.session().caller(), h, id, c.json(), c.base(), c.ifMatch());
      return Reply.json(200, now).header("ETag", dev.herald.server.element.ETags.digest(now));
    }
    return Reply.json(200, current).header("ETag", dev.herald.server.element.ETags.digest(current));
  }

  private SubElements.Holder holder(Call c, String type, long key, String rel) {
    ElementRecord owner = elements.get(c.session().caller(), type, key);
    return new SubElements.Holder(owner, rel, rel);
  }

  private void writable(Call c, String type, long key) {
    elements.writableForLink(c.session().caller(), type, key, "change");
  }

  static long number(Call c, String var) {
    try {
      return Long.parseLong(c.var(var));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("Not found.", "Keys are integers; got " + c.var(var) + ".");
    }
  }

  /** A holder's collection: GET the meta list, POST one (201, its href in Location). */
  Reply collection(Call c, SubElements.Holder h, Runnable writable) throws Exception {
    if (c.method().equals("GET") || c.method().equals("HEAD")) {
      return Reply.json(200, subs.list(h, c.base()));
    }
    if (!c.method().equals("POST")) {
      throw new HeraldException(405, "Method " + c.method() + " not allowed.", List.of("Allowed: GET, POST."), null)
          .header("Allow", "GET, POST");
    }
    writable.run();
    long id = subs.create(c.session().caller(), h, c.json());
    return Reply.json(201, subs.get(h, id, c.base())).header("Location", h.href(c.base()) + "/" + id);
  }

  /**
   * One: GET (with its ETag), PUT and DELETE (If-Match, when sent, must be that ETag: checked
   * at once and again under the holder's lock, so two writes from one read cannot both pass).
   */
  Reply one(Call c, SubElements.Holder h, long id, Runnable writable) throws Exception {
    ObjectNode current = subs.get(h, id, c.base());
    switch (c.method()) {
      case "PUT" -> {
        c.checkDigest(current, "the " + h.type() + " " + current.path("name").asText());
        writable.run();
        ObjectNode now = subs.put(c.session().caller(), h, id, c.json(), c.base(), c.ifMatch());
        return Reply.json(200, now).header("ETag", dev.herald.server.element.ETags.digest(now));
      }
      case "DELETE" -> {
        c.checkDigest(current, "the " + h.type() + " " + current.path("name").asText());
        writable.run();
        subs.delete(c.session().caller(), h, id, c.base(), c.ifMatch());
        return Reply.empty(204);
      }
      default -> {
        return Reply.json(200, current).header("ETag", dev.herald.server.element.ETags.digest(current));
      }
    }
  }
}
