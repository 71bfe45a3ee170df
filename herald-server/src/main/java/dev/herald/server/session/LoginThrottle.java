package dev.herald.server.session;

import dev.herald.server.HeraldException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits failed logins per key: after {@code maxFailures} within {@code window}, further attempts
 * with that key get 429 with Retry-After until the window has passed. Keys are chosen by the
 * caller: the address and the credential tried (so a NAT-ed office where one person mistypes a
 * password does not lock out everyone else), or the address alone for secrets that match no
 * credential at all (guessing). Over the limit, one attempt every {@code slowRetry} still goes
 * through: slowed, not locked out (a valid secret then gets in).
 */
public final class LoginThrottle {
  private final InstantSource clock;
  private final int maxFailures;
  private final Duration window;
  private static final long SLOW_RETRY_MS = 2_000;
  private final Map<String, long[]> failures = new ConcurrentHashMap<>(); // {count, windowStartMs, lastTryMs}

  LoginThrottle(InstantSource clock, int maxFailures, Duration window) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.window = window;
  }

  void check(String key) {
    long[] f = failures.get(key);
    long now = clock.millis();
    if (f != null) {
      synchronized (f) {
        if (now - f[1] > window.toMillis()) {
          failures.remove(key, f);
        } else if (f[0] >= maxFailures) {
          if (now - f[2] < SLOW_RETRY_MS) {
            long retry = Math.max(1, (f[2] + SLOW_RETRY_MS - now + 999) / 1000);
            throw new HeraldException(429, "Too many failed logins.",
                List.of("Retry after " + retry + " seconds."), null)
                .header("Retry-After", Long.toString(retry));
          }
          f[2] = now;
        }
      }
    }
  }

  void failed(String key) {
    long now = clock.millis();
    long[] f = failures.computeIfAbsent(key, k -> new long[] {0, now, now});
    synchronized (f) {
      f[0]++;
      f[2] = now;
    }
    if (failures.size() > 100_000) {
      failures.clear(); // bounded memory under an address-spraying attack
    }
  }

  void succeeded(String key) {
    failures.remove(key);
  }

  /** The address a key names ("address A" or "address A user U"). */
  private static String address(String key) {
    String rest = key.substring(ADDRESS.length());
    int user = rest.indexOf(" user ");
    return user < 0 ? rest : rest.substring(0, user);
  }

  static final String ADDRESS = "address ";

  /**
   * The addresses with failed logins in the current window (of {@code only}, or all): the last
   * failure, and until when further attempts are slowed when the limit was reached — SMC's
   * temporary banned source IP statuses.
   */
  List<Throttled> statuses(java.util.Optional<String> only) {
    long now = clock.millis();
    Map<String, Throttled> out = new java.util.TreeMap<>();
    failures.forEach((key, f) -> {
      if (!key.startsWith(ADDRESS)) {
        return;
      }
      String a = address(key);
      if (only.isPresent() && !normalize(only.get()).equals(normalize(a))) {
        return;
      }
      long count;
      long start;
      long last;
      synchronized (f) {
        count = f[0];
        start = f[1];
        last = f[2];
      }
      if (now - start > window.toMillis()) {
        return;
      }
      Long until = count >= maxFailures ? start + window.toMillis() : null;
      out.merge(a, new Throttled(a, last, until), (x, y) -> new Throttled(a, Math.max(x.lastFailure(), y.lastFailure()),
          x.bannedUntil() == null ? y.bannedUntil() : y.bannedUntil() == null ? x.bannedUntil()
              : Long.valueOf(Math.max(x.bannedUntil(), y.bannedUntil()))));
    });
    return out.values().stream().sorted(java.util.Comparator.comparingLong(Throttled::lastFailure).reversed())
        .limit(MAX_LISTED).toList();
  }

  /** The most addresses one status listing shows (the most recent failures first). */
  static final int MAX_LISTED = 1000;

  /** An IP literal in one spelling (IPv6 has several); anything else as given. */
  static String normalize(String address) {
    if (!address.matches("[0-9A-Fa-f:.%]+") || !address.contains(":") && !address.matches("[0-9.]+")) {
      return address;
    }
    try {
      return java.net.InetAddress.getByName(address).getHostAddress(); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      return address;
    }
  }

  /** Forgets an address's failed logins (every credential tried from it); how many were kept. */
  int unlock(String address0) {
    String address = normalize(address0);
    int n = 0;
    for (String key : failures.keySet()) {
      if (key.startsWith(ADDRESS) && normalize(address(key)).equals(address) && failures.remove(key) != null) {
        n++;
      }
    }
    return n;
  }

  /** An address's failed logins: the last one, and the end of its slowing down if it was reached. */
  public record Throttled(String sourceIp, long lastFailure, Long bannedUntil) {}
}
