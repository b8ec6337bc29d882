package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Rendering, the golden files, the declared settings and plans computed from rendered text. */
class NftablesRenderTest {
  private final NftablesTarget target = new NftablesTarget();
  private final RangeSnapshot snapshot = Fixtures.embedded();
  private final TargetOptions defaults = TargetOptions.defaults();

  static Stream<Arguments> variants() {
    return Fixtures.variants().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void rendersEmbeddedSnapshotExactlyLikeGoldenFile(String name, TargetOptions options) {
    Rendered rendered = target.render(snapshot, options);

    assertThat(rendered.files()).hasSize(1);
    assertThat(rendered.files().get(0).name()).isEqualTo("cf_allowlist.nft");
    assertThat(rendered.text()).isEqualTo(Fixtures.golden(name));
  }

  @Test
  void rendersOnlyTheFamiliesInUseAndRestrictsOnlyThose() {
    String v4 = target.render(snapshot, Fixtures.variants().get("restrict-ipv4")).text();

    assertThat(v4).contains("ip saddr != @cloudflare_v4 drop").doesNotContain("cloudflare_v6");
  }

  @Test
  void isFoundByServiceLoaderUnderItsName() {
    Target found = Targets.byName("nftables");

    assertThat(found).isInstanceOf(NftablesTarget.class);
    assertThat(found.supportsLive()).isTrue();
  }

  @Test
  void renderingIsDeterministic() {
    assertThat(target.render(snapshot, defaults)).isEqualTo(target.render(snapshot, defaults));
  }

  @Test
  void allowModeInOwnTableIsRefusedWithAHintAtNftTable() {
    assertThatThrownBy(() -> target.render(snapshot, defaults.withMode(Mode.ALLOW)))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("--mode allow needs --nft-table");
  }

  @Test
  void allowModeWithNftTableRendersTheSameSetsOnlyScript() {
    TargetOptions table = defaults.withSetting("nft-table", "inet filter");

    assertThat(target.render(snapshot, table.withMode(Mode.ALLOW)))
        .isEqualTo(target.render(snapshot, table));
    assertThat(target.render(snapshot, table).text()).doesNotContain("chain", "drop", "delete");
  }

  @Test
  void restrictModeRefusesToRenderAnEmptyFamilyThatWouldLockEveryoneOut() {
    RangeSnapshot noV6 = snapshot.withRanges(new RangeSet(snapshot.ranges().ipv4(), List.of()));

    assertThatThrownBy(() -> target.render(noV6, defaults))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("no IPv6 range");
  }

  @Test
  void malformedNftTableValuesAreRefusedNamingTheSetting() {
    for (String bad :
        List.of(
            "filter",
            "inet",
            "inet filter extra",
            "inet fil ter",
            "inet fil;ter",
            "inet fil\"ter",
            "inet 9filter",
            "foo filter",
            "",
            "inet cf_allowlist")) {
      assertThatThrownBy(() -> target.render(snapshot, defaults.withSetting("nft-table", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("setting nft-table value '");
    }
  }

  @Test
  void nftTableWithAnInnerSpaceIsRefusedBeforeAnythingIsRendered() {
    TargetOptions spaced = defaults.withSetting("nft-table", "inet fil ter");

    assertThatThrownBy(() -> target.render(snapshot, spaced))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "setting nft-table value 'inet fil ter' is not a table family (ip, ip6, inet, bridge or"
                + " netdev) and a table name of letters, digits, '_', '.' and '-', such as 'inet"
                + " filter'");
    assertThatThrownBy(() -> Sync.checkSettings(target, spaced))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nft-table");
  }

  @Test
  void misspelledNftTableKeyIsRefusedSuggestingTheDeclaredName() {
    TargetOptions misspelled = defaults.withSetting("nft_table", "inet filter");

    assertThatThrownBy(() -> target.render(snapshot, misspelled))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown setting 'nft_table' for nftables; did you mean 'nft-table'?");
    assertThatThrownBy(() -> target.parse(target.render(snapshot, defaults), misspelled))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("did you mean 'nft-table'?");
  }

  @Test
  void unknownSettingIsRefusedListingTheKnownOnes() {
    assertThatThrownBy(() -> target.render(snapshot, defaults.withSetting("ipset", "true")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown setting 'ipset' for nftables; known: nft-table");
  }

  @Test
  void declaresNftTableAndTheNftPackage() {
    assertThat(target.settings())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.name()).isEqualTo("nft-table");
              assertThat(s.valueLabel()).isEqualTo("FAMILY NAME");
              assertThat(s.defaultValue()).isEmpty();
            });
    assertThat(target.packages()).isEqualTo(Map.of("nft", "nftables"));
    assertThat(NftablesSettings.of(defaults.withSetting("nft-table", " ip6  my_fw.v2 ")).layout())
        .isEqualTo(Layout.userTable("ip6", "my_fw.v2"));
    assertThat(NftablesSettings.of(defaults).layout()).isEqualTo(Layout.OWN);
  }

  @Test
  void planAddedOnly() {
    Plan plan = planFrom(snapshot.ranges(), add(snapshot.ranges(), "45.64.64.0/22"));

    assertThat(plan.added(IpFamily.IPV4))
        .extracting(Object::toString)
        .containsExactly("45.64.64.0/22");
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.removed(IpFamily.IPV6)).isEmpty();
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff()).contains("+\t45.64.64.0/22,").doesNotContain("-\t");
  }

