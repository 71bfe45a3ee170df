package dev.herald.server.session;

import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who a login is: an API key or a user name and password checked against the stored
 * credentials, at the cost of at most one slow hash, on the hashing pool.
 *
 * <ul>
 *   <li>An API key is found by its lookup (one PBKDF2 with the installation's salt), not by
 *       trying every api_client; a password by its user's name, then one PBKDF2. An unknown user
 *       costs the same hash, so the answer's time does not tell whether the user exists.
 *   <li>A login this process already verified, with the same secret and an unchanged stored
 *       credential, costs no hash: the process remembers an HMAC of the secret under a key that
 *       exists only in its memory (never stored, so it helps no one who reads the database).
 *   <li>Failures are throttled per address and credential tried (a password), or per address
 *       (an API key matches no credential, so there is none to name). A throttled address may
 *       still try once every two seconds — slowed, not locked out.
 * </ul>
 */
final class Logins implements AutoCloseable {
  static final String LOOKUP_SALT_SETTING = "credential_lookup_salt";
  private static final int REMEMBERED = 10_000;

  private final ElementStore elements;
  private final SecretHash hasher;
  private final Hashing pool;
  private final LoginThrottle throttle;
  private final long sharedDomain;
  private volatile byte[] lookupSalt;
  private final SecureRandom saltRandom;
  private final Mac processMac;
  /** HMAC of a verified secret → the credential it matched (its stored hash then); LRU. */
  private final Map<String, Remembered> remembered = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Remembered> e) {
      return size() > REMEMBERED;
    }
  };
  /** A hash to check an unknown user's password against, so it costs what a known one does. */
  private final String decoy;

  /** {@code loggedIn}: by a login (not only set or checked by the server's start). */
  private record Remembered(long elementKey, String storedHash, boolean loggedIn) {}

  Logins(ElementStore elements, SecretHash hasher, Hashing pool, InstantSource clock,
      SecureRandom random, long sharedDomain) {
    this.elements = elements;
    this.hasher = hasher;
    this.pool = pool;
    this.throttle = new LoginThrottle(clock, 10, Duration.ofMinutes(1));
    this.sharedDomain = sharedDomain;
    this.saltRandom = random;
    this.lookupSalt = readSalt();
    byte[] k = new byte[32];
    random.nextBytes(k);
    try {
      this.processMac = Mac.getInstance("HmacSHA256");
      processMac.init(new SecretKeySpec(k, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
    this.decoy = hasher.decoy();
  }

  /** The stored form of a new secret: {hash, lookup}; an API key's hash is its lookup. */
  String[] store(String kind, String secret) {
    return pool.run(() -> {
      if (kind.equals("api_key")) {
        String lookup = hasher.lookup(secret, lookupSalt);
        return new String[] {lookup, lookup};
      }
      return new String[] {hasher.hash(secret), null};
    });
  }

  private byte[] readSalt() {
    return Base64.getDecoder().decode(elements.setting(LOOKUP_SALT_SETTING, () -> {
      byte[] b = new byte[16];
      saltRandom.nextBytes(b);
      return Base64.getEncoder().encodeToString(b);
    }));
  }

  /**
   * The stored state was replaced (a snapshot load): the installation's lookup salt is read
   * again, and no login is remembered.
   */
  void stateReplaced() {
    lookupSalt = readSalt();
    synchronized (remembered) {
      remembered.clear();
    }
  }

  /** This node's addresses with failed logins in the current window (of one address, or all). */
  List<LoginThrottle.Throttled> throttled(Optional<String> address) {
    return throttle.statuses(address);
  }

  /** Forgets an address's failed logins on this node. */
  int unlock(String address) {
    return throttle.unlock(address);
  }

  /** The api_client whose key this is; 401 when none (429 when the address is throttled). */
  ElementRecord byKey(String remote, String key) {
    String mark = mark("key", key);
    // a key that logged in before gets in even from a throttled address (the throttle names no
    // user here: it would lock out every client behind the guesser's address); one the server
    // only set or checked at its start waits for the throttle, then costs no hash either
    Optional<Known> fast = rememberedUser(mark);
    if (fast.isPresent() && fast.get().loggedIn()) {
      return fast.get().user();
    }
    String gate = LoginThrottle.ADDRESS + remote;
    throttle.check(gate);
    if (fast.isPresent()) {
      return admitted(mark, fast.get(), gate);
    }
    String lookup = pool.run(() -> hasher.lookup(key, lookupSalt));
    Optional<ElementStore.Credential> c = elements.credentialByLookup(lookup);
    if (c.isEmpty()) {
      c = legacy(key, lookup);
    }
    Optional<ElementRecord> user = c.flatMap(cr -> elements.find(cr.elementKey()))
        .filter(u -> u.type().equals("api_client"));
    if (user.isEmpty()) {
      throttle.failed(gate);
      throw HeraldException.unauthorized("Login failed: invalid authentication key.");
    }
    throttle.succeeded(gate);
    remember(mark, c.get(), true);
    return user.get();
  }

  /** The admin_user with this name and password; 401 when none. */
  ElementRecord byPassword(String remote, String login, String password) {
    String mark = mark("password " + login, password);
    String gate = LoginThrottle.ADDRESS + remote + " user " + login;
    // the throttle first, for a remembered password too: it names the user, and a throttled
    // address must not try guesses at that user's password at the speed of an HMAC
    throttle.check(gate);
    Optional<Known> fast = rememberedUser(mark);
    if (fast.isPresent()) {
      return admitted(mark, fast.get(), gate);
    }
    Optional<ElementRecord> user = elements.findByName(sharedDomain, "admin_user", login);
    Optional<ElementStore.Credential> c = user.flatMap(u -> elements.credentialOf(u.key()));
    String stored = c.map(ElementStore.Credential::secretHash).orElse(decoy);
    boolean ok = pool.run(() -> SecretHash.verify(password, stored)) && c.isPresent();
    if (!ok) {
      throttle.failed(gate);
      throw HeraldException.unauthorized("Login failed: invalid user name or password.");
    }
    throttle.succeeded(gate);
    remember(mark, c.get(), true);
    return user.get();
  }

  /**
   * Keys stored before lookups, or with a lookup of other parameters: tried one by one (there
   * are few, and fewer each login: a match gets its lookup).
   */
  private Optional<ElementStore.Credential> legacy(String key, String lookup) {
    // also keys whose lookup was made with another salt or iteration count (a snapshot's)
    for (ElementStore.Credential old : elements.keysWithoutCurrentLookup(hasher.lookupPrefix(lookupSalt))) {
      if (pool.run(() -> SecretHash.verify(key, old.secretHash()))) {
        elements.setLookup(old.elementKey(), lookup);
        return Optional.of(old);
      }
    }
    return Optional.empty();
  }

  /**
   * Remembers a secret the server itself just stored or checked for one of its users (the
   * built-in users' key and password at a start): the first login with it then costs no slow
   * hash. Unlike a login's, it does not let a key past a throttled address. Nothing when the
   * user's credential is no longer {@code storedHash} (another node stored its own since).
   */
  void known(String type, String name, String kind, String secret, String storedHash) {
    String mark = kind.equals("api_key") ? mark("key", secret) : mark("password " + name, secret);
    elements.findByName(sharedDomain, type, name).flatMap(u -> elements.credentialOf(u.key()))
        .filter(c -> c.secretHash().equals(storedHash)) // not another node's credential stored since
        .ifPresent(c -> {
          synchronized (remembered) {
            remembered.putIfAbsent(mark, new Remembered(c.elementKey(), c.secretHash(), false));
          }
        });
  }

  /** A remembered secret past the throttle: a login now (remembered as one once), no hash. */
  private ElementRecord admitted(String mark, Known known, String gate) {
    throttle.succeeded(gate);
    if (!known.loggedIn()) {
      remember(mark, known.credential(), true);
    }
    return known.user();
  }

  /** A remembered secret's user, the credential it matched, whether it logged in. */
  private record Known(ElementRecord user, ElementStore.Credential credential, boolean loggedIn) {}

  private Optional<Known> rememberedUser(String mark) {
    Remembered r;
    synchronized (remembered) {
      r = remembered.get(mark);
    }
    if (r == null) {
      return Optional.empty();
    }
    // the stored credential must be the one verified (re-keyed or deleted since: not valid)
    Optional<ElementStore.Credential> now = elements.credentialOf(r.elementKey());
    if (now.isEmpty() || !now.get().secretHash().equals(r.storedHash())) {
      synchronized (remembered) {
        remembered.remove(mark);
      }
      return Optional.empty();
    }
    boolean loggedIn = r.loggedIn();
    return elements.find(r.elementKey()).map(u -> new Known(u, now.get(), loggedIn));
  }

  private void remember(String mark, ElementStore.Credential c, boolean loggedIn) {
    synchronized (remembered) {
      remembered.put(mark, new Remembered(c.elementKey(), c.secretHash(), loggedIn));
    }
  }

  private String mark(String what, String secret) {
    synchronized (processMac) {
      return HexFormat.of().formatHex(processMac.doFinal((what + "\0" + secret).getBytes(StandardCharsets.UTF_8)));
    }
  }

  long hashes() {
    return pool.runs();
  }

  @Override
  public void close() {
    pool.close();
  }
}
