package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of {@link RangeSet#of}: on lists built to hold duplicates and nested prefixes, the set
 * is sorted, holds no prefix twice nor one inside another, covers exactly the addresses it was
 * given, and normalizing it again (or from the same prefixes in another order) changes nothing.
 */
class RangeSetPropertyTest {

  @Property(tries = 200)
  void normalizingTwiceChangesNothing(@ForAll("prefixes") List<Cidr> input) {
    RangeSet once = RangeSet.of(input);

    assertThat(RangeSet.of(once.all())).isEqualTo(once);
    assertThat(new RangeSet(once.ipv4(), once.ipv6())).isEqualTo(once);
  }

  @Property(tries = 200)
  void orderOfTheInputDoesNotMatter(@ForAll("prefixes") List<Cidr> input, @ForAll long seed) {
    List<Cidr> shuffled = new ArrayList<>(input);
    Collections.shuffle(shuffled, new Random(seed));

    assertThat(RangeSet.of(shuffled)).isEqualTo(RangeSet.of(input));
  }

  @Property(tries = 200)
  void eachFamilyIsSortedWithNoDuplicateOrContainedPrefix(@ForAll("prefixes") List<Cidr> input) {
    RangeSet set = RangeSet.of(input);

    for (IpFamily family : IpFamily.values()) {
      List<Cidr> list = set.get(family);
      assertThat(list).allMatch(c -> c.family() == family);
      for (int i = 1; i < list.size(); i++) {
        assertThat(list.get(i - 1).compareTo(list.get(i))).as("order at %d", i).isNegative();
      }
      for (int i = 0; i < list.size(); i++) {
        for (int j = 0; j < list.size(); j++) {
          if (i != j) {
            assertThat(list.get(i).contains(list.get(j)))
                .as("%s contains %s", list.get(i), list.get(j))
                .isFalse();
          }
        }
      }
    }
    assertThat(set.size()).isEqualTo(set.ipv4().size() + set.ipv6().size());
  }

  @Property(tries = 200)
  void keepsOnlyGivenPrefixesAndCoversEveryOne(@ForAll("prefixes") List<Cidr> input) {
    RangeSet set = RangeSet.of(input);

    assertThat(input).containsAll(set.all());
    for (Cidr c : input) {
      assertThat(set.find(c)).as("a prefix covering %s", c).isPresent();
      // A prefix is dropped only when another input covers it.
      if (!set.all().contains(c)) {
        assertThat(input).anyMatch(other -> !other.equals(c) && other.contains(c));
      }
    }
  }

  /**
   * Up to 40 prefixes of both families drawn around a few shared networks, so that duplicates and
   * prefixes inside others are common.
   */
  @Provide
  Arbitrary<List<Cidr>> prefixes() {
    Arbitrary<Cidr> v4 =
        Combinators.combine(
                Arbitraries.of(0x68100000, 0xadf53000, 0x01010100, 0xc6290000),
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 32))
            .as(
                (base, low, length) -> {
                  int a = base + low;
                  String text =
                      (a >>> 24)
                          + "."
                          + ((a >>> 16) & 0xff)
                          + "."
                          + ((a >>> 8) & 0xff)
                          + "."
                          + (a & 0xff);
                  return Cidr.parseZeroingHostBits(text + "/" + length);
                });
    Arbitrary<Cidr> v6 =
        Combinators.combine(
                Arbitraries.of("2400:cb00", "2606:4700", "2a06:98c0"),
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 128))
            .as(
                (base, mid, low, length) ->
                    Cidr.parseZeroingHostBits(
                        base
                            + ":"
                            + Integer.toHexString(mid)
                            + "::"
                            + Integer.toHexString(low)
                            + "/"
                            + length));
    return Arbitraries.oneOf(v4, v6).list().ofMaxSize(40);
  }
}
