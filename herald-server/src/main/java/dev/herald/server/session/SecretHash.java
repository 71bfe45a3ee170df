package dev.herald.server.session;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted slow hashes for API keys and passwords (PBKDF2-HMAC-SHA256, from the JDK), stored as
 * {@code pbkdf2-sha256$ITERATIONS$SALT$HASH}. Verification compares in constant time.
 *
 * <p>An API key is also stored as its <em>lookup</em>: the same PBKDF2 with the installation's
 * lookup salt instead of a salt of its own, so a login finds the key's credential with one hash
 * (instead of trying every api_client) and that one hash is the proof. It costs an attacker
 * who holds the database the same per guess; what the shared salt gives up is only that one
 * guess is tried against every key at once.
 */
public final class SecretHash {
  /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 600_000;

  private final int iterations;
  private final SecureRandom random;

  public SecretHash(int iterations, SecureRandom random) {
    this.iterations = iterations;
    this.random = random;
  }

  public int iterations() {
    return iterations;
  }

  public String hash(String secret) {
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    return format(iterations, salt, derive(secret, salt, iterations));
  }

  /**
   * A stored hash that no secret matches (a random salt and a random 256-bit value): verifying
   * any secret against it costs exactly what verifying against a real one of this hasher costs.
   * Made without deriving anything, so it is free to make at start-up.
   */
  public String decoy() {
    byte[] salt = new byte[16];
    byte[] value = new byte[32];
    random.nextBytes(salt);
    random.nextBytes(value);
    return format(iterations, salt, value);
  }

  /** The lookup of an API key: deterministic for the installation's {@code salt}. */
  public String lookup(String secret, byte[] salt) {
    return format(iterations, salt, derive(secret, salt, iterations));
  }

  private static String format(int iterations, byte[] salt, byte[] hash) {
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "pbkdf2-sha256$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  /** What every lookup made by this hasher with {@code salt} starts with. */
  public String lookupPrefix(byte[] salt) {
    String f = format(iterations, salt, new byte[0]);
    return f.substring(0, f.lastIndexOf('$') + 1);
  }

  public static boolean verify(String secret, String stored) {
    String[] p = stored.split("\\$");
    if (p.length != 4 || !p[0].equals("pbkdf2-sha256")) {
      return false;
    }
    Base64.Decoder d = Base64.getDecoder();
    byte[] expected = d.decode(p[3]);
    byte[] actual = derive(secret, d.decode(p[2]), Integer.parseInt(p[1]));
    return MessageDigest.isEqual(expected, actual);
  }

  private static byte[] derive(String secret, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, iterations, 256);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
    }
  }
}
