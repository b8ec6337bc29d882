package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.adapter.nginx.TestSupport.golden;
import static io.github.cfallowlist.adapter.nginx.TestSupport.options;
import static io.github.cfallowlist.adapter.nginx.TestSupport.withAllow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
    assertThat(rendered.file("cloudflare-real-ip.conf").orElseThrow().content())
        .isEqualTo(golden("real-ip-" + suffix(families) + ".conf"));
    assertThat(rendered.file("cloudflare-allow.conf").orElseThrow().content())
        .isEqualTo(golden("allow-" + suffix(families) + ".conf"));
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void parseReadsBackWhatRenderWrote(Families families) {
    RangeSnapshot snapshot = embedded(families);

    assertThat(target.parse(target.render(snapshot, options(families)), options(families)))
        .isEqualTo(snapshot.ranges());
    assertThat(target.parse(target.render(snapshot, withAllow(families)), withAllow(families)))
        .isEqualTo(snapshot.ranges());
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void allowFileAloneReadsBackItsRanges(Families families) {
    RangeSnapshot snapshot = embedded(families);
    Rendered both = target.render(snapshot, withAllow(families));
    Rendered allowOnly = new Rendered(List.of(both.file("cloudflare-allow.conf").orElseThrow()));

    assertThat(target.parse(allowOnly, withAllow(families))).isEqualTo(snapshot.ranges());
  }

  @Test
  void renderIsDeterministic() {
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
  void allowFileRefusesToDenyAFamilyWithNothingAllowed() {
    RangeSnapshot v4Only = embedded().withRanges(RangeSet.parse("173.245.48.0/20"));

    assertThatThrownBy(() -> target.render(v4Only, withAllow(Families.BOTH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("would deny every IPv6 client");
  }

  @Test
  void singleFamilyAllowFileLeavesTheOtherFamilyAlone() {
    assertThat(target.render(embedded(Families.IPV4), withAllow(Families.IPV4)).text())
        .contains("deny 0.0.0.0/0;\n")
        .doesNotContain("deny all;");
    assertThat(target.render(embedded(Families.IPV6), withAllow(Families.IPV6)).text())
        .contains("deny ::/0;\n")
        .doesNotContain("deny all;");
  }

  @Test
  void targetIsFoundByServiceLoaderUnderItsName() {
    assertThat(ServiceLoader.load(Target.class).stream().map(p -> p.get().name()))
        .contains("nginx");
    assertThat(target.name()).isEqualTo("nginx");
    assertThat(target.supportsLive()).isTrue();
  }

  // --- strict parsing -------------------------------------------------------------------------

  private String realIp() {
    return target.render(embedded(), options(Families.BOTH)).text();
  }

  private RangeSet parseRealIp(String content) {
    return target.parse(
        Rendered.single("cloudflare-real-ip.conf", content), options(Families.BOTH));
  }

  private RangeSet parseAllow(String content) {
    return target.parse(
        Rendered.single("cloudflare-allow.conf", content), withAllow(Families.BOTH));
  }

  /** The line number of the first line of {@code text} equal to {@code line}. */
  private static int lineOf(String text, String line) {
    return text.lines().toList().indexOf(line) + 1;
  }

  @Test
  void handEditedLineIsRefusedNamingFileAndLine() {
    String edited =
        realIp()
            .replace(
                "set_real_ip_from 141.101.64.0/18;", "set_real_ip_from 141.101.64.0/18; # office");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith(
            "cloudflare-real-ip.conf line "
                + lineOf(edited, "set_real_ip_from 141.101.64.0/18; # office")
                + ": ")
        .hasMessageContaining("'set_real_ip_from 141.101.64.0/18; # office'")
        .hasMessageContaining("is not a line cf-allowlist writes");
  }

  @Test
  void foreignDirectiveIsRefusedNamingFileAndLine() {
    String edited = realIp() + "real_ip_recursive on;\n";

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith(
            "cloudflare-real-ip.conf line " + lineOf(edited, "real_ip_recursive on;") + ": ")
        .hasMessageContaining("'real_ip_recursive on;'");
  }

  @Test
  void spoofableHeaderIsRefused() {
    String edited =
        realIp().replace("real_ip_header CF-Connecting-IP;", "real_ip_header X-Forwarded-For;");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "real_ip_header X-Forwarded-For;"))
        .hasMessageContaining("trusts a header other than CF-Connecting-IP");
  }

  @Test
  void emptySetRealIpFromLineIsRefused() {
    String edited = realIp().replace("set_real_ip_from 103.31.4.0/22;", "set_real_ip_from ;");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "set_real_ip_from ;"));
  }

  @Test
  void cidrWithHostBitsIsRefused() {
    String edited =
        realIp().replace("set_real_ip_from 103.31.4.0/22;", "set_real_ip_from 103.31.4.1/22;");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "set_real_ip_from 103.31.4.1/22;"))
        .hasMessageContaining("does not hold a valid CIDR");
  }

  @Test
  void fileWithoutHeaderIsNotOurs() {
    String handWritten = "set_real_ip_from 173.245.48.0/20;\nreal_ip_header CF-Connecting-IP;\n";

    assertThatThrownBy(() -> parseRealIp(handWritten))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("cloudflare-real-ip.conf line 1: ")
        .hasMessageContaining("not written by cf-allowlist");
  }

  @Test
  void missingRealIpHeaderLineIsRefused() {
    String edited = realIp().replace("real_ip_header CF-Connecting-IP;\n", "");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("without 'real_ip_header CF-Connecting-IP;'");
  }

  @Test
  void repeatedRealIpHeaderLineIsRefused() {
    String edited = realIp() + "real_ip_header CF-Connecting-IP;\n";

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("repeats the real_ip_header line");
  }

  @Test
  void blankLinesAreAccepted() {
    String spaced =
        realIp()
            .replace("set_real_ip_from 103.31.4.0/22;\n", "\nset_real_ip_from 103.31.4.0/22;\n\n");

    assertThat(parseRealIp(spaced)).isEqualTo(embedded().ranges());
  }

  @Test
  void allowAfterDenyIsRefused() {
    String allow =
        target
            .render(embedded(), withAllow(Families.BOTH))
            .file("cloudflare-allow.conf")
            .orElseThrow()
            .content();
    String edited = allow + "allow 192.0.2.0/24;\n";

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith(
            "cloudflare-allow.conf line " + lineOf(edited, "allow 192.0.2.0/24;"))
        .hasMessageContaining("comes after the deny line");
  }

  @Test
  void allowFileWithoutDenyIsRefused() {
    String allow =
        target
            .render(embedded(), withAllow(Families.BOTH))
            .file("cloudflare-allow.conf")
            .orElseThrow()
            .content();

    assertThatThrownBy(() -> parseAllow(allow.replace("deny all;\n", "")))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("without its final 'deny all;'");
  }

  @Test
  void setRealIpFromInAllowFileIsRefused() {
    String allow =
        target
            .render(embedded(), withAllow(Families.BOTH))
            .file("cloudflare-allow.conf")
            .orElseThrow()
            .content();
    String edited = allow.replace("allow 103.31.4.0/22;", "set_real_ip_from 103.31.4.0/22;");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "set_real_ip_from 103.31.4.0/22;"))
        .hasMessageContaining("expected 'allow CIDR;' or a final 'deny all;'");
  }

  @Test
  void copyUnderAnotherNameIsReadByItsContent() {
    RangeSet ranges =
        target.parse(Rendered.single("saved-from-prod.conf", realIp()), options(Families.BOTH));

    assertThat(ranges).isEqualTo(embedded().ranges());
  }

  @Test
  void unknownFileWithoutDirectivesIsRefused() {
    assertThatThrownBy(
            () -> target.parse(Rendered.single("notes.txt", "# hello\n"), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("notes.txt");
  }

  @Test
  void targetsRegistryFindsNginxByName() {
    assertThat(Targets.byName("nginx")).isInstanceOf(NginxTarget.class);
  }
}
