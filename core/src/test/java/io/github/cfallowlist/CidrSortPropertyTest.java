package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class CidrSortPropertyTest {
  @Property(tries = 500)
  void sortedOrdersIpv4PrefixesAsCompareToDoesAndKeepsEveryOne(
      @ForAll("ipv4Lists") List<Cidr> list) {
    List<Cidr> expected = new ArrayList<>(list);
    expected.sort(null);

    List<Cidr> sorted = Cidr.sorted(list);

    assertThat(sorted).containsExactlyElementsOf(expected);
  }

  @Property(tries = 300)
  void sortedOrdersAListWithIpv6AsCompareToDoes(@ForAll("mixedLists") List<Cidr> list) {
    List<Cidr> expected = new ArrayList<>(list);
    expected.sort(null);

    assertThat(Cidr.sorted(list)).containsExactlyElementsOf(expected);
  }

  @Property(tries = 100)
  void sortedLeavesItsArgumentAsItWas(@ForAll("ipv4Lists") List<Cidr> list) {
    List<Cidr> before = List.copyOf(list);

    Cidr.sorted(list);

    assertThat(list).containsExactlyElementsOf(before);
  }

  @Provide
  Arbitrary<List<Cidr>> ipv4Lists() {
    return ipv4().list().ofMaxSize(60);
  }

  @Provide
  Arbitrary<List<Cidr>> mixedLists() {
    return Arbitraries.oneOf(ipv4(), ipv6()).list().ofMaxSize(60);
  }

  /** A small address space, so equal addresses with other lengths, repeats and covers occur. */
  private static Arbitrary<Cidr> ipv4() {
    return Combinators.combine(
            Arbitraries.of(0x00000000, 0x0a000000, 0x0a0a0000, 0x7f000001, 0xc0a80100, 0xffffffff),
            Arbitraries.integers().between(0, 32))
        .as(
            (address, length) ->
                Cidr.ipv4(length == 0 ? 0 : address & (-1 << (32 - length)), length));
  }

  private static Arbitrary<Cidr> ipv6() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(0, 128).map(length -> Cidr.parse("::/" + length)),
        Arbitraries.integers().between(32, 128).map(length -> Cidr.parse("2001:db8::/" + length)),
        Arbitraries.integers().between(32, 128).map(length -> Cidr.parse("2606:4700::/" + length)),
        Arbitraries.integers().between(8, 128).map(length -> Cidr.parse("ff00::/" + length)));
  }
}
