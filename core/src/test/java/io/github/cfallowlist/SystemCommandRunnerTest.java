package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.FaultKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemCommandRunnerTest {
  // Far more than a pipe holds (64 KiB), so a writer would still be writing as the command starts.
  private static final String INPUT = "104.16.0.0/13\n".repeat(40_000);

  @Test
  void aCommandGetsItsWholeInputAsAFileThatIsGoneOnceItHasStarted() throws IOException {
    CommandResult result =
        CommandRunner.system()
            .run(
                Command.read(
                        "sh",
                        "-c",
                        "test -f /dev/stdin && echo file; wc -c; readlink /proc/self/fd/0")
                    .withStdin(INPUT));

    List<String> lines = result.stdout().lines().toList();
    assertThat(lines.get(0)).isEqualTo("file");
    assertThat(lines.get(1).strip()).isEqualTo(String.valueOf(INPUT.length()));
    String path = lines.get(2).replace(" (deleted)", "");
    assertThat(path).contains("cf-allowlist-input-");
    assertThat(Path.of(path)).doesNotExist();
  }

  @Test
  void aCommandWithoutInputReadsNothing() throws IOException {
    CommandResult result = CommandRunner.system().run(Command.read("wc", "-c"));

    assertThat(result.stdout().strip()).isEqualTo("0");
  }

  /**
   * The run is killed while its command has not read a byte yet: the command still reads every
   * line, never a list cut short (which a command such as firewalld's set-entries would put in
   * place as the whole list).
   */
  @Test
  void aRunKilledWhileItsCommandHasNotReadItsInputYetLeavesTheCommandTheWholeInput(
      @TempDir Path tmp) throws Exception {
    Path started = tmp.resolve("started");
    Path count = tmp.resolve("count");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(),
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                started.toString(),
                count.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(started) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(started).as("the command started").exists();

    assertThat(FaultKit.kill(child, false)).as("the run was still going when killed").isTrue();

    // kill waited for the command, which counts what it read once the run is gone.
    assertThat(Files.readString(count).strip()).isEqualTo(String.valueOf(INPUT.length()));
  }

  /** The run that is killed: {@code STARTED COUNT}. */
  public static final class Child {
    public static void main(String[] args) throws IOException {
      CommandRunner.system()
          .run(
              Command.modify(
                      "sh",
                      "-c",
                      "touch \"$1\"; while kill -0 $PPID 2>/dev/null; do sleep 0.05; done;"
                          + " wc -c > \"$2\"",
                      "sh",
                      args[0],
                      args[1])
                  .withStdin(INPUT)
                  .withTimeout(Duration.ofSeconds(60)));
      System.out.println("the command ended before the kill");
    }
  }
}
