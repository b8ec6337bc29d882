package io.github.cfallowlist.adapter.apache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ApacheConfigTest {
  private final ApacheTarget target = new ApacheTarget();

  static RangeSnapshot embedded(Families families) {
    try {
      return Guards.defaults().withFamilies(families).validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
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
  void rendersTheGoldenSnippetAndParsesItBack(Families families) {
    String golden =
        TestSnapshots.golden(
            "remoteip-" + families.name().toLowerCase(java.util.Locale.ROOT) + ".conf");
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files()).hasSize(1);
    assertThat(rendered.files().get(0).name()).isEqualTo("cloudflare-remoteip.conf");
    assertThat(rendered.text()).isEqualTo(golden);
    assertThat(target.parse(rendered, options(families)))
        .isEqualTo(embedded(families).ranges().restrictTo(families));
  }

  @Test
  void trustsOnlyCfConnectingIpAndEveryRangeAsATrustedProxy() {
    String text = rendered(Families.BOTH);
    assertThat(text.lines().filter(l -> l.startsWith("RemoteIPHeader")))
        .containsExactly("RemoteIPHeader CF-Connecting-IP");
    assertThat(text).doesNotContain("X-Forwarded-For").doesNotContain("RemoteIPInternalProxy");
    assertThat(text.lines().filter(l -> l.startsWith("RemoteIPTrustedProxy ")).count())
        .isEqualTo(embedded(Families.BOTH).ranges().all().size());
  }

  @Test
  void noRangeToTrustIsRefusedBecauseApacheWouldTrustEveryClient() {
    RangeSnapshot empty = embedded(Families.BOTH).withRanges(RangeSet.of(java.util.List.of()));
    assertThatThrownBy(() -> ApacheConfig.render(empty, empty.ranges()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("every client");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "RemoteIPHeader X-Forwarded-For",
        "RemoteIPInternalProxy 10.0.0.0/8",
        "RemoteIPTrustedProxy 173.245.48.0/20 10.0.0.0/8",
        "RemoteIPTrustedProxy 999.1.1.1/8",
        "RemoteIPHeader CF-Connecting-IP",
        "# a comment below the header",
        "Include /etc/passwd",
        "RemoteIPTrustedProxy 10.0.0.1/8\u001b[31m"
      })
  void aLineCfAllowlistDoesNotWriteIsRefusedNamingIt(String line) {
    String text = rendered(Families.BOTH) + line + "\n";
    Rendered config = Rendered.single("cloudflare-remoteip.conf", text);
    assertThatThrownBy(() -> target.parse(config, options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cloudflare-remoteip.conf line 28")
        .hasMessageNotContaining("\u001b");
  }

  @Test
  void aFileWithoutTheHeaderOrWithoutItsDirectivesIsRefused() {
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("x.conf", "RemoteIPHeader CF-Connecting-IP\n"),
                    options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("header");
    String text = rendered(Families.BOTH);
    String noHeaderLine = text.replace("RemoteIPHeader CF-Connecting-IP\n", "");
    assertThatThrownBy(
            () -> target.parse(Rendered.single("x.conf", noHeaderLine), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("without 'RemoteIPHeader CF-Connecting-IP'");
    String noProxy =
        String.join("\n", text.lines().filter(l -> !l.startsWith("RemoteIPTrustedProxy")).toList())
            + "\n";
    assertThatThrownBy(
            () -> target.parse(Rendered.single("x.conf", noProxy), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("trust every client");
  }

  @Test
  void aHandEditShowsAsDriftThatOnlyTheLiveParseAccepts() {
    String text = rendered(Families.BOTH);
    String edited =
        text.replace("RemoteIPHeader CF-Connecting-IP", "RemoteIPHeader X-Forwarded-For");

    String live = ApacheConfig.live("x.conf", edited);

    assertThat(live)
        .contains(ApacheConfig.DRIFT + "RemoteIPHeader X-Forwarded-For")
        .isNotEqualTo(text);
    assertThat(ApacheConfig.parseLive("x.conf", live)).isEqualTo(embedded(Families.BOTH).ranges());
    assertThatThrownBy(() -> ApacheConfig.parse("x.conf", live))
        .isInstanceOf(ConfigParseException.class);
    assertThat(ApacheConfig.live("x.conf", text)).isEqualTo(text);
  }

  @Test
  void unknownSettingIsRefusedNamingTheOneMeant() {
    TargetOptions typo = options(Families.BOTH).withSetting("apache-fil", "/tmp/x.conf");
    assertThatThrownBy(() -> target.render(embedded(Families.BOTH), typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("apache-file");
  }

  @Test
  void apachesTwoLineSyntaxErrorIsShownAsOneLine() {
    String error =
        ApacheConfig.apacheError(
            new io.github.cfallowlist.CommandResult(
                1,
                "",
                "AH00526: Syntax error on line 3 of /etc/apache2/conf-enabled/x.conf:\n"
                    + "Invalid command 'Bogus', perhaps misspelled\n"
                    + "Action 'configtest' failed.\n"));
    assertThat(error)
        .isEqualTo(
            "AH00526: Syntax error on line 3 of /etc/apache2/conf-enabled/x.conf: Invalid command"
                + " 'Bogus', perhaps misspelled");
  }
}
