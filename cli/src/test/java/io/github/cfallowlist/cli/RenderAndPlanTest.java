package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.SmallFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderAndPlanTest {
  @TempDir Path dir;

  /** {@code plan --target nftables} on the embedded list against {@code current}. */
  private static CliRun planNftables(String current, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of("plan", "--source", "embedded", "--target", "nftables", "--current", current));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static Path examples() {
    // Tests run from the module directory; the examples live beside the README.
    return Path.of("..", "docs", "examples");
  }

  @Test
  void renderPrintsTheNftablesScriptWithItsHeader() {
    CliRun run = CliRun.of("render", "--source", "embedded", "--target", "nftables");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .startsWith("# cf-allowlist: Cloudflare IP ranges\n")
        .contains("etag: 38f79d050aa027e3be3865e495dcc9bc")
        .contains("managed by cf-allowlist, do not edit")
        .contains("173.245.48.0/20")
        .contains("2c0f:f248::/32");
  }

  @Test
  void renderIsDeterministic() {
    String first = CliRun.of("render", "--source", "embedded", "--target", "iptables").out();
    String second = CliRun.of("render", "--source", "embedded", "--target", "iptables").out();
    assertThat(first).isEqualTo(second).contains("==> cf-allowlist.rules.v4 <==");
  }

  @Test
  void renderOutputWritesTheFileAndPlanAgainstItIsInSync() throws Exception {
    Path file = rendered("nftables", "cf_allowlist.nft");
    assertThat(file).content().contains("flush set inet cf_allowlist cloudflare_v4");
    CliRun plan = planNftables(file.toString());
    assertThat(plan.exitCode()).isZero();
    assertThat(plan.out()).isEqualTo("nftables: in sync (22 ranges)\n");
  }

  /** {@code name}, then {@code common}, then {@code more}. */
  private static String[] command(String name, List<String> common, String... more) {
    List<String> args = new ArrayList<>(List.of(name));
    args.addAll(common);
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void aLargeListIsRenderedAgainOverItsOwnFilesAndPlannedAgainstThemInSync() throws Exception {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      list.append(11 + i / 65536).append('.').append(i / 256 % 256).append('.');
      list.append(i % 256).append(".0/24\n");
    }
    Path source = dir.resolve("list.txt");
    Files.writeString(source, list);
    for (String target : new String[] {"nftables", "iptables", "nginx"}) {
      Path out = Files.createDirectories(dir.resolve(target));
      List<String> ipv4 = List.of("--source", "file:" + source, "--family", "ipv4");
      String[] render = command("render", ipv4, "--target", target, "--output", out.toString());
      assertThat(CliRun.of(render).exitCode()).isZero();
      Path largest;
      try (Stream<Path> files = Files.list(out)) {
        largest = files.max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).get();
      }
      assertThat(Files.size(largest)).as(target).isGreaterThan(SmallFiles.MAX_BYTES);
      byte[] first = Files.readAllBytes(largest);

      CliRun again = CliRun.of(render);

      assertThat(again.exitCode()).as(target + ": %s", again.err()).isZero();
      assertThat(Files.readAllBytes(largest)).isEqualTo(first);
      String current = target.equals("iptables") ? out.toString() : largest.toString();
      CliRun plan = CliRun.of(command("plan", ipv4, "--target", target, "--current", current));
      assertThat(plan.exitCode()).as(target + ": %s", plan.err()).isZero();
      assertThat(plan.out()).isEqualTo(target + ": in sync (100000 ranges)\n");
    }
  }

  @Test
  void aCurrentFileLargerThanAnyRenderedConfigurationIsRefusedInOneSentence() throws Exception {
    Path big = dir.resolve("big.nft");
    try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      file.setLength(SmallFiles.MAX_CONFIG_BYTES + 1); // sparse: nothing is written
    }

    CliRun run = planNftables(big.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --current " + big + " is larger than the limit of 268435456 bytes\n");
  }

  @Test
  void aCurrentFileWithWindowsLineEndsIsRefusedSayingSoNotShownAsADiffOfLookalikeLines()
      throws Exception {
    Path file = rendered("nginx", "cloudflare-real-ip.conf");
    Files.writeString(file, Files.readString(file).replace("\n", "\r\n"));

    CliRun run =
        CliRun.of(
            "plan", "--source", "embedded", "--target", "nginx", "--current", file.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --current "
                + file
                + " has Windows line ends (CRLF), which cf-allowlist never writes (a checkout with"
                + " git's core.autocrlf?); convert it to LF line ends, for example with dos2unix\n");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void oneCurrentFileForSeveralTargetsIsRefusedNamingThemBeforeAnythingIsRead() throws Exception {
    Path file = rendered("nginx", "cloudflare-real-ip.conf");

    CliRun run =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--target",
            "haproxy",
            "--current",
            file.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --current "
                + file
                + " is not a directory, but the plan has 2 targets (nginx, haproxy); give one --target,"
                + " or --current a directory holding every target's files\n");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void renderOfSeveralFilesIntoADirectoryThenPlanIsInSync() throws Exception {
    assertThat(
            CliRun.of(
                    "render",
                    "--source",
                    "embedded",
                    "--target",
                    "iptables",
                    "--ipset",
                    "--output",
                    dir.toString())
                .exitCode())
        .isZero();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "cf-allowlist.rules.v4", "cf-allowlist.rules.v6", "cf-allowlist.ipset");
    }
    CliRun plan =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "iptables",
            "--ipset",
            "--current",
            dir.toString());
    assertThat(plan.exitCode()).isZero();
  }

  @Test
  void planAgainstAnOlderListExitsTwoWithDiffAndSummary() {
    CliRun run = planNftables(examples().resolve("cf_allowlist-2021-03.nft").toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out())
        .contains("--- current/cf_allowlist.nft")
        .contains("+++ desired/cf_allowlist.nft")
        .contains("-\t104.16.0.0/12,")
        .contains("+\t104.16.0.0/13,")
        .contains("+\t104.24.0.0/14,")
        .endsWith("nftables: would change (+2 -1)\n");
  }

  @Test
  void theReadmeShowsExactlyWhatPlanPrintsAgainstTheOlderExample() throws Exception {
    String command =
        "$ cf-allowlist plan --target nftables --current docs/examples/cf_allowlist-2021-03.nft\n";
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf(command) + command.length();
    String shown = readme.substring(start, readme.indexOf("```", start));

    CliRun run = planNftables(examples().resolve("cf_allowlist-2021-03.nft").toString());

    assertThat(readme).contains(command);
    assertThat(run.out()).isEqualTo(shown);
  }

  @Test
  void planJsonListsAddedRemovedAndUnchanged() {
    CliRun run =
        planNftables(examples().resolve("cf_allowlist-2021-03.nft").toString(), "--format", "json");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out())
        .contains("\"added\":[\"104.16.0.0/13\",\"104.24.0.0/14\"]")
        .contains("\"removed\":[\"104.16.0.0/12\"]")
        .contains("\"summary\":\"would change (+2 -1)\"");
  }

  @Test
  void planOfTheCommittedExampleIsInSync() {
    CliRun run = planNftables(examples().resolve("cf_allowlist.nft").toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("nftables: in sync (22 ranges)\n");
  }

  @Test
  void planAgainstAHandEditedFileExitsOneNamingTheLine() throws Exception {
    Path file = dir.resolve("cf_allowlist.nft");
    CliRun.of(
        "render", "--source", "embedded", "--target", "nftables", "--output", file.toString());
    Files.writeString(
        file, Files.readString(file).replace("\t131.0.72.0/22,", "\t131.0.72.0/22, 10.0.0.0/8,"));
    CliRun run = planNftables(file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("131.0.72.0/22, 10.0.0.0/8");
    assertThat(run.errIsOneSentence()).isTrue();
  }

  @Test
  void planWithAMissingCurrentFileExitsOne() {
    CliRun run = planNftables(dir.resolve("absent.nft").toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("cf-allowlist: --current " + dir.resolve("absent.nft") + " does not exist\n");
  }

  @Test
  void unknownTargetExitsOneListingTheKnownOnes() {
    CliRun run = CliRun.of("render", "--source", "embedded", "--target", "pf");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("target 'pf' is not one of").contains("nftables");
  }

  @Test
  void badPortExitsOne() {
    CliRun run =
        CliRun.of("render", "--source", "embedded", "--target", "nftables", "--ports", "80,99999");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("99999");
    assertThat(run.errIsOneSentence()).isTrue();
  }

  /** Renders the embedded list for {@code target} into {@code name} in the test's directory. */
  private Path rendered(String target, String name) {
    Path file = dir.resolve(name);
    CliRun run =
        CliRun.of(
            "render", "--source", "embedded", "--target", target, "--output", file.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    return file;
  }
}
