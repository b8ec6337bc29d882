package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.adapter.nginx.TestSupport.withAllow;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NginxPlanTest {
  private static final TargetOptions OPTIONS = withAllow(Families.BOTH);
  private static final RangeSet BASE =
      RangeSet.parse(
          "173.245.48.0/20",
          "103.21.244.0/22",
          "103.22.200.0/22",
          "2400:cb00::/32",
          "2606:4700::/32");

  private final NginxTarget target = new NginxTarget();

  private Plan plan(RangeSet current, RangeSet desired) {
    RangeSnapshot snapshot = embedded();
    Rendered now = target.render(snapshot.withRanges(current), OPTIONS);
    return Plan.compute(target, snapshot.withRanges(desired), OPTIONS, Optional.of(now));
  }

  private static List<Cidr> cidrs(String... text) {
    return RangeSet.parse(text).all();
  }

  @Test
  void addedOnly() {
    Plan plan = plan(BASE, RangeSet.of(concat(BASE.all(), cidrs("141.101.64.0/18"))));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.added(IpFamily.IPV6)).isEmpty();
    assertThat(plan.diff())
        .contains("+set_real_ip_from 141.101.64.0/18;")
        .contains("+allow 141.101.64.0/18;")
        .doesNotContain("-set_real_ip_from");
  }

  @Test
  void removedOnly() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32", "2606:4700::/32"));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("103.22.200.0/22"));
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff())
        .contains("-set_real_ip_from 103.22.200.0/22;")
        .contains("-allow 103.22.200.0/22;")
        .doesNotContain("+set_real_ip_from");
  }

  @Test
  void addedAndRemoved() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20",
                "103.21.244.0/22",
                "131.0.72.0/22",
                "2400:cb00::/32",
                "2606:4700::/32"));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("131.0.72.0/22"));
    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("103.22.200.0/22"));
    assertThat(plan.unchanged(IpFamily.IPV4)).hasSize(2);
    assertThat(plan.summary()).startsWith("+1 -1 ranges");
  }

  @Test
  void noChangesWhenOnlyTheHeaderDiffers() {
    RangeSnapshot now = embedded().withRanges(BASE);
    Rendered current = target.render(now, OPTIONS);
    RangeSnapshot refetched =
        new RangeSnapshot(
            BASE,
            "https://api.cloudflare.com/client/v4/ips",
            Optional.of("other"),
            Instant.parse("2027-01-01T00:00:00Z"));

    Plan plan = Plan.compute(target, refetched, OPTIONS, Optional.of(current));

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.summary()).isEqualTo("no changes (5 ranges)");
  }

  @Test
  void ipv6OnlyChange() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20",
                "103.21.244.0/22",
                "103.22.200.0/22",
                "2400:cb00::/32",
                "2a06:98c0::/29"));

    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.added(IpFamily.IPV6)).isEqualTo(cidrs("2a06:98c0::/29"));
    assertThat(plan.removed(IpFamily.IPV6)).isEqualTo(cidrs("2606:4700::/32"));
    assertThat(plan.diff())
        .contains("+set_real_ip_from 2a06:98c0::/29;")
        .contains("-set_real_ip_from 2606:4700::/32;");
  }

  @Test
  void missingAllowFileShowsAsAChange() {
    Rendered both = target.render(embedded().withRanges(BASE), OPTIONS);
    Rendered realIpOnly = new Rendered(List.of(both.files().get(0)));

    Plan plan = Plan.compute(target, embedded().withRanges(BASE), OPTIONS, Optional.of(realIpOnly));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff()).contains("+++ desired/cloudflare-allow.conf").contains("+deny all;");
  }

  @Test
  void narrowingTheFamiliesShowsAsAChange() {
    Rendered both = target.render(embedded(), OPTIONS);
    TargetOptions v4 = withAllow(Families.IPV4);

    Plan plan = Plan.compute(target, embedded(Families.IPV4), v4, Optional.of(both));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.removed(IpFamily.IPV6)).hasSize(7);
    assertThat(plan.diff()).contains("+deny 0.0.0.0/0;").contains("-deny all;");
  }

  private static List<Cidr> concat(List<Cidr> a, List<Cidr> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
