package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Rendering (golden files, settings) and the plans computed from two renderings. */
class IptablesRenderTest {
  private static final String[] V4 = {
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18"
  };
  private static final String[] V6 = {"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32"};

  private final Target target = new IptablesTarget();
  private final TargetOptions options = TargetOptions.defaults();
  private final RangeSnapshot base = Fixtures.embedded().withRanges(ranges(V4, V6));

  static Stream<Arguments> variants() {
    return Fixtures.variants().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void renderMatchesGoldenFilesByteForByte(String variant, TargetOptions options) {
    Rendered rendered = target.render(Fixtures.embedded(), options);

    for (Rendered.File file : rendered.files()) {
      String golden = variant + "." + file.name().replace("cf-allowlist.", "");
      assertThat(file.content()).as(golden).isEqualTo(Fixtures.golden(golden));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void parseOfRenderGivesBackTheRanges(String variant, TargetOptions options) {
    RangeSnapshot snapshot =
        Fixtures.embedded().withRanges(Fixtures.embedded().ranges().restrictTo(options.families()));

    assertThat(target.parse(target.render(snapshot, options), options))
        .isEqualTo(snapshot.ranges());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void renderingTwiceGivesTheSameBytes(String variant, TargetOptions options) {
    assertThat(target.render(Fixtures.embedded(), options))
        .isEqualTo(target.render(Fixtures.embedded(), options));
  }

  @Test
  void rendersOnlyTheFamiliesInUse() {
    Rendered rendered =
        target.render(Fixtures.embedded(), TargetOptions.defaults().withFamilies(Families.IPV6));

    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactly("cf-allowlist.rules.v6");
  }

  @Test
  void ipsetFileHoldsBothFamiliesAndRulesMatchTheSets() {
    Rendered rendered =
        target.render(Fixtures.embedded(), TargetOptions.defaults().withSetting("ipset", "true"));

    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactly("cf-allowlist.rules.v4", "cf-allowlist.rules.v6", "cf-allowlist.ipset");
    assertThat(rendered.file("cf-allowlist.rules.v4").orElseThrow().body())
        .doesNotContain("-s ")
        .contains("--match-set cf-allowlist-v4 src");
  }

  @Test
  void aListLongerThanIpsetsDefaultMaxelemSizesBothSetsAndParsesBack() {
    RangeSet ranges =
        RangeSet.of(
            IntStream.range(0, 100_000)
                .mapToObj(
                    i ->
                        Cidr.parse(
                            (11 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + ".0/24"))
                .toList());
    TargetOptions options =
        TargetOptions.defaults().withFamilies(Families.IPV4).withSetting("ipset", "true");
    Rendered rendered = target.render(Fixtures.embedded().withRanges(ranges), options);

    String ipset = rendered.file(IptablesConfig.IPSET).orElseThrow().content();
    assertThat(ipset)
        .contains(
            "create cf-allowlist-v4 hash:net family inet hashsize 32768 maxelem 131072 -exist\n")
        .contains(
            "create cf-allowlist-v4-tmp hash:net family inet hashsize 32768 maxelem 131072 -exist\n");
    assertThat(target.parse(rendered, options)).isEqualTo(ranges);
    assertThat(IptablesConfig.maxElements(65_536)).isEqualTo(65_536);
    assertThat(IptablesConfig.maxElements(65_537)).isEqualTo(131_072);
    assertThat(IptablesConfig.maxElements(200_000)).isEqualTo(262_144);
  }

  @Test
  void moreThanFifteenPortsAreSplitAcrossJumps() {
    List<Integer> ports = IntStream.rangeClosed(8001, 8020).boxed().toList();
    TargetOptions options = TargetOptions.defaults().withPorts(ports);

    String body =
        target
            .render(Fixtures.embedded(), options)
            .file("cf-allowlist.rules.v4")
            .orElseThrow()
            .body();

    assertThat(body.lines().filter(l -> l.startsWith("-I INPUT "))).hasSize(2);
    assertThat(body).contains("--dports 8016,8017,8018,8019,8020 ");
    assertThat(target.parse(target.render(Fixtures.embedded(), options), options))
        .isEqualTo(Fixtures.embedded().ranges());
  }

  @Test
  void restrictModeRefusesAFamilyInUseWithNoRange() {
    RangeSnapshot v4only =
        Fixtures.embedded().withRanges(Fixtures.embedded().ranges().restrictTo(Families.IPV4));

    assertThatThrownBy(() -> target.render(v4only, TargetOptions.defaults()))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("no IPv6 range");
  }

  @Test
  void chainSettingMustBeAChainName() {
    for (String bad : List.of("IN PUT", "-j", "CF-ALLOWLIST", "OUTPUT", "", "A".repeat(29))) {
      assertThatThrownBy(
              () ->
                  target.render(
                      Fixtures.embedded(), TargetOptions.defaults().withSetting("chain", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("setting chain");
    }
  }

  @Test
  void isFoundByName() {
    assertThat(Targets.byName("iptables")).isInstanceOf(IptablesTarget.class);
  }

  @Test
  void parseReturnsEmptyRangesForNoChainRules() {
    assertThat(
            target.parse(
                Rendered.single(
                    "cf-allowlist.rules.v4", "*filter\n:CF-ALLOWLIST - [0:0]\nCOMMIT\n"),
                TargetOptions.defaults()))
        .isEqualTo(RangeSet.empty());
  }

  @Test
  void declaresChainAndIpsetWithTheirDefaults() {
    assertThat(target.settings()).extracting(Setting::name).containsExactly("chain", "ipset");
    assertThat(IptablesSettings.CHAIN.defaultValue()).contains("INPUT");
    assertThat(IptablesSettings.IPSET.defaultValue()).contains(false);
    assertThat(IptablesSettings.of(options.withSetting("chain", "DOCKER-USER")).parentChain())
        .isEqualTo("DOCKER-USER");
  }

  @Test
  void unknownSettingIsRefusedEvenWhenRenderIsCalledDirectly() {
    assertThatThrownBy(
            () -> target.render(Fixtures.embedded(), options.withSetting("nft-table", "inet x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'nft-table' for iptables")
        .hasMessageContaining("chain, ipset");
  }

  @Test
  void misspelledSettingIsRefusedWithTheNameItWasMeantToBe() {
    assertThatThrownBy(
            () -> target.render(Fixtures.embedded(), options.withSetting("chian", "INPUT")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("did you mean 'chain'");
    assertThatThrownBy(
            () -> target.parse(target.render(base, options), options.withSetting("IPSET", "true")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("did you mean 'ipset'");
  }

  @Test
  void ipsetFlagAcceptsOnlyLowerCaseTrueOrFalse() {
    for (String bad : List.of("TRUE", "True", "yes", "1", "")) {
      assertThatThrownBy(
              () -> target.render(Fixtures.embedded(), options.withSetting("ipset", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("setting ipset value")
          .hasMessageContaining("is not true or false");
    }
    assertThat(target.render(Fixtures.embedded(), options.withSetting("ipset", "false")))
        .isEqualTo(target.render(Fixtures.embedded(), options));
  }

  @Test
  void namesTheDebianPackageOfEveryProgramItRuns() {
    assertThat(target.packages())
        .containsEntry("iptables", "iptables")
        .containsEntry("ip6tables", "iptables")
        .containsEntry("iptables-save", "iptables")
        .containsEntry("ip6tables-save", "iptables")
        .containsEntry("iptables-restore", "iptables")
        .containsEntry("ip6tables-restore", "iptables")
        .containsEntry("ipset", "ipset")
        .hasSize(7);
  }

  // ---- plans between two renderings

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

  private static String[] append(String[] a, String extra) {
    String[] out = Arrays.copyOf(a, a.length + 1);
    out[a.length] = extra;
    return out;
  }

  @Test
  void planOfAnAddedRangeShowsItInTheDiff() {
    Plan plan = planTo(ranges(append(V4, "104.16.0.0/13"), V6));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("104.16.0.0/13"));
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff()).contains("+-A CF-ALLOWLIST -s 104.16.0.0/13 -j ACCEPT");
  }

  @Test
  void planOfARemovedRangeShowsItInTheDiff() {
    Plan plan = planTo(ranges(Arrays.copyOf(V4, 4), V6));

    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff()).contains("--A CF-ALLOWLIST -s 141.101.64.0/18 -j ACCEPT");
  }

  @Test
  void planOfAReplacedRangeAddsOneRemovesOneKeepsTheRest() {
    String[] v4 = Arrays.copyOf(V4, 5);
    v4[4] = "108.162.192.0/18";
    Plan plan = planTo(ranges(v4, V6));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("108.162.192.0/18"));
    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.unchanged(IpFamily.IPV4)).hasSize(4);
  }

  @Test
  void planHasNoChangeWhenTheSameRangesAreInPlace() {
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
  void otherPortsModeIpsetOrChainShowAsAChangeWithTheSameRanges() {
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
}
