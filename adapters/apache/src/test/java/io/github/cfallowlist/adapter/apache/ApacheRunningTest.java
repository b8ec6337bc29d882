package io.github.cfallowlist.adapter.apache;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApacheRunningTest {
  private static final List<String> TEST = List.of("apachectl", "-t");

  @TempDir Path dir;

  private static CommandRunner dumping(String stdout) {
    return command -> {
      assertThat(command.argv()).containsExactly("apachectl", "-t", "-D", "DUMP_RUN_CFG");
      return new CommandResult(0, stdout, "");
    };
  }

  private String dumpNaming(Path pidFile) {
    return "ServerRoot: \"/etc/apache2\"\nPidFile: \"" + pidFile + "\"\nDefine: DUMP_RUN_CFG\n";
  }

  @Test
  void aPidFileNamingAProcessThatEndedMeansStopped() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    Path pidFile = Files.writeString(dir.resolve("apache2.pid"), ended.pid() + "\n");

    assertThat(ApacheRunning.stopped(TEST, dumping(dumpNaming(pidFile))))
        .contains("no process has the pid " + ended.pid() + " that " + pidFile + " holds");
  }

  @Test
  void aPidFileNamingARunningProcessMeansRunning() throws Exception {
    Path pidFile =
        Files.writeString(dir.resolve("apache2.pid"), ProcessHandle.current().pid() + "\n");

    assertThat(ApacheRunning.stopped(TEST, dumping(dumpNaming(pidFile)))).isEmpty();
  }

  @Test
  void whatCannotBeToldIsNotStoppedSoTheReloadRunsAsConfigured() throws Exception {
    Path garbled = Files.writeString(dir.resolve("apache2.pid"), "not a pid\n");

    assertThat(ApacheRunning.stopped(List.of("apachectl", "configtest"), dumping("")))
        .as("no -t to add the define to")
        .isEmpty();
    assertThat(
            ApacheRunning.stopped(
                List.of("docker", "exec", "web", "apachectl", "-t"),
                command -> {
                  throw new AssertionError("nothing runs: " + command.display());
                }))
        .as("Apache run elsewhere, whose pid file is not here")
        .isEmpty();
    assertThat(ApacheRunning.stopped(TEST, dumping("ServerRoot: \"/etc/apache2\"\n")))
        .as("no PidFile in the dump")
        .isEmpty();
    assertThat(ApacheRunning.stopped(TEST, dumping(dumpNaming(garbled))))
        .as("a pid file that holds no pid")
        .isEmpty();
    assertThat(ApacheRunning.stopped(TEST, command -> new CommandResult(1, "", "AH00526: Syntax")))
        .as("a dump that fails")
        .isEmpty();
  }
}
