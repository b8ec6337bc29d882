package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IptablesPlanTest {
  private static final String[] V4 = {
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18"
  };
  private static final String[] V6 = {"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32"};

  private final Target target = new IptablesTarget();
  private final TargetOptions options = TargetOptions.defaults();
  private final RangeSnapshot base = Fixtures.embedded().withRanges(ranges(V4, V6));

  private static RangeSet ranges(String[] v4, String[] v6) {
    String[] all = new String[v4.length + v6.length];
    System.arraycopy(v4, 0, all, 0, v4.length);
    System.arraycopy(v6, 0, all, v4.length, v6.length);
    return RangeSet.parse(all);
  }

  private Plan planTo(RangeSet desired) {
    return Plan.compute(
        target, base.withRanges(desired), options, Optional.of(target.render(base, options)));
  }

  private static List<Cidr> cidrs(String... text) {
    return RangeSet.parse(text).all();
  }

  @Test
  void addedOnly() {
    Plan plan = planTo(ranges(append(V4, "104.16.0.0/13"), V6));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("104.16.0.0/13"));
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff()).contains("+-A CF-ALLOWLIST -s 104.16.0.0/13 -j ACCEPT");
  }

  @Test
  void removedOnly() {
    Plan plan = planTo(ranges(java.util.Arrays.copyOf(V4, 4), V6));

    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff()).contains("--A CF-ALLOWLIST -s 141.101.64.0/18 -j ACCEPT");
  }

  @Test
  void addedAndRemoved() {
    String[] v4 = java.util.Arrays.copyOf(V4, 5);
    v4[4] = "108.162.192.0/18";
    Plan plan = planTo(ranges(v4, V6));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("108.162.192.0/18"));
    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.unchanged(IpFamily.IPV4)).hasSize(4);
  }

  @Test
  void noChangeWhenTheSameRangesAreInPlace() {
    Plan plan = planTo(base.ranges());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.diff()).isEmpty();
  }

  @Test
  void ipv6OnlyChangeTouchesOnlyTheV6File() {
    Plan plan = planTo(ranges(V4, append(V6, "2a06:98c0::/29")));

    assertThat(plan.added(IpFamily.IPV6)).isEqualTo(cidrs("2a06:98c0::/29"));
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff())
        .contains("desired/cf-allowlist.rules.v6")
        .doesNotContain("cf-allowlist.rules.v4");
  }

  @Test
  void otherPortsOrModeShowAsAChangeWithTheSameRanges() {
    for (TargetOptions other :
        List.of(
            options.withPorts(List.of(8080)),
            options.withMode(Mode.ALLOW),
            options.withSetting("ipset", "true"),
            options.withSetting("chain", "DOCKER-USER"))) {
      Plan plan = Plan.compute(target, base, other, Optional.of(target.render(base, options)));

      assertThat(plan.hasChanges()).as(other.toString()).isTrue();
    }
  }

  private static String[] append(String[] a, String extra) {
    String[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = extra;
    return out;
  }
}
