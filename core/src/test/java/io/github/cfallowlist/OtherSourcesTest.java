package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OtherSourcesTest {
  private static final List<String> FIVE_AND_FIVE =
      List.of(
          "173.245.48.0/20",
          "103.21.244.0/22",
          "103.22.200.0/22",
          "103.31.4.0/22",
          "141.101.64.0/18",
          "2400:cb00::/32",
          "2606:4700::/32",
          "2803:f800::/32",
          "2405:b500::/32",
          "2405:8100::/32");

  @TempDir Path dir;

  @Test
  void theEmbeddedRecordingTimeReadsAsInstantParseReadsIt() throws Exception {
    for (String text :
        List.of(
            "2026-10-02T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2031-12-31T12:34:56Z")) {
      assertThat(Sources.recordedAt(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void anEmbeddedRecordingTimeOfAnotherFormOrOutOfRangeIsRefused() {
    for (String text :
        List.of(
            "2026-10-02",
            "2026-10-02T00:00:00",
            "2026-10-02T00:00:00.5Z",
            "2026-10-02T00:00:00+01:00",
            "2026-13-02T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-10-02T24:00:00Z",
            " 2026-10-02T00:00:00Z",
            "null")) {
      assertThatThrownBy(() -> Sources.recordedAt(text))
          .as(text)
          .isInstanceOf(java.io.IOException.class)
          .hasMessage(
              "the embedded snapshot's recorded_at is not a UTC time such as 2026-10-02T00:00:00Z");
    }
  }

  @Test
  void embeddedSnapshotHoldsTheRecordedListWithItsDateAndEtag() throws Exception {
    RangeSnapshot s = Guards.defaults().validate(RangeSource.embedded().fetch());
    assertThat(s.ranges().ipv4()).hasSize(15);
    assertThat(s.ranges().ipv6()).hasSize(7);
    assertThat(s.etag()).contains("38f79d050aa027e3be3865e495dcc9bc");
    assertThat(s.fetchedAt()).isEqualTo(Instant.parse("2026-10-02T00:00:00Z"));
    assertThat(s.source()).contains("embedded snapshot recorded 2026-10-02");
  }

  @Test
  void fileSourceAcceptsCommentsBlankLinesAndBothFamilies() throws Exception {
    Path file = dir.resolve("ranges.txt");
    Files.writeString(
        file,
        "# our edge\n173.245.48.0/20\n103.21.244.0/22  # trailing comment\n\n103.22.200.0/22\n"
            + "103.31.4.0/22\n141.101.64.0/18\n2400:cb00::/32\n2606:4700::/32\n2803:f800::/32\n"
            + "2405:b500::/32\n2405:8100::/32");
    RangeSnapshot s = Guards.defaults().validate(RangeSource.file(file).fetch());
    assertThat(s.ranges().ipv4()).hasSize(5);
    assertThat(s.ranges().ipv6()).hasSize(5);
  }

  @Test
  void aFileSavedWithAByteOrderMarkAndWindowsLineEndsReadsAsItsRanges() throws Exception {
    Path file = dir.resolve("ranges.txt");
    Files.writeString(
        file,
        "\uFEFF173.245.48.0/20\r\n103.21.244.0/22\r\n103.22.200.0/22\r\n103.31.4.0/22\r\n"
            + "141.101.64.0/18\r\n2400:cb00::/32\r\n2606:4700::/32\r\n2803:f800::/32\r\n"
            + "2405:b500::/32\r\n2405:8100::/32\r\n");

    RangeSnapshot s = Guards.defaults().validate(RangeSource.file(file).fetch());

    assertThat(s.ranges().ipv4()).contains(Cidr.parse("173.245.48.0/20")).hasSize(5);
    assertThat(s.ranges().ipv6()).hasSize(5);
  }

  @Test
  void aFileSourceTakesItsEtagFromAnEtagCommentLine() throws Exception {
    Path file = dir.resolve("snapshot.txt");
    Files.writeString(
        file,
        "# source: Cloudflare API\n# etag: 38f79d050aa027e3be3865e495dcc9bc\n"
            + "# etag: 0000\n"
            + String.join("\n", FIVE_AND_FIVE));
    assertThat(RangeSource.file(file).fetch().etag()).contains("38f79d050aa027e3be3865e495dcc9bc");

    Files.writeString(file, String.join("\n", FIVE_AND_FIVE));
    assertThat(RangeSource.file(file).fetch().etag()).isEmpty();
  }

  @Test
  void anEtagLineThatIsNotHexadecimalIsRefusedNamingTheLine() throws Exception {
    Path file = dir.resolve("snapshot.txt");
    Files.writeString(file, "173.245.48.0/20\n# etag: \"<script>\"\n");
    assertThatThrownBy(() -> RangeSource.file(file).fetch())
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage("the source file " + file + " names an etag that is not hexadecimal on line 2");
  }

  @Test
  void fileSourceNamesTheFileAndBadEntry() throws Exception {
    Path file = dir.resolve("ranges.txt");
    Files.writeString(file, "173.245.48.0/20\nnot-a-cidr\n");
    assertThatThrownBy(() -> Guards.defaults().validate(RangeSource.file(file).fetch()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining(
            "an entry of 10 characters (not shown: not all address characters) is not a valid"
                + " CIDR in "
                + file);
  }

  @Test
  void aFileThatIsNotAListIsRefusedWithoutEchoingItsContent() throws Exception {
    Path file = dir.resolve("shadow");
    Files.writeString(file, "root:$y$j9T$secret-hash:19000:0:99999:7:::\n");
    assertThatThrownBy(() -> Guards.defaults().validate(RangeSource.file(file).fetch()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageNotContaining("root")
        .hasMessageNotContaining("secret");
  }

  @Test
  void aFifoADeviceOrADirectoryIsRefusedBeforeItIsOpened() throws Exception {
    Path fifo = dir.resolve("fifo");
    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
    for (Path p : List.of(fifo, Path.of("/dev/zero"))) {
      assertThatThrownBy(() -> RangeSource.file(p).fetch())
          .isInstanceOf(java.io.IOException.class)
          .hasMessage("the source file " + p + " is not a regular file (a FIFO or a device)");
    }
    assertThatThrownBy(() -> RangeSource.file(dir).fetch())
        .isInstanceOf(java.io.IOException.class)
        .hasMessage("the source file " + dir + " is a directory, not a file");
  }

  @Test
  void aFileLargerThanTheListCapIsRefused() throws Exception {
    Path big = dir.resolve("big.txt");
    try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      file.setLength(SmallFiles.MAX_LIST_BYTES + 1); // sparse: nothing is written
    }
    assertThatThrownBy(() -> RangeSource.file(big).fetch())
        .hasMessage("the source file " + big + " is larger than the limit of 67108864 bytes");
  }

  @Test
  void aFileOfTwoHundredThousandRangesIsReadWhole() throws Exception {
    Path big = dir.resolve("big.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 200_000; i++) {
      text.append(11 + i / 65536).append('.').append(i / 256 % 256).append('.');
      text.append(i % 256).append(".0/24\n");
    }
    Files.writeString(big, text);
    assertThat(Files.size(big)).isGreaterThan(SmallFiles.MAX_BYTES);
    RawRanges raw = RangeSource.file(big).fetch();
    assertThat(raw.lists().get(0).entries()).hasSize(200_000).endsWith("14.13.63.0/24");
  }

  @Test
  void missingFileIsAnIoErrorNamingIt() {
    Path file = dir.resolve("absent.txt");
    assertThatThrownBy(() -> RangeSource.file(file).fetch())
        .isInstanceOf(NoSuchFileException.class)
        .hasMessage("the source file " + file + " does not exist");
  }

  @Test
  void aRefusedEntryInAFileNamesThePathOnceAndTheLine() throws Exception {
    Path file = dir.resolve("ranges.txt");
    Files.writeString(file, "# mirror\n173.245.48.0/20\n\n1.0.0.0/4 # typo\n");
    assertThatThrownBy(() -> Guards.defaults().validate(RangeSource.file(file).fetch()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "'1.0.0.0/4' has host bits set (the network is 0.0.0.0/4) in " + file + " line 4");
  }
}
