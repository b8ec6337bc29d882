package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.ALLOW_FILE;
import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.adapter.nginx.TestSupport.golden;
import static io.github.cfallowlist.adapter.nginx.TestSupport.options;
import static io.github.cfallowlist.adapter.nginx.TestSupport.withAllow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rendering the two files, and the settings that shape them. */
class NginxRenderTest {
  private final NginxTarget target = new NginxTarget();

  private static String suffix(Families families) {
    return families.name().toLowerCase(Locale.ROOT);
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void realIpFileMatchesGoldenByteForByte(Families families) {
    Rendered rendered = target.render(embedded(families), options(families));

    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactly("cloudflare-real-ip.conf");
    assertThat(rendered.files().get(0).content())
        .isEqualTo(golden("real-ip-" + suffix(families) + ".conf"));
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void allowFileMatchesGoldenByteForByte(Families families) {
    Rendered rendered = target.render(embedded(families), withAllow(families));

    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactly("cloudflare-real-ip.conf", "cloudflare-allow.conf");
    assertThat(rendered.file("cloudflare-allow.conf").orElseThrow().content())
        .isEqualTo(golden("allow-" + suffix(families) + ".conf"));
  }

  @Test
  void realIpFileRecordsTheAllowFilePathBelowItsHeader() {
    Rendered rendered = target.render(embedded(), withAllow(Families.BOTH));

    assertThat(rendered.file("cloudflare-real-ip.conf").orElseThrow().content())
        .isEqualTo(golden("real-ip-with-allow-file.conf"));
    // Part of the body: asking for another allow file is a change a plan shows.
    assertThat(rendered.file("cloudflare-real-ip.conf").orElseThrow().body())
        .startsWith("# allow file: " + ALLOW_FILE + "\n");
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void withoutAnAllowFileTheRealIpFileNamesNone(Families families) {
    assertThat(target.render(embedded(families), options(families)).text())
        .doesNotContain("allow file");
  }

  @Test
  void allowFileIsAGeoBlockOnTheConnectionAddressWithItsUsageInTheHeader() {
    String allow =
        target
            .render(embedded(), withAllow(Families.BOTH))
            .file("cloudflare-allow.conf")
            .orElseThrow()
            .content();

    assertThat(allow)
        .contains("\ngeo $realip_remote_addr $cloudflare_edge {\n    default 0;\n")
        .contains("    173.245.48.0/20 1;\n")
        .endsWith("    2c0f:f248::/32 1;\n}\n")
        .contains("#     if ($cloudflare_edge = 0) { return 403; }\n")
        .contains("# Include this file in the http block")
        .doesNotContain("\nallow ")
        .doesNotContain("\ndeny ");
    assertThat(allow.lines().filter(l -> l.startsWith("#") && l.contains("$cloudflare_edge")))
        .hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void sameOptionsRenderTheSameBytes() {
    assertThat(target.render(embedded(), withAllow(Families.BOTH)))
        .isEqualTo(target.render(embedded(), withAllow(Families.BOTH)));
  }

  @Test
  void portsAndModeDoNotChangeTheFiles() {
    TargetOptions other = withAllow(Families.BOTH).withPorts(List.of(8443)).withMode(Mode.ALLOW);

    assertThat(target.render(embedded(), other))
        .isEqualTo(target.render(embedded(), withAllow(Families.BOTH)));
  }

  @Test
  void filesAreNamedAfterTheConfiguredPaths() {
    TargetOptions custom =
        TargetOptions.defaults()
            .withSetting("nginx-file", "/srv/nginx/cf-trust.conf")
            .withSetting("nginx-allow-file", "/srv/nginx/cf-only.inc");

    assertThat(target.render(embedded(), custom).files())
        .extracting(Rendered.File::name)
        .containsExactly("cf-trust.conf", "cf-only.inc");
  }

  @Test
  void sameFileNameForBothFilesIsRefused() {
    TargetOptions clash =
        TargetOptions.defaults()
            .withSetting("nginx-file", "/etc/nginx/conf.d/cloudflare.conf")
            .withSetting("nginx-allow-file", "/etc/nginx/snippets/cloudflare.conf");

    assertThatThrownBy(() -> target.render(embedded(), clash))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nginx-file")
        .hasMessageContaining("nginx-allow-file")
        .hasMessageContaining("different file names");
  }

  @Test
  void realIpFileTrustsOnlyCfConnectingIp() {
    String text = target.render(embedded(), options(Families.BOTH)).text();

    assertThat(text).contains("real_ip_header CF-Connecting-IP;\n");
    assertThat(text).doesNotContainIgnoringCase("X-Forwarded-For");
    assertThat(text).doesNotContain("real_ip_recursive");
  }

  @Test
  void emptyFamilyWritesNoEmptySetRealIpFromLine() {
    RangeSnapshot v4Only =
        embedded().withRanges(RangeSet.parse("173.245.48.0/20", "103.21.244.0/22"));

    String text = target.render(v4Only, options(Families.BOTH)).text();

    assertThat(text).doesNotContain("set_real_ip_from ;").doesNotContain("set_real_ip_from ::");
    assertThat(text.lines().filter(l -> l.startsWith("set_real_ip_from"))).hasSize(2);
    assertThat(target.parse(target.render(v4Only, options(Families.BOTH)), options(Families.BOTH)))
        .isEqualTo(v4Only.ranges());
  }

  @Test
  void allowFileRefusesToShutOutAFamilyWithNothingAllowed() {
    RangeSnapshot v4Only = embedded().withRanges(RangeSet.parse("173.245.48.0/20"));

    assertThatThrownBy(() -> target.render(v4Only, withAllow(Families.BOTH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("would deny every IPv6 client");
  }

  @Test
  void singleFamilyAllowFileAdmitsEveryAddressOfTheOtherFamily() {
    assertThat(target.render(embedded(Families.IPV4), withAllow(Families.IPV4)).text())
        .contains("    0.0.0.0/0 0;\n    ::/0 1;\n")
        .doesNotContain("default");
    assertThat(target.render(embedded(Families.IPV6), withAllow(Families.IPV6)).text())
        .contains("    0.0.0.0/0 1;\n    ::/0 0;\n")
        .doesNotContain("default");
  }

  // --- the target as found, its settings and packages --------------------------------------

  @Test
  void targetIsFoundByServiceLoaderUnderItsName() {
    assertThat(ServiceLoader.load(Target.class).stream().map(p -> p.get().name()))
        .contains("nginx");
    assertThat(Targets.byName("nginx")).isInstanceOf(NginxTarget.class);
    assertThat(target.name()).isEqualTo("nginx");
    assertThat(target.supportsLive()).isTrue();
  }

  @Test
  void declaresItsFourSettingsWithTheirDefaults() {
    assertThat(target.settings())
        .extracting(Setting::name)
        .containsExactly(
            "nginx-file", "nginx-allow-file", "nginx-test-command", "nginx-reload-command");
    assertThat(NginxSettings.FILE.defaultValue())
        .contains(Path.of("/etc/nginx/conf.d/cloudflare-real-ip.conf"));
    assertThat(NginxSettings.ALLOW_FILE.defaultValue()).isEmpty();
    assertThat(NginxSettings.TEST_COMMAND.defaultValue()).contains(List.of("nginx", "-t"));
    assertThat(NginxSettings.RELOAD_COMMAND.defaultValue())
        .contains(List.of("nginx", "-s", "reload"));
    assertThat(target.settings())
        .extracting(Setting::valueLabel)
        .containsExactly("PATH", "PATH", "CMD", "CMD");
  }

  @Test
  void nginxComesFromTheDebianPackageNginx() {
    assertThat(target.packages()).isEqualTo(Map.of("nginx", "nginx"));
  }

  @Test
  void misspelledSettingIsRefusedNamingTheOneMeant() {
    TargetOptions typo = TargetOptions.defaults().withSetting("nginx_file", "/tmp/x.conf");

    assertThatThrownBy(() -> target.render(embedded(), typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'nginx_file' for nginx")
        .hasMessageContaining("did you mean 'nginx-file'?");
    assertThatThrownBy(() -> Sync.checkSettings(target, typo))
        .hasMessageContaining("did you mean 'nginx-file'?");
  }

  @Test
  void unknownSettingIsRefusedListingTheKnownOnes() {
    TargetOptions other = TargetOptions.defaults().withSetting("nft-table", "inet filter");

    assertThatThrownBy(() -> target.render(embedded(), other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'nft-table' for nginx")
        .hasMessageContaining(
            "known: nginx-file, nginx-allow-file, nginx-test-command, nginx-reload-command");
    assertThatThrownBy(
            () ->
                target.parse(
                    Rendered.single("cloudflare-real-ip.conf", golden("real-ip-both.conf")), other))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedValuesAreRefusedNamingTheSetting() {
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(), TargetOptions.defaults().withSetting("nginx-test-command", "  ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("setting nginx-test-command value '  ' is not a command");
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(), TargetOptions.defaults().withSetting("nginx-file", "/etc/a\nb")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("setting nginx-file value '/etc/a\\x0ab' is not a file path");
    assertThatThrownBy(
            () ->
                target.render(
                    embedded(), TargetOptions.defaults().withSetting("nginx-allow-file", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nginx-allow-file");
  }

  @Test
  void settingsAreReadTyped() {
    NginxSettings s =
        NginxSettings.of(
            withAllow(Families.BOTH)
                .withSetting("nginx-reload-command", " systemctl  reload nginx "));

    assertThat(s.realIpFile()).isEqualTo(Path.of("/etc/nginx/conf.d/cloudflare-real-ip.conf"));
    assertThat(s.allowFile()).isEqualTo(Optional.of(Path.of(ALLOW_FILE)));
    assertThat(s.testCommand()).containsExactly("nginx", "-t");
    assertThat(s.reloadCommand()).containsExactly("systemctl", "reload", "nginx");
  }
}
