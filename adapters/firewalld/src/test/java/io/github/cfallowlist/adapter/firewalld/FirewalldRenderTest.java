package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rendering, compared byte for byte with golden files under {@code golden/VARIANT/}, named as
 * firewalld names them under {@code /etc/firewalld}. The header's version is {@code @VERSION@} in
 * the golden files.
 */
class FirewalldRenderTest {
  static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();
  private static final FirewalldTarget TARGET = new FirewalldTarget();

  /** Every option variant with a golden directory. */
  static Stream<Arguments> variants() {
    TargetOptions d = TargetOptions.defaults();
    return Stream.of(
        Arguments.of("both", d),
        Arguments.of("allow", d.withMode(Mode.ALLOW)),
        Arguments.of("ipv4-only", d.withFamilies(Families.IPV4)),
        Arguments.of("ipv6-only", d.withFamilies(Families.IPV6)),
        Arguments.of("port-8080", d.withPorts(List.of(8080))),
        Arguments.of("offline", d.withSetting(FirewalldSettings.OFFLINE.name(), "true")));
  }

  static RangeSnapshot snapshotFor(TargetOptions options) {
    return SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(options.families()));
  }

  static String golden(String variant, String file) throws IOException {
    String path = "/golden/" + variant + "/" + file;
    try (InputStream in = FirewalldRenderTest.class.getResourceAsStream(path)) {
      if (in == null) {
        return "(missing golden file " + path + ")";
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("@VERSION@", Header.version());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void renderMatchesGoldenFiles(String variant, TargetOptions options) throws IOException {
    Rendered rendered = TARGET.render(snapshotFor(options), options);
    String update = System.getProperty("cf.golden.update");
    if (update != null) {
      for (Rendered.File f : rendered.files()) {
        Path out = Path.of(update, variant, f.name());
        Files.createDirectories(out.getParent());
        Files.writeString(out, f.content().replace(Header.version(), "@VERSION@"));
      }
    }

    List<String> expectedNames =
        Stream.of("ipsets/cloudflare-v4.xml", "ipsets/cloudflare-v6.xml", "zones/cloudflare.xml")
            .filter(n -> !(variant.equals("ipv4-only") && n.contains("v6")))
            .filter(n -> !(variant.equals("ipv6-only") && n.contains("v4")))
            .toList();
    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactlyElementsOf(expectedNames);
    for (Rendered.File f : rendered.files()) {
      assertThat(f.content()).as(f.name()).isEqualTo(golden(variant, f.name()));
    }
  }

  @Test
  void sameInputRendersSameBytes() {
    TargetOptions o = TargetOptions.defaults();
    assertThat(TARGET.render(SNAPSHOT, o)).isEqualTo(TARGET.render(SNAPSHOT, o));
  }

  @Test
  void allowModeHasTheSameLayoutAsRestrict() {
    TargetOptions o = TargetOptions.defaults();
    assertThat(TARGET.render(SNAPSHOT, o.withMode(Mode.ALLOW)))
        .isEqualTo(TARGET.render(SNAPSHOT, o));
  }

  @Test
  void everyFileStartsWithTheDeclarationAndTheHeaderComment() {
    for (Rendered.File f : TARGET.render(SNAPSHOT, TargetOptions.defaults()).files()) {
      assertThat(f.content())
          .startsWith(
              "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!--\n  cf-allowlist: Cloudflare IP ranges\n")
          .contains("  " + Header.MARKER + ": changes are overwritten on the next run\n-->\n");
    }
  }

  @Test
  void doubleHyphenInTheSourceCannotEndTheHeaderComment() {
    RangeSnapshot odd =
        new RangeSnapshot(
            SNAPSHOT.ranges(), "file:/tmp/a--b-->c---", Optional.empty(), SNAPSHOT.fetchedAt());
    Rendered rendered = TARGET.render(odd, TargetOptions.defaults());

    for (Rendered.File f : rendered.files()) {
      String comment =
          f.content().substring(f.content().indexOf("<!--") + 4, f.content().indexOf("\n-->\n"));
      assertThat(comment).doesNotContain("--");
    }
    assertThat(rendered.file("zones/cloudflare.xml").orElseThrow().content())
        .contains("source: file:/tmp/a- -b- ->c- - -");
    assertThat(TARGET.parse(rendered, TargetOptions.defaults())).isEqualTo(SNAPSHOT.ranges());
  }

  @Test
  void zonePortsAreInNumericOrder() {
    Map<String, String> none = Map.of();
    TargetOptions o = new TargetOptions(List.of(8443, 80, 443), Mode.RESTRICT, Families.BOTH, none);
    String zone = TARGET.render(SNAPSHOT, o).file("zones/cloudflare.xml").orElseThrow().body();
    assertThat(zone)
        .isEqualTo(
            "<zone>\n"
                + "  <port port=\"80\" protocol=\"tcp\"/>\n"
                + "  <port port=\"443\" protocol=\"tcp\"/>\n"
                + "  <port port=\"8443\" protocol=\"tcp\"/>\n"
                + "  <source ipset=\"cloudflare-v4\"/>\n"
                + "  <source ipset=\"cloudflare-v6\"/>\n"
                + "</zone>\n");
  }

  @Test
  void liveZoneWithoutIpsetsRendersOneFileThatParses() {
    FirewalldConfig zoneOnly =
        new FirewalldConfig(
            Optional.of(
                new FirewalldConfig.Zone(
                    "default", List.of(FirewalldConfig.Item.port("80", "tcp")), true)),
            Map.of());

    Rendered rendered = zoneOnly.render(SNAPSHOT);

    assertThat(rendered.files())
        .extracting(Rendered.File::name)
        .containsExactly("zones/cloudflare.xml");
    assertThat(rendered.files().get(0).body())
        .isEqualTo(
            "<zone>\n  <!-- "
                + FirewalldXml.DRIFT
                + " -->\n"
                + "  <port port=\"80\" protocol=\"tcp\"/>\n</zone>\n");
    assertThat(TARGET.parse(rendered, TargetOptions.defaults()).isEmpty()).isTrue();
  }

  @Test
  void declaresTheOfflineSettingAndThePackageOfItsPrograms() {
    assertThat(TARGET.settings()).extracting(Setting::name).containsExactly("offline");
    assertThat(FirewalldSettings.OFFLINE.defaultValue()).hasValue(false);
    assertThat(TARGET.packages())
        .containsEntry("firewall-cmd", "firewalld")
        .containsEntry("firewall-offline-cmd", "firewalld");
  }

  @Test
  void unknownSettingIsRefusedByRenderFromJava() {
    TargetOptions o = TargetOptions.defaults().withSetting("nft-table", "inet filter");

    assertThatThrownBy(() -> TARGET.render(SNAPSHOT, o))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'nft-table' for firewalld")
        .hasMessageContaining("known: offline");
  }

  @Test
  void misspelledSettingIsRefusedWithTheDeclaredNameSuggested() {
    TargetOptions o = TargetOptions.defaults().withSetting("ofline", "true");

    assertThatThrownBy(() -> TARGET.render(SNAPSHOT, o))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'ofline'")
        .hasMessageContaining("did you mean 'offline'?");
  }

  @Test
  void malformedOfflineValueIsRefused() {
    for (String value : List.of("TRUE", "yes", "1", "")) {
      TargetOptions o = TargetOptions.defaults().withSetting("offline", value);

      assertThatThrownBy(() -> TARGET.render(SNAPSHOT, o))
          .as(value)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("setting offline value '" + value + "' is not true or false");
      assertThatThrownBy(() -> FirewalldSettings.of(o))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(FirewalldSettings.of(TargetOptions.defaults()).offline()).isFalse();
    assertThat(
            FirewalldSettings.of(TargetOptions.defaults().withSetting("offline", "true")).offline())
        .isTrue();
  }

  @Test
  void restrictWithAnEmptyFamilyIsRefusedBeforeAnythingIsRendered() {
    RangeSnapshot noV6 = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(Families.IPV4));

    assertThatThrownBy(() -> TARGET.render(noV6, TargetOptions.defaults()))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("there is no IPv6 range to allow");
    assertThat(TARGET.render(noV6, TargetOptions.defaults().withFamilies(Families.IPV4)).files())
        .hasSize(2);
  }
}
