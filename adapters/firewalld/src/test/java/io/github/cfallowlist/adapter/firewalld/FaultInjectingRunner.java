package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Passes commands to a delegate (the real runner into a sandbox, or {@link FakeFirewalld}) and
 * makes chosen ones misbehave. Faults are queued with {@link #fault} and fire in that order: each
 * is used once, by the first command that matches it after the fault before it fired.
 */
final class FaultInjectingRunner implements CommandRunner {

  /** What a fault does to the command it matches. */
  enum Fault {
    /** Exit status 1, and the command is not run. */
    FAIL,
    /** The command runs, then the runner throws as if its reply never came (a timeout). */
    LOSE_REPLY_AFTER,
    /** The runner throws without running the command. */
    LOSE_REPLY_BEFORE
  }

  private record Queued(Predicate<Command> when, Fault fault) {}

  private final CommandRunner delegate;
  private final List<Queued> faults = new ArrayList<>();

  FaultInjectingRunner(CommandRunner delegate) {
    this.delegate = delegate;
  }

  /** Makes the first command matching {@code when} misbehave as {@code fault} says. */
  synchronized FaultInjectingRunner fault(Predicate<Command> when, Fault fault) {
    faults.add(new Queued(when, fault));
    return this;
  }

  /** Whether every queued fault was used. */
  synchronized boolean allUsed() {
    return faults.isEmpty();
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    Fault fault = take(command);
    if (fault == Fault.FAIL) {
      return new CommandResult(1, "", "Error: COMMAND_FAILED: injected failure");
    }
    if (fault == Fault.LOSE_REPLY_BEFORE) {
      throw lost(command);
    }
    CommandResult result = delegate.run(command);
    if (fault == Fault.LOSE_REPLY_AFTER) {
      throw lost(command);
    }
    return result;
  }

  private synchronized Fault take(Command command) {
    if (!faults.isEmpty() && faults.get(0).when().test(command)) {
      return faults.remove(0).fault();
    }
    return null;
  }

  private static IOException lost(Command command) {
    return new IOException(
        "'" + command.display() + "' did not finish within 60 s and was stopped (injected)");
  }
}
