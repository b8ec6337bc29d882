package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IptablesRenderTest {
  private final Target target = new IptablesTarget();

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
          .isInstanceOf(IllegalArgumentException.class);
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
}
