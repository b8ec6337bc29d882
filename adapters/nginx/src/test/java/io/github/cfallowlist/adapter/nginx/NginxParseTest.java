package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.ALLOW_FILE;
import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.adapter.nginx.TestSupport.options;
import static io.github.cfallowlist.adapter.nginx.TestSupport.withAllow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Strict parsing of both files, and the plans computed from what was parsed. */
class NginxParseTest {
  private static final TargetOptions OPTIONS = withAllow(Families.BOTH);
  private static final RangeSet BASE =
      RangeSet.parse(
          "173.245.48.0/20",
          "103.21.244.0/22",
          "103.22.200.0/22",
          "2400:cb00::/32",
          "2606:4700::/32");

  private final NginxTarget target = new NginxTarget();

  private String realIp() {
    return target.render(embedded(), options(Families.BOTH)).text();
  }

  private String allow() {
    return target.render(embedded(), OPTIONS).file("cloudflare-allow.conf").orElseThrow().content();
  }

  private RangeSet parseRealIp(String content) {
    return target.parse(
        Rendered.single("cloudflare-real-ip.conf", content), options(Families.BOTH));
  }

  private RangeSet parseAllow(String content) {
    return target.parse(Rendered.single("cloudflare-allow.conf", content), OPTIONS);
  }

  /** The line number of the first line of {@code text} equal to {@code line}. */
  private static int lineOf(String text, String line) {
    return text.lines().toList().indexOf(line) + 1;
  }

  // --- read back what render wrote ------------------------------------------------------------

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
  void realIpFileGivesBackTheAllowFileItRecords() {
    String withNote =
        target.render(embedded(), OPTIONS).file("cloudflare-real-ip.conf").orElseThrow().content();

    assertThat(NginxConfig.parse("cloudflare-real-ip.conf", withNote, Kind.REAL_IP).allowFile())
        .contains(ALLOW_FILE);
    assertThat(NginxConfig.parse("cloudflare-real-ip.conf", realIp(), Kind.REAL_IP).allowFile())
        .isEmpty();
  }

  @Test
  void copyUnderAnotherNameIsReadByItsContent() {
    assertThat(
            target.parse(Rendered.single("saved-from-prod.conf", realIp()), options(Families.BOTH)))
        .isEqualTo(embedded().ranges());
    assertThat(target.parse(Rendered.single("saved-allow.conf", allow()), options(Families.BOTH)))
        .isEqualTo(embedded().ranges());
  }

  @Test
  void blankLinesAreAccepted() {
    String spaced =
        realIp()
            .replace("set_real_ip_from 103.31.4.0/22;\n", "\nset_real_ip_from 103.31.4.0/22;\n\n");

    assertThat(parseRealIp(spaced)).isEqualTo(embedded().ranges());
  }

