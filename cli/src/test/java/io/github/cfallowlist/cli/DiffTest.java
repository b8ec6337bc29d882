package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.testing.PatchTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diffs {@code plan} and {@code apply --dry-run} print are what {@code diff -u} writes, with no
 * header lines: {@code patch} turns the configuration in place (below its header) into the
 * configuration rendered, for a changed, a new and a deleted file. nginx's files are read from
 * disk, so this needs no root.
 */
class DiffTest {
  @TempDir Path dir;

  private static final Path OLDER_LIST = Path.of("..", "docs", "examples", "ranges-2021-03.txt");

  private String[] nginx(String... args) {
    String[] common = {
      "--target",
      "nginx",
      "--source",
      "embedded",
      "--nginx-file",
      dir.resolve("real-ip.conf").toString(),
      "--state-dir",
      dir.resolve("state").toString()
    };
    String[] all = new String[args.length + common.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(common, 0, all, args.length, common.length);
    return all;
  }

  /** The printed diff: every line before the summary. */
  private static String diffOf(CliRun run) {
    String out = run.out();
    return out.substring(0, out.lastIndexOf("nginx: "));
  }

  private static String body(Path file) throws Exception {
    return new Rendered.File(file.getFileName().toString(), Files.readString(file)).body();
  }

  @Test
  void patchAppliesThePlanOfAChangedAndANewFile() throws Exception {
    Path realIp = dir.resolve("real-ip.conf");
    Path allow = dir.resolve("allow.conf");
    assertThat(
            CliRun.of(
                    "render",
                    "--target",
                    "nginx",
                    "--source",
                    "file:" + OLDER_LIST,
                    "--output",
                    realIp.toString())
                .exitCode())
        .isZero();
    Path desired = Files.createDirectories(dir.resolve("desired"));
    CliRun.of(
        nginx("render", "--nginx-allow-file", allow.toString(), "--output", desired.toString()));

    CliRun plan = CliRun.of(nginx("plan", "--nginx-allow-file", allow.toString()));

    assertThat(plan.exitCode()).isEqualTo(2);
    String diff = diffOf(plan);
    assertThat(diff)
        .startsWith("--- current/real-ip.conf\n+++ desired/real-ip.conf\n@@ -1,7 +1,9 @@\n")
        .contains("--- current/allow.conf\n+++ desired/allow.conf\n@@ -0,0 +1,31 @@\n")
        .doesNotContain("source:", "sha256:", "etag:", "Cloudflare IP ranges");
    assertThat(PatchTool.apply(Map.of("real-ip.conf", body(realIp)), diff))
        .isEqualTo(
            Map.of(
                "real-ip.conf", body(desired.resolve("real-ip.conf")),
                "allow.conf", body(desired.resolve("allow.conf"))));
  }

  @Test
  void patchAppliesTheUninstallPlanOfADeletedFile() throws Exception {
    Path realIp = dir.resolve("real-ip.conf");
    CliRun.of(nginx("render", "--output", realIp.toString()));

    CliRun plan = CliRun.of(nginx("apply", "--uninstall", "--dry-run"));

    assertThat(plan.exitCode()).isEqualTo(2);
    String diff = diffOf(plan);
    assertThat(diff)
        .startsWith("--- current/real-ip.conf\n+++ desired/real-ip.conf\n@@ -1,23 +0,0 @@\n");
    assertThat(PatchTool.apply(Map.of("real-ip.conf", body(realIp)), diff))
        .isEqualTo(Map.of("real-ip.conf", ""));
  }
}
