package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.RawRanges;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HelpAndVersionTest {
  @Test
  void topLevelHelpListsEveryCommandAndTheExitCodes() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("fetch", "check", "render", "plan", "apply", "status", "doctor")
        .contains("Exit codes: 0")
        .contains("generate-completion", "help");
  }

  @Test
  void subcommandHelpShowsItsOptions() {
    CliRun run = CliRun.of("apply", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("--dry-run", "--uninstall", "--allow-shrink", "--target");
  }

  @Test
  void versionNamesTheToolTheCommitAndTheEmbeddedList() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .matches(
            "cf-allowlist \\S+\n"
                + "commit: [0-9A-Za-z.+_-]+\n"
                + "embedded list: recorded 2026-10-02, etag 38f79d050aa027e3be3865e495dcc9bc\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void versionLinesHaveAFixedShape() {
    RawRanges list =
        new RawRanges(
            List.of(),
            "embedded snapshot",
            Optional.of("abc123"),
            Instant.parse("2026-10-02T00:00:00Z"));
    assertThat(Cli.Version.lines("1.2.3", "v1.2.3-4-g0123abc", list))
        .containsExactly(
            "cf-allowlist 1.2.3",
            "commit: v1.2.3-4-g0123abc",
            "embedded list: recorded 2026-10-02, etag abc123");
  }

  @Test
  void theCommitIsTheOneTheBuildRecorded() throws Exception {
    String commit = Cli.Version.buildCommit();
    String expected;
    int status;
    try {
      Process git =
          new ProcessBuilder("git", "describe", "--always", "--dirty", "--abbrev=12")
              .redirectErrorStream(true)
              .start();
      expected = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      status = git.waitFor();
    } catch (IOException e) {
      expected = "";
      status = -1; // no git on this machine
    }
    if (status == 0) {
      // Built in this checkout: the same commit (a file changed since the build may add -dirty).
      assertThat(expected).startsWith(commit.replace("-dirty", ""));
    } else {
      assertThat(commit).isEqualTo("unknown");
    }
  }

  @Test
  void unknownCommandExitsOneWithOneSentence() {
    CliRun run = CliRun.of("sync");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("'sync'");
    assertThat(run.errIsOneSentence()).isTrue();
  }

  @Test
  void completionScriptIsGenerated() {
    CliRun run = CliRun.of("generate-completion");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("cf-allowlist");
  }
}
