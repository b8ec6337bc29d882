package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reading rendered files back: round trips, every kind of foreign content refused by line, and
 * plans between rendered configurations, as {@code cf-allowlist plan --current FILE} makes them.
 */
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
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 13: entry is not a CIDR prefix")
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
        "zones/cloudflare.xml line 11: unexpected element <service>: <service name=\"ssh\"/>");
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
        "zones/cloudflare.xml line 12: unexpected attribute address on <source>:"
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
        "zones/cloudflare.xml line 10: only TCP ports are written: <port port=\"443\" protocol=\"udp\"/>");
  }

  @Test
  void zoneTargetIsRefused() {
    Rendered config = edited("zones/cloudflare.xml", "<zone>", "<zone target=\"ACCEPT\">");

    assertRefused(
        config,
        "zones/cloudflare.xml line 8: unexpected attribute target on <zone>: <zone target=\"ACCEPT\">");
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
        "ipsets/cloudflare-v6.xml line 10: entry is not an IPv6 prefix: <entry>1.1.1.0/24</entry>");
  }

  @Test
  void otherIpsetTypeIsRefused() {
    Rendered config = edited("ipsets/cloudflare-v4.xml", "hash:net", "hash:ip");

    assertRefused(
        config,
        "ipsets/cloudflare-v4.xml line 8: ipset type is not hash:net: <ipset type=\"hash:ip\">");
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
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 9: unexpected option");
  }

  @Test
  void strayCommentIsRefused() {
    Rendered config =
        edited("zones/cloudflare.xml", "</zone>", "  <!-- added by hand -->\n</zone>");

    assertRefused(
        config, "zones/cloudflare.xml line 13: unexpected comment: <!-- added by hand -->");
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
        .hasMessageStartingWith("ipsets/cloudflare-v4.xml line 8: not well-formed XML")
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

  @Test
  void parseChecksTheSettingsToo() {
    Rendered config = TARGET.render(SNAPSHOT, OPTIONS);

    assertThatThrownBy(() -> TARGET.parse(config, OPTIONS.withSetting("offline", "TRUE")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offline");
  }

  // ---- plans between rendered configurations

  private static final RangeSnapshot BASE =
      SNAPSHOT.withRanges(
          RangeSet.parse(
              "173.245.48.0/20",
              "103.21.244.0/22",
              "103.22.200.0/22",
              "2400:cb00::/32",
              "2606:4700::/32"));

  private static Plan plan(RangeSnapshot from, RangeSnapshot to) {
    return Plan.compute(TARGET, to, OPTIONS, Optional.of(TARGET.render(from, OPTIONS)));
  }

  /** {@link #BASE} with the ranges {@code remove} taken out and {@code add} put in. */
  private static RangeSnapshot changedBase(List<String> remove, List<String> add) {
    List<Cidr> ranges = new ArrayList<>(BASE.ranges().ipv4());
    ranges.addAll(BASE.ranges().ipv6());
    remove.forEach(r -> ranges.remove(Cidr.parse(r)));
    add.forEach(a -> ranges.add(Cidr.parse(a)));
    return BASE.withRanges(RangeSet.of(ranges));
  }

  @Test
  void planWithAnAddedRangeShowsItInTheDiff() {
    Plan p = plan(BASE, changedBase(List.of(), List.of("103.31.4.0/22")));

    assertThat(p.added(IpFamily.IPV4)).containsExactly(Cidr.parse("103.31.4.0/22"));
    assertThat(p.removed(IpFamily.IPV4)).isEmpty();
    assertThat(p.added(IpFamily.IPV6)).isEmpty();
    assertThat(p.hasChanges()).isTrue();
    assertThat(p.diff()).contains("+  <entry>103.31.4.0/22</entry>");
  }

  @Test
  void planWithARemovedRangeShowsItInTheDiff() {
    Plan p = plan(BASE, changedBase(List.of("103.22.200.0/22"), List.of()));

    assertThat(p.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("103.22.200.0/22"));
    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.hasChanges()).isTrue();
    assertThat(p.diff()).contains("-  <entry>103.22.200.0/22</entry>");
  }

  @Test
  void planWithAddedAndRemovedRangesKeepsTheRest() {
    Plan p = plan(BASE, changedBase(List.of("103.22.200.0/22"), List.of("141.101.64.0/18")));

    assertThat(p.added(IpFamily.IPV4)).containsExactly(Cidr.parse("141.101.64.0/18"));
    assertThat(p.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("103.22.200.0/22"));
    assertThat(p.unchanged(IpFamily.IPV4)).hasSize(2);
  }

  @Test
  void planOfTheSameRangesHasNoChanges() {
    Plan p = plan(BASE, BASE);

    assertThat(p.hasChanges()).isFalse();
    assertThat(p.diff()).isEmpty();
  }

  @Test
  void newHeaderAloneIsNoChange() {
    RangeSnapshot refetched =
        new RangeSnapshot(
            BASE.ranges(), "cloudflare", Optional.of("abc"), BASE.fetchedAt().plusSeconds(60));

    assertThat(plan(BASE, refetched).hasChanges()).isFalse();
  }

  @Test
  void ipv6OnlyChangeTouchesOnlyTheIpv6File() {
    Plan p = plan(BASE, changedBase(List.of("2606:4700::/32"), List.of("2a06:98c0::/29")));

    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.removed(IpFamily.IPV4)).isEmpty();
    assertThat(p.added(IpFamily.IPV6)).containsExactly(Cidr.parse("2a06:98c0::/29"));
    assertThat(p.removed(IpFamily.IPV6)).containsExactly(Cidr.parse("2606:4700::/32"));
    assertThat(p.diff())
        .contains("desired/ipsets/cloudflare-v6.xml")
        .doesNotContain("cloudflare-v4.xml");
  }

  @Test
  void otherPortsAreAChangeWithTheSameRanges() {
    TargetOptions other = OPTIONS.withPorts(List.of(8443));
    Plan p = Plan.compute(TARGET, BASE, other, Optional.of(TARGET.render(BASE, OPTIONS)));

    assertThat(p.hasChanges()).isTrue();
    assertThat(p.added(IpFamily.IPV4)).isEmpty();
    assertThat(p.diff()).contains("+  <port port=\"8443\" protocol=\"tcp\"/>");
  }

  @Test
  void otherModeIsNoChangeBecauseTheLayoutIsTheSame() {
    TargetOptions allow = OPTIONS.withMode(Mode.ALLOW);
    Plan p = Plan.compute(TARGET, BASE, allow, Optional.of(TARGET.render(BASE, OPTIONS)));

    assertThat(p.hasChanges()).isFalse();
  }
}
