package dev.herald.server.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.server.HeraldException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The login throttle's failures by address: what temporary_banned_ip_statuses lists and unlock forgets. */
class LoginThrottleTest {
  private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  private final LoginThrottle throttle = new LoginThrottle(clock, 3, Duration.ofMinutes(1));

  @Test
  void statuses_perAddress_theLimitReached_andOneAddressOnly() {
    throttle.failed(LoginThrottle.ADDRESS + "10.0.0.1");
    for (int i = 0; i < 3; i++) {
      now.addAndGet(10);
      throttle.failed(LoginThrottle.ADDRESS + "10.0.0.2 user alice");
    }
    throttle.failed(LoginThrottle.ADDRESS + "10.0.0.2 user bob");
    var all = throttle.statuses(Optional.empty());
    assertThat(all).extracting(LoginThrottle.Throttled::sourceIp).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2");
    var two = throttle.statuses(Optional.of("10.0.0.2")).get(0);
    assertThat(two.bannedUntil()).as("alice reached the limit from there").isEqualTo(1_700_000_000_010L + 60_000);
    assertThat(two.lastFailure()).isEqualTo(now.get());
    assertThat(throttle.statuses(Optional.of("10.0.0.1")).get(0).bannedUntil()).isNull();
    assertThat(throttle.statuses(Optional.of("10.0.0.9"))).isEmpty();
    // the window passed: nothing listed
    now.addAndGet(61_000);
    assertThat(throttle.statuses(Optional.empty())).isEmpty();
  }

  @Test
  void unlock_forgetsEveryCredentialTriedFromTheAddress_inAnySpelling() {
    for (int i = 0; i < 3; i++) {
      throttle.failed(LoginThrottle.ADDRESS + "2001:db8::1 user alice");
      throttle.failed(LoginThrottle.ADDRESS + "2001:db8::1");
      throttle.failed(LoginThrottle.ADDRESS + "10.0.0.3");
    }
    now.addAndGet(2_001);
    throttle.check(LoginThrottle.ADDRESS + "2001:db8::1"); // the slowed attempt that goes through
    assertThatThrownBy(() -> throttle.check(LoginThrottle.ADDRESS + "2001:db8::1"))
        .isInstanceOf(HeraldException.class).hasMessageContaining("Too many failed logins");
    assertThat(throttle.unlock("2001:0db8:0:0:0:0:0:1")).isEqualTo(2);
    throttle.check(LoginThrottle.ADDRESS + "2001:db8::1"); // no longer slowed
    assertThat(throttle.statuses(Optional.empty())).extracting(LoginThrottle.Throttled::sourceIp).containsExactly("10.0.0.3");
    assertThat(throttle.unlock("10.0.0.4")).isZero();
  }
}
