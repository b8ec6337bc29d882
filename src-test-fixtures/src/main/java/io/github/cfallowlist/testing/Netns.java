package io.github.cfallowlist.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One network namespace ({@code ip netns add}), deleted again by {@link #close()}.
 *
 * <p>Commands run as argument lists through {@link ProcessBuilder}, never through a shell. A
 * shutdown hook deletes the namespace if the JVM exits before {@link #close()} is called.
 */
public final class Netns implements AutoCloseable {

  /** Time a command may take before it is killed and an {@link AssertionError} is thrown. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final File DEV_NULL = new File("/dev/null");

  /**
   * What a finished command produced.
   *
   * @param exitCode its exit status
   * @param stdout its standard output, decoded as UTF-8
   * @param stderr its standard error, decoded as UTF-8
   */
  public record Result(int exitCode, String stdout, String stderr) {
    /** Returns whether the exit status is 0. */
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private final String name;
  private final List<Process> processes = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  private Netns(String name) {
    this.name = name;
    this.shutdownHook = new Thread(this::closeQuietly, "netns-cleanup-" + name);
  }

  /**
   * Creates a namespace named {@code prefix} plus six random hex digits and brings {@code lo} up.
   *
   * @param prefix at most 9 characters of {@code [a-z0-9-]}, so the name fits in 15
   * @return the new namespace
   */
  public static Netns create(String prefix) {
    if (!prefix.matches("[a-z0-9-]{0,9}")) {
      throw new IllegalArgumentException("netns prefix must match [a-z0-9-]{0,9}: " + prefix);
    }
    byte[] suffix = new byte[3];
    RANDOM.nextBytes(suffix);
    Netns ns = new Netns(prefix + HexFormat.of().formatHex(suffix));
    check(
        List.of("ip", "netns", "add", ns.name),
        run(List.of("ip", "netns", "add", ns.name), null, DEFAULT_TIMEOUT));
    Runtime.getRuntime().addShutdownHook(ns.shutdownHook);
    try {
      ns.execChecked("ip", "link", "set", "lo", "up");
    } catch (RuntimeException | Error e) {
      ns.closeQuietly();
      throw e;
    }
    return ns;
  }

  /** Returns the namespace's name, as {@code ip netns list} shows it. */
  public String name() {
    return name;
  }

  /**
   * Runs a command inside the namespace with the {@linkplain #DEFAULT_TIMEOUT default timeout}.
   *
   * @param argv the command and its arguments
   * @return its exit status and output, whatever the status
   */
  public Result exec(String... argv) {
    return exec(null, List.of(argv), DEFAULT_TIMEOUT);
  }

  /**
   * Runs a command inside the namespace, feeding it {@code stdin}.
   *
   * @param stdin text for standard input, or {@code null} for none
   * @param argv the command and its arguments
   * @return its exit status and output, whatever the status
   */
  public Result exec(String stdin, List<String> argv) {
    return exec(stdin, argv, DEFAULT_TIMEOUT);
  }

  /**
   * Runs a command inside the namespace.
   *
   * @param stdin text for standard input, or {@code null} for none
   * @param argv the command and its arguments
   * @param timeout how long it may run before it is killed and an {@link AssertionError} thrown
   * @return its exit status and output, whatever the status
   */
  public Result exec(String stdin, List<String> argv, Duration timeout) {
    return run(inside(argv), stdin, timeout);
  }

  /**
   * Like {@link #exec(String...)}, but a nonzero exit status throws an {@link AssertionError}
   * naming the command, the status and standard error.
   *
   * @param argv the command and its arguments
   * @return the successful result
   */
  public Result execChecked(String... argv) {
    return execChecked(null, List.of(argv));
  }

  /**
   * Like {@link #exec(String, List)}, but a nonzero exit status throws an {@link AssertionError}.
   *
   * @param stdin text for standard input, or {@code null} for none
   * @param argv the command and its arguments
   * @return the successful result
   */
  public Result execChecked(String stdin, List<String> argv) {
    return check(argv, exec(stdin, argv));
  }

  /**
   * Starts a background process inside the namespace; {@link #close()} stops it.
   *
   * @param argv the command and its arguments
   * @param log file receiving its standard output and error (appended), or {@code null} to discard
   * @return the process (its pid is the command's: {@code ip netns exec} replaces itself)
   */
  public synchronized Process start(List<String> argv, Path log) {
    if (closed) {
      throw new IllegalStateException("netns " + name + " is closed");
    }
    ProcessBuilder pb =
        builder(inside(argv))
            .redirectInput(DEV_NULL)
            .redirectErrorStream(true)
            .redirectOutput(
                log == null
                    ? ProcessBuilder.Redirect.DISCARD
                    : ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Process p = pb.start();
      processes.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + argv, e);
    }
  }

  /**
   * Stops the processes started here and any other process left in the namespace, then deletes it.
   * Calling it again does nothing.
   *
   * @throws AssertionError if {@code ip netns delete} fails
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook itself
    }
    processes.forEach(p -> stop(p.toHandle()));
    // Daemons that forked (dbus-daemon --fork, ...) are no longer our children: find them by
    // namespace.
    run(List.of("ip", "netns", "pids", name), null, DEFAULT_TIMEOUT)
        .stdout()
        .lines()
        .map(String::strip)
        .filter(s -> s.matches("\\d+"))
        .forEach(pid -> ProcessHandle.of(Long.parseLong(pid)).ifPresent(Netns::stop));
    List<String> delete = List.of("ip", "netns", "delete", name);
    check(delete, run(delete, null, DEFAULT_TIMEOUT));
  }

  /**
   * Runs a command on the host (not in a namespace).
   *
   * @param argv the command and its arguments; a bare name is also looked up in {@code /usr/sbin}
   *     and {@code /sbin}
   * @param stdin text for standard input, or {@code null} for none
   * @param timeout how long it may run before it is killed and an {@link AssertionError} thrown
   * @return its exit status and output, whatever the status
   */
  public static Result run(List<String> argv, String stdin, Duration timeout) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("cf-allowlist-run");
      Path in = dir.resolve("stdin");
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      Files.writeString(in, stdin == null ? "" : stdin);
      Process p =
          builder(argv)
              .redirectInput(in.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stop(p.toHandle());
        throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", argv));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + argv, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + argv, e);
    } finally {
      deleteTree(dir);
    }
  }

  /** Throws an {@link AssertionError} describing {@code argv} and {@code r} unless it succeeded. */
  static Result check(List<String> argv, Result r) {
    if (!r.ok()) {
      throw new AssertionError(
          "command failed with exit code "
              + r.exitCode()
              + ": "
              + String.join(" ", argv)
              + "\nstderr: "
              + r.stderr().strip());
    }
    return r;
  }

  /** Deletes a directory tree, ignoring errors; {@code null} is ignored. */
  static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths
          .sorted((a, b) -> b.getNameCount() - a.getNameCount())
          .map(Path::toFile)
          .forEach(File::delete);
    } catch (IOException | UncheckedIOException ignored) {
      // best effort
    }
  }

  private List<String> inside(List<String> argv) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(argv);
    return full;
  }

  /**
   * A builder whose command is resolved like {@link SystemTests#which} and whose PATH includes the
   * sbin dirs.
   */
  private static ProcessBuilder builder(List<String> argv) {
    List<String> cmd = new ArrayList<>(argv);
    cmd.set(0, SystemTests.which(cmd.get(0)).map(Path::toString).orElse(cmd.get(0)));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put(
        "PATH",
        env.getOrDefault("PATH", "/usr/bin:/bin") + ":" + String.join(":", SystemTests.EXTRA_DIRS));
    return pb;
  }

  /** Terminates a process and its descendants, forcibly after 3 seconds. */
  private static void stop(ProcessHandle p) {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      p.onExit().get(3, TimeUnit.SECONDS);
    } catch (Exception notYet) {
      if (notYet instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.onExit().orTimeout(3, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException | Error ignored) {
      // best effort during failure handling or JVM shutdown
    }
  }
}
