package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.OwnMounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private firewalld: its own D-Bus, its own {@code /etc/firewalld} (a scratch copy of the host's)
 * and its own {@code /run}, inside a mount namespace of its own and a network namespace, as
 * DESIGN.md's recipe says. Nothing of the host's firewall or configuration is touched.
 *
 * <p>{@link #runner()} runs each command with {@code nsenter --target PID --mount --net}, so the
 * target's {@code firewall-cmd} talks to this firewalld.
 */
final class FirewalldSandbox implements AutoCloseable {
  private static final Path HOST_CONFIG = Path.of("/etc/firewalld");
  private static final Duration STARTUP = Duration.ofSeconds(40);

  private final Netns netns;
  private final boolean ownsNetns;
  private final Path dir;
  private final Process daemon;

  private FirewalldSandbox(Netns netns, boolean ownsNetns, Path dir, Process daemon) {
    this.netns = netns;
    this.ownsNetns = ownsNetns;
    this.dir = dir;
    this.daemon = daemon;
  }

  /** Starts firewalld in a network namespace of its own, deleted again by {@link #close()}. */
  static FirewalldSandbox start() {
    return startInOwnNetns(false);
  }

  /** Starts firewalld in {@code netns}, which the caller keeps and deletes. */
  static FirewalldSandbox startIn(Netns netns) {
    return start(netns, false, false);
  }

  /** Starts only D-Bus, in a namespace of its own: firewall-cmd then finds no firewalld. */
  static FirewalldSandbox startWithoutFirewalld() {
    return startInOwnNetns(true);
  }

  private static FirewalldSandbox startInOwnNetns(boolean dbusOnly) {
    Netns ns = Netns.create("fwd-");
    try {
      return start(ns, dbusOnly, true);
    } catch (RuntimeException | Error e) {
      ns.close();
      throw e;
    }
  }

  private static FirewalldSandbox start(Netns netns, boolean dbusOnly, boolean ownsNetns) {
    Path dir;
    try {
      dir = Files.createTempDirectory("cf-allowlist-firewalld");
      copyTree(HOST_CONFIG, dir.resolve("etc"));
      Files.createDirectories(dir.resolve("dbus"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // A tmpfs over /run keeps firewalld's /run/firewalld off the host; the log goes to the
    // scratch directory rather than the host's /var/log/firewalld.
    String script =
        "set -e\n"
            + "mount -t tmpfs -o mode=0755 cf-allowlist-run /run\n"
            + "mkdir -p /run/dbus\n"
            + "mount --bind \"$0/dbus\" /run/dbus\n"
            + "mount --bind \"$0/etc\" /etc/firewalld\n"
            + "dbus-daemon --system --fork\n"
            + (dbusOnly
                ? "exec sleep 600\n"
                : "exec firewalld --nofork --nopid --log-target=file --log-file=\"$0/firewalld.log\"\n");
    Process daemon = netns.start(OwnMounts.shell(script, dir.toString()), dir.resolve("start.log"));
    FirewalldSandbox sandbox = new FirewalldSandbox(netns, ownsNetns, dir, daemon);
    try {
      sandbox.awaitStarted(dbusOnly);
    } catch (RuntimeException | Error e) {
      sandbox.close();
      throw e;
    }
    return sandbox;
  }

  private void awaitStarted(boolean dbusOnly) {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (true) {
      String state;
      try {
        CommandResult r = runner().run(Command.read("firewall-cmd", "--state"));
        state = (r.stdout() + r.stderr()).strip();
      } catch (IOException e) {
        state = e.getMessage();
      }
      if (dbusOnly ? state.contains("not running") : state.equals("running")) {
        return;
      }
      if (!daemon.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "firewalld did not start (last state: "
                + state
                + "); its output:\n"
                + read(dir.resolve("start.log"))
                + read(dir.resolve("firewalld.log")));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while starting firewalld", e);
      }
    }
  }

  /** The network namespace firewalld filters. */
  Netns netns() {
    return netns;
  }

  /** The scratch directory mounted over {@code /etc/firewalld} inside the sandbox. */
  Path configDir() {
    return dir.resolve("etc");
  }

  /** Runs commands inside the sandbox's mount and network namespaces. */
  CommandRunner runner() {
    List<String> prefix =
        List.of("nsenter", "--target", Long.toString(daemon.pid()), "--mount", "--net", "--");
    return command -> {
      List<String> argv = new ArrayList<>(prefix);
      argv.addAll(command.argv());
      return CommandRunner.system()
          .run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
    };
  }

  /**
   * Runs {@code firewall-cmd args} in the sandbox and returns its output; fails unless it exits 0.
   */
  String firewallCmd(String... args) {
    List<String> argv = new ArrayList<>(List.of("firewall-cmd"));
    argv.addAll(List.of(args));
    try {
      return runner().runChecked(Command.read(argv)).stdout();
    } catch (IOException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /**
   * The files of the scratch configuration, by relative path, without firewalld's {@code .old}
   * backups (it copies a file to NAME.old before rewriting it).
   */
  Map<String, String> configFiles() {
    return configFiles(configDir());
  }

  /** The files below {@code dir}, by relative path, without firewalld's {@code .old} backups. */
  static Map<String, String> configFiles(Path dir) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.filter(Files::isRegularFile).toList()) {
        String name = dir.relativize(p).toString();
        if (!name.endsWith(".old")) {
          files.put(name, Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  /** Stops firewalld and D-Bus by pid, deletes the scratch directory, and the namespace if ours. */
  @Override
  public void close() {
    Long dbusPid = null;
    try {
      dbusPid = Long.parseLong(Files.readString(dir.resolve("dbus/pid")).strip());
    } catch (IOException | NumberFormatException e) {
      // D-Bus never started; nothing to stop
    }
    stop(daemon.toHandle());
    if (dbusPid != null) {
      ProcessHandle.of(dbusPid).ifPresent(FirewalldSandbox::stop);
    }
    try {
      if (ownsNetns) {
        netns.close();
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static void stop(ProcessHandle p) {
    p.destroy();
    try {
      p.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception notYet) {
      if (notYet instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
    }
  }

  /** Copies the tree {@code from} to {@code to}, creating {@code to} if it is missing. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")\n";
    }
  }
}