  @Test
  void planRemovedOnly() {
    Plan plan = planFrom(snapshot.ranges(), remove(snapshot.ranges(), "198.41.128.0/17"));

    assertThat(plan.removed(IpFamily.IPV4))
        .extracting(Object::toString)
        .containsExactly("198.41.128.0/17");
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff()).contains("-\t198.41.128.0/17,").doesNotContain("+\t");
  }

  @Test
  void planAddedAndRemoved() {
    RangeSet desired = add(remove(snapshot.ranges(), "198.41.128.0/17"), "45.64.64.0/22");
    Plan plan = planFrom(snapshot.ranges(), desired);

    assertThat(plan.added(IpFamily.IPV4))
        .extracting(Object::toString)
        .containsExactly("45.64.64.0/22");
    assertThat(plan.removed(IpFamily.IPV4))
        .extracting(Object::toString)
        .containsExactly("198.41.128.0/17");
    assertThat(plan.unchanged(IpFamily.IPV4)).hasSize(14);
    assertThat(plan.summary()).startsWith("+1 -1 ranges");
  }

  @Test
  void planWithoutChanges() {
    Plan plan = planFrom(snapshot.ranges(), snapshot.ranges());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.diff()).isEmpty();
  }

  @Test
  void planWithOnlyIpv6Changes() {
    RangeSet desired = add(remove(snapshot.ranges(), "2c0f:f248::/32"), "2a10:50c0::/29");
    Plan plan = planFrom(snapshot.ranges(), desired);

    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.added(IpFamily.IPV6))
        .extracting(Object::toString)
        .containsExactly("2a10:50c0::/29");
    assertThat(plan.removed(IpFamily.IPV6))
        .extracting(Object::toString)
        .containsExactly("2c0f:f248::/32");
    assertThat(plan.diff()).contains("+\t2a10:50c0::/29,", "-\t2c0f:f248::/32,");
  }

  @Test
  void planShowsChangedPortsAsAChangeWithTheSameRanges() {
    Rendered current = target.render(snapshot, defaults);
    Plan plan =
        Plan.compute(target, snapshot, defaults.withPorts(List.of(8080)), Optional.of(current));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff())
        .contains("+add rule inet cf_allowlist input iifname != \"lo\" tcp dport { 8080 }");
  }

  private Plan planFrom(RangeSet current, RangeSet desired) {
    Rendered now = target.render(snapshot.withRanges(current), defaults);
    return Plan.compute(target, snapshot.withRanges(desired), defaults, Optional.of(now));
  }

  private static RangeSet add(RangeSet set, String cidr) {
    return RangeSet.of(
        Stream.concat(set.all().stream(), RangeSet.parse(cidr).all().stream()).toList());
  }

  private static RangeSet remove(RangeSet set, String cidr) {
    return RangeSet.of(set.all().stream().filter(c -> !c.toString().equals(cidr)).toList());
  }
}
