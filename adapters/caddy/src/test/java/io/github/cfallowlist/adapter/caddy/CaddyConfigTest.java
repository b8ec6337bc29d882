package io.github.cfallowlist.adapter.caddy;

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
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CaddyConfigTest {
  private final CaddyTarget target = new CaddyTarget();

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

  private static Rendered file(String text) {
    return Rendered.single("cloudflare-trusted-proxies.caddy", text);
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void rendersTheGoldenSnippetAndParsesItBack(Families families) {
    String golden =
        TestSnapshots.golden(
            "trusted-proxies-" + families.name().toLowerCase(Locale.ROOT) + ".caddy");
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files()).hasSize(1);
    assertThat(rendered.files().get(0).name()).isEqualTo("cloudflare-trusted-proxies.caddy");
    assertThat(rendered.text()).isEqualTo(golden);
    assertThat(target.parse(rendered, options(families)))
        .isEqualTo(embedded(families).ranges().restrictTo(families));
  }

  @Test
  void overwritesCfConnectingIpForEveryConnectionFromOutsideTheRanges() {
    String text = rendered(Families.BOTH);
    assertThat(text.lines().filter(l -> !l.startsWith("#")).toList())
        .startsWith("@cf_allowlist_outside {")
        .endsWith(
            "}",
            "request_header @cf_allowlist_outside CF-Connecting-IP {http.request.remote.host}");
    assertThat(text.lines().filter(l -> l.startsWith("\tnot remote_ip ")).count())
        .isEqualTo(embedded(Families.BOTH).ranges().all().size());
    assertThat(text).doesNotContain("X-Forwarded-For");
  }

  @Test
  void noRangeToTrustIsRefused() {
    RangeSnapshot empty = embedded(Families.BOTH).withRanges(RangeSet.of(List.of()));
    assertThatThrownBy(() -> CaddyConfig.render(empty, empty.ranges()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no range to trust");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "request_header CF-Connecting-IP 1.2.3.4",
        "request_header @cf_allowlist_outside CF-Connecting-IP {http.request.remote.host}",
        "not remote_ip 10.0.0.0/8",
        "}",
        "# a comment below the header",
        "import /etc/passwd",
        "@cf_allowlist_outside {",
        "respond \"{http.request.header.CF-Connecting-IP}\"\u001b[31m"
      })
  void aLineAfterTheLastOneCfAllowlistWritesIsRefusedNamingIt(String line) {
    String text = rendered(Families.BOTH) + line + "\n";
    int number = (int) rendered(Families.BOTH).lines().count() + 1;
    assertThatThrownBy(() -> target.parse(file(text), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cloudflare-trusted-proxies.caddy line " + number)
        .hasMessageNotContaining("\u001b");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\tnot remote_ip 10.0.0.0/8 192.168.0.0/16",
        "\tremote_ip 10.0.0.0/8",
        "\tnot remote_ip 999.1.1.1/8",
        "\tnot remote_ip forwarded 10.0.0.0/8",
        "\tnot header X-Forwarded-For *",
        "\timport /etc/passwd"
      })
  void aLineInsideTheMatcherCfAllowlistDoesNotWriteIsRefused(String line) {
    String text =
        rendered(Families.BOTH)
            .replace("@cf_allowlist_outside {\n", "@cf_allowlist_outside {\n" + line + "\n");
    assertThatThrownBy(() -> target.parse(file(text), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line 6");
  }

  @Test
  void aFileWithoutTheHeaderOrWithoutItsLinesIsRefused() {
    assertThatThrownBy(
            () -> target.parse(file("@cf_allowlist_outside {\n"), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("header");
    String text = rendered(Families.BOTH);
    String noSet = text.replace(CaddyConfig.SET_HEADER + "\n", "");
    assertThatThrownBy(() -> target.parse(file(noSet), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("without 'request_header");
    String noRange =
        String.join("\n", text.lines().filter(l -> !l.startsWith("\tnot remote_ip")).toList())
            + "\n";
    assertThatThrownBy(() -> target.parse(file(noRange), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("has no 'not remote_ip' line");
  }

  @Test
  void aHandEditShowsAsDriftThatOnlyTheLiveParseAccepts() {
    String text = rendered(Families.BOTH);
    String edited = text.replace("\tnot remote_ip 173.245.48.0/20", "\tnot remote_ip 0.0.0.0/0 x");

    String live = CaddyConfig.live("x.caddy", edited);

    assertThat(live).contains(CaddyConfig.DRIFT + "not remote_ip 0.0.0.0/0 x").isNotEqualTo(text);
    assertThat(CaddyConfig.parseLive("x.caddy", live))
        .isEqualTo(
            RangeSet.of(
                embedded(Families.BOTH).ranges().all().stream()
                    .filter(c -> !c.toString().equals("173.245.48.0/20"))
                    .toList()));
    assertThatThrownBy(() -> CaddyConfig.parse("x.caddy", live))
        .isInstanceOf(ConfigParseException.class);
    assertThat(CaddyConfig.live("x.caddy", text)).isEqualTo(text);
  }

  @Test
  void unknownSettingIsRefusedNamingTheOneMeant() {
    TargetOptions typo = options(Families.BOTH).withSetting("caddy-fil", "/tmp/x.caddy");
    assertThatThrownBy(() -> target.render(embedded(Families.BOTH), typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("caddy-file");
  }

  @Test
  void caddysErrorLineIsPickedFromItsJsonLog() {
    String error =
        CaddyConfig.caddyError(
            new CommandResult(
                1,
                "",
                "{\"level\":\"info\",\"msg\":\"using provided configuration\"}\n"
                    + "Error: adapting config using caddyfile: /etc/caddy/x.caddy:7: unrecognized"
                    + " directive: bogus\n"));
    assertThat(error).isEqualTo("unrecognized directive: bogus (/etc/caddy/x.caddy:7)");
  }
}
