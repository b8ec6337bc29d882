package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code apply --metrics-file}: node_exporter's textfile format after every run. */
class MetricsFileTest {
  private static final Pattern META =
      Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)");
  private static final Pattern SAMPLE =
      Pattern.compile(
          "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\""
              + "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\")*\\})? (-?[0-9]+(\\.[0-9]+)?)");

  @TempDir Path dir;

  private CliRun apply(String... more) {
    return applyWritingMetricsTo(dir.resolve("cf-allowlist.prom"), more);
  }

  private CliRun applyWritingMetricsTo(Path metrics, String... more) {
    return applyFrom("embedded", metrics, more);
  }

  private CliRun applyFrom(String source, String... more) {
    return applyFrom(source, dir.resolve("cf-allowlist.prom"), more);
  }

  private CliRun applyFrom(String source, Path metrics, String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "apply",
                "--source",
                source,
                "--target",
                "nginx",
                "--nginx-file",
                dir.resolve("real-ip.conf").toString(),
                "--nginx-test-command",
                "true",
                "--nginx-reload-command",
                "true",
                "--state-dir",
                dir.resolve("state").toString(),
                "--metrics-file",
                metrics.toString()));
    argv.addAll(List.of(more));
    return CliRun.of(argv.toArray(String[]::new));
  }

  /** Checks the exposition format line by line and returns the samples. */
  private Map<String, String> metrics() throws Exception {
    String text = Files.readString(dir.resolve("cf-allowlist.prom"));
    assertThat(text).endsWith("\n");
    Set<String> typed = new HashSet<>();
    for (String line : text.lines().toList()) {
      Matcher meta = META.matcher(line);
      if (meta.matches()) {
        if (meta.group(1).equals("TYPE")) {
          assertThat(meta.group(3)).isIn("gauge", "counter");
          assertThat(typed.add(meta.group(2))).as("one TYPE for " + meta.group(2)).isTrue();
        }
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      assertThat(sample.matches()).as("sample line: " + line).isTrue();
      assertThat(typed).as("TYPE before " + line).contains(sample.group(1));
    }
    return MetricsFile.read(text);
  }

  @Test
  void successfulRunWritesEveryMetric() throws Exception {
    CliRun run = apply();
    assertThat(run.exitCode()).as(run.err()).isZero();
    Map<String, String> m = metrics();
    assertThat(m)
        .containsKeys(
            "cf_allowlist_last_run_timestamp_seconds",
            "cf_allowlist_last_success_fetch_timestamp_seconds",
            "cf_allowlist_last_change_timestamp_seconds{target=\"nginx\"}",
            "cf_allowlist_snapshot_age_seconds")
        .containsEntry("cf_allowlist_ranges{target=\"nginx\",family=\"ipv4\"}", "15")
        .containsEntry("cf_allowlist_in_sync{target=\"nginx\"}", "1")
        .containsEntry("cf_allowlist_snapshot_source{kind=\"embedded\"}", "1")
        .containsEntry("cf_allowlist_snapshot_source{kind=\"live\"}", "0")
        .containsEntry("cf_allowlist_failures_total", "0")
        .containsEntry("cf_allowlist_last_outcome{target=\"nginx\",outcome=\"applied\"}", "1")
        .containsEntry("cf_allowlist_last_outcome{target=\"nginx\",outcome=\"refused\"}", "0");
  }

  @Test
  void failingRunCountsAFailureAndKeepsTheLastChange() throws Exception {
    assertThat(apply().exitCode()).isZero();
    String changed = metrics().get("cf_allowlist_last_change_timestamp_seconds{target=\"nginx\"}");
    CliRun failing = apply("--target", "broken");
    assertThat(failing.exitCode()).isEqualTo(1);
    Map<String, String> m = metrics();
    assertThat(m)
        .containsEntry("cf_allowlist_failures_total", "1")
        .containsEntry("cf_allowlist_last_change_timestamp_seconds{target=\"nginx\"}", changed)
        .containsEntry("cf_allowlist_in_sync{target=\"nginx\"}", "1")
        .containsEntry("cf_allowlist_in_sync{target=\"broken\"}", "0")
        .containsEntry(
            "cf_allowlist_last_outcome{target=\"broken\",outcome=\"failed_unchanged\"}", "1")
        .containsEntry("cf_allowlist_last_outcome{target=\"nginx\",outcome=\"in_sync\"}", "1");
    assertThat(apply("--target", "broken").exitCode()).isEqualTo(1);
    assertThat(metrics()).containsEntry("cf_allowlist_failures_total", "2");
  }

  @Test
  void aSourceThatFailsLeavesTheTargetsInSyncGaugeAsTheLastListFoundIt() throws Exception {
    assertThat(apply().exitCode()).isZero();

    CliRun down = applyFrom("file:" + dir.resolve("missing.txt"), "--fallback", "none");

    assertThat(down.exitCode()).as(down.err()).isEqualTo(1);
    assertThat(metrics())
        .containsEntry("cf_allowlist_failures_total", "1")
        .containsEntry("cf_allowlist_in_sync{target=\"nginx\"}", "1")
        .containsEntry(
            "cf_allowlist_last_outcome{target=\"nginx\",outcome=\"failed_unchanged\"}", "1");
  }

  @Test
  void aSourceThatFailsLeavesTheTargetsRangeCountsAsTheLastRunCountedThem() throws Exception {
    assertThat(apply().exitCode()).isZero();
    Map<String, String> before = metrics();
    assertThat(before).containsKey("cf_allowlist_ranges{target=\"nginx\",family=\"ipv4\"}");

    CliRun down = applyFrom("file:" + dir.resolve("missing.txt"), "--fallback", "none");

    assertThat(down.exitCode()).as(down.err()).isEqualTo(1);
    for (String family : List.of("ipv4", "ipv6")) {
      String name = "cf_allowlist_ranges{target=\"nginx\",family=\"" + family + "\"}";
      assertThat(metrics()).containsEntry(name, before.get(name));
    }
  }

  @Test
  void aMetricsFileInADirectoryThatDoesNotExistIsRefusedAndTheDirectoryNotCreated() {
    Path metrics = dir.resolve("mistyped/cf-allowlist.prom");

    CliRun run = applyWritingMetricsTo(metrics);

    assertRefusedBeforeTheRun(
        run,
        "--metrics-file "
            + metrics
            + " is in a directory that does not exist; create it first (node_exporter's textfile"
            + " directory)");
    assertThat(dir.resolve("mistyped")).doesNotExist();
  }

  @Test
  void aTargetThatFailsBeforeItIsComparedWithTheRunsListIsOutOfSync() throws Exception {
    assertThat(apply().exitCode()).isZero();
    Files.writeString(dir.resolve("real-ip.conf"), "edited by hand\n");

    assertThat(apply().exitCode()).isEqualTo(1);

    assertThat(metrics()).containsEntry("cf_allowlist_in_sync{target=\"nginx\"}", "0");
  }

  @Test
  void runStoppedByAnErrorStillWritesAndKeepsTheLastFetch() throws Exception {
    assertThat(apply().exitCode()).isZero();
    String fetched = metrics().get("cf_allowlist_last_success_fetch_timestamp_seconds");
    CliRun bad = apply("--set", "nginx-fil=/x");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(metrics())
        .containsEntry("cf_allowlist_failures_total", "1")
        .containsEntry("cf_allowlist_last_success_fetch_timestamp_seconds", fetched)
        .containsEntry("cf_allowlist_in_sync{target=\"nginx\"}", "1");
  }

  @Test
  void metricsFileKeyOfTheConfigurationIsUsed() throws Exception {
    Path config = dir.resolve("c.toml");
    Files.writeString(config, "metrics-file = \"" + dir.resolve("cf-allowlist.prom") + "\"\n");
    CliRun run =
        CliRun.of(
            "apply",
            "--config",
            config.toString(),
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            dir.resolve("real-ip.conf").toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--state-dir",
            dir.resolve("state").toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(metrics()).containsEntry("cf_allowlist_failures_total", "0");
  }

  /** Asserts that {@code run} was refused with {@code message} before the target was changed. */
  private void assertRefusedBeforeTheRun(CliRun run, String message) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("cf-allowlist: " + message + "\n");
    assertThat(run.out()).isEmpty();
    assertThat(dir.resolve("real-ip.conf")).doesNotExist();
  }

  @Test
  void metricsFileThatIsAFifoIsRefusedBeforeTheRunAndStaysAFifo() throws Exception {
    Path fifo = dir.resolve("metrics.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    CliRun run = applyWritingMetricsTo(fifo);

    assertRefusedBeforeTheRun(
        run,
        "--metrics-file "
            + fifo
            + " is not a regular file (a FIFO or a device), which apply will not replace");
    assertThat(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS))
        .matches(BasicFileAttributes::isOther, "still a FIFO");
  }

  @Test
  void metricsFileThatIsASymbolicLinkIsRefusedAndWhatItPointsToIsUntouched() throws Exception {
    Path elsewhere = Files.writeString(dir.resolve("elsewhere.txt"), "keep me\n");
    Path link = Files.createSymbolicLink(dir.resolve("cf-allowlist.prom"), elsewhere);

    CliRun run = applyWritingMetricsTo(link);

    assertRefusedBeforeTheRun(
        run,
        "--metrics-file "
            + link
            + " is a symbolic link, which apply will not write through; give the path of the file"
            + " itself");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(elsewhere).hasContent("keep me");
  }

  @Test
  void aDirectoryAboveTheMetricsFileThatIsAnotherUsersLinkIsRefusedAndItsTargetUntouched()
      throws Exception {
    io.github.cfallowlist.testing.SystemTests.requireTools("chown");
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(dir.resolve("node-exporter"), elsewhere);
    // The directory's owner (a service account) swapped it for a link to a place of its choice.
    Process chown = new ProcessBuilder("chown", "-h", "65534:65534", link.toString()).start();
    assertThat(chown.waitFor()).isZero();
    Path metrics = link.resolve("cf-allowlist.prom");

    CliRun run = applyWritingMetricsTo(metrics);

    assertRefusedBeforeTheRun(
        run,
        "--metrics-file "
            + metrics
            + " cannot be written: "
            + link
            + " is a symbolic link that belongs to another user (uid 65534); cf-allowlist follows"
            + " only links of root's or its own user's, so remove it");
    try (var entries = Files.list(elsewhere)) {
      assertThat(entries).isEmpty();
    }
  }

  @Test
  void metricsFileThatCfAllowlistDidNotWriteIsRefusedAndLeftUntouched() throws Exception {
    Path other =
        Files.writeString(dir.resolve("node.prom"), "# HELP my_metric Mine.\nmy_metric 1\n");

    CliRun run = applyWritingMetricsTo(other);

    assertRefusedBeforeTheRun(
        run,
        "apply will not overwrite --metrics-file "
            + other
            + ": it is not a metrics file cf-allowlist wrote (move it away or choose another"
            + " path)");
    assertThat(other).hasContent("# HELP my_metric Mine.\nmy_metric 1");
  }

  @Test
  void metricsFileThatIsADirectoryIsRefusedBeforeTheRun() throws Exception {
    Path directory = Files.createDirectories(dir.resolve("metrics"));

    CliRun run = applyWritingMetricsTo(directory);

    assertRefusedBeforeTheRun(
        run, "--metrics-file " + directory + " is a directory; give the path of a file");
    assertThat(directory).isEmptyDirectory();
  }

  @Test
  void emptyMetricsFileMadeBeforehandIsFilled() throws Exception {
    Path made = Files.writeString(dir.resolve("cf-allowlist.prom"), "");

    CliRun run = applyWritingMetricsTo(made);

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(metrics()).containsEntry("cf_allowlist_failures_total", "0");
  }
}
