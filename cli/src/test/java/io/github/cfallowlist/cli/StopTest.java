package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run asked to stop (SIGTERM, as systemd stops the service) while a command hangs. */
class StopTest {
  @TempDir Path dir;

  @Test
  void aSignalDuringAHungReloadStillEndsTheRollbackAndPrintsTheOutcomeBeforeTheJvmExits()
      throws Exception {
    Path file = dir.resolve("real-ip.conf");
    Path state = dir.resolve("state");
    CliRun installed =
        CliRun.of(
            "apply",
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            file.toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--state-dir",
            state.toString());
    assertThat(installed.exitCode()).as(installed.err()).isZero();
    String before = Files.readString(file);
    Path list = dir.resolve("list.txt");
    Files.writeString(list, "173.245.48.0/20\n103.21.244.0/22\n2400:cb00::/32\n");
    // Every reload hangs: the first one runs out its 60 s limit, the rollback's must not.
    Path started = dir.resolve("reload-started");
    Path reload = dir.resolve("reload");
    Files.writeString(reload, "#!/bin/sh\ntouch " + started + "\nexec sleep 1000\n");
    Files.setPosixFilePermissions(reload, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path log = dir.resolve("run.log");
    List<String> argv =
        CronCli.argv(
            List.of(),
            state,
            "apply",
            "--source",
            "file:" + list,
            "--max-shrink",
            "100",
            "--min-ranges",
            "1",
            "--target",
            "nginx",
            "--nginx-file",
            file.toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            reload.toString());
    Process child =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(started) && System.nanoTime() < deadline && child.isAlive()) {
      Thread.sleep(20);
    }
    assertThat(started).as(Files.readString(log)).exists();

    child.destroy(); // SIGTERM

    assertThat(child.waitFor(100, TimeUnit.SECONDS)).as("the run ended").isTrue();
    String output = Files.readString(log);
    assertThat(output).contains("cf-allowlist: nginx: failed (").contains("did not finish within");
    assertThat(Files.readString(file)).as(output).isEqualTo(before);
  }
}
