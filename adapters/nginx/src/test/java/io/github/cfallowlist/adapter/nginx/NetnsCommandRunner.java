package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Runs every command inside a network namespace by prefixing {@code ip netns exec NS}. */
final class NetnsCommandRunner implements CommandRunner {
  private final String namespace;
  private final CommandRunner delegate;

  NetnsCommandRunner(String namespace, CommandRunner delegate) {
    this.namespace = namespace;
    this.delegate = delegate;
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    argv.addAll(command.argv());
    return delegate.run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
  }
}
