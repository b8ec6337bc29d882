package io.github.cfallowlist.testing;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.OutputReader;
import io.github.cfallowlist.ReadResult;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every command inside one network namespace through {@code ip netns exec}, so a target under
 * test changes the namespace's firewall and never the host's.
 */
public final class NetnsCommandRunner implements CommandRunner {
  private final String namespace;
  private final CommandRunner delegate;

  private NetnsCommandRunner(String namespace, CommandRunner delegate) {
    this.namespace = namespace;
    this.delegate = delegate;
  }

  /** Runs commands for real inside {@code namespace}. */
  public static NetnsCommandRunner inside(String namespace) {
    return new NetnsCommandRunner(namespace, CommandRunner.system());
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    requireInstalled(command);
    return delegate.run(inside(command));
  }

  /** Hands the output to {@code reader} as the delegate does: the system runner, as it comes. */
  @Override
  public <T> ReadResult<T> run(Command command, OutputReader<T> reader) throws IOException {
    requireInstalled(command);
    return delegate.run(inside(command), reader);
  }

  /**
   * A program named by a path that is not an executable file is not installed, as the system runner
   * finds before it starts anything; through {@code ip netns exec} it would be a failed command.
   */
  private static void requireInstalled(Command command) throws ToolNotFoundException {
    String program = command.argv().get(0);
    Path path = Path.of(program);
    if (program.indexOf('/') >= 0 && !(Files.isRegularFile(path) && Files.isExecutable(path))) {
      Path parent = path.toAbsolutePath().getParent();
      throw new ToolNotFoundException(program, parent == null ? "/" : parent.toString());
    }
  }

  private Command inside(Command command) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    argv.addAll(command.argv());
    return new Command(argv, command.stdin(), command.modifies(), command.timeout());
  }
}
