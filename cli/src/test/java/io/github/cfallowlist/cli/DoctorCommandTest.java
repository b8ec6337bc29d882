package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code doctor} prints for each finding and how it refuses bad input. */
class DoctorCommandTest {
  @TempDir Path dir;

  @Test
  void aFindingIsOneLineWithTheRemedyOnlyWhenNotOk() {
    assertThat(DoctorCommand.line(Finding.ok("listen", "nginx listens on 0.0.0.0:443")))
        .isEqualTo("ok   listen: nginx listens on 0.0.0.0:443");
    assertThat(
            DoctorCommand.line(
                Finding.fail("listen", "nothing listens on port 443", "start the web server")))
        .isEqualTo("fail listen: nothing listens on port 443; to fix: start the web server");
  }

  @Test
  void anUnknownTlsModeIsOneSentenceAndExitOne() {
    CliRun run =
        CliRun.of(
            "doctor",
            "--source",
            "embedded",
            "--tls-mode",
            "strikt",
            "--state-dir",
            dir.resolve("state").toString());
    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err()).contains("--tls-mode 'strikt' is not one of flexible, full, strict");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void anUnknownTargetIsOneSentenceAndExitOne() {
    CliRun run =
        CliRun.of(
            "doctor",
            "--source",
            "embedded",
            "--target",
            "nftabels",
            "--state-dir",
            dir.resolve("state").toString());
    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err()).contains("nftabels");
  }

  @Test
  void aHostnameThatIsNotADnsNameIsOneSentenceAndExitOne() {
    CliRun run =
        CliRun.of(
            "doctor",
            "--source",
            "embedded",
            "--hostname",
            "-x",
            "--origin-ip",
            "203.0.113.10",
            "--state-dir",
            dir.resolve("state").toString());
    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err()).contains("--hostname '-x' is not a DNS name");
    assertThat(run.out()).isEmpty();
  }
}
