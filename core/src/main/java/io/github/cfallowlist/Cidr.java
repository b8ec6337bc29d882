package io.github.cfallowlist;

import inet.ipaddr.Address;
import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IncompatibleAddressException;
import java.util.Optional;

/**
 * One network prefix such as {@code 173.245.48.0/20}: a prefix block with no host bits set.
 *
 * <p>{@link #toString()} gives the canonical text (lower-case IPv6, compressed zeros), which is
 * what every renderer writes.
 */
public record Cidr(IPAddress block) implements Comparable<Cidr> {

  /** Validates that {@code block} is a single prefix block. */
  public Cidr {
    if (block == null) {
      throw new IllegalArgumentException("block == null");
    }
    if (block.getNetworkPrefixLength() == null || !block.isPrefixBlock()) {
      throw new IllegalArgumentException(block + " is not a prefix block");
    }
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

  /** Whether {@code address} lies inside this prefix. */
  public boolean contains(IPAddress address) {
    return block.contains(address);
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

  /** Parses one host address (no prefix), for {@code check}. Empty when the text is not one. */
  public static Optional<IPAddress> parseHost(String text) {
    if (text == null || text.isBlank() || !text.strip().equals(text)) {
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
}