  // --- the real-IP file refuses what cf-allowlist does not write ---------------------------------

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
  void controlCharactersInARefusedLineAreEscaped() {
    String edited = realIp() + "real_ip_recursive \u001b[31mon;\n";

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("'real_ip_recursive \\x1b[31mon;'");
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
  void commentBelowTheHeaderThatCfAllowlistDoesNotWriteIsRefused() {
    String marker = "changes are overwritten on the next run\n";
    String edited = realIp().replace(marker, marker + "# added by hand\n");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "# added by hand"))
        .hasMessageContaining("is a comment cf-allowlist does not write");
  }

  @Test
  void secondAllowFileNoteIsRefused() {
    String withNote =
        target.render(embedded(), OPTIONS).file("cloudflare-real-ip.conf").orElseThrow().content();
    String note = "# allow file: " + ALLOW_FILE + "\n";
    String edited = withNote.replace(note, note + "# allow file: /tmp/other.conf\n");

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "# allow file: /tmp/other.conf"));
  }

  @Test
  void commentBelowTheDirectivesIsRefused() {
    String edited = realIp() + "# trailing\n";

    assertThatThrownBy(() -> parseRealIp(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("is a comment below the directives");
  }

  // --- the allow file refuses what cf-allowlist does not write
  // ------------------------------------

  @Test
  void oldAllowDenyFormatIsRefused() {
    String header = allow().substring(0, allow().indexOf("# Include"));
    String old = header + "allow 173.245.48.0/20;\ndeny all;\n";

    assertThatThrownBy(() -> parseAllow(old))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(old, "allow 173.245.48.0/20;"))
        .hasMessageContaining("usage comment");
  }

  @Test
  void editedUsageCommentIsRefused() {
    String edited =
        allow()
            .replace(
                "#     if ($cloudflare_edge = 0) { return 403; }",
                "#     if ($cloudflare_edge = 0) { return 444; }");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining(
            "line " + lineOf(edited, "#     if ($cloudflare_edge = 0) { return 444; }"))
        .hasMessageContaining("is a comment cf-allowlist does not write");
  }

  @Test
  void geoOnTheSubstitutedAddressIsRefused() {
    String edited =
        allow()
            .replace(
                "geo $realip_remote_addr $cloudflare_edge {",
                "geo $remote_addr $cloudflare_edge {");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "geo $remote_addr $cloudflare_edge {"))
        .hasMessageContaining("geo $realip_remote_addr $cloudflare_edge {");
  }

  @Test
  void rangeMappedToAnotherValueIsRefused() {
    String edited = allow().replace("    103.31.4.0/22 1;", "    103.31.4.0/22 0;");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "    103.31.4.0/22 0;"))
        .hasMessageContaining("value other than 1");
  }

  @Test
  void geoWithoutItsDefaultIsRefused() {
    String edited = allow().replace("    default 0;\n", "");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("comes where cf-allowlist writes 'default 0;'");
  }

  @Test
  void defaultThatAdmitsEveryoneIsRefused() {
    String edited = allow().replace("    default 0;\n", "    default 1;\n");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "    default 1;"));
  }

  @Test
  void lineAfterTheGeoBlockIsRefused() {
    String edited = allow() + "map $x $y { }\n";

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "map $x $y { }"))
        .hasMessageContaining("after the geo block");
  }

  @Test
  void unclosedGeoBlockIsRefused() {
    String edited = allow().substring(0, allow().length() - "}\n".length());

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("inside the geo block, without its '}'");
  }

  @Test
  void setRealIpFromInAllowFileIsRefused() {
    String edited = allow().replace("    103.31.4.0/22 1;", "set_real_ip_from 103.31.4.0/22;");

    assertThatThrownBy(() -> parseAllow(edited))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + lineOf(edited, "set_real_ip_from 103.31.4.0/22;"))
        .hasMessageContaining("('CIDR 1;')");
  }

  @Test
  void unknownFileWithoutDirectivesIsRefused() {
    assertThatThrownBy(
            () -> target.parse(Rendered.single("notes.txt", "# hello\n"), options(Families.BOTH)))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("notes.txt");
  }

  // --- plans from a parsed configuration --------------------------------------------------------

  private Plan plan(RangeSet current, RangeSet desired) {
    RangeSnapshot snapshot = embedded();
    Rendered now = target.render(snapshot.withRanges(current), OPTIONS);
    return Plan.compute(target, snapshot.withRanges(desired), OPTIONS, Optional.of(now));
  }

  private static List<Cidr> cidrs(String... text) {
    return RangeSet.parse(text).all();
  }

  @Test
  void planWithAnAddedRangeShowsItInBothFiles() {
    Plan plan =
        plan(
            BASE,
            RangeSet.of(
                Stream.concat(BASE.all().stream(), cidrs("141.101.64.0/18").stream()).toList()));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("141.101.64.0/18"));
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.added(IpFamily.IPV6)).isEmpty();
    assertThat(plan.diff())
        .contains("+set_real_ip_from 141.101.64.0/18;")
        .contains("+    141.101.64.0/18 1;")
        .doesNotContain("-set_real_ip_from");
  }

  @Test
  void planWithARemovedRangeShowsItInBothFiles() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32", "2606:4700::/32"));

    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("103.22.200.0/22"));
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff())
        .contains("-set_real_ip_from 103.22.200.0/22;")
        .contains("-    103.22.200.0/22 1;")
        .doesNotContain("+set_real_ip_from");
  }

  @Test
  void planWithAddedAndRemovedRangesCountsBoth() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20",
                "103.21.244.0/22",
                "131.0.72.0/22",
                "2400:cb00::/32",
                "2606:4700::/32"));

    assertThat(plan.added(IpFamily.IPV4)).isEqualTo(cidrs("131.0.72.0/22"));
    assertThat(plan.removed(IpFamily.IPV4)).isEqualTo(cidrs("103.22.200.0/22"));
    assertThat(plan.unchanged(IpFamily.IPV4)).hasSize(2);
    assertThat(plan.summary()).startsWith("+1 -1 ranges");
  }

  @Test
  void planIpv6OnlyChange() {
    Plan plan =
        plan(
            BASE,
            RangeSet.parse(
                "173.245.48.0/20",
                "103.21.244.0/22",
                "103.22.200.0/22",
                "2400:cb00::/32",
                "2a06:98c0::/29"));

    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.removed(IpFamily.IPV4)).isEmpty();
    assertThat(plan.added(IpFamily.IPV6)).isEqualTo(cidrs("2a06:98c0::/29"));
    assertThat(plan.removed(IpFamily.IPV6)).isEqualTo(cidrs("2606:4700::/32"));
    assertThat(plan.diff())
        .contains("+set_real_ip_from 2a06:98c0::/29;")
        .contains("-set_real_ip_from 2606:4700::/32;");
  }

  @Test
  void noChangesWhenOnlyTheHeaderDiffers() {
    Rendered current = target.render(embedded().withRanges(BASE), OPTIONS);
    RangeSnapshot refetched =
        new RangeSnapshot(
            BASE,
            "https://api.cloudflare.com/client/v4/ips",
            Optional.of("other"),
            Instant.parse("2027-01-01T00:00:00Z"));

    Plan plan = Plan.compute(target, refetched, OPTIONS, Optional.of(current));

    assertThat(plan.hasChanges()).isFalse();
    assertThat(plan.summary()).isEqualTo("no changes (5 ranges)");
  }

  @Test
  void missingAllowFileShowsAsAChange() {
    Rendered both = target.render(embedded().withRanges(BASE), OPTIONS);
    Rendered realIpOnly = new Rendered(List.of(both.files().get(0)));

    Plan plan = Plan.compute(target, embedded().withRanges(BASE), OPTIONS, Optional.of(realIpOnly));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).isEmpty();
    assertThat(plan.diff())
        .contains("+++ desired/cloudflare-allow.conf")
        .contains("+geo $realip_remote_addr $cloudflare_edge {");
  }

  @Test
  void narrowingTheFamiliesShowsAsAChange() {
    Rendered both = target.render(embedded(), OPTIONS);

    Plan plan =
        Plan.compute(target, embedded(Families.IPV4), withAllow(Families.IPV4), Optional.of(both));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.removed(IpFamily.IPV6)).hasSize(7);
    assertThat(plan.diff()).contains("+    0.0.0.0/0 0;").contains("-    default 0;");
  }

  @Test
  void droppingTheAllowFileIsAChangeWithTheOldFileALeftover() {
    Rendered before = target.render(embedded(), OPTIONS);
    Rendered realIpBefore = new Rendered(List.of(before.file("cloudflare-real-ip.conf").get()));

    Plan plan =
        Plan.compute(
            target,
            embedded(),
            options(Families.BOTH),
            Optional.of(realIpBefore),
            List.of("file " + ALLOW_FILE));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff())
        .contains("-# allow file: " + ALLOW_FILE)
        .contains("# remove leftover: file " + ALLOW_FILE);
  }
}
