package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A hand-written stand-in for nginx: answers the test and reload commands as told (an exit status
 * with output, or an {@link IOException} as the real runner throws on a timeout) and records what
 * the watched state looked like at the moment each test command ran.
 */
final class FakeNginx implements CommandRunner {
  private CommandResult testResult =
      new CommandResult(0, "", "nginx: configuration file test is successful\n");
  private CommandResult reloadResult = new CommandResult(0, "", "");
  private IOException testThrows;
  private IOException reloadThrows;
  private int reloadThrowsTimes;
  private CommandResult reloadFailure;
  private int reloadFailsTimes;
  private final Supplier<String> watch;
  private final List<String> seenAtTest = new ArrayList<>();
  private final List<List<String>> argvs = new ArrayList<>();

  /**
   * @param watch what to record when the test command runs (for example a file's content)
   */
  FakeNginx(Supplier<String> watch) {
    this.watch = watch;
  }

  FakeNginx rejecting(String stderr) {
    testResult = new CommandResult(1, "", stderr);
    return this;
  }

  FakeNginx failingReload(String stderr) {
    return failingReload(stderr, Integer.MAX_VALUE);
  }

  /** The first {@code times} reload commands exit 1 with {@code stderr}; later ones pass. */
  FakeNginx failingReload(String stderr, int times) {
    reloadFailure = new CommandResult(1, "", stderr);
    reloadFailsTimes = times;
    return this;
  }

  /** The test command throws {@code e}, as the real runner does when it times out. */
  FakeNginx throwingAtTest(IOException e) {
    testThrows = e;
    return this;
  }

  /** The first {@code times} reload commands throw {@code e}; later ones pass. */
  FakeNginx throwingAtReload(IOException e, int times) {
    reloadThrows = e;
    reloadThrowsTimes = times;
    return this;
  }

  List<String> seenAtTest() {
    return seenAtTest;
  }

  List<List<String>> argvs() {
    return argvs;
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    argvs.add(command.argv());
    if (command.argv().contains("-T")) {
      // No dump: whether nginx runs cannot be told, so the reload runs as configured.
      return new CommandResult(1, "", "nginx: [emerg] the stand-in has no configuration to dump\n");
    }
    if (command.argv().contains("-t")) {
      seenAtTest.add(watch.get());
      if (testThrows != null) {
        throw testThrows;
      }
      return testResult;
    }
    if (reloadThrowsTimes > 0) {
      reloadThrowsTimes--;
      throw reloadThrows;
    }
    if (reloadFailsTimes > 0) {
      reloadFailsTimes--;
      return reloadFailure;
    }
    return reloadResult;
  }
}
