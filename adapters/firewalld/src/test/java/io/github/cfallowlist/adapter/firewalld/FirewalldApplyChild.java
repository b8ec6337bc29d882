package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM started inside a {@link KillableFirewalld}'s namespaces (so its {@code firewall-cmd}
 * reaches that firewalld's D-Bus), which loads everything, says {@code ready}, then applies the old
 * or the new list once and stops after a chosen number of changing commands, to be killed there.
 */
final class FirewalldApplyChild {
  private final Process process;
  private final OutputStream stdin;
  private final BufferedReader stdout;
  private final Path log;

  private FirewalldApplyChild(Process process, Path log) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.stdout =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.log = log;
  }

  /** Starts the child JVM in {@code sandbox}; its temporary files and log go to {@code tmp}. */
  static FirewalldApplyChild start(KillableFirewalld sandbox, Path tmp) throws IOException {
    List<String> argv = new ArrayList<>(sandbox.prefix());
    argv.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-Djava.io.tmpdir=" + tmp,
            "-cp",
            System.getProperty("java.class.path"),
            FirewalldApplyChild.class.getName()));
    Path log = tmp.resolve("child.log");
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new FirewalldApplyChild(pb.start(), log);
  }

  /**
   * Waits until the child is ready, then tells it to apply the new list or the old one and to stop
   * after {@code changes} changing commands, and waits until it has stopped there: the moment to
   * kill it.
   */
  void runUntil(boolean toNew, int changes) throws IOException {
    go(toNew, changes);
    String line = stdout.readLine();
    if (!"stopped".equals(line)) {
      process.destroyForcibly();
      throw new AssertionError(
          "the child did not stop after " + changes + " changes (" + line + "); see " + log);
    }
  }

  /**
   * Waits until the child is ready, then tells it to apply the new list or the old one to the end,
   * and returns at once: the caller kills it at a moment of its choosing.
   */
  void run(boolean toNew) throws IOException {
    go(toNew, Integer.MAX_VALUE);
  }

  /**
   * Lets the child apply the new list or the old one to the end and waits until it has ended.
   *
   * @return the milliseconds from telling it to go until the process had ended
   */
  long timedRun(boolean toNew) throws IOException, InterruptedException {
    go(toNew, Integer.MAX_VALUE);
    return FaultKit.millisUntilEnd(process, log);
  }

  private void go(boolean toNew, int changes) throws IOException {
    String line = stdout.readLine();
    if (!"ready".equals(line)) {
      process.destroyForcibly();
      throw new AssertionError("the child JVM did not get ready (" + line + "); see " + log);
    }
    String word = (toNew ? "go new " : "go old ") + changes + "\n";
    stdin.write(word.getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /**
   * Kills the child with SIGKILL, or with {@code tree} its commands too, then waits until every
   * command it had started has ended.
   *
   * @return whether the child was still running when it was killed
   */
  boolean kill(boolean tree) throws IOException, InterruptedException {
    return FaultKit.kill(process, tree);
  }

  /** Stops a child that was never used. */
  void discard() {
    process.destroyForcibly();
  }

  /**
   * The child: warms up, says {@code ready}, applies what {@code go old|new N} names, once, and
   * says {@code stopped} and waits for its death after N changing commands.
   */
  public static void main(String[] args) throws IOException {
    FirewalldTarget target = new FirewalldTarget();
    TargetOptions options = FaultKit.options(false);
    // Already inside the sandbox's namespaces: the plain runner reaches its firewalld.
    CommandRunner system = CommandRunner.system();
    int[] stopAfter = {Integer.MAX_VALUE};
    int[] changes = {0};
    CommandRunner stopping =
        command -> {
          if (command.modifies() && changes[0] == stopAfter[0]) {
            stop();
          }
          CommandResult r = system.run(command);
          if (command.modifies() && ++changes[0] == stopAfter[0]) {
            stop();
          }
          return r;
        };
    TargetContext context = new TargetContext(options, stopping);
    RangeSnapshot neu = FaultKit.newList();
    RangeSnapshot old = FaultKit.oldList();
    target.parse(target.render(neu, options), options);
    target.parse(target.render(old, options), options);
    Sync.plan(target, neu, context);
    System.out.println("ready");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String word = in.readLine();
    if (word == null || !word.startsWith("go ")) {
      return;
    }
    String rest = word.substring("go ".length());
    RangeSnapshot wanted = rest.startsWith("new ") ? neu : old;
    stopAfter[0] = Integer.parseInt(rest.substring(rest.indexOf(' ') + 1));
    TargetResult result = Sync.sync(target, wanted, context, FaultKit.guards(), false);
    System.out.println(result.outcome() + " " + result.message());
    System.out.flush();
  }

  /** Says {@code stopped} and waits to be killed. */
  private static void stop() {
    System.out.println("stopped");
    System.out.flush();
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to be killed", e);
    }
  }
}
