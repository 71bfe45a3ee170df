package dev.herald.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The stored form of secrets, without a server. */
class SecretHashTest {
  private final SecretHash hasher = new SecretHash(1_000, new SecureRandom());

  @Test
  void aHash_verifiesItsSecretOnly() {
    String stored = hasher.hash("correct horse");
    assertThat(stored).startsWith("pbkdf2-sha256$1000$");
    assertThat(SecretHash.verify("correct horse", stored)).isTrue();
    assertThat(SecretHash.verify("correct horsE", stored)).isFalse();
    assertThat(hasher.hash("correct horse")).isNotEqualTo(stored); // a salt of its own
  }

  @Test
  void aDecoy_hasTheFormAndCostOfARealHash_andMatchesNothing() {
    String decoy = hasher.decoy();
    String real = hasher.hash("x");
    // same algorithm, same iterations, same salt and value lengths: verifying costs the same
    String[] d = decoy.split("\\$");
    String[] r = real.split("\\$");
    assertThat(d).hasSize(4);
    assertThat(d[0]).isEqualTo(r[0]);
    assertThat(d[1]).isEqualTo(r[1]);
    assertThat(d[2]).hasSameSizeAs(r[2]);
    assertThat(d[3]).hasSameSizeAs(r[3]);
    for (String guess : new String[] {"", "x", "admin", "password"}) {
      assertThat(SecretHash.verify(guess, decoy)).isFalse();
    }
    assertThat(hasher.decoy()).isNotEqualTo(decoy);
  }

  @Test
  void aLookup_isDeterministicForItsSalt() {
    byte[] salt = new byte[16];
    assertThat(hasher.lookup("key-0123456789abcdef", salt)).isEqualTo(hasher.lookup("key-0123456789abcdef", salt))
        .startsWith(hasher.lookupPrefix(salt));
    assertThat(SecretHash.verify("key-0123456789abcdef", hasher.lookup("key-0123456789abcdef", salt))).isTrue();
  }

  @Test
  void aMalformedStoredHash_verifiesNothing() {
    assertThat(SecretHash.verify("x", "plain")).isFalse();
    assertThat(SecretHash.verify("x", "md5$1$a$b")).isFalse();
  }
}
