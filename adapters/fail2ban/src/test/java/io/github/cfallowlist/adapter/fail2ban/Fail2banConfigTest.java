package io.github.cfallowlist.adapter.fail2ban;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class Fail2banConfigTest {
  private final Fail2banTarget target = new Fail2banTarget();

  static RangeSnapshot embedded(Families families) {
    try {
      return Guards.defaults().withFamilies(families).validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static TargetOptions options(Families families) {
    return TargetOptions.defaults()
        .withFamilies(families)
        .withSetting("fail2ban-jails", "sshd,nginx-http-auth");
  }

  private String rendered() {
    return target.render(embedded(Families.BOTH), options(Families.BOTH)).text();
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void rendersTheGoldenDropInAndParsesItBack(Families families) {
    String golden =
        TestSnapshots.golden("ignoreip-" + families.name().toLowerCase(Locale.ROOT) + ".local");
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files().get(0).name()).isEqualTo("cloudflare-ignoreip.local");
    assertThat(rendered.text()).isEqualTo(golden);
    assertThat(target.parse(rendered, options(families)))
        .isEqualTo(embedded(families).ranges().restrictTo(families));
  }

  /** The embedded list with IPv4 /24s added up to {@code count} ranges. */
  private static RangeSnapshot withRanges(int count) {
    RangeSnapshot embedded = embedded(Families.BOTH);
    List<Cidr> many = new ArrayList<>(embedded.ranges().all());
    for (int i = 0; many.size() < count; i++) {
      many.add(Cidr.parse((11 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + ".0/24"));
    }
    return embedded.withRanges(RangeSet.of(many));
  }

  @Test
  void moreRangesThanFail2banLoadsInReasonableTimeAreRefusedInOneSentence() {
    Rendered most = target.render(withRanges(Fail2banConfig.MAX_RANGES), options(Families.BOTH));
    assertThat(target.parse(most, options(Families.BOTH)).size())
        .isEqualTo(Fail2banConfig.MAX_RANGES);

    assertThatThrownBy(
            () -> target.render(withRanges(Fail2banConfig.MAX_RANGES + 1), options(Families.BOTH)))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage(
            "fail2ban's ignoreip takes at most 10,000 ranges and the list has 10,001: fail2ban"
                + " checks each entry against every other as it loads them, so a list this long"
                + " would keep it busy in every jail at every start and reload");
  }

  @Test
  void everyJailKeepsTheIgnoreipItHadBefore() {
    assertThat(rendered().lines().filter(l -> l.startsWith("ignoreip")))
        .hasSize(2)
        .allMatch(l -> l.startsWith("ignoreip = %(known/ignoreip)s 103.21.244.0/22 "))
        .allMatch(l -> l.contains(" 173.245.48.0/20 "));
    assertThat(rendered()).contains("[sshd]\n").contains("[nginx-http-auth]\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ignoreip = 173.245.48.0/20",
        "ignoreip = %(known/ignoreip)s 10.0.0.0/8",
        "ignoreip = %(known/ignoreip)s 999.1.1.1/8",
        "enabled = true",
        "[sshd]",
        "[bad jail]",
        "# a comment of the user's",
        "action = iptables-allports"
      })
  void aLineCfAllowlistDoesNotWriteIsRefusedNamingTheLine(String line) {
    String edited = rendered().replace("[nginx-http-auth]\n", line + "\n[nginx-http-auth]\n");
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("cloudflare-ignoreip.local", edited), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cloudflare-ignoreip.local line");
  }

  @Test
  void aFileWithoutTheHeaderIsNotOurs() {
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("x.local", "[sshd]\nignoreip = 1.2.3.4\n"),
                    options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("not written by cf-allowlist");
  }

  @Test
  void aLiveReadingShowsAHandEditAsDriftThatOnlyParseLiveAccepts() {
    String edited = rendered() + "enabled = true\n";
    String live = Fail2banConfig.live("f", edited);
    assertThat(live).contains(Fail2banConfig.DRIFT + "enabled = true");
    assertThat(Fail2banConfig.parseLive("f", live)).isEqualTo(embedded(Families.BOTH).ranges());
    assertThatThrownBy(() -> Fail2banConfig.parse("f", live))
        .isInstanceOf(ConfigParseException.class);
  }

  @Test
  void aBanNoteCountsAsADifferenceButParsesLive() {
    String live = rendered() + Fail2banConfig.note(new Bans.Ban("sshd", "173.245.48.5"));
    assertThat(live).isNotEqualTo(rendered());
    assertThat(Fail2banConfig.parseLive("f", live)).isEqualTo(embedded(Families.BOTH).ranges());
  }

  @Test
  void aJailListWithABadNameIsRefused() {
    assertThatThrownBy(
            () ->
                Fail2banSettings.of(TargetOptions.defaults().withSetting("fail2ban-jails", "a b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fail2ban-jails");
  }

  @Test
  void fail2bansOwnSectionsAreNotJails() {
    for (String section : List.of("DEFAULT", "sshd, INCLUDES")) {
      assertThatThrownBy(
              () ->
                  Fail2banSettings.of(
                      TargetOptions.defaults().withSetting("fail2ban-jails", section)))
          .as(section)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("fail2ban-jails")
          .hasMessageEndingWith("a section of fail2ban's own that is not a jail; name the jails");
    }
  }
}
