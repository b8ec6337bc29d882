package io.github.cfallowlist.cli;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.OutputReader;
import io.github.cfallowlist.ReadResult;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A runner whose commands, once the run is asked to stop, end before the stop's grace is over: a
 * command started after the signal gets at most the time left, so that a rollback after a hung
 * reload still ends, is read back and has its outcome printed before the JVM exits. Before a stop,
 * commands run with their own time limits.
 */
final class StopBoundRunner implements CommandRunner {
  /** The least time a command gets, however late: a rollback should have its chance. */
  static final Duration LEAST = Duration.ofSeconds(1);

  private final CommandRunner runner;
  private final Supplier<Duration> leftToStop;

  /**
   * @param leftToStop how long the run has left for its commands, or null while no stop was asked
   */
  StopBoundRunner(CommandRunner runner, Supplier<Duration> leftToStop) {
    this.runner = runner;
    this.leftToStop = leftToStop;
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    return runner.run(bounded(command));
  }

  @Override
  public <T> ReadResult<T> run(Command command, OutputReader<T> reader) throws IOException {
    return runner.run(bounded(command), reader);
  }

  /** {@code command}, its time limit cut to what the stop leaves when a stop was asked for. */
  Command bounded(Command command) {
    Duration left = leftToStop.get();
    if (left == null) {
      return command;
    }
    Duration limit = left.compareTo(LEAST) < 0 ? LEAST : left;
    return limit.compareTo(command.timeout()) < 0 ? command.withTimeout(limit) : command;
  }
}
