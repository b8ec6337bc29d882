package io.github.cfallowlist;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs commands with {@link ProcessBuilder}: argument lists, fixed PATH, LC_ALL=C, timeouts; {@link
 * #LOGGED} also logs each command at DEBUG.
 */
enum SystemCommandRunner implements CommandRunner {
  /** Logs what ran, how it ended and how long it took, at DEBUG. */
  LOGGED(true),
  /** Logs no record per command. */
  UNLOGGED(false);

  private final boolean logsCommands;

  SystemCommandRunner(boolean logsCommands) {
    this.logsCommands = logsCommands;
  }

  /**
   * The logger, looked up when a record is logged rather than when the class loads: the JDK's first
   * lookup (a service scan for the logger finder) costs milliseconds, which a run that logs nothing
   * need not pay.
   */
  private static System.Logger logger() {
    return System.getLogger(SystemCommandRunner.class.getName());
  }

  /** How long a killed command is waited for. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * Runs {@code command} and, {@link #LOGGED}, logs at DEBUG what ran, how it ended and how long.
   */
  @Override
  public CommandResult run(Command command) throws IOException {
    Ended<byte[]> ended = logged(command, InputStream::readAllBytes);
    if (ended.outFailure() != null) {
      throw unreadable(command, ended.outFailure());
    }
    return new CommandResult(
        ended.exitCode(), new String(ended.out(), StandardCharsets.UTF_8), ended.stderr());
  }

  /**
   * Runs {@code command}, {@code reader} reading its output on the thread that drains it, while the
   * command prints it; logged as {@link #run(Command)} is.
   */
  @Override
  public <T> ReadResult<T> run(Command command, OutputReader<T> reader) throws IOException {
    Ended<T> ended = logged(command, reader);
    CommandResult result = new CommandResult(ended.exitCode(), "", ended.stderr());
    if (!result.ok()) {
      return ReadResult.of(command, result, null);
    }
    if (ended.outFailure() instanceof IOException e) {
      throw e;
    }
    if (ended.outFailure() != null) {
      throw unreadable(command, ended.outFailure());
    }
    return ReadResult.of(command, result, ended.out());
  }

  /** The error for output that could not be read, naming the command. */
  private static IOException unreadable(Command command, Exception cause) {
    return new IOException("cannot read the output of '" + command.display() + "'", cause);
  }

  private <T> Ended<T> logged(Command command, OutputReader<T> stdout) throws IOException {
    if (!logsCommands) {
      return start(command, stdout);
    }
    long start = System.nanoTime();
    String ending = "did not start";
    try {
      Ended<T> ended = start(command, stdout);
      ending = "exit " + ended.exitCode();
      return ended;
    } catch (IOException e) {
      ending = Printable.message(e);
      throw e;
    } finally {
      long millis = (System.nanoTime() - start) / 1_000_000;
      String end = ending;
      logger()
          .log(
              Level.DEBUG,
              () ->
                  "ran '"
                      + command.display().replaceAll("\\p{Cntrl}", "?")
                      + "': "
                      + end
                      + ", "
                      + millis
                      + " ms");
    }
  }

  /**
   * How a command ended: its exit status, what its stdout's reader returned or threw, and its
   * stderr.
   */
  private record Ended<T>(int exitCode, T out, Exception outFailure, String stderr) {}

  private <T> Ended<T> start(Command command, OutputReader<T> stdout) throws IOException {
    List<String> argv = new ArrayList<>(command.argv());
    argv.set(0, resolve(argv.get(0)).toString());
    ProcessBuilder pb = new ProcessBuilder(argv);
    Map<String, String> env = pb.environment();
    env.put("PATH", PATH);
    env.put("LC_ALL", "C");
    env.remove("LANG");
    Path input = command.stdin().isPresent() ? input(command) : null;
    if (input != null) {
      pb.redirectInput(input.toFile());
    }
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException("cannot run '" + command.argv().get(0) + "': " + e.getMessage(), e);
    } finally {
      if (input != null) {
        forget(input);
      }
    }
    CompletableFuture<T> out = drain(process.getInputStream(), stdout);
    CompletableFuture<byte[]> err = drain(process.getErrorStream(), InputStream::readAllBytes);
    if (input == null) {
      // No input: the command reads the end of it at once.
      process.getOutputStream().close();
    }
    long deadline = System.nanoTime() + command.timeout().toNanos();
    try {
      if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        kill(process);
        throw new IOException(
            "'"
                + command.display()
                + "' did not finish within "
                + command.timeout().toSeconds()
                + " s and was stopped");
      }
      // The command has ended; its output is read within its time left, and never less than the
      // grace a killed command gets (a reader that never returns, or a process the command left
      // behind holding the pipe, must not hold the run).
      long left = Math.max(deadline - System.nanoTime(), KILL_WAIT.toNanos());
      String errors = new String(err.get(left, TimeUnit.NANOSECONDS), StandardCharsets.UTF_8);
      try {
        return new Ended<>(process.exitValue(), out.get(left, TimeUnit.NANOSECONDS), null, errors);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ReaderFailed failed) {
          return new Ended<>(process.exitValue(), null, failed.getCause(), errors);
        }
        throw e;
      }
    } catch (TimeoutException e) {
      throw new IOException(
          "'" + command.display() + "' ended, but its output could not be read to its end", e);
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running '" + command.display() + "'", e);
    } catch (ExecutionException e) {
      throw unreadable(command, e);
    }
  }

  /**
   * Kills {@code process} and the processes it started, and waits until it is gone (a killed
   * process ends at once; the wait is bounded all the same), so that neither outlives the call that
   * started it (a wrapper script's {@code sleep} would). A daemon the command started has left its
   * tree and is not touched.
   */
  private static void kill(Process process) {
    // Listed first: once the command is gone, its children are no longer its descendants.
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What a reader of a command's output threw, carried out of the thread that drains it. */
  private static final class ReaderFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ReaderFailed(Exception cause) {
      super(cause);
    }

    @Override
    public synchronized Exception getCause() {
      return (Exception) super.getCause();
    }
  }

  /**
   * The program's absolute path: a name without a slash is looked up in the fixed search path, not
   * the JVM's PATH, so cron's PATH, systemd's and a library caller's all find the same program. A
   * name with a slash is used as it is.
   *
   * @throws ToolNotFoundException when no directory of the search path holds it, or the path named
   *     is not an executable file
   */
  static Path resolve(String program) throws ToolNotFoundException {
    if (program.indexOf('/') >= 0) {
      Path path = Path.of(program);
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        Path parent = path.toAbsolutePath().getParent();
        throw new ToolNotFoundException(program, parent == null ? "/" : parent.toString());
      }
      return path;
    }
    for (String dir : PATH.split(":", -1)) {
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new ToolNotFoundException(program, PATH);
  }

  /**
   * {@code command}'s input, written whole to a new file only this user can read. The command reads
   * it from there rather than from a pipe this process feeds: a run killed while a command starts
   * (SIGKILL, a stopped unit) would otherwise leave the command a cut-short input, which it cannot
   * tell from a whole one, and a command that replaces a list (firewalld's setEntries) would put
   * the part in place, or nothing, as the whole list.
   */
  private static Path input(Command command) throws IOException {
    Path file = null;
    try {
      file = Files.createTempFile("cf-allowlist-input-", ".tmp");
      Files.write(file, command.stdin().orElseThrow().getBytes(StandardCharsets.UTF_8));
      return file;
    } catch (IOException e) {
      if (file != null) {
        forget(file);
      }
      throw new IOException(
          "cannot write "
              + Path.of(command.argv().get(0)).getFileName()
              + "'s input to "
              + System.getProperty("java.io.tmpdir")
              + ": "
              + why(e),
          e);
    }
  }

  /** Why a file could not be written, in words, without the file's random name. */
  private static String why(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such directory";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason().toLowerCase(Locale.ROOT);
    }
    // A failed write says only "No space left on device" and the like.
    String text = Printable.message(e);
    return text.length() > 1 && Character.isLowerCase(text.charAt(1))
        ? Character.toLowerCase(text.charAt(0)) + text.substring(1)
        : text;
  }

  /** Deletes an input file; a started command keeps reading it through the descriptor it holds. */
  private static void forget(Path input) {
    try {
      Files.deleteIfExists(input);
    } catch (IOException e) {
      logger().log(Level.DEBUG, () -> "cannot delete " + input + ": " + Printable.message(e));
    }
  }

  /**
   * Hands {@code in} to {@code reader} on a thread of its own, then reads whatever it left to the
   * end, so that the command never waits on a full pipe, whether the reader stopped early or threw.
   * What the reader throws is carried out as {@link ReaderFailed}; an error reading the rest of the
   * pipe fails the future as it is.
   */
  private static <T> CompletableFuture<T> drain(InputStream in, OutputReader<T> reader) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            T value;
            try {
              value = reader.read(new KeptOpen(in));
            } catch (IOException | RuntimeException e) {
              try {
                in.transferTo(OutputStream.nullOutputStream());
              } catch (IOException unread) {
                e.addSuppressed(unread);
              }
              throw new ReaderFailed(e);
            }
            in.transferTo(OutputStream.nullOutputStream());
            return value;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        task -> {
          Thread t = new Thread(task, "cf-allowlist-output");
          t.setDaemon(true);
          t.start();
        });
  }

  /** The output as a reader sees it: closing it leaves the pipe to the runner. */
  private static final class KeptOpen extends FilterInputStream {
    KeptOpen(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The runner reads the rest and closes the pipe.
    }
  }
}
