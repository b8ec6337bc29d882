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
import java.util.concurrent.TimeUnit;

/**
 * A private firewalld, as {@link FirewalldSandbox} builds it (own network namespace, own D-Bus, own
 * scratch {@code /etc/firewalld} and {@code /run}), but whose mount namespace is held by a process
 * of its own rather than by firewalld: firewalld can then be killed and started again in the same
 * namespaces, with the same D-Bus and the same configuration on disk, as after a crash.
 *
 * <p>Public, in this module's test jar, for the command-line tests that run the whole tool against
 * firewalld.
 */
public final class KillableFirewalld implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(40);

  private final Netns netns;
  private final Path dir;
  private final Process holder;
  private Process daemon;

  private KillableFirewalld(Netns netns, Path dir, Process holder) {
    this.netns = netns;
    this.dir = dir;
    this.holder = holder;
  }

  /** Starts D-Bus and firewalld in a network namespace and a mount namespace of their own. */
  public static KillableFirewalld start() {
    Netns ns = Netns.create("cffwf-");
    KillableFirewalld sandbox = null;
    try {
      Path dir = Files.createTempDirectory("cf-allowlist-firewalld");
      FirewalldSandbox.copyTree(Path.of("/etc/firewalld"), dir.resolve("etc"));
      Files.createDirectories(dir.resolve("dbus"));
      String script =
          "set -e\n"
              + "mount -t tmpfs -o mode=0755 cf-allowlist-run /run\n"
              + "mkdir -p /run/dbus\n"
              + "mount --bind \"$0/dbus\" /run/dbus\n"
              + "mount --bind \"$0/etc\" /etc/firewalld\n"
              + "dbus-daemon --system --fork\n"
              + "exec sleep 3600\n";
      Process holder = ns.start(OwnMounts.shell(script, dir.toString()), dir.resolve("start.log"));
      sandbox = new KillableFirewalld(ns, dir, holder);
      sandbox.awaitBus();
      sandbox.startFirewalld();
      return sandbox;
    } catch (IOException e) {
      ns.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      if (sandbox != null) {
        sandbox.close();
      } else {
        ns.close();
      }
      throw e;
    }
  }

  private void awaitBus() {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!Files.exists(dir.resolve("dbus/system_bus_socket"))) {
      if (!holder.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("D-Bus did not start; its output:\n" + read("start.log"));
      }
      pause();
    }
  }

  /** Starts firewalld in the namespaces and waits until it says it is running. */
  void startFirewalld() {
    List<String> argv = new ArrayList<>(prefix());
    argv.addAll(
        List.of(
            "firewalld",
            "--nofork",
            "--nopid",
            "--log-target=file",
            "--log-file=" + dir.resolve("firewalld.log")));
    try {
      daemon =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (true) {
      String state = state();
      if (state.equals("running")) {
        return;
      }
      if (!daemon.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "firewalld did not start (last state: "
                + state
                + "); its output:\n"
                + read("daemon.log")
                + read("firewalld.log"));
      }
      pause();
    }
  }

  /** What {@code firewall-cmd --state} says. */
  String state() {
    try {
      CommandResult r = runner().run(Command.read("firewall-cmd", "--state"));
      return (r.stdout() + r.stderr()).strip();
    } catch (IOException e) {
      return String.valueOf(e.getMessage());
    }
  }

  /**
   * Kills firewalld with SIGKILL, as a crash or the OOM killer would, and waits until it is gone.
   */
  void killFirewalld() {
    daemon.destroyForcibly();
    try {
      if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
        throw new AssertionError("firewalld did not die");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while killing firewalld", e);
    }
  }

  /** Whether firewalld's process is alive. */
  boolean firewalldAlive() {
    return daemon != null && daemon.isAlive();
  }

  /** {@code nsenter} into the mount and network namespaces of the sandbox. */
  public List<String> prefix() {
    return List.of("nsenter", "--target", Long.toString(holder.pid()), "--mount", "--net", "--");
  }

  /** Runs commands inside the sandbox's mount and network namespaces. */
  public CommandRunner runner() {
    return command -> {
      List<String> argv = new ArrayList<>(prefix());
      argv.addAll(command.argv());
      return CommandRunner.system()
          .run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
    };
  }

  /** Runs the shell {@code script} in the sandbox; fails unless it exits 0. */
  public String sh(String script) {
    try {
      return runner().runChecked(Command.read("sh", "-c", script)).stdout();
    } catch (IOException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      if (daemon != null) {
        daemon.destroy();
        try {
          if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
            daemon.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          daemon.destroyForcibly();
        }
      }
      netns.close();
    } finally {
      FirewalldSandbox.deleteTree(dir);
    }
  }

  private String read(String name) {
    Path file = dir.resolve(name);
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")\n";
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while starting firewalld", e);
    }
  }
}
