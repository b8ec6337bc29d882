package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.TestSnapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeaderTest {
  @TempDir Path dir;

  private static final String LIST =
      String.join(
              "\n", TestSnapshots.embedded().ranges().all().stream().map(Cidr::toString).toList())
          + "\n";

  /** The list read from a file source at {@code path}, last modified at {@code mtime}. */
  private static RangeSnapshot fromFile(Path path, Instant mtime) throws Exception {
    Files.createDirectories(path.getParent());
    Files.writeString(path, LIST);
    Files.setLastModifiedTime(path, FileTime.from(mtime));
    return Guards.defaults().validate(RangeSource.file(path).fetch());
  }

  @Test
  void theDigestIsSha256OfEveryRangeOnItsOwnLineIpv4First() throws Exception {
    RangeSet ranges =
        RangeSet.parse(
            "192.168.0.0/16", "10.0.0.0/8", "2400:cb00::/32", "255.255.255.255/32", "::/0");
    String text = "10.0.0.0/8\n192.168.0.0/16\n255.255.255.255/32\n::/0\n";

    assertThat(Header.digest(ranges)).isEqualTo(sha256(text));
    // Long enough to fill the digest's buffer several times.
    StringBuilder many = new StringBuilder();
    java.util.List<Cidr> all = new java.util.ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      Cidr cidr = Cidr.parse("10." + (i >> 8) + "." + (i & 0xff) + ".0/24");
      all.add(cidr);
      many.append(cidr).append('\n');
    }
    assertThat(Header.digest(RangeSet.of(all))).isEqualTo(sha256(many.toString()));
  }

  @Test
  void aKeptDigestIsReusedOnlyForAnEqualListWhicheverListCameBetween() throws Exception {
    RangeSet one = RangeSet.parse("173.245.48.0/20", "2400:cb00::/32");
    RangeSet other = RangeSet.parse("173.245.48.0/20", "2400:cb00::/31");
    String oneText = "173.245.48.0/20\n2400:cb00::/32\n";
    String otherText = "173.245.48.0/20\n2400:cb00::/31\n";

    assertThat(Header.digest(one)).isEqualTo(sha256(oneText));
    assertThat(Header.digest(one)).isEqualTo(sha256(oneText));
    assertThat(Header.digest(other)).isEqualTo(sha256(otherText));
    assertThat(Header.digest(RangeSet.parse("2400:cb00::/32", "173.245.48.0/20")))
        .isEqualTo(sha256(oneText));
    assertThat(Header.digest(RangeSet.parse("173.245.48.0/20")))
        .isEqualTo(sha256("173.245.48.0/20\n"));
    assertThat(Header.digest(other)).isEqualTo(sha256(otherText));
  }

  private static String sha256(String text) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
  }

  @Test
  void theSameListFromTwoFilesAtOtherPathsAndTimesHasTheSameHeader() throws Exception {
    RangeSnapshot first =
        fromFile(dir.resolve("a/ranges.txt"), Instant.parse("2026-01-01T00:00:00Z"));
    RangeSnapshot second =
        fromFile(dir.resolve("elsewhere/copy.txt"), Instant.parse("2026-01-01T00:00:07Z"));
    assertThat(first.source()).isNotEqualTo(second.source());
    assertThat(first.fetchedAt()).isNotEqualTo(second.fetchedAt());

    String header = Header.commented(first, "# ");

    assertThat(Header.commented(second, "# ")).isEqualTo(header);
    assertThat(header)
        .isEqualTo(
            "# cf-allowlist: Cloudflare IP ranges\n"
                + "# source: file\n"
                + "# sha256: "
                + Header.digest(first.ranges())
                + "\n"
                + "# managed by cf-allowlist, do not edit: changes are overwritten on the next run\n")
        .doesNotContain(dir.toString(), "2026", Header.version());
  }

  @Test
  void theSameFetchSecondsLaterHasTheSameHeaderNamingTheEtag() {
    RangeSnapshot first = TestSnapshots.embedded();
    RangeSnapshot later =
        new RangeSnapshot(
            first.ranges(), first.source(), first.etag(), first.fetchedAt().plusSeconds(5));

    assertThat(Header.lines(later))
        .isEqualTo(Header.lines(first))
        .containsExactly(
            "cf-allowlist: Cloudflare IP ranges",
            "source: embedded snapshot recorded 2026-10-02T00:00:00Z",
            "etag: 38f79d050aa027e3be3865e495dcc9bc",
            Header.MARKER + ": changes are overwritten on the next run");
  }

  @Test
  void aListWithoutEtagIsNamedByADigestThatChangesWithTheRanges() {
    RangeSet one = RangeSet.parse("173.245.48.0/20", "2400:cb00::/32");
    RangeSet other = RangeSet.parse("173.245.48.0/20", "2606:4700::/32");

    assertThat(Header.digest(one))
        .hasSize(64)
        .isEqualTo(Header.digest(RangeSet.parse("2400:cb00::/32", "173.245.48.0/20")))
        .isNotEqualTo(Header.digest(other));
  }

  @Test
  void aLiveReadingIsNamedAsOneAndNotHashedWhileAFileWithTheSameRangesIs() {
    RangeSet ranges = RangeSet.parse("173.245.48.0/20", "2400:cb00::/32");
    RangeSnapshot live = RangeSnapshot.live(ranges, "nftables");
    RangeSnapshot file =
        new RangeSnapshot(ranges, "file:/tmp/list", Optional.empty(), Instant.EPOCH);

    assertThat(live.isLive()).isTrue();
    assertThat(file.isLive()).isFalse();
    assertThat(new RangeSnapshot(ranges, "live nftables", Optional.of("x"), Instant.EPOCH).isLive())
        .isFalse();
    assertThat(Header.lines(live))
        .contains("source: live nftables", "read from the live system")
        .noneMatch(line -> line.startsWith("sha256"));
    assertThat(Header.lines(file)).contains("sha256: " + Header.digest(ranges));
    assertThat(Header.isIn(Header.commented(live, "# "))).isTrue();
  }

  @Test
  void aSourceNameWithANewlineCannotEndTheCommentAndInjectARule() {
    RangeSnapshot snapshot =
        new RangeSnapshot(
            RangeSet.empty(),
            "Cloudflare API https://x/\nflush ruleset\n",
            Optional.of("e\ntag"),
            Instant.EPOCH);
    String header = Header.commented(snapshot, "# ");
    assertThat(header.lines())
        .hasSize(Header.lines(snapshot).size())
        .allMatch(l -> l.startsWith("# "));
    assertThat(header).doesNotContain("\nflush ruleset").contains("\\x0aflush ruleset");
  }

  @Test
  void aFileCarriesTheHeaderWhenALineHoldsTheMarkerOldOrNew() {
    assertThat(Header.isIn(Header.commented(TestSnapshots.embedded(), "# ") + "body\n")).isTrue();
    assertThat(
            Header.isIn(
                "<!--\n  cf-allowlist 0.1.0: Cloudflare IP ranges\n  fetched: 2026-10-02T00:00:00Z\n"
                    + "  managed by cf-allowlist, do not edit: changes are overwritten\n-->\n"))
        .isTrue();
    assertThat(Header.isIn("set_real_ip_from 10.0.0.0/8;\n# managed by hand\n")).isFalse();
  }
}
