package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import inet.ipaddr.IPAddressString;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of {@link Cidr#parse}: every prefix of either family, at every length, reads back to
 * the text it prints; and no text at all makes it throw anything but {@link
 * IllegalArgumentException} or accept a character an address does not have.
 */
class CidrPropertyTest {
  private static final String ADDRESS_CHARACTERS = "0123456789abcdefABCDEF.:/";

  @Property(tries = 200)
  void ipv4PrefixesReadBackToTheTextTheyPrint(
      @ForAll int address, @ForAll @IntRange(min = 0, max = 32) int length) {
    int network = address & mask32(length);
    String text = dotted(network) + "/" + length;

    Cidr cidr = Cidr.parse(text);

    assertThat(cidr).hasToString(text);
    assertThat(cidr.family()).isEqualTo(IpFamily.IPV4);
    assertThat(cidr.prefixLength()).isEqualTo(length);
    assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
  }

  @Property(tries = 200)
  void ipv6PrefixesReadBackToTheirRfc5952Text(
      @ForAll("ipv6Addresses") BigInteger address,
      @ForAll @IntRange(min = 0, max = 128) int length) {
    BigInteger network = address.and(mask128(length));
    // Written out in full (all eight groups, no "::"), read back compressed as RFC 5952 says.
    String full = groups(network, false) + "/" + length;

    Cidr cidr = Cidr.parse(full);

    assertThat(cidr).hasToString(groups(network, true) + "/" + length);
    assertThat(cidr.family()).isEqualTo(IpFamily.IPV6);
    assertThat(cidr.prefixLength()).isEqualTo(length);
    assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
    assertThat(Cidr.parse(full.toUpperCase(Locale.ROOT))).isEqualTo(cidr);
  }

  @Property(tries = 1000)
  void textIsWhatIpAddressPrintsForTheSamePrefix(
      @ForAll("ipv6Addresses") BigInteger address,
      @ForAll @IntRange(min = 0, max = 128) int length,
      @ForAll int v4,
      @ForAll @IntRange(min = 0, max = 32) int v4Length) {
    String v6 = groups(address.and(mask128(length)), false) + "/" + length;
    String dotted = dotted(v4 & mask32(v4Length)) + "/" + v4Length;

    assertThat(Cidr.parse(v6))
        .hasToString(new IPAddressString(v6).getAddress().toPrefixBlock().toCanonicalString());
    assertThat(Cidr.parse(dotted))
        .hasToString(new IPAddressString(dotted).getAddress().toPrefixBlock().toCanonicalString());
  }

  @Property(tries = 200)
  void hostBitsAreRefusedOrZeroedNeverKept(
      @ForAll int address, @ForAll @IntRange(min = 0, max = 31) int length) {
    Assume.that((address & ~mask32(length)) != 0);
    String text = dotted(address) + "/" + length;
    String network = dotted(address & mask32(length)) + "/" + length;

    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host bits set (the network is " + network + ")");
    assertThat(Cidr.parseZeroingHostBits(text)).hasToString(network);
  }

  @Property(tries = 200)
  void ipv6HostBitsAreRefused(
      @ForAll("ipv6Addresses") BigInteger address,
      @ForAll @IntRange(min = 0, max = 127) int length) {
    Assume.that(!address.and(mask128(length)).equals(address));
    String text = groups(address, true) + "/" + length;

    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host bits set");
    assertThat(Cidr.parseZeroingHostBits(text))
        .hasToString(groups(address.and(mask128(length)), true) + "/" + length);
  }

  @Property(tries = 200)
  void anyTextIsEitherAPrefixOfAddressCharactersOrAnIllegalArgument(
      @ForAll("arbitraryText") String text) {
    Cidr cidr;
    try {
      cidr = Cidr.parse(text);
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage()).isNotBlank();
      return;
    } catch (RuntimeException | Error e) {
      throw new AssertionError("Cidr.parse threw " + e + " for " + Printable.of(text), e);
    }
    if (!text.chars().allMatch(c -> ADDRESS_CHARACTERS.indexOf(c) >= 0)) {
      fail("accepted %s, which holds a character an address does not have", Printable.of(text));
    }
    assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
  }

  /**
   * Found by the property above: IPAddress trims control characters before parsing, so a NUL or
   * another control character next to a prefix must be refused before it gets there.
   */
  @Example
  void controlCharactersNextToAPrefixAreRefused() {
    for (String text :
        List.of(
            "\0" + "173.245.48.0/20",
            "173.245.48.0/20\0",
            "\u0001" + "2400:cb00::/32",
            "104.16.0.0/13\b",
            "\0\0" + "0.0.0.0/0")) {
      assertThatThrownBy(() -> Cidr.parse(text))
          .as("Cidr.parse(\"%s\")", Printable.of(text))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Provide
  Arbitrary<BigInteger> ipv6Addresses() {
    Arbitrary<BigInteger> any = Arbitraries.bigIntegers().between(BigInteger.ZERO, MAX_128);
    // Sparse addresses have zero runs, the case where compression has choices to get wrong.
    Arbitrary<BigInteger> sparse =
        Arbitraries.integers()
            .between(0, 0xffff)
            .list()
            .ofSize(8)
            .flatMap(
                values ->
                    Arbitraries.integers()
                        .between(0, 255)
                        .map(
                            zeros -> {
                              BigInteger out = BigInteger.ZERO;
                              for (int i = 0; i < 8; i++) {
                                int group = ((zeros >> i) & 1) == 1 ? 0 : values.get(i);
                                out = out.shiftLeft(16).or(BigInteger.valueOf(group));
                              }
                              return out;
                            }));
    return Arbitraries.oneOf(any, sparse);
  }

  /** Near misses (a valid prefix with one character changed, added or removed) and noise. */
  @Provide
  Arbitrary<String> arbitraryText() {
    Arbitrary<String> valid =
        Arbitraries.oneOf(
            Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 32))
                .as((a, l) -> dotted(a & mask32(l)) + "/" + l),
            Combinators.combine(ipv6Addresses(), Arbitraries.integers().between(0, 128))
                .as((a, l) -> groups(a.and(mask128(l)), true) + "/" + l));
    Arbitrary<Character> hostile =
        Arbitraries.oneOf(
            Arbitraries.of(
                ' ', '\t', '\n', '\r', '\0', ';', '%', '-', '*', '[', ']', 'x', 'g', 'X', '\u00a0',
                '\u0660', '\uff10', '\u2028', '"', '\'', '{', '}', '#', '$', '`', '\\'),
            Arbitraries.chars());
    Arbitrary<String> mutated =
        Combinators.combine(
                valid, Arbitraries.integers().between(0, 64), hostile, Arbitraries.of(0, 1, 2))
            .as(
                (text, at, c, how) -> {
                  int i = Math.min(at, text.length());
                  return switch (how) {
                    case 0 -> text.substring(0, i) + c + text.substring(i);
                    case 1 ->
                        i < text.length()
                            ? text.substring(0, i) + c + text.substring(i + 1)
                            : text + c;
                    default ->
                        i < text.length() ? text.substring(0, i) + text.substring(i + 1) : text;
                  };
                });
    Arbitrary<String> noise =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(40),
            Arbitraries.strings().withChars(ADDRESS_CHARACTERS + "x %").ofMaxLength(45));
    return Arbitraries.frequencyOf(Tuple.of(2, valid), Tuple.of(5, mutated), Tuple.of(3, noise));
  }

  private static final BigInteger MAX_128 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

  private static int mask32(int length) {
    return length == 0 ? 0 : -1 << (32 - length);
  }

  private static BigInteger mask128(int length) {
    return MAX_128.shiftRight(128 - length).shiftLeft(128 - length);
  }

  private static String dotted(int address) {
    return (address >>> 24)
        + "."
        + ((address >>> 16) & 0xff)
        + "."
        + ((address >>> 8) & 0xff)
        + "."
        + (address & 0xff);
  }

  /**
   * The eight hexadecimal groups of {@code address}, lower case without leading zeros; with {@code
   * compress}, the longest run of two or more zero groups (the first of equals) becomes "::", as
   * RFC 5952 section 4.2 asks.
   */
  static String groups(BigInteger address, boolean compress) {
    int[] group = new int[8];
    for (int i = 0; i < 8; i++) {
      group[i] = address.shiftRight(16 * (7 - i)).intValue() & 0xffff;
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; compress && i < 8; ) {
      if (group[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && group[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(group[i]));
    }
    return out.toString();
  }
}
