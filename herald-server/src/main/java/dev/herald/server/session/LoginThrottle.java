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
final class LoginThrottle {
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
}
