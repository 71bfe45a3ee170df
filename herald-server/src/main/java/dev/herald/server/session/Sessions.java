package dev.herald.server.session;

import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.element.Rights;
import dev.herald.server.element.ElementService;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import dev.herald.server.store.SessionStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Login, session lookup, logout and expiry. Session ids are 128 random bits from
 * {@link SecureRandom}, base64url-encoded; only their SHA-256 is stored. A session ends when it
 * is idle longer than {@code idleTimeout}, older than {@code absoluteTimeout}, or logged out;
 * listeners registered with {@link #onEnd} then learn its id hash (to close its sockets).
 *
 * <p>Lookups are served from a local cache; the database row is touched at most every
 * {@code TOUCH_EVERY} so the hot path does no write per request.
 */
public final class Sessions {
  private static final long TOUCH_EVERY_MS = 5_000;
  /** A cached session is checked against the database at most this often (logout elsewhere). */
  private static final long VERIFY_EVERY_MS = 1_000;

  private final SessionStore store;
  private final ElementStore elements;
  private final InstantSource clock;
  private final SecureRandom random;
  private final Duration idleTimeout;
  private final Duration absoluteTimeout;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  /** Sessions ended here whose row could not be deleted yet (database away): retried by sweep. */
  private final java.util.Set<String> pendingDelete = ConcurrentHashMap.newKeySet();
  private final List<Consumer<String>> endListeners = new CopyOnWriteArrayList<>();
  private final Logins logins;
  private final RightsOf rightsOf;
  private final long sharedDomain;

  private static final class Cached {
    final Session session;
    volatile long lastSeenMs;
    volatile long persistedMs;
    volatile long verifiedMs;

    Cached(Session session, long lastSeenMs, long verifiedMs) {
      this.session = session;
      this.lastSeenMs = lastSeenMs;
      this.persistedMs = lastSeenMs;
      this.verifiedMs = verifiedMs;
    }
  }

  public Sessions(
      SessionStore store,
      ElementStore elements,
      SecretHash hasher,
      long sharedDomain,
      InstantSource clock,
      SecureRandom random,
      Duration idleTimeout,
      Duration absoluteTimeout) {
    this.store = store;
    this.elements = elements;
    this.clock = clock;
    this.random = random;
    this.idleTimeout = idleTimeout;
    this.absoluteTimeout = absoluteTimeout;
    this.sharedDomain = sharedDomain;
    this.logins = new Logins(elements, hasher, Hashing.forThisMachine(), clock, random, sharedDomain);
    this.rightsOf = new RightsOf(elements);
  }

  /**
   * The stored form of a secret given to a user element ({@code kind} api_key or password):
   * {hash, lookup (null for a password)}. Runs on the hashing pool.
   */
  public String[] storedSecret(String kind, String secret) {
    return logins.store(kind, secret);
  }

  /**
   * A secret this server just gave one of its users, or checked against the stored one (the
   * built-in users' at a start), with the stored hash it was written or checked as: remembered,
   * while that is still the user's credential, so that the first login with it costs no slow
   * hash (docs/security.md).
   */
  public void knownSecret(String type, String name, String kind, String secret, String storedHash) {
    logins.known(type, name, kind, secret, storedHash);
  }

  public void onEnd(Consumer<String> listener) {
    endListeners.add(listener);
  }

  /** A new session id (the cookie value) and the session it opens. */
  public record Opened(String id, Session session) {}

  /**
   * The addresses whose failed logins this node is counting (of one address, or all): SMC's
   * {@code temporary_banned_ip_statuses}.
   */
  public List<LoginThrottle.Throttled> throttled(Optional<String> address) {
    return logins.throttled(address);
  }

  /** Forgets an address's failed logins on this node (SMC's {@code unlock_source_ip_account}). */
  public int unlockAddress(String address) {
    return logins.unlock(address);
  }

  /** API-key login (see {@link Logins}: one slow hash at most, none for a key seen before). */
  public Opened loginWithKey(String remote, String apiKey, String domain) {
    return open(logins.byKey(remote, apiKey), domain);
  }

  public Opened loginWithPassword(String remote, String login, String password, String domain) {
    return open(logins.byPassword(remote, login, password), domain);
  }

  private Opened open(ElementRecord user, String domainName) {
    if (user.trashed() || !ElementJsonFields.enabled(user)) {
      throw HeraldException.unauthorized("Login failed: the account " + user.name() + " is disabled.");
    }
    long domain = resolveDomain(domainName);
    Rights rights = rightsOf.user(user);
    if (!rights.mayLogInto(domain, sharedDomain)) {
      // 403, not 401: smc-python answers 401 with a re-login loop
      throw HeraldException.forbidden("Login failed: " + user.name() + " may not log in to the domain "
          + (domainName == null || domainName.isBlank() ? ElementService.SHARED_DOMAIN : domainName) + ".");
    }
    byte[] raw = new byte[16];
    random.nextBytes(raw);
    String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    String hash = sha256(id);
    long now = clock.millis();
    store.insert(new SessionStore.Row(hash, user.key(), domain, now, now));
    Session s = new Session(hash, new Caller(user.key(), user.name(), domain, rights), now);
    cache.put(hash, new Cached(s, now, now));
    return new Opened(id, s);
  }

  private long resolveDomain(String name) {
    String n = name == null || name.isBlank() ? ElementService.SHARED_DOMAIN : name;
    for (ElementRecord d : elements.listByType("admin_domain")) {
      if (d.name().equals(n) && !d.trashed()) {
        return d.key();
      }
    }
    // 403, not 401: smc-python reacts to 401 with a re-login loop.
    throw HeraldException.forbidden("Login failed: unknown domain " + n + ".");
  }

  /** The live session for a cookie value; refreshes its idle timer. */
  public Optional<Session> resolve(String id) {
    if (id == null || id.isEmpty() || id.length() > 64) {
      return Optional.empty();
    }
    String hash = sha256(id);
    if (pendingDelete.contains(hash)) {
      return Optional.empty();
    }
    long now = clock.millis();
    Cached c = cache.get(hash);
    if (c == null) {
      Optional<SessionStore.Row> row = store.find(hash);
      if (row.isEmpty()) {
        return Optional.empty();
      }
      SessionStore.Row r = row.get();
      Optional<ElementRecord> user = elements.find(r.userKey());
      if (user.isEmpty()) {
        return Optional.empty();
      }
      c = new Cached(new Session(hash, new Caller(r.userKey(), user.get().name(), r.domainKey(),
          rightsOf.user(user.get())), r.createdMs()), r.lastSeenMs(), now);
      cache.put(hash, c);
    }
    if (expired(c, now)) {
      end(hash);
      return Optional.empty();
    }
    if (!verify(hash, c, now)) {
      return Optional.empty();
    }
    c.lastSeenMs = now;
    if (now - c.persistedMs >= TOUCH_EVERY_MS) {
      c.persistedMs = now;
      store.touch(hash, now);
    }
    return Optional.of(c.session);
  }

  /**
   * Whether the session still exists in the database (another node may have logged it out),
   * checked at most every {@link #VERIFY_EVERY_MS}; a vanished session ends here too.
   */
  private boolean verify(String hash, Cached c, long now) {
    if (now - c.verifiedMs < VERIFY_EVERY_MS) {
      return true;
    }
    if (store.find(hash).isEmpty()) {
      endHere(hash);
      return false;
    }
    c.verifiedMs = now;
    return true;
  }

  /**
   * Re-checks the sessions that have open sockets (called about once a second by the fan-out):
   * one batched query for all of them, not one per session; sessions another node logged out
   * end here.
   */
  public void revalidate(java.util.Collection<String> idHashes) {
    long now = clock.millis();
    List<String> due = new java.util.ArrayList<>();
    for (String h : idHashes) {
      Cached c = cache.get(h);
      if (c != null && now - c.verifiedMs >= VERIFY_EVERY_MS) {
        due.add(h);
      }
    }
    if (due.isEmpty()) {
      return;
    }
    java.util.Set<String> alive = store.existing(due);
    for (String h : due) {
      Cached c = cache.get(h);
      if (c == null) {
        continue;
      }
      if (alive.contains(h)) {
        c.verifiedMs = now;
      } else {
        endHere(h);
      }
    }
  }

  /** Keeps a session from idle expiry (an open notification socket counts as activity). */
  public void touch(String idHash) {
    Cached c = cache.get(idHash);
    if (c != null && !expired(c, clock.millis())) {
      c.lastSeenMs = clock.millis();
    }
  }

  public boolean isLive(String idHash) {
    Cached c = cache.get(idHash);
    return c != null && !expired(c, clock.millis());
  }

  private boolean expired(Cached c, long now) {
    return now - c.lastSeenMs > idleTimeout.toMillis()
        || now - c.session.createdMs() > absoluteTimeout.toMillis();
  }

  public void logout(Session s) {
    end(s.idHash());
  }

  /**
   * Ends every session of a user, on every node (its credential changed, or it was disabled,
   * trashed or deleted): here at once, elsewhere within a second (their sessions' rows are gone).
   */
  public void endUser(long userKey) {
    for (var e : cache.entrySet()) {
      if (e.getValue().session.caller().userKey() == userKey) {
        endHere(e.getKey());
      }
    }
    store.deleteByUser(userKey).forEach(this::endHere);
  }

  /**
   * The stored state was replaced by a snapshot: every session ends here (their rows went with
   * the state), and logins forget what they remembered of the old one.
   */
  public void stateReplaced() {
    logins.stateReplaced();
    endAllHere();
  }

  /** Ends every session on this node (their rows were removed with the state they belonged to). */
  public void endAllHere() {
    for (String hash : List.copyOf(cache.keySet())) {
      endHere(hash);
    }
  }

  /** Ends every session working in a domain (the domain is being deleted). */
  public void endDomain(long domainKey) {
    for (var e : cache.entrySet()) {
      if (e.getValue().session.caller().domainKey() == domainKey) {
        endHere(e.getKey());
      }
    }
    store.deleteByDomain(domainKey).forEach(this::endHere);
  }

  /** Whether a session is live that works in {@code domainKey} (on this node). */
  public boolean domainInUse(long domainKey) {
    return cache.values().stream().anyMatch(c -> c.session.caller().domainKey() == domainKey);
  }

  /**
   * Ends a session here at once (its sockets close even while the database is unreachable),
   * then deletes its row. If the database is away the caller gets the 503, and the delete is
   * retried by every sweep until it lands; until then other nodes still accept the session.
   */
  private void end(String hash) {
    endHere(hash);
    try {
      store.delete(hash);
    } catch (RuntimeException e) {
      pendingDelete.add(hash);
      throw e;
    }
  }

  /** Ends a session on this node: out of the cache, its sockets closed. */
  private void endHere(String hash) {
    cache.remove(hash);
    for (Consumer<String> l : endListeners) {
      l.accept(hash);
    }
  }

  /** Ends every expired session; run periodically. Returns how many ended. */
  public int sweep() {
    long now = clock.millis();
    int n = 0;
    for (var e : cache.entrySet()) {
      Cached c = e.getValue();
      if (expired(c, now)) {
        endHere(e.getKey());
        n++;
      }
    }
    // the database part after every expired session has ended here: it may be unreachable
    for (String hash : pendingDelete) {
      store.delete(hash);
      pendingDelete.remove(hash);
    }
    java.util.Map<String, Long> seen = new java.util.HashMap<>();
    for (var e : cache.entrySet()) {
      Cached c = e.getValue();
      if (c.lastSeenMs > c.persistedMs) {
        seen.put(e.getKey(), c.lastSeenMs);
      }
    }
    store.touchAll(seen); // one batch, however many sessions
    seen.forEach((hash, ms) -> {
      Cached c = cache.get(hash);
      if (c != null) {
        c.persistedMs = Math.max(c.persistedMs, ms);
      }
    });
    store.deleteExpired(now - idleTimeout.toMillis(), now - absoluteTimeout.toMillis());
    return n;
  }

  /** Slow hashes run for logins and stored secrets (a login costs one at most, a repeated one none). */
  public long loginHashes() {
    return logins.hashes();
  }

  /** Stops the hashing pool. */
  public void close() {
    logins.close();
  }

  public int liveCount() {
    return cache.size();
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
