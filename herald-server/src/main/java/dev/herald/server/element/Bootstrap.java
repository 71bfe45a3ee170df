package dev.herald.server.element;

import dev.herald.protocol.EventType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.util.Optional;

/**
 * Creates what a fresh data directory needs: the {@code Shared Domain}, an {@code api_client}
 * for API-key login and an {@code admin_user} for {@code lms_login}. Idempotent: existing
 * elements are kept, and a given secret replaces the stored one.
 */
public final class Bootstrap {
  private final ElementStore store;

  public Bootstrap(ElementStore store) {
    this.store = store;
  }

  /**
   * A user every Herald has: its type, name, the kind of its secret and what {@code herald serve}
   * calls that secret.
   */
  public record BuiltInUser(String type, String name, String kind, String label) {
    /** Whether {@code r} is this user (in Shared Domain). */
    public boolean is(ElementRecord r, long sharedDomain) {
      return r.domainKey() == sharedDomain && r.type().equals(type) && r.name().equals(name);
    }
  }

  /** The api_client whose key {@code herald serve} takes or prints. */
  public static final BuiltInUser API_CLIENT = new BuiltInUser("api_client", "herald", "api_key", "API key");
  /** The admin_user for {@code lms_login}. */
  public static final BuiltInUser ADMIN = new BuiltInUser("admin_user", "admin", "password", "admin password");

  /** Makes the stored form of a secret: {hash, lookup or null} (the session package's). */
  @FunctionalInterface
  public interface SecretStorer {
    String[] store(String kind, String secret);
  }

  /**
   * The key Shared Domain gets in a new database. A fixed key makes its creation idempotent
   * across nodes starting together: the second insert fails on the primary key and that node
   * finds the first one's. (Element keys are allocated from 1000.)
   */
  static final long SHARED_DOMAIN_KEY = 1;

  /** Returns the key of Shared Domain, creating it on first start. */
  public long sharedDomain() {
    Optional<Long> existing = findSharedDomain();
    if (existing.isPresent()) {
      return existing.get();
    }
    long key = SHARED_DOMAIN_KEY;
    // Shared Domain is its own domain: its domain_key is its own element key.
    ObjectNode body = Json.object().put("name", ElementService.SHARED_DOMAIN)
        .put("comment", "The default domain.");
    ElementRecord rec = new ElementRecord(key, key, "admin_domain", ElementService.SHARED_DOMAIN,
        Json.write(body), 1, false, true);
    try {
      store.write(tx -> {
        tx.insert(rec, ElementService.searchText(body));
        tx.record(new Change.Pending(key, "admin_domain", key, rec.name(), EventType.CREATE, "system"));
        return null;
      });
      return key;
    } catch (HeraldException e) {
      // another node created it meanwhile
      try {
        return findSharedDomain().orElseThrow(() -> e);
      } catch (RuntimeException lookup) {
        if (lookup != e) {
          lookup.addSuppressed(e);
        }
        throw lookup;
      }
    }
  }

  /** A built-in user of a data directory from before the permission model becomes superuser. */
  private void ensureSuperuser(ElementRecord user) {
    ObjectNode body = (ObjectNode) ElementService.parse(user.body());
    if (body.path("superuser").asBoolean(false)) {
      return;
    }
    body.put("superuser", true);
    try {
      store.write(tx -> {
        ElementRecord cur = tx.lock(user.key()).orElseThrow();
        ElementRecord next = cur.withBody(cur.name(), Json.write(body));
        tx.update(next, ElementService.searchText(body));
        tx.record(new Change.Pending(cur.domainKey(), cur.type(), cur.key(), cur.name(), EventType.UPDATE, "system"));
        return null;
      });
    } catch (HeraldException e) {
      // another node did it meanwhile
    }
  }

  private Optional<Long> findSharedDomain() {
    for (ElementRecord r : store.listByType("admin_domain")) {
      if (r.name().equals(ElementService.SHARED_DOMAIN) && r.system()) {
        return Optional.of(r.key());
      }
    }
    return Optional.empty();
  }

  /**
   * Ensures a user element of {@code type} named {@code name} exists in Shared Domain with a
   * credential. An existing credential is replaced by {@code secret} only when
   * {@code replace}; when the user is missing it is created with {@code secret}. Safe when
   * several nodes start together: a node that loses the race to create the user goes on as if
   * it had existed.
   *
   * @return the stored hash of the user's credential when {@code secret} is now that credential
   *     (the one this call wrote or checked); empty when it is not
   */
  public Optional<String> user(long sharedDomain, String type, String name, String secret, String kind,
      boolean replace, SecretStorer storer, java.util.function.BiPredicate<String, String> verifier) {
    Optional<ElementRecord> existing = store.findByName(sharedDomain, type, name);
    if (existing.isEmpty()) {
      long key = store.newKey();
      // the built-in users administer the server: superusers (the security model's root)
      ObjectNode body = Json.object().put("name", name).put("enabled", true).put("superuser", true)
          .put("comment", "Created by herald serve.");
      ElementRecord rec = new ElementRecord(key, sharedDomain, type, name, Json.write(body), 1,
          false, false);
      String[] stored = storer.store(kind, secret);
      try {
        store.write(tx -> {
          tx.insert(rec, ElementService.searchText(body));
          tx.saveCredential(key, kind, stored[0], stored[1]);
          tx.record(new Change.Pending(sharedDomain, type, key, name, EventType.CREATE, "system"));
          return null;
        });
        return Optional.of(stored[0]);
      } catch (HeraldException e) {
        try {
          existing = store.findByName(sharedDomain, type, name); // another node created it
        } catch (RuntimeException lookup) {
          lookup.addSuppressed(e);
          throw lookup;
        }
        if (existing.isEmpty()) {
          throw e;
        }
      }
    }
    long key = existing.get().key();
    ensureSuperuser(existing.get());
    Optional<ElementStore.Credential> stored = store.credentialOf(key);
    if (stored.isPresent() && (!replace || verifier.test(secret, stored.get().secretHash()))) {
      // kept, or already this secret: nodes restarted with the same flags write nothing
      if (stored.get().lookup().isEmpty() && replace && kind.equals("api_key")) {
        store.setLookup(key, storer.store(kind, secret)[1]); // stored before lookups existed
      }
      return replace ? Optional.of(stored.get().secretHash()) : Optional.empty();
    }
    String[] fresh = storer.store(kind, secret);
    try {
      store.write(tx -> {
        tx.saveCredential(key, kind, fresh[0], fresh[1]);
        return null;
      });
    } catch (HeraldException e) {
      // another node stored a credential at the same moment: fine if it is this secret
      Optional<ElementStore.Credential> now = store.credentialOf(key);
      if (now.isEmpty() || !verifier.test(secret, now.get().secretHash())) {
        throw e;
      }
      return Optional.of(now.get().secretHash());
    }
    return Optional.of(fresh[0]);
  }
}
