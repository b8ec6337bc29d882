package io.github.cfallowlist.cli;

import io.github.cfallowlist.StateDir;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every subcommand takes. */
final class CommonOptions {
  // Read by Cli when the command runs, so that the logging it turns on ends with the command.
  @Option(
      names = "--verbose",
      description =
          "Also log each command run (arguments, exit status, time) and each fetch (URL, HTTP"
              + " status, size, etag), one 'cf-allowlist: LEVEL: message' line each; on error,"
              + " the stack trace.")
  boolean verbose;

  @Option(
      names = "--quiet",
      description =
          "Print only errors: no warnings, no summaries (the exit code tells the outcome); the"
              + " ranges or configuration that fetch and render print are still printed.")
  boolean quiet;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Where the last good snapshot and the lock live (default: /var/lib/cf-allowlist for"
              + " root, else $XDG_STATE_HOME/cf-allowlist or ~/.local/state/cf-allowlist).")
  Path stateDir;

  StateDir stateDir() {
    return StateDir.at(stateDir != null ? stateDir : StateDir.defaultLocation());
  }
}
