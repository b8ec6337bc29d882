package io.github.cfallowlist;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.IncompatibleAddressException;
import inet.ipaddr.ipv4.IPv4AddressStringParameters;
import inet.ipaddr.ipv6.IPv6AddressStringParameters;

/**
 * Strict parameters for IPAddress: CIDR text exactly as Cloudflare publishes it, nothing looser.
 */
final class AddressParsing {
  private static final IPAddressStringParameters PREFIX = build(true);
  private static final IPAddressStringParameters HOST = build(false);

  private AddressParsing() {}

  private static IPAddressStringParameters build(boolean requirePrefix) {
    IPAddressStringParameters.Builder b =
        new IPAddressStringParameters.Builder()
            .allowEmpty(false)
            .allowAll(false)
            .allowSingleSegment(false)
            .allowMask(false)
            .allowPrefixOnly(false)
            .allowPrefix(requirePrefix)
            .setEmptyAsLoopback(false);
    IPv4AddressStringParameters.Builder v4 = b.getIPv4AddressParametersBuilder();
    v4.allow_inet_aton(false);
    v4.allowLeadingZeros(false);
    v4.allowPrefixLengthLeadingZeros(true);
    v4.allowPrefixesBeyondAddressSize(false);
    v4.allowWildcardedSeparator(false);
    v4.setRangeOptions(RangeParameters.NO_RANGE);
    IPv6AddressStringParameters.Builder v6 = b.getIPv6AddressParametersBuilder();
    v6.allowZone(false);
    v6.allowMixed(false);
    v6.allowPrefixLengthLeadingZeros(true);
    v6.allowPrefixesBeyondAddressSize(false);
    v6.allowWildcardedSeparator(false);
    v6.setRangeOptions(RangeParameters.NO_RANGE);
    return b.toParams();
  }

  /** Parameters for a single host address. */
  public static IPAddressStringParameters hostParameters() {
    return HOST;
  }

  /**
   * Parses {@code text} as a prefix block.
   *
   * @param zeroHostBits zero host bits instead of rejecting them
   * @throws IllegalArgumentException with a message naming the text
   */
  public static IPAddress parsePrefix(String text, boolean zeroHostBits) {
    if (text == null) {
      throw new IllegalArgumentException("cidr == null");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("an empty entry is not a CIDR");
    }
    if (!text.strip().equals(text) || text.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(quote(text) + " contains whitespace");
    }
    if (!text.chars().allMatch(c -> CIDR_CHARACTERS.indexOf(c) >= 0)) {
      // IPAddressString trims control characters (a NUL, \u0001) before parsing: refuse them here.
      throw new IllegalArgumentException(quote(text) + " is not a valid CIDR");
    }
    int slash = text.lastIndexOf('/');
    if (slash >= 0 && text.length() > slash + 2 && text.charAt(slash + 1) == '0') {
      // IPAddress reads "/0" as a leading zero when leading zeros are refused, so check here.
      throw new IllegalArgumentException(quote(text) + " has a prefix length with a leading zero");
    }
    IPAddress address;
    try {
      address = new IPAddressString(text, PREFIX).toAddress();
    } catch (AddressStringException | IncompatibleAddressException e) {
      throw new IllegalArgumentException(quote(text) + " is not a valid CIDR", e);
    }
    if (address.getNetworkPrefixLength() == null) {
      throw new IllegalArgumentException(
          quote(text) + " has no prefix length (expected address/length)");
    }
    if (!address.isPrefixBlock()) {
      if (!zeroHostBits) {
        throw new IllegalArgumentException(
            quote(text)
                + " has host bits set (the network is "
                + address.toPrefixBlock().toCanonicalString()
                + ")");
      }
      address = address.toPrefixBlock();
    }
    return address;
  }

  private static final String ADDRESS_CHARACTERS = "0123456789abcdefABCDEF.:/ \t";

  /** The characters a CIDR as Cloudflare publishes it may hold. */
  private static final String CIDR_CHARACTERS = "0123456789abcdefABCDEF.:/";

  /**
   * An entry as a message may show it: quoted when it holds only characters an address can have,
   * else only its length, so a file that is not a list (a {@code file:} pointing at a file of
   * secrets) never has its content echoed.
   */
  static String quote(String text) {
    if (text.length() <= 64 && text.chars().allMatch(c -> ADDRESS_CHARACTERS.indexOf(c) >= 0)) {
      return "'" + printable(text) + "'";
    }
    return "an entry of " + text.length() + " characters (not shown: not all address characters)";
  }

  /** Shortens and escapes text so an error message stays one readable line. */
  public static String printable(String text) {
    return io.github.cfallowlist.Printable.of(text);
  }
}
