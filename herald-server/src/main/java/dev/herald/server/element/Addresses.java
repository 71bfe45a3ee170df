package dev.herald.server.element;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Strict IP literal parsing: never resolves names (no DNS on the request path). */
final class Addresses {
  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

  private Addresses() {}

  static Optional<Inet4Address> ipv4(String s) {
    if (s == null || !IPV4.matcher(s).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of((Inet4Address) InetAddress.getByName(s));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  static Optional<Inet6Address> ipv6(String s) {
    // With a ':' present, getByName parses an IPv6 literal and never queries DNS.
    if (s == null || !s.contains(":") || !IPV6_CHARS.matcher(s).matches()) {
      return Optional.empty();
    }
    try {
      return InetAddress.getByName(s) instanceof Inet6Address a
          ? Optional.of(a)
          : Optional.empty();
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  static Optional<InetAddress> any(String s) {
    return ipv4(s).<InetAddress>map(a -> a).or(() -> ipv6(s).map(a -> a));
  }

  static BigInteger toNumber(InetAddress a) {
    return new BigInteger(1, a.getAddress());
  }

  /** Whether {@code address} (v4 or v6, no prefix) is inside the network {@code cidr}. */
  static boolean contains(String cidr, String address) {
    int slash = cidr == null ? -1 : cidr.indexOf('/');
    Optional<InetAddress> a = any(address);
    Optional<InetAddress> n = slash < 0 ? Optional.empty() : any(cidr.substring(0, slash));
    if (a.isEmpty() || n.isEmpty() || a.get().getAddress().length != n.get().getAddress().length) {
      return false;
    }
    int bits = a.get().getAddress().length * 8;
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    if (prefix < 0 || prefix > bits) {
      return false;
    }
    return toNumber(a.get()).shiftRight(bits - prefix).equals(toNumber(n.get()).shiftRight(bits - prefix));
  }

  /** A network in CIDR form whose host bits are zero, e.g. 10.0.0.0/24. */
  static boolean isNetwork(String cidr, boolean v6) {
    if (cidr == null) {
      return false;
    }
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      return false;
    }
    Optional<? extends InetAddress> addr =
        v6 ? ipv6(cidr.substring(0, slash)) : ipv4(cidr.substring(0, slash));
    if (addr.isEmpty()) {
      return false;
    }
    int bits = v6 ? 128 : 32;
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    if (prefix < 0 || prefix > bits) {
      return false;
    }
    BigInteger n = toNumber(addr.get());
    BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
    return n.and(hostMask).signum() == 0;
  }
}
