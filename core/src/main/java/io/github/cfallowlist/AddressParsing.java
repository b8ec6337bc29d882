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
   * Parses {@code text} as a prefix.
   *
   * <p>The forms lists use (dotted IPv4, and IPv6 groups of one to four hex digits, with no host
   * bits set) are read here directly; anything else goes to IPAddress, which accepts the same forms
   * and gives every other text its message.
   *
   * @param zeroHostBits zero host bits instead of rejecting them
   * @throws IllegalArgumentException with a message naming the text
   */
  static Cidr parse(String text, boolean zeroHostBits) {
    checkText(text);
    Cidr simple = parseSimple(text);
    return simple != null ? simple : Cidr.of(parseChecked(text, zeroHostBits));
  }

  /**
   * Parses {@code text} as a prefix block with IPAddress alone.
   *
   * @param zeroHostBits zero host bits instead of rejecting them
   * @throws IllegalArgumentException with a message naming the text
   */
  static IPAddress parsePrefix(String text, boolean zeroHostBits) {
    checkText(text);
    return parseChecked(text, zeroHostBits);
  }

  /** Refuses what IPAddress would read too loosely: blanks, whitespace, other characters. */
  private static void checkText(String text) {
    if (text == null) {
      throw new IllegalArgumentException("cidr == null");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("an empty entry is not a CIDR");
    }
    boolean other = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        throw new IllegalArgumentException(quote(text) + " contains whitespace");
      }
      other |= !isCidrCharacter(c);
    }
    if (other) {
      // IPAddressString trims control characters (a NUL, \u0001) before parsing: refuse them here.
      throw new IllegalArgumentException(quote(text) + " is not a valid CIDR");
    }
    int slash = text.lastIndexOf('/');
    if (slash >= 0 && text.length() > slash + 2 && text.charAt(slash + 1) == '0') {
      // IPAddress reads "/0" as a leading zero when leading zeros are refused, so check here.
      throw new IllegalArgumentException(quote(text) + " has a prefix length with a leading zero");
    }
  }

  /** Whether {@code c} is one of the characters a CIDR as Cloudflare publishes it may hold. */
  private static boolean isCidrCharacter(char c) {
    return (c >= '0' && c <= '9')
        || (c >= 'a' && c <= 'f')
        || (c >= 'A' && c <= 'F')
        || c == '.'
        || c == ':'
        || c == '/';
  }

  private static IPAddress parseChecked(String text, boolean zeroHostBits) {
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

  /**
   * The prefix {@code text} holds when it is in one of the plain forms (text already checked by
   * {@link #checkText}): four decimal octets without leading zeros, or IPv6 groups of one to four
   * hex digits with at most one {@code ::} standing for at least two groups; a slash and a prefix
   * length in range; no host bits set. Null for anything else, which IPAddress then reads.
   */
  static Cidr parseSimple(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0 || slash != text.lastIndexOf('/')) {
      return null;
    }
    int length = decimal(text, slash + 1, text.length());
    if (length < 0) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      return length <= 32 ? simpleIpv4(text, slash, length) : null;
    }
    if (text.indexOf('.') >= 0 || length > 128) {
      return null;
    }
    return simpleIpv6(text, slash, length);
  }

  private static Cidr simpleIpv4(String text, int end, int length) {
    int address = 0;
    int start = 0;
    for (int octet = 0; octet < 4; octet++) {
      int dot = octet < 3 ? text.indexOf('.', start) : end;
      if (dot < 0 || dot > end) {
        return null;
      }
      int value = decimal(text, start, dot);
      if (value < 0 || value > 255) {
        return null;
      }
      address = address << 8 | value;
      start = dot + 1;
    }
    if (start != end + 1 || (length < 32 && (address & (-1 >>> length)) != 0)) {
      return null;
    }
    return Cidr.ipv4(address, length);
  }

  /** The value of the decimal digits from {@code start} to {@code end}: 1 to 3, no leading 0. */
  private static int decimal(String text, int start, int end) {
    int digits = end - start;
    if (digits < 1 || digits > 3 || (digits > 1 && text.charAt(start) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static Cidr simpleIpv6(String text, int end, int length) {
    int gap = text.indexOf("::");
    if (gap >= end || (gap >= 0 && text.indexOf("::", gap + 1) >= 0)) {
      return null;
    }
    long[] groups = new long[8];
    int head;
    int tail = 0;
    if (gap < 0) {
      head = groups(text, 0, end, groups, 0);
      if (head != 8) {
        return null;
      }
    } else {
      head = gap == 0 ? 0 : groups(text, 0, gap, groups, 0);
      long[] after = new long[8];
      tail = gap + 2 == end ? 0 : groups(text, gap + 2, end, after, 0);
      if (head < 0 || tail < 0 || head + tail > 6) {
        return null;
      }
      System.arraycopy(after, 0, groups, 8 - tail, tail);
    }
    if (head < 0) {
      return null;
    }
    long high = groups[0] << 48 | groups[1] << 32 | groups[2] << 16 | groups[3];
    long low = groups[4] << 48 | groups[5] << 32 | groups[6] << 16 | groups[7];
    long hostHigh = length >= 64 ? 0 : length == 0 ? -1L : -1L >>> length;
    long hostLow = length <= 64 ? -1L : length == 128 ? 0 : -1L >>> (length - 64);
    if ((high & hostHigh) != 0 || (low & hostLow) != 0) {
      return null;
    }
    return Cidr.ipv6(high, low, length);
  }

  /**
   * Reads colon-separated groups of 1 to 4 hex digits from {@code start} to {@code end} into {@code
   * out}; the number read, or -1 when the text is not such groups or holds more than 8.
   */
  private static int groups(String text, int start, int end, long[] out, int first) {
    int count = first;
    int value = 0;
    int digits = 0;
    for (int i = start; i <= end; i++) {
      char c = i < end ? text.charAt(i) : ':';
      if (c == ':') {
        if (digits == 0 || count == 8) {
          return -1;
        }
        out[count++] = value;
        value = 0;
        digits = 0;
        continue;
      }
      int digit = Character.digit(c, 16);
      if (digit < 0 || ++digits > 4) {
        return -1;
      }
      value = value << 4 | digit;
    }
    return count;
  }

  private static final String ADDRESS_CHARACTERS = "0123456789abcdefABCDEF.:/ \t";

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
