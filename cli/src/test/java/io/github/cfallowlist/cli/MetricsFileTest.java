package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
    List<String> argv =
        new ArrayList<>(
            List.of(
                "apply",
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
                dir.resolve("state").toString(),
                "--metrics-file",
                dir.resolve("cf-allowlist.prom").toString()));
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
}
