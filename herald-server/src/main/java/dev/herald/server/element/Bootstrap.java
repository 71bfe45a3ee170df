package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.Change;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Creates what a fresh data directory needs: the {@code Shared Domain}, an {@code api_client}
 * for API-key login and an {@code admin_user} for {@code lms_login}. Idempotent: existing
 * elements are kept, and a given secret replaces the stored one.
 */
public final class Bootstrap {
  private final ElementStore store;
  private final UnaryOperator<String> hasher;

  public Bootstrap(ElementStore store, UnaryOperator<String> hasher) {
    this.store = store;
    this.hasher = hasher;
  }

  /** Returns the key of Shared Domain, creating it on first start. */
  public long sharedDomain() {
    // Shared Domain is its own domain: its domain_key is its own element key.
    for (ElementRecord r : store.listByType("admin_domain")) {
      if (r.name().equals(ElementService.SHARED_DOMAIN) && r.system()) {
        return r.key();
      }
    }
    long key = store.newKey();
    ObjectNode body = Json.object().put("name", ElementService.SHARED_DOMAIN)
        .put("comment", "The default domain.");
    ElementRecord rec = new ElementRecord(key, key, "admin_domain", ElementService.SHARED_DOMAIN,
        Json.write(body), 1, false, true);
    store.write(tx -> {
      tx.insert(rec, ElementService.searchText(body));
      tx.record(new Change.Pending(key, "admin_domain", key, rec.name(), Change.Action.CREATE, "system"));
      return null;
    });
    return key;
  }

  /**
   * Ensures a user element of {@code type} named {@code name} exists in Shared Domain with a
   * credential. When {@code secret} is empty an existing credential is kept.
   */
  public void user(long sharedDomain, String type, String name, Optional<String> secret,
      String kind) {
    Optional<ElementRecord> existing = store.findByName(sharedDomain, type, name);
    if (existing.isPresent()) {
      long key = existing.get().key();
      if (secret.isEmpty() && store.credential(key).isPresent()) {
        return;
      }
      String hash = hasher.apply(secret.orElseThrow(() ->
          new IllegalStateException(type + " " + name + " has no credential; give one")));
      store.write(tx -> {
        tx.saveCredential(key, kind, hash);
        return null;
      });
      return;
    }
    long key = store.newKey();
    ObjectNode body = Json.object().put("name", name).put("enabled", true)
        .put("comment", "Created by herald serve.");
    if (type.equals("admin_user")) {
      body.put("superuser", true);
    }
    ElementRecord rec = new ElementRecord(key, sharedDomain, type, name, Json.write(body), 1,
        false, false);
    String hash = hasher.apply(secret.orElseThrow());
    store.write(tx -> {
      tx.insert(rec, ElementService.searchText(body));
      tx.saveCredential(key, kind, hash);
      tx.record(new Change.Pending(sharedDomain, type, key, name, Change.Action.CREATE, "system"));
      return null;
    });
  }
}
