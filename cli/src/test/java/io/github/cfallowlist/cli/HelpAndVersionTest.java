package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HelpAndVersionTest {
  @Test
  void topLevelHelpListsEveryCommandAndTheExitCodes() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("fetch", "check", "render", "plan", "apply", "status")
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
  void versionNamesTheTool() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("cf-allowlist ");
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
