package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FullFileSystem;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
  void aReaderGetsTheOutputWhileTheCommandIsStillPrinting(@TempDir Path dir) throws IOException {
    Path seen = dir.resolve("seen");
    // The command prints its second line only once the reader has read its first: handed the
    // output after the command ended, the reader would never get there, and the command would run
    // into its timeout.
    Command command =
        Command.read(
                "sh",
                "-c",
                "echo first; while [ ! -e \"$1\" ]; do sleep 0.05; done; echo second",
                "sh",
                seen.toString())
            .withTimeout(Duration.ofSeconds(20));

    ReadResult<List<String>> read =
        CommandRunner.system()
            .run(
                command,
                out -> {
                  var lines =
                      new java.io.BufferedReader(
                          new java.io.InputStreamReader(out, StandardCharsets.UTF_8));
                  List<String> got = new ArrayList<>();
                  got.add(lines.readLine());
                  Files.createFile(seen);
                  got.add(lines.readLine());
                  return got;
                });

    assertThat(read.ok()).isTrue();
    assertThat(read.value()).contains(List.of("first", "second"));
  }

  @Test
  void aReaderThatStopsEarlyOrFailsNeverLeavesTheCommandBlockedOnAFullPipe() throws IOException {
    // About 1.3 MB: far more than a pipe holds.
    Command command = Command.read("seq", "1", "200000").withTimeout(Duration.ofSeconds(20));

    ReadResult<Integer> first = CommandRunner.system().run(command, out -> out.read());
    assertThat(first.ok()).isTrue();
    assertThat(first.value()).contains((int) '1');

    assertThatThrownBy(
            () ->
                CommandRunner.system()
                    .run(
                        command,
                        out -> {
                          out.readNBytes(10);
                          throw new IOException("seq printed something that is not a listing");
                        }))
        .isInstanceOf(IOException.class)
        .hasMessage("seq printed something that is not a listing");
  }

  @Test
  void aCommandThatFailsGivesItsStatusAndErrorsAndNoReadValue() throws IOException {
    ReadResult<String> read =
        CommandRunner.system()
            .run(
                Command.read("sh", "-c", "echo partial; echo 'no such table' >&2; exit 3"),
                out -> {
                  throw new IOException("the reader of a failed command is not heard");
                });

    assertThat(read.ok()).isFalse();
    assertThat(read.value()).isEmpty();
    assertThat(read.result().exitCode()).isEqualTo(3);
    assertThat(read.result().stderr()).isEqualTo("no such table\n");

    // An unchecked error of the reader counts the same, and the output is still read to its end.
    String lots = "seq 1 200000; echo 'no such table' >&2; exit 3";
    ReadResult<String> unchecked =
        CommandRunner.system()
            .run(
                Command.read("sh", "-c", lots).withTimeout(Duration.ofSeconds(20)),
                out -> {
                  throw new IllegalStateException("a reader's own bug");
                });
    assertThat(unchecked.ok()).isFalse();
    assertThat(unchecked.result().exitCode()).isEqualTo(3);
    assertThatThrownBy(
            () ->
                CommandRunner.system()
                    .run(
                        Command.read("seq", "1", "200000").withTimeout(Duration.ofSeconds(20)),
                        out -> {
                          throw new IllegalStateException("a reader's own bug");
                        }))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot read the output of 'seq 1 200000'");
  }

  @Test
  void aCommandPastItsTimeoutIsGoneWhenTheRunnerReturns(@TempDir Path dir) throws Exception {
    Path pid = dir.resolve("pid");
    Command command =
        Command.read("sh", "-c", "echo $$ > \"$1\"; exec sleep 30", "sh", pid.toString())
            .withTimeout(Duration.ofSeconds(5));

    assertThatThrownBy(() -> CommandRunner.system().run(command))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not finish within 5 s and was stopped");

    long process = Long.parseLong(Files.readString(pid).strip());
    assertThat(ProcessHandle.of(process).filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void theChildrenOfACommandPastItsTimeoutAreGoneToo(@TempDir Path dir) throws Exception {
    Path pid = dir.resolve("pid");
    // A wrapper script that waits on a child of its own, as a reload wrapper might.
    Command command =
        Command.read("sh", "-c", "sleep 30 & echo $! > \"$1\"; wait", "sh", pid.toString())
            .withTimeout(Duration.ofSeconds(5));

    assertThatThrownBy(() -> CommandRunner.system().run(command))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not finish within 5 s and was stopped");

    long child = Long.parseLong(Files.readString(pid).strip());
    Optional<ProcessHandle> left = ProcessHandle.of(child);
    left.ifPresent(p -> p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join());
    assertThat(left.filter(ProcessHandle::isAlive)).as("the child sleep").isEmpty();
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
    Process child =
        new ProcessBuilder(java(tmp, Child.class, started.toString(), count.toString()))
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

  /** The temporary directory is read once per JVM, so each case runs in a JVM of its own. */
  @Test
  void aTemporaryDirectoryThatCannotTakeTheInputIsNamedWithWhyAndTheCommandDoesNotRun(
      @TempDir Path tmp) throws Exception {
    Path missing = tmp.resolve("missing");
    Path file = Files.writeString(tmp.resolve("file"), "");
    Path ran = tmp.resolve("ran");

    assertThat(inputError(missing, ran))
        .isEqualTo("cannot write sh's input to " + missing + ": no such directory");
    assertThat(inputError(file, ran))
        .isEqualTo("cannot write sh's input to " + file + ": not a directory");
    assertThat(ran).doesNotExist();
  }

  /** A full temporary file system, mounted for the child JVM alone. */
  @Test
  void aFullTemporaryDirectoryIsNamedWithWhyAndTheCommandDoesNotRun(@TempDir Path tmp)
      throws Exception {
    SystemTests.requireTools("unshare", "mount", "dd");
    Path full = Files.createDirectories(tmp.resolve("full"));
    Path ran = tmp.resolve("ran");

    assertThat(inputError(full, ran, FullFileSystem.over(full).toArray(String[]::new)))
        .isEqualTo("cannot write sh's input to " + full + ": no space left on device");
    assertThat(ran).doesNotExist();
  }

  /**
   * What a JVM whose temporary directory is {@code tmpdir} says when a command takes input; {@code
   * prefix} starts that JVM.
   */
  private static String inputError(Path tmpdir, Path ran, String... prefix) throws Exception {
    List<String> argv = new ArrayList<>(List.of(prefix));
    argv.addAll(java(tmpdir, InputError.class, ran.toString()));
    Process child = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out.strip();
  }

  /**
   * The argument list running {@code main} in a JVM of its own whose temporary directory is {@code
   * tmpdir}.
   */
  private static List<String> java(Path tmpdir, Class<?> main, String... args) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmpdir,
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    argv.addAll(List.of(args));
    return argv;
  }

  /** Runs a command with input and prints the error: {@code RAN}, a file the command creates. */
  public static final class InputError {
    public static void main(String[] args) {
      try {
        CommandRunner.system()
            .run(Command.modify("sh", "-c", "touch \"$1\"", "sh", args[0]).withStdin(INPUT));
        System.out.println("no error");
      } catch (IOException e) {
        System.out.println(e.getMessage());
      }
    }
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
