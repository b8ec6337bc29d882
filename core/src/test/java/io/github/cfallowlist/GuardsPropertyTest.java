package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.RawRanges.RawList;
import io.github.cfallowlist.testing.RangeArbitraries;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of {@link Guards#validate}: whatever lists a source hands over and whatever the
 * limits, it returns a snapshot that keeps every promise of the guards, or refuses with {@link
 * RejectedRangesException} without echoing an entry that is not made of address characters.
 */
class GuardsPropertyTest {
  private static final String ADDRESS_CHARACTERS = "0123456789abcdefABCDEF.:/ \t";

  @Property(tries = 200)
  void validateReturnsAGuardedSnapshotOrRefusesNothingElse(
      @ForAll("guards") Guards guards, @ForAll("rawRanges") RawRanges raw) {
    // Both outcomes must be common, or the property proves little.
    Statistics.coverage(
        c -> {
          c.check("accepted").percentage(p -> p >= 5);
          c.check("refused").percentage(p -> p >= 5);
        });
    RangeSnapshot snapshot;
    try {
      snapshot = guards.validate(raw);
    } catch (RejectedRangesException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      Statistics.collect("refused");
      return;
    } catch (RuntimeException | Error e) {
      throw new AssertionError("validate threw " + e + " instead of refusing", e);
    }
    Statistics.collect("accepted");

    assertThat(snapshot.source()).isEqualTo(raw.source());
    RangeSet ranges = snapshot.ranges();
    for (IpFamily family : IpFamily.values()) {
      if (guards.families().includes(family)) {
        assertThat(ranges.get(family)).hasSizeGreaterThanOrEqualTo(guards.minRanges());
      } else {
        assertThat(ranges.get(family)).isEmpty();
      }
    }
    for (Cidr cidr : ranges.all()) {
      int shortest =
          cidr.family() == IpFamily.IPV4 ? guards.shortestPrefixV4() : guards.shortestPrefixV6();
      assertThat(cidr.prefixLength()).isPositive().isGreaterThanOrEqualTo(shortest);
      assertThat(SpecialPurpose.overlapping(cidr)).as("%s is special-purpose", cidr).isEmpty();
      // Every range kept is an entry exactly as published, in a list that allows its family.
      assertThat(raw.lists())
          .anyMatch(
              l ->
                  l.family().map(f -> f == cidr.family()).orElse(true)
                      && l.entries().stream().anyMatch(e -> Cidr.parse(e).equals(cidr)));
    }
    // Validation passed, so every entry of every list was a clean prefix of the right family.
    for (RawList list : raw.lists()) {
      for (String entry : list.entries()) {
        Cidr cidr = Cidr.parse(entry);
        assertThat(list.family().orElse(cidr.family())).isEqualTo(cidr.family());
      }
    }
  }

  @Property(tries = 200)
  void aRefusalNeverEchoesAnEntryOfOtherCharacters(@ForAll("rawRanges") RawRanges raw) {
    try {
      Guards.defaults().validate(raw);
      return;
    } catch (RejectedRangesException refused) {
      String message = refused.getMessage();
      for (RawList list : raw.lists()) {
        for (String entry : list.entries()) {
          boolean secret =
              entry.length() >= 4
                  && !entry.chars().allMatch(c -> ADDRESS_CHARACTERS.indexOf(c) >= 0)
                  && !(list.name() + raw.source()).contains(entry);
          if (secret) {
            assertThat(message).doesNotContain(entry);
          }
        }
      }
    }
  }

  @Provide
  Arbitrary<Guards> guards() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 5),
            Arbitraries.integers().between(1, 32),
            Arbitraries.integers().between(1, 128),
            Arbitraries.of(Families.class),
            Arbitraries.doubles().between(0, 1))
        .as((min, v4, v6, families, shrink) -> new Guards(min, v4, v6, families, shrink, false))
        .map(g -> g.shortestPrefixV4() > 12 ? g.withShortestPrefixes(8, 16) : g);
  }

  /**
   * Up to three lists, each of one family or mixed, each either clean (plausible prefixes of its
   * family) or with one bad entry somewhere in it, so that both outcomes are common.
   */
  @Provide
  Arbitrary<RawRanges> rawRanges() {
    Arbitrary<RawList> list =
        Arbitraries.of(
                Optional.<IpFamily>empty(), Optional.of(IpFamily.IPV4), Optional.of(IpFamily.IPV6))
            .flatMap(
                family ->
                    Combinators.combine(
                            Arbitraries.of("ipv4_cidrs", "ipv6_cidrs", "ips-v4", "list.txt"),
                            plausible(family).list().ofMinSize(2).ofMaxSize(12),
                            bad().optional(0.25),
                            Arbitraries.integers().between(0, 12))
                        .as(
                            (name, entries, bad, at) -> {
                              List<String> all = new ArrayList<>(entries);
                              bad.ifPresent(b -> all.add(Math.min(at, all.size()), b));
                              return new RawList(name, family, all);
                            }));
    return Combinators.combine(
            list.list().ofMinSize(1).ofMaxSize(3),
            Arbitraries.of("https://www.cloudflare.com/ips-v4", "file:x"))
        .as((lists, source) -> new RawRanges(lists, source, Optional.empty(), Instant.EPOCH));
  }

  private static Arbitrary<String> plausible(Optional<IpFamily> family) {
    Arbitrary<String> v4 =
        Combinators.combine(
                Arbitraries.integers().between(1, 223),
                Arbitraries.integers().between(0, 0xffffff),
                Arbitraries.integers().between(8, 32))
            .as((top, rest, length) -> RangeArbitraries.v4Prefix((top << 24) | rest, length));
    Arbitrary<String> v6 =
        Combinators.combine(
                Arbitraries.integers().between(0x2400, 0x2fff),
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.of(16, 20, 29, 32, 36, 48, 64, 128))
            .as(
                (a, b, length) ->
                    Cidr.parseZeroingHostBits(
                            Integer.toHexString(a) + ":" + Integer.toHexString(b) + "::/" + length)
                        .toString());
    if (family.isEmpty()) {
      return Arbitraries.oneOf(v4, v6);
    }
    return family.get() == IpFamily.IPV4 ? v4 : v6;
  }

  /**
   * Entries no guard may pass: the wrong family, special-purpose and broad prefixes, host bits,
   * whitespace, HTML, glued lines, file content and noise.
   */
  private static Arbitrary<String> bad() {
    Arbitrary<String> known =
        Arbitraries.of(
            "0.0.0.0/0",
            "::/0",
            "10.0.0.0/8",
            "127.0.0.1/32",
            "100.64.0.0/10",
            "240.0.0.0/4",
            "fc00::/7",
            "::ffff:0:0/96",
            "2001:db8::/32",
            "8.0.0.0/7",
            "2400::/12",
            "173.245.48.1/20",
            "<html>",
            "<!DOCTYPE html>",
            "173.245.48.0/20103.21.244.0/22",
            "173.245.48.0/20 ",
            " 173.245.48.0/20",
            "173.245.48.0/20\r",
            "",
            "173.245.48.0/20; drop",
            "root:$6$salt$hash:19000:0:99999:7:::",
            "null",
            "173.245.48.0");
    return Arbitraries.oneOf(known, Arbitraries.strings().ofMaxLength(30));
  }
}
