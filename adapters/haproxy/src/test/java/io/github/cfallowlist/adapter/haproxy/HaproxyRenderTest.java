package io.github.cfallowlist.adapter.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Rendering the ACL file, reading it back strictly, and the settings. */
class HaproxyRenderTest {
  private final HaproxyTarget target = new HaproxyTarget();

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

  private String rendered() {
    return target.render(embedded(Families.BOTH), options(Families.BOTH)).text();
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void aclFileMatchesGoldenByteForByte(Families families) {
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files()).extracting(Rendered.File::name).containsExactly("cloudflare.acl");
    assertThat(rendered.text())
        .isEqualTo(
            TestSnapshots.golden(
                "cloudflare-" + families.name().toLowerCase(Locale.ROOT) + ".acl"));
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void parseReadsBackExactlyTheRenderedRanges(Families families) {
    RangeSnapshot snapshot = embedded(families);

    assertThat(target.parse(target.render(snapshot, options(families)), options(families)))
        .isEqualTo(snapshot.ranges().restrictTo(families));
  }

  @Test
  void fileIsNamedAfterTheConfiguredPath() {
    TargetOptions options = options(Families.BOTH).withSetting("haproxy-file", "/srv/lb/edges.lst");

    assertThat(target.render(embedded(Families.BOTH), options).files().get(0).name())
        .isEqualTo("edges.lst");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.1", // a host address HAProxy would take
        "173.245.48.1/20", // host bits
        "2400:CB00::/32", // another spelling
        "173.245.48.0/20 # note",
        "acl from_cloudflare src 1.2.3.0/24",
        "",
        "103.21.244.0/22" // the second copy of a range already there
      })
  void parseRefusesAnyLineItDoesNotWrite(String line) {
    String text = rendered().replace("103.21.244.0/22\n", "103.21.244.0/22\n" + line + "\n");

    assertThatThrownBy(
            () -> target.parse(Rendered.single("cloudflare.acl", text), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cloudflare.acl line 6")
        .hasMessageContaining("is not a line cf-allowlist writes");
  }

  @Test
  void parseRefusesAFileWithoutTheHeaderOrTheFinalNewline() {
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("cloudflare.acl", "173.245.48.0/20\n"), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("was not written by cf-allowlist");
    String text = rendered();
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("cloudflare.acl", text.substring(0, text.length() - 1)),
                    options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("newline");
  }

  @Test
  void driftNotesAreAcceptedInALiveReadingOnly() {
    String live =
        HaproxyConfig.live(
            Header.commented(embedded(Families.BOTH), "# "),
            List.of("173.245.48.0/20", "10.9.9.9", "173.245.48.0/20"),
            Optional.of("/etc/haproxy/cloudflare.acl holds other lines"));
    Rendered reading = Rendered.single("cloudflare.acl", live);

    assertThat(live)
        .contains(HaproxyConfig.DRIFT_NOTE + "10.9.9.9\n")
        .contains(HaproxyConfig.DRIFT_NOTE + "173.245.48.0/20\n")
        .contains(HaproxyConfig.FILE_NOTE);
    assertThat(target.parseLive(reading, options(Families.BOTH)))
        .isEqualTo(RangeSet.parse("173.245.48.0/20"));
    assertThatThrownBy(() -> target.parse(reading, options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class);
  }

  @Test
  void aFileInADirectoryThatDoesNotExistIsAnObstacleAndTheDirectoryIsNotCreated(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
    java.nio.file.Path file = dir.resolve("missing/cloudflare.acl");
    io.github.cfallowlist.TargetContext context =
        new io.github.cfallowlist.TargetContext(
            options(Families.BOTH).withSetting("haproxy-file", file.toString()),
            command -> {
              throw new AssertionError("no command runs: " + command);
            });

    assertThat(target.obstacle(context))
        .contains("cannot write " + file + ": the directory for " + file + " does not exist");
    assertThat(dir.resolve("missing")).doesNotExist();
  }

  @Test
  void aRelativePathIsRefused() {
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(Families.BOTH),
                    options(Families.BOTH).withSetting("haproxy-file", "cloudflare.acl")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("haproxy-file")
        .hasMessageEndingWith("is not an absolute path");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/haproxy/cf acl", "/tmp/a;clear acl x", "/tmp/a\nshow", "/"})
  void aPathTheRuntimeApiCannotTakeIsRefused(String path) {
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(Families.BOTH),
                    options(Families.BOTH).withSetting("haproxy-file", path)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("setting haproxy-file value");
  }

  @Test
  void declaresItsSettingsWithDefaultsAndIsFoundByName() {
    assertThat(Targets.byName("haproxy")).isInstanceOf(HaproxyTarget.class);
    assertThat(target.settings())
        .extracting(Setting::name)
        .containsExactly("haproxy-file", "haproxy-socket", "haproxy-check-command");
    HaproxySettings defaults = HaproxySettings.of(TargetOptions.defaults());
    assertThat(defaults.file()).hasToString("/etc/haproxy/cloudflare.acl");
    assertThat(defaults.socket()).hasToString("/run/haproxy/admin.sock");
    assertThat(defaults.checkCommand())
        .containsExactly("haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg");
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(Families.BOTH),
                    TargetOptions.defaults().withSetting("haproxy-sock", "/x")))
        .hasMessageContaining("did you mean 'haproxy-socket'");
  }
}
