package io.github.cfallowlist.testing;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.OutputReader;
import io.github.cfallowlist.ReadResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A {@link CommandRunner} that records every command and passes it to a delegate (the real runner,
 * or a scripted fake). Tests use it to prove a run issued no modifying command, or to make one
 * command fail.
 */
public final class RecordingCommandRunner implements CommandRunner {
  private final CommandRunner delegate;
  private final List<Command> commands = new ArrayList<>();
  private Predicate<Command> failWhen = c -> false;

  private RecordingCommandRunner(CommandRunner delegate) {
    this.delegate = delegate;
  }

  /** Records and runs commands for real. */
  public static RecordingCommandRunner wrapping(CommandRunner delegate) {
    return new RecordingCommandRunner(delegate);
  }

  /** Makes every command matching {@code predicate} fail with status 1 without running it. */
  public RecordingCommandRunner failing(Predicate<Command> predicate) {
    this.failWhen = predicate;
    return this;
  }

  @Override
  public synchronized CommandResult run(Command command) throws IOException {
    commands.add(command);
    if (failWhen.test(command)) {
      return new CommandResult(1, "", "injected failure for " + command.display());
    }
    return delegate.run(command);
  }

  @Override
  public synchronized <T> ReadResult<T> run(Command command, OutputReader<T> reader)
      throws IOException {
    commands.add(command);
    if (failWhen.test(command)) {
      return new ReadResult<>(
          new CommandResult(1, "", "injected failure for " + command.display()), Optional.empty());
    }
    return delegate.run(command, reader);
  }

  /** Every command run so far. */
  public synchronized List<Command> commands() {
    return List.copyOf(commands);
  }

  /** The commands run so far that change the system. */
  public synchronized List<Command> modifyingCommands() {
    return commands.stream().filter(Command::modifies).toList();
  }

  /** Forgets the commands recorded so far. */
  public synchronized void clear() {
    commands.clear();
  }
}
