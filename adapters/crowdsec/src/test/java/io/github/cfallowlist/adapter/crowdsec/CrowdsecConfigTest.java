package io.github.cfallowlist.adapter.crowdsec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CrowdsecConfigTest {
  private final CrowdsecTarget target = new CrowdsecTarget();

  static RangeSnapshot embedded(Families families) {
    try {
      return Guards.defaults().withFamilies(families).validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static TargetOptions options(Families families) {
    return TargetOptions.defaults().withFamilies(families);
  }

  private String rendered(Families families) {
    return target.render(embedded(families), options(families)).text();
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void rendersTheGoldenWhitelistAndParsesItBack(Families families) {
    String golden =
        TestSnapshots.golden("whitelist-" + families.name().toLowerCase(Locale.ROOT) + ".yaml");
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files()).hasSize(1);
    assertThat(rendered.files().get(0).name()).isEqualTo("cloudflare-whitelist.yaml");
    assertThat(rendered.text()).isEqualTo(golden);
    assertThat(target.parse(rendered, options(families)))
        .isEqualTo(embedded(families).ranges().restrictTo(families));
  }

  @Test
  void everyRangeIsOneQuotedItemOfTheWhitelistsCidrList() {
    String text = rendered(Families.BOTH);
    assertThat(text)
        .contains("\nwhitelist:\n  reason: \"Cloudflare edge (cf-allowlist)\"\n  cidr:\n");
    assertThat(text.lines().filter(l -> l.startsWith("    - \"")).count())
        .isEqualTo(embedded(Families.BOTH).ranges().all().size());
    assertThat(text).contains("    - \"173.245.48.0/20\"\n").contains("    - \"2400:cb00::/32\"\n");
  }

  @Test
  void noRangeIsRefusedBecauseTheWhitelistWouldProtectNothing() {
    RangeSnapshot empty = embedded(Families.BOTH).withRanges(RangeSet.of(List.of()));
    assertThatThrownBy(() -> CrowdsecConfig.render(empty, empty.ranges()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("protect no Cloudflare edge");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "    - \"10.0.0.0/8\" # mine",
        "    - 10.0.0.0/8",
        "  - \"10.0.0.0/8\"",
        "    - \"999.1.1.1/8\"",
        "  ip:",
        "  expression:",
        "    - \"evt.Meta.source_ip startsWith '1'\"",
        "# a comment below the header",
        "name: someone/else",
        "    - \"10.0.0.1/8\u001b[31m\""
      })
  void aLineCfAllowlistDoesNotWriteIsRefusedNamingIt(String line) {
    String text = rendered(Families.BOTH) + line + "\n";
    int number = (int) rendered(Families.BOTH).lines().count() + 1;
    Rendered config = Rendered.single("cloudflare-whitelist.yaml", text);
    assertThatThrownBy(() -> target.parse(config, options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cloudflare-whitelist.yaml line " + number)
        .hasMessageNotContaining("\u001b");
  }

  @Test
  void aFixedLineChangedOrReindentedIsRefused() {
    String text = rendered(Families.BOTH);
    for (String edited :
        List.of(
            text.replace("  cidr:", "  ip:"),
            text.replace("  reason:", "    reason:"),
            text.replace("name: cf-allowlist/cloudflare-whitelist", "name: x/y"),
            text.replace("\n", "\r\n"))) {
      assertThatThrownBy(() -> CrowdsecConfig.parse("x.yaml", edited))
          .isInstanceOf(ConfigParseException.class)
          .hasMessageContaining("x.yaml line");
    }
  }

  @Test
  void aFileWithoutTheHeaderOrWithoutItsLinesIsRefused() {
    assertThatThrownBy(
            () ->
                CrowdsecConfig.parse(
                    "x.yaml", "name: crowdsecurity/whitelists\nwhitelist:\n  cidr:\n"))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("header");
    String text = rendered(Families.BOTH);
    String cut = text.substring(0, text.indexOf("whitelist:"));
    assertThatThrownBy(() -> CrowdsecConfig.parse("x.yaml", cut))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("without 'whitelist:'");
    String noCidr =
        String.join("\n", text.lines().filter(l -> !l.startsWith("    - ")).toList()) + "\n";
    assertThatThrownBy(() -> CrowdsecConfig.parse("x.yaml", noCidr))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("whitelist nothing");
  }

  @Test
  void aHandEditShowsAsDriftThatOnlyTheLiveParseAccepts() {
    String text = rendered(Families.BOTH);
    String edited = text + "    - \"10.0.0.0/8\" # mine\n";

    String live = CrowdsecConfig.live("x.yaml", edited);

    assertThat(live).contains(CrowdsecConfig.DRIFT + "    - \"10.0.0.0/8\" # mine");
    assertThat(CrowdsecConfig.parseLive("x.yaml", live))
        .isEqualTo(embedded(Families.BOTH).ranges());
    assertThatThrownBy(() -> CrowdsecConfig.parse("x.yaml", live))
        .isInstanceOf(ConfigParseException.class);
    assertThat(CrowdsecConfig.live("x.yaml", text)).isEqualTo(text);
  }

  @Test
  void unknownSettingIsRefusedNamingTheOneMeant() {
    TargetOptions typo = options(Families.BOTH).withSetting("crowdsec-fil", "/tmp/x.yaml");
    assertThatThrownBy(() -> target.render(embedded(Families.BOTH), typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("crowdsec-file");
  }

  @Test
  void theTestCommandFollowsTheConfigUnlessItIsSet() {
    TargetOptions config =
        options(Families.BOTH).withSetting("crowdsec-config", "/srv/crowdsec/config.yaml");
    assertThat(CrowdsecSettings.of(TargetOptions.defaults()).testCommand())
        .containsExactly("crowdsec", "-c", "/etc/crowdsec/config.yaml", "-t");
    assertThat(CrowdsecSettings.of(config).testCommand())
        .containsExactly("crowdsec", "-c", "/srv/crowdsec/config.yaml", "-t");
    assertThat(
            CrowdsecSettings.of(config.withSetting("crowdsec-test-command", "true")).testCommand())
        .containsExactly("true");
    assertThat(CrowdsecSettings.of(TargetOptions.defaults()).reloadCommand())
        .containsExactly("systemctl", "try-reload-or-restart", "crowdsec");
    assertThat(CrowdsecSettings.of(TargetOptions.defaults()).file())
        .isEqualTo(Path.of("/etc/crowdsec/parsers/s02-enrich/cloudflare-whitelist.yaml"));
    assertThatThrownBy(() -> CrowdsecSettings.of(config.withSetting("crowdsec-test-command", "  ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("crowdsec-test-command");
  }

  @Test
  void crowdsecsFatalLogLineIsShownAsItsMessage() {
    String error =
        CrowdsecConfig.crowdsecError(
            new CommandResult(
                1,
                "",
                "time=\"2026-11-26T04:23:44Z\" level=warning msg=\"can't load CAPI credentials\"\n"
                    + "time=\"26-11-2026 04:23:48\" level=fatal msg=\"Unable to parse cidr"
                    + " whitelist '300.1.1.1/8' : invalid CIDR address: 300.1.1.1/8.\""
                    + " id=twilight-butterfly name=x stage=s02-enrich\n"));
    // Cut to one printable line, as every daemon's error is.
    assertThat(error)
        .startsWith("Unable to parse cidr whitelist '300.1.1.1/8' : invalid CIDR address: 300.1")
        .doesNotContain("level=")
        .doesNotContain("CAPI");
    assertThat(CrowdsecConfig.crowdsecError(new CommandResult(1, "", "plain failure\n")))
        .isEqualTo("plain failure");
  }

  @Test
  void whatIsWrongAfterALongPathIsShown() {
    String error =
        CrowdsecConfig.crowdsecError(
            new CommandResult(
                1,
                "",
                "time=\"27-11-2026 18:04:31\" level=fatal msg=\"Error decoding parsing"
                    + " configuration file '/etc/crowdsec/parsers/s02-enrich/zz-broken.yaml':"
                    + " yaml: line 4: did not find expected node content\"\n"));

    assertThat(error)
        .isEqualTo(
            "Error decoding parsing configuration file"
                + " '/etc/crowdsec/parsers/s02-enrich/zz-broken.yaml': yaml: line 4: did not"
                + " find expected node content");
  }
}
