package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldif.LDIFException;
import com.unboundid.ldif.LDIFReader;
import com.unboundid.ldif.LDIFWriter;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.task.Tasks;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The internal LDAP's users and groups as LDIF (RFC 2849), as smc-python's
 * {@code System.export_ldif_elements} (a task whose result is downloaded as a zip) and
 * {@code import_ldif_elements} (multipart {@code import_file}, then a task) move them: Herald's
 * {@code internal_user} and {@code internal_user_group} elements of {@code InternalDomain}, under
 * {@code dc=stonegate} — smc-python's {@code InternalUserDomain.user_dn} and the elements'
 * {@code unique_id} {@code cn=NAME,dc=stonegate,domain=InternalDomain}.
 *
 * <p>A user is an {@code inetOrgPerson} ({@code cn}, {@code sn}, {@code displayName},
 * {@code description} for its comment); a group a {@code groupOfNames} whose {@code member}s are
 * the DNs of its users and groups (its {@code member} references and the users whose
 * {@code user_group} names it). Import creates the entries it does not know and updates the
 * attributes it carries on those it does, all or none, with their events. Passwords are not in
 * the LDIF either way (they stay with the element, stored as secrets); an entry that is neither a
 * person nor a group of names fails the import naming it. Reading and writing LDIF is the
 * UnboundID LDAP SDK's.
 */
public final class Ldif {
  /** The internal user domain SMC keeps these in (smc-python: the default ldap_domain). */
  public static final String DOMAIN = "InternalDomain";
  private static final String BASE = "dc=stonegate";
  static final String USER = "internal_user";
  static final String GROUP = "internal_user_group";
  /** The zip entry an export holds (Herald's name: SMC's is not known). */
  public static final String ENTRY = "exported_ldif_elements.ldif";
  /** The most entries one import may hold. */
  static final int MAX_ENTRIES = 20_000;

  private final ElementService elements;

  public Ldif(ElementService elements) {
    this.elements = elements;
  }

  /** {@code ldap_domain}: InternalDomain, the only one Herald keeps users in. */
  public static void checkDomain(Optional<String> ldapDomain) {
    if (ldapDomain.isPresent() && !ldapDomain.get().equals(DOMAIN)) {
      throw HeraldException.badRequest("Impossible to use the LDAP domain " + ldapDomain.get() + ".",
          "Herald keeps internal users in " + DOMAIN + " only.");
    }
  }

  /** A caller who may import internal users and groups (checked before the file is read). */
  public static void checkImport(Caller caller) {
    ElementService.requireEdit(caller, USER, "import", "");
    ElementService.requireEdit(caller, GROUP, "import", "");
  }

