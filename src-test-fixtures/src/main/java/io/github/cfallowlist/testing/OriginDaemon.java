package io.github.cfallowlist.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A real daemon (a web server) run in the foreground in the origin namespace of an {@link
 * EdgeAndOrigin} pair, with its configuration, logs and state in its own temporary directory: the
 * host's configuration is neither read nor touched. Closing it stops the daemon, makes sure it is
 * dead, removes the namespaces and deletes the directory.
 */
public final class OriginDaemon implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final String name;
  private final EdgeAndOrigin net;
  private final Path dir;
  private final Process process;
  private final Optional<List<String>> stopCommand;
  private final List<String> logs;

  private OriginDaemon(
      String name,
      EdgeAndOrigin net,
      Path dir,
      Process process,
      Optional<List<String>> stopCommand,
      List<String> logs) {
    this.name = name;
    this.net = net;
    this.dir = dir;
    this.process = process;
    this.stopCommand = stopCommand;
    this.logs = List.copyOf(logs);
  }

  /** Writes a daemon's files into its directory and says how to run it. */
  @FunctionalInterface
  public interface Setup {
    /**
     * Writes the configuration into {@code dir}.
     *
     * @return the command that runs the daemon in the foreground
     */
    List<String> prepare(Path dir) throws IOException;
  }

  /**
   * How to start and stop one daemon.
   *
   * @param name the program's name, for messages and the directory's name
   * @param stopCommand given the directory, the command that stops the daemon; empty: SIGTERM
   * @param logs files in the directory: the first gets the daemon's output; all are shown when it
   *     dies
   */
  public record Spec(
      String name, Optional<Function<Path, List<String>>> stopCommand, List<String> logs) {
    /** Copies the list. */
    public Spec {
      logs = List.copyOf(logs);
    }

    /**
     * A daemon called {@code name} whose output goes to the first of {@code logs} (files in its
     * directory, all shown when it dies) and that is stopped with SIGTERM.
     */
    public static Spec of(String name, String... logs) {
      return new Spec(name, Optional.empty(), List.of(logs));
    }

    /** The same daemon stopped by running {@code command} of its directory in the namespace. */
    public Spec stoppedBy(Function<Path, List<String>> command) {
      return new Spec(name, Optional.of(command), logs);
    }
  }

  /**
   * Creates the namespaces and a temporary directory, writes the daemon's files with {@code setup},
   * starts it and waits until {@code ready} holds; on any failure everything is cleaned up.
   */
  public static OriginDaemon start(Spec spec, Setup setup, Predicate<OriginDaemon> ready) {
    EdgeAndOrigin net = EdgeAndOrigin.create();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("cf-allowlist-" + spec.name());
      List<String> argv = setup.prepare(dir);
      Process process = net.origin().start(argv, dir.resolve(spec.logs().get(0)));
      Path at = dir;
      OriginDaemon daemon =
          new OriginDaemon(
              spec.name(),
              net,
              dir,
              process,
              spec.stopCommand().map(f -> f.apply(at)),
              spec.logs());
      daemon.await(spec.name() + " to be ready", () -> ready.test(daemon));
      return daemon;
    } catch (IOException e) {
      cleanUp(net, dir);
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      cleanUp(net, dir);
      throw e;
    }
  }

  private static void cleanUp(EdgeAndOrigin net, Path dir) {
    try {
      net.close();
    } finally {
      if (dir != null) {
        Netns.deleteTree(dir);
      }
    }
  }

  /** The namespaces. */
  public EdgeAndOrigin net() {
    return net;
  }

  /** The origin namespace, where the daemon runs. */
  public Netns origin() {
    return net.origin();
  }

  /** The daemon's directory. */
  public Path dir() {
    return dir;
  }

  /** Whether the daemon's process still runs. */
  public boolean alive() {
    return process.isAlive();
  }

  /** The daemon's process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether something listens on TCP {@code port} in the origin namespace. */
  public boolean listens(int port) {
    return net.origin().execChecked("ss", "-Hltn").stdout().contains(":" + port + " ");
  }

  /** The file {@code name} in the daemon's directory, or empty text when there is none. */
  public String read(String name) {
    return read(dir.resolve(name));
  }

  /** {@code file}'s text, or empty text when there is none. */
  public static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits up to 15 s for {@code condition}, failing at once (with the daemon's logs) when the
   * daemon has exited.
   */
  public void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name
                + " exited with "
                + process.exitValue()
                + ": "
                + logs.stream().map(this::read).collect(Collectors.joining()));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }

  /**
   * Stops the daemon (its stop command, or SIGTERM; then by force), makes sure it is dead, removes
   * the namespaces and deletes its directory.
   */
  @Override
  public void close() {
    try {
      if (stopCommand.isPresent()) {
        net.origin().exec(null, stopCommand.get(), WAIT);
      } else {
        process.destroy();
      }
      if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (process.isAlive()) {
        throw new AssertionError(name + " (pid " + process.pid() + ") is still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping " + name, e);
    } finally {
      cleanUp(net, dir);
    }
  }
}
