package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Plans between rendered configurations, as {@code cf-allowlist plan --current FILE} makes them.
 */
class FirewalldPlanTest {
  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final TargetOptions OPTIONS = TargetOptions.defaults();
  private static final RangeSnapshot SNAPSHOT = FirewalldRenderTest.SNAPSHOT;
  private static final RangeSnapshot BASE =
      SNAPSHOT.withRanges(
          RangeSet.parse(
              "173.245.48.0/20",
              "103.21.244.0/22",
              "103.22.200.0/22",
              "2400:cb00::/32",
              "2606:4700::/32"));

  private static Plan plan(RangeSnapshot from, RangeSnapshot to) {
    return Plan.compute(TARGET, to, OPTIONS, Optional.of(TARGET.render(from, OPTIONS)));
  }

  /** {@link #BASE} with the ranges {@code remove} taken out and {@code add} put in. */
  private static RangeSnapshot changedBase(List<String> remove, List<String> add) {
    List<Cidr> ranges = new ArrayList<>(BASE.ranges().ipv4());
    ranges.addAll(BASE.ranges().ipv6());
    remove.forEach(r -> ranges.remove(Cidr.parse(r)));
    add.forEach(a -> ranges.add(Cidr.parse(a)));
    return BASE.withRanges(RangeSet.of(ranges));
  }

  @Test
  void addedOnly() {
    Plan p = plan(BASE, changedBase(List.of(), List.of("103.31.4.0/22")));

    assertThat(p.added(IpFamily.IPV4)).containsExactly(Cidr.parse("103.31.4.0/22"));
    assertThat(p.removed(IpFamily.IPV4)).isEmpty();
    assertThat(p.added(IpFamily.IPV6)).isEmpty();
    assertThat(p.hasChanges()).isTrue();
    assertThat(p.diff()).contains("+  <entry>103.31.4.0/22</entry>");
  }

  @Test
  void removedOnly() {
    Plan p = plan(BASE, changedBase(List.of("103.22.200.0/22"), List.of()));

    assertThat(p.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("103.22.200.0/22"));
    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.hasChanges()).isTrue();
    assertThat(p.diff()).contains("-  <entry>103.22.200.0/22</entry>");
  }

  @Test
  void addedAndRemoved() {
    Plan p = plan(BASE, changedBase(List.of("103.22.200.0/22"), List.of("141.101.64.0/18")));

    assertThat(p.added(IpFamily.IPV4)).containsExactly(Cidr.parse("141.101.64.0/18"));
    assertThat(p.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("103.22.200.0/22"));
    assertThat(p.unchanged(IpFamily.IPV4)).hasSize(2);
  }

  @Test
  void noChanges() {
    Plan p = plan(BASE, BASE);

    assertThat(p.hasChanges()).isFalse();
    assertThat(p.diff()).isEmpty();
  }

  @Test
  void newHeaderAloneIsNoChange() {
    RangeSnapshot refetched =
        new RangeSnapshot(
            BASE.ranges(), "cloudflare", Optional.of("abc"), BASE.fetchedAt().plusSeconds(60));

    assertThat(plan(BASE, refetched).hasChanges()).isFalse();
  }

  @Test
  void ipv6OnlyChange() {
    Plan p = plan(BASE, changedBase(List.of("2606:4700::/32"), List.of("2a06:98c0::/29")));

    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.removed(IpFamily.IPV4)).isEmpty();
    assertThat(p.added(IpFamily.IPV6)).containsExactly(Cidr.parse("2a06:98c0::/29"));
    assertThat(p.removed(IpFamily.IPV6)).containsExactly(Cidr.parse("2606:4700::/32"));
    assertThat(p.diff())
        .contains("desired/ipsets/cloudflare-v6.xml")
        .doesNotContain("cloudflare-v4.xml");
  }

  @Test
  void otherPortsAreAChangeWithTheSameRanges() {
    TargetOptions other = OPTIONS.withPorts(List.of(8443));
    Plan p = Plan.compute(TARGET, BASE, other, Optional.of(TARGET.render(BASE, OPTIONS)));

    assertThat(p.hasChanges()).isTrue();
    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.diff()).contains("+  <port port=\"8443\" protocol=\"tcp\"/>");
  }

  @Test
  void otherModeIsNoChangeBecauseTheLayoutIsTheSame() {
    TargetOptions allow = OPTIONS.withMode(Mode.ALLOW);
    Plan p = Plan.compute(TARGET, BASE, allow, Optional.of(TARGET.render(BASE, OPTIONS)));

    assertThat(p.hasChanges()).isFalse();
  }

  @Test
  void overlappingReplacementIsSwappedAndEverythingElseAddedFirst() {
    Map<String, String> have =
        Map.of("104.16.0.0/12", "104.16.0.0/12", "131.0.72.0/22", "131.0.72.0/22");
    List<Cidr> want =
        List.of(
            Cidr.parse("104.16.0.0/13"),
            Cidr.parse("104.24.0.0/14"),
            Cidr.parse("173.245.48.0/20"));

    Converger.EntryDiff d = Converger.EntryDiff.of(want, have);

    assertThat(d.addFirst()).containsExactly("173.245.48.0/20");
    assertThat(d.swapOut()).containsExactly("104.16.0.0/12");
    assertThat(d.swapIn()).containsExactly("104.16.0.0/13", "104.24.0.0/14");
    assertThat(d.removeLast()).containsExactly("131.0.72.0/22");
  }
}
