package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void parseReturnsExactlyTheRenderedRanges(String name, TargetOptions options) {
    Rendered rendered = target.render(snapshot, options);

    assertThat(target.parse(rendered, options))
        .isEqualTo(snapshot.ranges().restrictTo(options.families()));
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
  void invalidNftTableSettingIsRefused() {
    for (String bad :
        List.of("filter", "inet", "inet filter extra", "inet fil;ter", "foo filter")) {
      assertThatThrownBy(() -> target.render(snapshot, defaults.withSetting("nft-table", bad)))
          .as(bad)
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("--nft-table");
    }
  }

  @Test
  void parseNamesFileLineNumberAndLineOfAHandEditedElement() {
    String text =
        target
            .render(snapshot, defaults)
            .text()
            .replace("\t173.245.48.0/20,", "\t173.245.48.1/20,");
    int line = lineOf(text, "\t173.245.48.1/20,");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("cf_allowlist.nft line " + line + ": ")
        .hasMessageContaining("173.245.48.1/20");
  }

  @Test
  void parseRefusesAForeignRuleNamingItsLine() {
    String foreign = "add rule inet cf_allowlist input tcp dport 22 accept";
    String text = target.render(snapshot, defaults).text() + foreign + "\n";
    int line = lineOf(text, foreign);

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessage(
            "cf_allowlist.nft line "
                + line
                + ": not a rule cf-allowlist writes: '"
                + foreign
                + "'");
  }

  @Test
  void parseRefusesAScriptForAnotherTable() {
    Rendered other = target.render(snapshot, defaults.withSetting("nft-table", "inet filter"));

    assertThatThrownBy(() -> target.parse(other, defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line 6: expected 'table inet cf_allowlist {'");
  }

  @Test
  void parseRefusesAMissingFlushThatWouldLetStaleRangesAccumulate() {
    String text =
        target
            .render(snapshot, defaults)
            .text()
            .replace("flush set inet cf_allowlist cloudflare_v6\n", "");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cf_allowlist.nft line")
        .hasMessageContaining("add element inet cf_allowlist cloudflare_v6 {");
  }

  @Test
  void parseRefusesACommentAddedInTheMiddle() {
    String text =
        target.render(snapshot, defaults).text().replace("flush chain", "# hand edit\nflush chain");
    int line = lineOf(text, "# hand edit");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("cf_allowlist.nft line " + line + ": ");
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

  private static int lineOf(String text, String line) {
    List<String> lines = text.lines().toList();
    assertThat(lines).contains(line);
    return lines.indexOf(line) + 1;
  }
}
