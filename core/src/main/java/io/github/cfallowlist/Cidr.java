package io.github.cfallowlist;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IncompatibleAddressException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One network prefix such as {@code 173.245.48.0/20}: a prefix block with no host bits set.
 *
 * <p>{@link #toString()} gives the canonical text (lower-case IPv6, compressed zeros), which is
 * what every renderer writes.
 */
public final class Cidr implements Comparable<Cidr> {
  /** The longest text {@link #toString()} gives: eight groups, seven colons, {@code /128}. */
  static final int MAX_TEXT = 43;

  /** The high 64 bits of the network address (always 0 for IPv4). */
  private final long high;

  /** The low 64 bits of the network address (an IPv4 address in its low 32 bits). */
  private final long low;

  /** The prefix length, 0 to 128, as an unsigned byte. */
  private final byte prefixLength;

  private final boolean ipv4;

  private Cidr(boolean ipv4, long high, long low, int prefixLength) {
    this.ipv4 = ipv4;
    this.high = high;
    this.low = low;
    this.prefixLength = (byte) prefixLength;
  }

  /** The IPv4 prefix {@code address/length}; the caller has checked no host bit is set. */
  static Cidr ipv4(int address, int length) {
    return new Cidr(true, 0, address & 0xffffffffL, length);
  }

  /** The IPv6 prefix {@code high:low/length}; the caller has checked no host bit is set. */
  static Cidr ipv6(long high, long low, int length) {
    return new Cidr(false, high, low, length);
  }

  /** The prefix an IPAddress prefix block holds. */
  static Cidr of(IPAddress block) {
    if (block == null) {
      throw new IllegalArgumentException("block == null");
    }
    if (block.getNetworkPrefixLength() == null || !block.isPrefixBlock()) {
      throw new IllegalArgumentException(block + " is not a prefix block");
    }
    int length = block.getNetworkPrefixLength();
    BigInteger value = block.getValue();
    if (block.isIPv4()) {
      return new Cidr(true, 0, value.longValue(), length);
    }
    return new Cidr(false, value.shiftRight(64).longValue(), value.longValue(), length);
  }

  /**
   * Parses strict CIDR notation: an address, a slash and a prefix length, with no host bits set and
   * nothing else (no spaces, zones, ranges, masks or leading zeros).
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Cidr parse(String text) {
    return AddressParsing.parse(text, false);
  }

  /**
   * Parses like {@link #parse(String)}, but zeroes host bits instead of rejecting them ({@code
   * 10.1.2.3/8} becomes {@code 10.0.0.0/8}).
   */
  public static Cidr parseZeroingHostBits(String text) {
    return AddressParsing.parse(text, true);
  }

  /** The network address of an IPv4 prefix as 32 bits. */
  int ipv4Address() {
    return (int) low;
  }

  /** The address family of this prefix. */
  public IpFamily family() {
    return ipv4 ? IpFamily.IPV4 : IpFamily.IPV6;
  }

  /** The prefix length, 0 to 32 (IPv4) or 0 to 128 (IPv6). */
  public int prefixLength() {
    return prefixLength & 0xff;
  }

  /** Whether {@code other} lies inside this prefix (a host is a {@code /32} or {@code /128}). */
  public boolean contains(Cidr other) {
    if (ipv4 != other.ipv4 || other.prefixLength() < prefixLength()) {
      return false;
    }
    // An IPv4 address sits in the low 32 of the 128 bits.
    int length = ipv4 ? prefixLength() + 96 : prefixLength();
    return (other.high & highMask(length)) == high && (other.low & lowMask(length)) == low;
  }

  /** The network bits of the high word for a 128-bit prefix {@code length}. */
  private static long highMask(int length) {
    return length >= 64 ? -1L : length == 0 ? 0 : -1L << (64 - length);
  }

  /** The network bits of the low word for a 128-bit prefix {@code length}. */
  private static long lowMask(int length) {
    return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
  }

  /** Whether this prefix and {@code other} share at least one address. */
  public boolean overlaps(Cidr other) {
    return contains(other) || other.contains(this);
  }

  /** Orders by address, then by prefix length (shorter first). */
  @Override
  public int compareTo(Cidr other) {
    if (ipv4 != other.ipv4) {
      return ipv4 ? -1 : 1;
    }
    int byLow = Long.compareUnsigned(high, other.high);
    if (byLow == 0) {
      byLow = Long.compareUnsigned(low, other.low);
    }
    return byLow != 0 ? byLow : Integer.compare(prefixLength(), other.prefixLength());
  }

  /** Most IPv4 prefixes {@link #sorted} sorts by key; each key keeps an index in its low bits. */
  private static final int INDEX_BITS = 24;

  /**
   * A new list of {@code list}'s prefixes in {@link #compareTo} order. A list of IPv4 prefixes only
   * is sorted as one {@code long} per prefix (address, length, index) rather than as objects,
   * several times faster at 100,000 (a kernel lists its set's entries in hash order); any other
   * list as {@link List#sort} sorts it.
   */
  public static List<Cidr> sorted(List<Cidr> list) {
    int n = list.size();
    long[] keys = n < 1 << INDEX_BITS ? new long[n] : null;
    for (int i = 0; keys != null && i < n; i++) {
      Cidr c = list.get(i);
      if (c == null || !c.ipv4) {
        keys = null;
      } else {
        keys[i] = (c.ipv4Address() & 0xffffffffL) << 30 | (long) c.prefixLength() << INDEX_BITS | i;
      }
    }
    List<Cidr> sorted = new ArrayList<>(n);
    if (keys == null) {
      sorted.addAll(list);
      sorted.sort(null);
      return sorted;
    }
    Arrays.sort(keys);
    for (long key : keys) {
      sorted.add(list.get((int) (key & ((1 << INDEX_BITS) - 1))));
    }
    return sorted;
  }

  /**
   * The canonical text: dotted decimal for IPv4; for IPv6 lower-case hex groups without leading
   * zeros and the longest run of two or more zero groups (the first of equal runs) written as
   * {@code ::}, as RFC 5952 recommends. Written out digit by digit: a renderer calls it once per
   * range, hundreds of thousands of times for a large list.
   */
  @Override
  public String toString() {
    byte[] out = new byte[MAX_TEXT];
    return new String(out, 0, writeText(out, 0), StandardCharsets.ISO_8859_1);
  }

  /**
   * Writes {@link #toString()}'s text as ASCII into {@code out} from {@code start}, which must have
   * room for {@link #MAX_TEXT} bytes; returns the index after the last byte written.
   */
  int writeText(byte[] out, int start) {
    int at = start;
    if (ipv4) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        at = decimal(out, at, (int) (low >>> shift) & 0xff);
        out[at++] = (byte) (shift == 0 ? '/' : '.');
      }
    } else {
      at = ipv6(out, at);
      out[at++] = '/';
    }
    return decimal(out, at, prefixLength());
  }

  /** Writes the IPv6 address's groups into {@code out} from {@code start}; returns the end. */
  private int ipv6(byte[] out, int start) {
    int[] groups = new int[8];
    for (int i = 0; i < 4; i++) {
      groups[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
      groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xffff;
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    int at = start;
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out[at++] = ':';
        out[at++] = ':';
        i += bestLength - 1;
        continue;
      }
      if (i > 0 && i != bestStart + bestLength) {
        out[at++] = ':';
      }
      at = hex(out, at, groups[i]);
    }
    return at;
  }

  private static int decimal(byte[] out, int at, int value) {
    if (value >= 100) {
      out[at++] = (byte) ('0' + value / 100);
    }
    if (value >= 10) {
      out[at++] = (byte) ('0' + value / 10 % 10);
    }
    out[at++] = (byte) ('0' + value % 10);
    return at;
  }

  private static int hex(byte[] out, int at, int group) {
    boolean started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int digit = group >>> shift & 0xf;
      if (started || digit != 0 || shift == 0) {
        out[at++] = (byte) (digit < 10 ? '0' + digit : 'a' + digit - 10);
        started = true;
      }
    }
    return at;
  }

  /**
   * One host address (no prefix length) as a {@code /32} or {@code /128} prefix; empty when the
   * text is not exactly one address.
   */
  public static Optional<Cidr> host(String text) {
    return parseHost(text).map(a -> of(a.toPrefixBlock(a.getBitCount())));
  }

  /**
   * The fewest prefixes that cover the addresses from {@code low} to {@code high} (an nftables
   * interval, for example); empty when either is not an address or their families differ.
   */
  public static List<Cidr> span(String low, String high) {
    Optional<IPAddress> a = parseHost(low);
    Optional<IPAddress> b = parseHost(high);
    if (a.isEmpty() || b.isEmpty() || a.get().isIPv4() != b.get().isIPv4()) {
      return List.of();
    }
    List<Cidr> out = new ArrayList<>();
    for (IPAddress block : a.get().spanWithPrefixBlocks(b.get())) {
      out.add(of(block));
    }
    return out;
  }

  private static Optional<IPAddress> parseHost(String text) {
    if (text == null
        || text.isBlank()
        || !text.chars().allMatch(c -> "0123456789abcdefABCDEF.:".indexOf(c) >= 0)) {
      // IPAddressString trims control characters before parsing: refuse anything but an address.
      return Optional.empty();
    }
    IPAddressStringParameters params = AddressParsing.hostParameters();
    try {
      IPAddress address = new IPAddressString(text, params).toAddress();
      if (address.getNetworkPrefixLength() != null || address.isMultiple()) {
        return Optional.empty();
      }
      return Optional.of(address);
    } catch (AddressStringException | IncompatibleAddressException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c
        && ipv4 == c.ipv4
        && high == c.high
        && low == c.low
        && prefixLength == c.prefixLength;
  }

  @Override
  public int hashCode() {
    long h = high * 0x9E3779B97F4A7C15L + low;
    h = h * 31 + prefixLength + (ipv4 ? 1000 : 0);
    return (int) (h ^ (h >>> 32));
  }
}
