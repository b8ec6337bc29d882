package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code render}: the same list gives the same bytes whatever its file's path and time, and {@code
 * --output} replaces only a file cf-allowlist wrote.
 */
class RenderOutputTest {
  @TempDir Path dir;

  private static final String EMBEDDED = "embedded";

  private static CliRun render(String source, String target, Path output, String... more) {
    String[] args = {
      "render", "--source", source, "--target", target, "--output", output.toString()
    };
    String[] all = new String[args.length + more.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return CliRun.of(all);
  }

  @Test
  void theSameListFromFilesAtOtherPathsAndTimesRendersIdenticalBytes() throws Exception {
    String list = Files.readString(Path.of("..", "docs", "examples", "ranges-2021-03.txt"));
    Path one = Files.createDirectories(dir.resolve("one")).resolve("ranges.txt");
    Path two = Files.createDirectories(dir.resolve("two")).resolve("other-name.txt");
    Files.writeString(one, list);
    Files.writeString(two, list);
    Files.setLastModifiedTime(one, FileTime.from(Instant.parse("2026-11-01T10:00:00Z")));
    Files.setLastModifiedTime(two, FileTime.from(Instant.parse("2026-11-01T10:00:05Z")));
    for (String target : new String[] {"nftables", "iptables", "firewalld", "nginx"}) {
      Path first = Files.createDirectories(dir.resolve("a-" + target));
      Path second = Files.createDirectories(dir.resolve("b-" + target));

      assertThat(render("file:" + one, target, first).exitCode()).isZero();
      assertThat(render("file:" + two, target, second).exitCode()).isZero();

      try (var files = Files.walk(first)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String content = Files.readString(f);
          assertThat(second.resolve(first.relativize(f))).hasContent(content);
          assertThat(content).doesNotContain(dir.toString(), "2026-11-01", "fetched");
        }
      }
    }
  }

  @Test
  void outputRefusesToReplaceAFileWithoutTheHeaderAndLeavesItUntouched() throws Exception {
    Path file = dir.resolve("cloudflare.conf");
    Files.writeString(file, "set_real_ip_from 10.0.0.0/8;\n");

    CliRun run = render(EMBEDDED, "nginx", file);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: render will not overwrite "
                + file
                + ": it has no 'managed by cf-allowlist, do not edit' header, so cf-allowlist did"
                + " not write it (move it away or choose another --output)\n");
    assertThat(run.out()).isEmpty();
    assertThat(file).hasContent("set_real_ip_from 10.0.0.0/8;\n");
  }

  @Test
  void outputIntoADirectoryWritesNothingWhenOneFileLacksTheHeader() throws Exception {
    Path v6 = dir.resolve("cf-allowlist.rules.v6");
    Files.writeString(v6, "*filter\nCOMMIT\n");

    CliRun run = render(EMBEDDED, "iptables", dir);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("cf-allowlist: render will not overwrite " + v6 + ": it has no ")
        .hasLineCount(1);
    assertThat(v6).hasContent("*filter\nCOMMIT\n");
    assertThat(dir.resolve("cf-allowlist.rules.v4")).doesNotExist();
  }

  @Test
  void outputReplacesAFileWithTheHeaderOfAnEarlierVersion() throws Exception {
    Path file = dir.resolve("cf_allowlist.nft");
    Files.writeString(
        file,
        "# cf-allowlist 0.1.0: Cloudflare IP ranges\n"
            + "# fetched: 2026-10-02T00:00:00Z\n"
            + "# managed by cf-allowlist, do not edit: changes are overwritten on the next run\n"
            + "table inet cf_allowlist {\n}\n");

    CliRun run = render(EMBEDDED, "nftables", file);

    assertThat(run.exitCode()).isZero();
    assertThat(file)
        .content()
        .startsWith("# cf-allowlist: Cloudflare IP ranges\n")
        .contains("flush set inet cf_allowlist cloudflare_v4");
  }
}
