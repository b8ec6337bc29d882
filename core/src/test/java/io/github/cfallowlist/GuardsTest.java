package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.RawRanges.RawList;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuardsTest {
  @Test
  void checkingASnapshotRefusesWhatValidatingItsListWould() {
    RangeSnapshot embedded = io.github.cfallowlist.testing.TestSnapshots.embedded();
    RangeSnapshot broad =
        embedded.withRanges(
            RangeSet.of(
                java.util.stream.Stream.concat(
                        embedded.ranges().all().stream(),
                        java.util.stream.Stream.of(Cidr.parse("2.0.0.0/7")))
                    .toList()));
    RangeSnapshot few =
        embedded.withRanges(
            RangeSet.of(
                java.util.stream.Stream.concat(
                        embedded.ranges().ipv4().stream().limit(3),
                        embedded.ranges().ipv6().stream())
                    .toList()));

    assertThat(Guards.defaults().check(embedded)).isSameAs(embedded);
    assertThatThrownBy(() -> Guards.defaults().check(broad))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "'2.0.0.0/7' in IPv4 ranges from "
                + embedded.source()
                + " is broader than /8, the shortest prefix allowed for IPv4");
    assertThatThrownBy(() -> Guards.defaults().check(few))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            embedded.source() + " holds 3 IPv4 ranges, fewer than the minimum of 5 (--min-ranges)");
    assertThat(Guards.defaults().withFamilies(Families.IPV6).check(few).ranges())
        .isEqualTo(embedded.ranges().restrictTo(Families.IPV6));
  }

  private static final List<String> V4 =
      List.of(
          "173.245.48.0/20",
          "103.21.244.0/22",
          "103.22.200.0/22",
          "103.31.4.0/22",
          "141.101.64.0/18");
  private static final List<String> V6 =
      List.of(
          "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32");

  private static RawRanges raw(List<String> v4, List<String> v6) {
    return new RawRanges(
        List.of(
            new RawList("ipv4_cidrs", Optional.of(IpFamily.IPV4), v4),
            new RawList("ipv6_cidrs", Optional.of(IpFamily.IPV6), v6)),
        "test",
        Optional.empty(),
        Instant.EPOCH);
  }

  private static List<String> plus(List<String> list, String extra) {
    List<String> out = new ArrayList<>(list);
    out.add(extra);
    return out;
  }

  @ParameterizedTest(name = "{0} is refused")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.0/8|private-use",
        "192.168.1.0/24|private-use",
        "127.0.0.0/8|loopback",
        "169.254.0.0/16|link-local",
        "224.0.0.0/4|multicast",
        "100.64.0.0/10|CGNAT",
        "240.0.0.0/4|reserved",
        "192.0.2.0/24|documentation",
        "0.0.0.0/0|default route",
        "8.0.0.0/7|broader than /8",
        "173.245.48.1/20|host bits set",
        "173.245.48.0|no prefix length",
        "173.245.048.0/20|not a valid CIDR",
        "2400:cb00::/32|an IPv6 range in ipv4_cidrs",
        "'173.245.48.0/20 '|whitespace",
      })
  void ipv4EntryIsRefusedNamingIt(String entry, String reason) {
    assertThatThrownBy(() -> Guards.defaults().validate(raw(plus(V4, entry), V6)))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining(entry.strip())
        .hasMessageContaining(
            reason.startsWith("an IPv6") ? "is an IPv6 range in ipv4_cidrs" : reason);
  }

  @ParameterizedTest(name = "{0} is refused")
  @CsvSource(
      delimiter = '|',
      value = {
        "::/0|default route",
        "2400::/12|broader than /16",
        "::1/128|loopback",
        "fe80::/10|link-local",
        "ff02::/16|multicast",
        "fd00::/8|unique-local",
        "::ffff:0:0/96|IPv4-mapped",
        "2001:db8::/32|documentation",
        "173.245.48.0/20|is an IPv4 range in ipv6_cidrs",
      })
  void ipv6EntryIsRefusedNamingIt(String entry, String reason) {
    assertThatThrownBy(() -> Guards.defaults().validate(raw(V4, plus(V6, entry))))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining(entry)
        .hasMessageContaining(reason);
  }

  @Test
  void duplicatesAreCollapsedNotRefused() {
    RangeSnapshot s =
        Guards.defaults().validate(raw(plus(V4, "173.245.48.0/20"), plus(V6, "2400:cb00::/32")));
    assertThat(s.ranges().ipv4()).hasSize(5);
    assertThat(s.ranges().ipv6()).hasSize(5);
  }

  @Test
  void rangesAreSortedByAddress() {
    RangeSnapshot s = Guards.defaults().validate(raw(V4, V6));
    assertThat(s.ranges().ipv4())
        .extracting(Cidr::toString)
        .containsExactly(
            "103.21.244.0/22",
            "103.22.200.0/22",
            "103.31.4.0/22",
            "141.101.64.0/18",
            "173.245.48.0/20");
  }

  @Test
  void tooFewRangesInAFamilyIsRefused() {
    assertThatThrownBy(() -> Guards.defaults().validate(raw(V4.subList(0, 4), V6)))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("4 IPv4 ranges, fewer than the minimum of 5");
  }

  @Test
  void minimumCountAppliesOnlyToFamiliesInUse() {
    RangeSnapshot s =
        Guards.defaults().withFamilies(Families.IPV4).validate(raw(V4, V6.subList(0, 1)));
    assertThat(s.ranges().ipv6()).isEmpty();
    assertThat(s.ranges().ipv4()).hasSize(5);
  }

  @Test
  void shortestPrefixIsAnOption() {
    Guards guards = Guards.defaults().withShortestPrefixes(20, 32);
    assertThatThrownBy(() -> guards.validate(raw(V4, V6)))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("broader than /20");
  }

  @Test
  void emptyEntryIsRefused() {
    RawRanges raw =
        new RawRanges(
            List.of(
                new RawList("ipv4_cidrs", Optional.of(IpFamily.IPV4), V4),
                new RawList("ipv6_cidrs", Optional.of(IpFamily.IPV6), plus(V6, ""))),
            "test",
            Optional.empty(),
            Instant.EPOCH);
    assertThatThrownBy(() -> Guards.defaults().validate(raw))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("an empty entry is not a CIDR in ipv6_cidrs");
  }

  private static Plan planFrom(RangeSet current, RangeSet desired) {
    SyncTest.FakeTarget target = new SyncTest.FakeTarget();
    RangeSnapshot snapshot = new RangeSnapshot(desired, "test", Optional.empty(), Instant.EPOCH);
    Rendered config = target.render(snapshot.withRanges(current), TargetOptions.defaults());
    return Plan.compute(target, snapshot, TargetOptions.defaults(), Optional.of(config));
  }

  @Test
  void shrinkBeyondTheLimitIsRefusedUnlessAllowed() {
    RangeSet current = Guards.defaults().validate(raw(V4, V6)).ranges();
    RangeSet desired = RangeSet.of(current.all().subList(2, current.size()));
    Plan plan = planFrom(current, desired);
    assertThatThrownBy(() -> Guards.defaults().checkShrink(plan))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("remove 2 of 5 IPv4 ranges from fake (40%)")
        .hasMessageContaining("--allow-shrink");
    Guards.defaults().withShrink(0.25, true).checkShrink(plan);
    Guards.defaults().withShrink(0.5, false).checkShrink(plan);
  }

  @Test
  void droppingAFamilyNoLongerInUseIsNotAShrink() {
    RangeSet current = Guards.defaults().validate(raw(V4, V6)).ranges();
    Plan plan = planFrom(current, current.restrictTo(Families.IPV4));
    assertThatThrownBy(() -> Guards.defaults().checkShrink(plan)).hasMessageContaining("IPv6");
    Guards.defaults().withFamilies(Families.IPV4).checkShrink(plan);
  }

  @Test
  void removingAHandAddedRangeNoListWouldHoldIsNeverAShrink() {
    RangeSet listed = io.github.cfallowlist.testing.TestSnapshots.embedded().ranges();
    // Someone opened the origin by hand: 0.0.0.0/0 swallows every listed IPv4 range, and a /1 and a
    // /12, broader than /16, sit beside the IPv6 ones.
    List<Cidr> opened = new ArrayList<>(listed.all());
    opened.addAll(
        List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("8000::/1"), Cidr.parse("2000::/12")));
    Plan plan = planFrom(RangeSet.of(opened), listed);
    assertThat(plan.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("0.0.0.0/0"));

    Guards.defaults().checkShrink(plan);
  }

  @Test
  void whileAHandAddedRangeHidesTheLiveListAShortListIsMeasuredAgainstTheEmbeddedOne() {
    RangeSet listed = io.github.cfallowlist.testing.TestSnapshots.embedded().ranges();
    List<Cidr> opened = new ArrayList<>(listed.all());
    opened.add(Cidr.parse("0.0.0.0/0"));
    List<Cidr> poisoned = new ArrayList<>(listed.all());
    poisoned.removeAll(listed.ipv4().subList(0, 6));

    Plan plan = planFrom(RangeSet.of(opened), RangeSet.of(poisoned));

    assertThatThrownBy(() -> Guards.defaults().checkShrink(plan))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "the new list would leave out 6 of the 15 IPv4 ranges of the list this version embeds"
                + " (40%), more than the 25% allowed per run, and fake holds a range no list would"
                + " (such as 0.0.0.0/0), which hides the ranges it had; re-run with --allow-shrink"
                + " if this is expected");
    Guards.defaults().withShrink(0.25, true).checkShrink(plan);
  }

  @Test
  void whileTheOptionsMoveTheRangesElsewhereAShortListIsMeasuredAgainstTheEmbeddedOne() {
    RangeSet listed = io.github.cfallowlist.testing.TestSnapshots.embedded().ranges();
    List<Cidr> poisoned = new ArrayList<>(listed.all());
    poisoned.removeAll(listed.ipv4().subList(0, 6));
    // New settings keep the ranges elsewhere: nothing there yet, and the old place is a leftover.
    Plan moved = movedFrom("table inet cf_allowlist", RangeSet.of(poisoned));

    assertThatThrownBy(() -> Guards.defaults().checkShrink(moved))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "the new list would leave out 6 of the 15 IPv4 ranges of the list this version embeds"
                + " (40%), more than the 25% allowed per run, and fake holds no IPv4 range where"
                + " these settings keep them, while the change removes table inet cf_allowlist,"
                + " which may hold the ranges it had; re-run with --allow-shrink if this is"
                + " expected");
    Guards.defaults().withShrink(0.25, true).checkShrink(moved);
    Guards.defaults().checkShrink(movedFrom("table inet cf_allowlist", listed));
    // A first install has nothing to lose.
    Guards.defaults()
        .checkShrink(
            Plan.fromLive(
                new SyncTest.FakeTarget(),
                snapshotOf(RangeSet.of(poisoned)),
                TargetOptions.defaults(),
                Optional.empty(),
                List.of()));
  }

  private static Plan movedFrom(String leftover, RangeSet desired) {
    return Plan.fromLive(
        new SyncTest.FakeTarget(),
        snapshotOf(desired),
        TargetOptions.defaults(),
        Optional.empty(),
        List.of(leftover));
  }

  private static RangeSnapshot snapshotOf(RangeSet ranges) {
    return new RangeSnapshot(ranges, "test", Optional.empty(), Instant.EPOCH);
  }
}
