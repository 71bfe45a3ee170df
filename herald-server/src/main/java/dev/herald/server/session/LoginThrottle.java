package dev.herald.server.session;

import dev.herald.server.HeraldException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits login failures per remote address: after {@code maxFailures} within {@code window},
 * further attempts get 429 with Retry-After until the window has passed.
 */
final class LoginThrottle {
  private final InstantSource clock;
  private final int maxFailures;
  private final Duration window;
  private final Map<String, long[]> failures = new ConcurrentHashMap<>(); // {count, windowStartMs}

  LoginThrottle(InstantSource clock, int maxFailures, Duration window) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.window = window;
  }

  void check(String remote) {
    long[] f = failures.get(remote);
    long now = clock.millis();
    if (f != null) {
      synchronized (f) {
        if (now - f[1] > window.toMillis()) {
          failures.remove(remote, f);
        } else if (f[0] >= maxFailures) {
          long retry = Math.max(1, (f[1] + window.toMillis() - now + 999) / 1000);
          throw new HeraldException(
              429,
              "Too many failed logins.",
              List.of("Retry after " + retry + " seconds."),
              null)
              .header("Retry-After", Long.toString(retry));
        }
      }
    }
  }

  void failed(String remote) {
    long now = clock.millis();
    long[] f = failures.computeIfAbsent(remote, k -> new long[] {0, now});
    synchronized (f) {
      f[0]++;
    }
    if (failures.size() > 100_000) {
      failures.clear(); // bounded memory under an address-spraying attack
    }
  }
}
