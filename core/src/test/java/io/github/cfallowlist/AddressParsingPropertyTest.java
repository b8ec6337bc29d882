package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import inet.ipaddr.IPAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * {@link Cidr#parse} reads the plain forms itself and hands everything else to IPAddress: for any
 * text, near-prefixes included, it gives exactly what IPAddress alone gives, the same prefix or the
 * same message.
 */
class AddressParsingPropertyTest {

  @Property(tries = 3000)
  void anyTextParsesExactlyAsIpAddressAloneReadsIt(@ForAll("nearPrefixes") String text) {
    assertSameAsIpAddress(text, false);
    assertSameAsIpAddress(text, true);
  }

  @Property(tries = 1000)
  void anyTextOfAddressCharactersParsesExactlyAsIpAddressAloneReadsIt(
      @ForAll("addressCharacters") String text) {
    assertSameAsIpAddress(text, false);
  }

  @Property(tries = 1000)
  void whatTheDirectReadingAcceptsIpAddressReadsAsTheSamePrefix(
      @ForAll("nearPrefixes") String text) {
    Cidr simple;
    try {
      simple = AddressParsing.parseSimple(text);
    } catch (RuntimeException e) {
      throw new AssertionError("the direct reading threw on '" + text + "'", e);
    }
    if (simple != null) {
      IPAddress block = AddressParsing.parsePrefix(text, false);
      Cidr reference = Cidr.of(block);
      assertThat(simple).isEqualTo(reference).hasToString(block.toCanonicalString());
      assertThat(simple.prefixLength()).isEqualTo(reference.prefixLength());
      assertThat(simple.family()).isEqualTo(reference.family());
    }
  }

  private static void assertSameAsIpAddress(String text, boolean zeroHostBits) {
    IPAddress block;
    try {
      block = AddressParsing.parsePrefix(text, zeroHostBits);
    } catch (IllegalArgumentException e) {
      assertThatThrownBy(() -> AddressParsing.parse(text, zeroHostBits))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(e.getMessage());
      return;
    }
    Cidr reference = Cidr.of(block);
    Cidr cidr = AddressParsing.parse(text, zeroHostBits);
    assertThat(cidr).isEqualTo(reference).hasToString(block.toCanonicalString());
    assertThat(cidr.prefixLength()).isEqualTo(block.getNetworkPrefixLength());
    assertThat(cidr.family()).isEqualTo(block.isIPv4() ? IpFamily.IPV4 : IpFamily.IPV6);
    assertThat(cidr.compareTo(reference)).isZero();
    assertThat(cidr.hashCode()).isEqualTo(reference.hashCode());
  }

  @Provide
  Arbitrary<String> nearPrefixes() {
    return Arbitraries.oneOf(ipv4Like(), ipv6Like());
  }

  @Provide
  Arbitrary<String> addressCharacters() {
    return Arbitraries.strings()
        .withChars("0123456789abcdefABCDEF.:/")
        .ofMinLength(1)
        .ofMaxLength(45);
  }

  private static Arbitrary<String> ipv4Like() {
    Arbitrary<String> octet =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0, 255).map(String::valueOf)),
            Tuple.of(1, Arbitraries.integers().between(256, 999).map(String::valueOf)),
            Tuple.of(1, Arbitraries.integers().between(0, 99).map(i -> "0" + i)),
            Tuple.of(1, Arbitraries.just("")));
    Arbitrary<List<String>> octets =
        Arbitraries.frequencyOf(
            Tuple.of(8, octet.list().ofSize(4)),
            Tuple.of(1, octet.list().ofMinSize(1).ofMaxSize(6)));
    return Combinators.combine(octets, suffix(40)).as((o, s) -> String.join(".", o) + s);
  }

  private static Arbitrary<String> ipv6Like() {
    Arbitrary<String> group =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0, 0xffff).map(Integer::toHexString)),
            Tuple.of(2, Arbitraries.just("0")),
            Tuple.of(
                1, Arbitraries.integers().between(0, 0xfff).map(i -> "0" + Integer.toHexString(i))),
            Tuple.of(
                1,
                Arbitraries.integers()
                    .between(0, 0xffff)
                    .map(i -> Integer.toHexString(i).toUpperCase(Locale.ROOT))),
            Tuple.of(1, Arbitraries.integers().between(0x10000, 0xfffff).map(Integer::toHexString)),
            Tuple.of(1, Arbitraries.just("")));
    Arbitrary<List<String>> groups = group.list().ofMinSize(0).ofMaxSize(9);
    Arbitrary<List<Integer>> gaps = Arbitraries.integers().between(0, 9).list().ofMaxSize(2);
    return Combinators.combine(groups, gaps, suffix(140))
        .as(
            (g, at, s) -> {
              List<String> parts = new ArrayList<>(g);
              for (int i : at) {
                if (i <= parts.size()) {
                  parts.add(i, "\u0000");
                }
              }
              String joined = String.join(":", parts).replace(":\u0000:", "::");
              joined =
                  joined.replace("\u0000:", "::").replace(":\u0000", "::").replace("\u0000", "::");
              return joined + s;
            });
  }

  private static Arbitrary<String> suffix(int maxLength) {
    return Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.integers().between(0, maxLength).map(i -> "/" + i)),
        Tuple.of(1, Arbitraries.integers().between(0, 40).map(i -> "/0" + i)),
        Tuple.of(1, Arbitraries.just("")),
        Tuple.of(1, Arbitraries.just("/")),
        Tuple.of(1, Arbitraries.just("/8/8")));
  }
}
