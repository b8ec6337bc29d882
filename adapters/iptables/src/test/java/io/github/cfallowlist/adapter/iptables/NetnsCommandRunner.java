package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Runs every command inside one network namespace with {@code ip netns exec}. */
final class NetnsCommandRunner implements CommandRunner {
  private final String namespace;
  private final CommandRunner delegate;

  NetnsCommandRunner(String namespace) {
    this.namespace = namespace;
    this.delegate = CommandRunner.system();
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    argv.addAll(command.argv());
    return delegate.run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
  }
}
