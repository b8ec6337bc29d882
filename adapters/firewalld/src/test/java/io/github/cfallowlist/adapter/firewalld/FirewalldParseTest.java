package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Reading rendered files back: round trips, and every kind of foreign content refused by line. */
class FirewalldParseTest {
  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final TargetOptions OPTIONS = TargetOptions.defaults();
  private static final RangeSnapshot SNAPSHOT = FirewalldRenderTest.SNAPSHOT;

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.github.cfallowlist.adapter.firewalld.FirewalldRenderTest#variants")
  void parseOfRenderGivesBackTheRanges(String variant, TargetOptions options) {
    RangeSnapshot snapshot = FirewalldRenderTest.snapshotFor(options);

    RangeSet parsed = TARGET.parse(TARGET.render(snapshot, options), options);

    assertThat(parsed).isEqualTo(snapshot.ranges());
  }

  /** The default rendering with one file's text replaced. */
  private static Rendered edited(String file, String from, String to) {
    Rendered r = TARGET.render(SNAPSHOT, OPTIONS);
    List<Rendered.File> files = new ArrayList<>();
    for (Rendered.File f : r.files()) {
      if (f.name().equals(file)) {
        assertThat(f.content()).contains(from);
        files.add(new Rendered.File(f.name(), f.content().replace(from, to)));
      } else {
        files.add(f);
      }
    }
    return new Rendered(files);
  }

  private static void assertRefused(Rendered config, String message) {
    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessage(message);
  }

  @Test
  void handEditedEntryIsRefusedNamingFileLineAndText() {
    Rendered config =
        edited(
            "ipsets/cloudflare-v4.xml",
            "<entry>104.16.0.0/13</entry>",
            "<entry>104.16.0.1/13</entry>");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 14: entry is not a CIDR prefix")
        .hasMessageEndingWith(": <entry>104.16.0.1/13</entry>");
  }

  @Test
  void foreignServiceInTheZoneIsRefused() {
    Rendered config =
        edited(
            "zones/cloudflare.xml",
            "  <source ipset=\"cloudflare-v4\"/>\n",
            "  <service name=\"ssh\"/>\n  <source ipset=\"cloudflare-v4\"/>\n");

    assertRefused(
        config,
        "zones/cloudflare.xml line 12: unexpected element <service>: <service name=\"ssh\"/>");
  }

  @Test
  void foreignSourceAddressIsRefused() {
    Rendered config =
        edited(
            "zones/cloudflare.xml",
            "<source ipset=\"cloudflare-v6\"/>",
            "<source address=\"0.0.0.0/0\"/>");

    assertRefused(
        config,
        "zones/cloudflare.xml line 13: unexpected attribute address on <source>:"
            + " <source address=\"0.0.0.0/0\"/>");
  }

  @Test
  void udpPortIsRefused() {
    Rendered config =
        edited(
            "zones/cloudflare.xml",
            "port=\"443\" protocol=\"tcp\"",
            "port=\"443\" protocol=\"udp\"");

    assertRefused(
        config,
        "zones/cloudflare.xml line 11: only TCP ports are written: <port port=\"443\" protocol=\"udp\"/>");
  }

  @Test
  void zoneTargetIsRefused() {
    Rendered config = edited("zones/cloudflare.xml", "<zone>", "<zone target=\"ACCEPT\">");

    assertRefused(
        config,
        "zones/cloudflare.xml line 9: unexpected attribute target on <zone>: <zone target=\"ACCEPT\">");
  }

  @Test
  void ipv4EntryInTheIpv6SetIsRefused() {
    Rendered config =
        edited(
            "ipsets/cloudflare-v6.xml",
            "<entry>2400:cb00::/32</entry>",
            "<entry>1.1.1.0/24</entry>");

    assertRefused(
        config,
        "ipsets/cloudflare-v6.xml line 11: entry is not an IPv6 prefix: <entry>1.1.1.0/24</entry>");
  }

  @Test
  void otherIpsetTypeIsRefused() {
    Rendered config = edited("ipsets/cloudflare-v4.xml", "hash:net", "hash:ip");

    assertRefused(
        config,
        "ipsets/cloudflare-v4.xml line 9: ipset type is not hash:net: <ipset type=\"hash:ip\">");
  }

  @Test
  void extraOptionIsRefused() {
    Rendered config =
        edited(
            "ipsets/cloudflare-v4.xml",
            "<option name=\"family\" value=\"inet\"/>",
            "<option name=\"family\" value=\"inet\"/><option name=\"timeout\" value=\"60\"/>");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 10: unexpected option");
  }

  @Test
  void strayCommentIsRefused() {
    Rendered config =
        edited("zones/cloudflare.xml", "</zone>", "  <!-- added by hand -->\n</zone>");

    assertRefused(
        config, "zones/cloudflare.xml line 14: unexpected comment: <!-- added by hand -->");
  }

  @Test
  void strayTextIsRefused() {
    Rendered config = edited("zones/cloudflare.xml", "</zone>", "  hello\n</zone>");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("zones/cloudflare.xml line")
        .hasMessageContaining("unexpected text");
  }

  @Test
  void doctypeAndExternalEntitiesAreRefused() {
    Rendered config =
        edited(
            "ipsets/cloudflare-v4.xml",
            "<ipset type",
            "<!DOCTYPE ipset [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<ipset type");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 9: not well-formed XML")
        .hasMessageContaining("DOCTYPE");
  }

  @Test
  void truncatedFileIsRefused() {
    Rendered config = edited("ipsets/cloudflare-v4.xml", "</ipset>\n", "");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line")
        .hasMessageContaining("not well-formed XML");
  }

  @Test
  void unknownFileIsRefused() {
    Rendered config = Rendered.single("zones/public.xml", "<zone/>");

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("zones/public.xml: not a file the firewalld target writes");
  }

  @Test
  void filesAsFirewalldWritesThemParseWithoutHeader() {
    Rendered config =
        new Rendered(
            List.of(
                new Rendered.File(
                    "ipsets/cloudflare-v4.xml",
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ipset type=\"hash:net\">\n"
                        + "  <option name=\"family\" value=\"inet\"/>\n"
                        + "  <entry>173.245.48.0/20</entry>\n  <entry>103.21.244.0/22</entry>\n"
                        + "</ipset>\n"),
                new Rendered.File(
                    "zones/cloudflare.xml",
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n"
                        + "  <port port=\"80\" protocol=\"tcp\"/>\n"
                        + "  <source ipset=\"cloudflare-v4\"/>\n</zone>\n")));

    assertThat(TARGET.parse(config, OPTIONS))
        .isEqualTo(RangeSet.parse("173.245.48.0/20", "103.21.244.0/22"));
  }

  @Test
  void driftCommentFromReadLiveIsAccepted() {
    Rendered config =
        edited(
            "ipsets/cloudflare-v4.xml",
            "<ipset type=\"hash:net\">\n",
            "<ipset type=\"hash:net\">\n  <!-- " + FirewalldXml.DRIFT + " -->\n");

    assertThat(TARGET.parse(config, OPTIONS)).isEqualTo(SNAPSHOT.ranges());
  }
}