  /** The export: a zip holding the LDIF of the internal users and groups the caller sees. */
  public byte[] export(Caller caller, Tasks.Context ctx) throws IOException {
    List<ElementRecord> users = elements.search(caller, Set.of(USER), Optional.empty(), false, false, Integer.MAX_VALUE);
    List<ElementRecord> groups = elements.search(caller, Set.of(GROUP), Optional.empty(), false, false, Integer.MAX_VALUE);
    Map<Long, ElementRecord> byKey = new LinkedHashMap<>();
    users.forEach(u -> byKey.put(u.key(), u));
    groups.forEach(g -> byKey.put(g.key(), g));
    Map<Long, Set<String>> members = new LinkedHashMap<>();
    groups.forEach(g -> members.put(g.key(), new LinkedHashSet<>()));
    for (ElementRecord g : groups) {
      for (JsonNode m : ElementService.parse(g.body()).path("member")) {
        elements.resolveHref(caller, m.asText()).filter(r -> byKey.containsKey(r.key()))
            .ifPresent(r -> members.get(g.key()).add(dn(r.name())));
      }
    }
    for (ElementRecord u : users) {
      for (JsonNode h : ElementService.parse(u.body()).path("user_group")) {
        elements.resolveHref(caller, h.asText()).filter(r -> members.containsKey(r.key()))
            .ifPresent(r -> members.get(r.key()).add(dn(u.name())));
      }
    }
    ByteArrayOutputStream ldif = new ByteArrayOutputStream();
    try (LDIFWriter w = new LDIFWriter(ldif)) {
      w.writeEntry(new Entry(BASE, new Attribute("objectClass", "top", "domain"), new Attribute("dc", "stonegate")));
      int i = 0;
      for (ElementRecord u : users) {
        if (++i % 200 == 0) {
          ctx.checkAbort();
        }
        JsonNode b = ElementService.parse(u.body());
        Entry e = new Entry(dn(u.name()));
        e.addAttribute("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson");
        e.addAttribute("cn", u.name());
        e.addAttribute("sn", u.name());
        text(b, "display_name").ifPresent(v -> e.addAttribute("displayName", v));
        text(b, "comment").ifPresent(v -> e.addAttribute("description", v));
        w.writeEntry(e);
      }
      for (ElementRecord g : groups) {
        Entry e = new Entry(dn(g.name()));
        e.addAttribute("objectClass", "top", "groupOfNames");
        e.addAttribute("cn", g.name());
        text(ElementService.parse(g.body()), "comment").ifPresent(v -> e.addAttribute("description", v));
        if (!members.get(g.key()).isEmpty()) {
          e.addAttribute("member", members.get(g.key()));
        }
        w.writeEntry(e);
      }
    }
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      z.putNextEntry(new ZipEntry(ENTRY));
      z.write(ldif.toByteArray());
      z.closeEntry();
    }
    return zip.toByteArray();
  }

  /**
   * An import file's users and groups as elements to import ({@link ElementService#importBatch}):
   * an LDIF file, or a zip holding one (an export). A known element keeps what the LDIF does not
   * carry.
   *
   * @throws Tasks.Failed the file is not LDIF, or holds an entry Herald cannot keep, saying which
   */
  public List<ElementService.Imported> read(Caller caller, byte[] file) {
    byte[] text = file.length > 1 && file[0] == 'P' && file[1] == 'K'
        ? Transfer.unzip(file, n -> n.toLowerCase(Locale.ROOT).endsWith(".ldif"), "LDIF file (.ldif)")
        : file;
    List<Entry> people = new ArrayList<>();
    List<Entry> groups = new ArrayList<>();
    try (LDIFReader r = new LDIFReader(new ByteArrayInputStream(text))) {
      Entry e;
      int n = 0;
      while ((e = r.readEntry()) != null) {
        if (++n > MAX_ENTRIES) {
          throw new Tasks.Failed("The file holds more than " + MAX_ENTRIES + " entries.");
        }
        if (e.hasObjectClass("groupOfNames") || e.hasObjectClass("groupOfUniqueNames")) {
          groups.add(e);
        } else if (e.hasObjectClass("person") || e.hasObjectClass("inetOrgPerson")) {
          people.add(e);
        } else if (!e.hasObjectClass("domain") && !e.hasObjectClass("organizationalUnit")) {
          throw new Tasks.Failed("The entry " + e.getDN() + " is neither a person nor a group of names.");
        }
      }
    } catch (LDIFException e) {
      throw new Tasks.Failed("The file is not LDIF: " + e.getMessage());
    } catch (IOException e) {
      throw new Tasks.Failed("The file cannot be read: " + e.getMessage());
    }
    if (people.isEmpty() && groups.isEmpty()) {
      throw new Tasks.Failed("The file holds no user and no group.");
    }
    Map<String, String> typeByName = new LinkedHashMap<>();
    List<ElementService.Imported> out = new ArrayList<>();
    for (Entry p : people) {
      String name = name(p);
      typeByName.put(name, USER);
      ObjectNode b = known(caller, USER, name);
      optional(p, "displayName").ifPresent(v -> b.put("display_name", v));
      optional(p, "description").ifPresent(v -> b.put("comment", v));
      out.add(new ElementService.Imported(USER, name, b));
    }
    for (Entry g : groups) {
      typeByName.put(name(g), GROUP);
    }
    for (Entry g : groups) {
      String name = name(g);
      ObjectNode b = known(caller, GROUP, name);
      optional(g, "description").ifPresent(v -> b.put("comment", v));
      Set<String> refs = new LinkedHashSet<>();
      b.path("member").forEach(m -> refs.add(m.asText()));
      List<String> memberDns = new ArrayList<>();
      for (String attr : List.of("member", "uniqueMember")) {
        String[] values = g.getAttributeValues(attr);
        if (values != null) {
          memberDns.addAll(List.of(values));
        }
      }
      for (String m : memberDns) {
        String member = cn(m).orElseThrow(() -> new Tasks.Failed("The member " + m + " of " + g.getDN() + " has no cn."));
        String type = Optional.ofNullable(typeByName.get(member)).orElseGet(() -> onServer(caller, member)
            .orElseThrow(() -> new Tasks.Failed("The member " + m + " of " + g.getDN()
                + " is neither in the file nor on this server.")));
        refs.add(ElementService.REF + type + ":" + member);
      }
      ArrayNode a = b.putArray("member");
      refs.forEach(a::add);
      out.add(new ElementService.Imported(GROUP, name, b));
    }
    return out;
  }

  /** What Herald already has of an element (its references as the import reads them), else nothing. */
  private ObjectNode known(Caller caller, String type, String name) {
    // the caller's own domain's, as the import matches them (not Shared Domain's from a sub-domain)
    return elements.store().findByName(caller.domainKey(), type, name)
        .map(elements::forExport).orElseGet(Json::object);
  }

  private Optional<String> onServer(Caller caller, String name) {
    for (String type : List.of(USER, GROUP)) {
      if (!elements.search(caller, Set.of(type), Optional.of(name), true, true, 1).isEmpty()) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  private static String name(Entry e) {
    return cn(e.getDN()).or(() -> optional(e, "cn"))
        .orElseThrow(() -> new Tasks.Failed("The entry " + e.getDN() + " has no cn."));
  }

  /** The cn of a DN's first RDN. */
  private static Optional<String> cn(String dn) {
    try {
      RDN rdn = new DN(dn).getRDN();
      if (rdn == null) {
        return Optional.empty();
      }
      String[] names = rdn.getAttributeNames();
      for (int i = 0; i < names.length; i++) {
        if (names[i].equalsIgnoreCase("cn")) {
          return Optional.of(rdn.getAttributeValues()[i]);
        }
      }
      return Optional.empty();
    } catch (LDAPException e) {
      throw new Tasks.Failed("Unreadable DN " + dn + ": " + e.getMessage());
    }
  }

  private static Optional<String> optional(Entry e, String attr) {
    return Optional.ofNullable(e.getAttributeValue(attr));
  }

  private static Optional<String> text(JsonNode b, String field) {
    JsonNode v = b.path(field);
    return v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
  }

  private static String dn(String name) {
    return new DN(new RDN("cn", name), new DN(new RDN("dc", "stonegate"))).toString();
  }
}
