package io.github.cfallowlist;

import inet.ipaddr.Address;
import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IncompatibleAddressException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One network prefix such as {@code 173.245.48.0/20}: a prefix block with no host bits set.
 *
 * <p>{@link #toString()} gives the canonical text (lower-case IPv6, compressed zeros), which is
 * what every renderer writes.
 */
public final class Cidr implements Comparable<Cidr> {
  private final IPAddress block;

  private Cidr(IPAddress block) {
    if (block == null) {
      throw new IllegalArgumentException("block == null");
    }
    if (block.getNetworkPrefixLength() == null || !block.isPrefixBlock()) {
      throw new IllegalArgumentException(block + " is not a prefix block");
    }
    this.block = block;
  }

  /** The address block; IPAddress types stay out of the public API. */
  IPAddress block() {
    return block;
  }

  /**
   * Parses strict CIDR notation: an address, a slash and a prefix length, with no host bits set and
   * nothing else (no spaces, zones, ranges, masks or leading zeros).
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Cidr parse(String text) {
    return new Cidr(AddressParsing.parsePrefix(text, false));
  }

  /**
   * Parses like {@link #parse(String)}, but zeroes host bits instead of rejecting them ({@code
   * 10.1.2.3/8} becomes {@code 10.0.0.0/8}).
   */
  public static Cidr parseZeroingHostBits(String text) {
    return new Cidr(AddressParsing.parsePrefix(text, true));
  }

  /** The address family of this prefix. */
  public IpFamily family() {
    return block.isIPv4() ? IpFamily.IPV4 : IpFamily.IPV6;
  }

  /** The prefix length, 0 to 32 (IPv4) or 0 to 128 (IPv6). */
  public int prefixLength() {
    return block.getNetworkPrefixLength();
  }

  /** Whether {@code other} lies inside this prefix (a host is a {@code /32} or {@code /128}). */
  public boolean contains(Cidr other) {
    return block.contains(other.block);
  }

  /** Whether this prefix and {@code other} share at least one address. */
  public boolean overlaps(Cidr other) {
    return block.contains(other.block) || other.block.contains(block);
  }

  /** Orders by address, then by prefix length (shorter first). */
  @Override
  public int compareTo(Cidr other) {
    if (family() != other.family()) {
      return family().compareTo(other.family());
    }
    int byLow =
        Address.ADDRESS_LOW_VALUE_COMPARATOR.compare(block.getLower(), other.block.getLower());
    return byLow != 0 ? byLow : Integer.compare(prefixLength(), other.prefixLength());
  }

  @Override
  public String toString() {
    return block.toCanonicalString();
  }

  /**
   * One host address (no prefix length) as a {@code /32} or {@code /128} prefix; empty when the
   * text is not exactly one address.
   */
  public static Optional<Cidr> host(String text) {
    return parseHost(text).map(a -> new Cidr(a.toPrefixBlock(a.getBitCount())));
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
      out.add(new Cidr(block));
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
    return o instanceof Cidr c && block.equals(c.block);
  }

  @Override
  public int hashCode() {
    return block.hashCode();
  }
}
