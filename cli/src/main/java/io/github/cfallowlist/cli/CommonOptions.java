package io.github.cfallowlist.cli;

import io.github.cfallowlist.StateDir;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** Options every subcommand takes. */
final class CommonOptions {
  private final Path stateDir;

  private CommonOptions(Path stateDir) {
    this.stateDir = stateDir;
  }

  /**
   * Adds the options to {@code spec}. {@code --verbose} and {@code --quiet} are read by {@link Cli}
   * when the command runs, so that the logging they turn on ends with the command.
   */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.flag(
            "--verbose",
            "Also log each command run (arguments, exit status, time) and each fetch (URL, HTTP"
                + " status, size, etag), one 'cf-allowlist: LEVEL: message' line each; on error,"
                + " the stack trace."));
    spec.addOption(
        Declared.flag(
            "--quiet",
            "Print only errors: no warnings, no summaries (the exit code tells the outcome); the"
                + " ranges or configuration that fetch and render print are still printed."));
    spec.addOption(
        Declared.option(
                "--state-dir",
                Path.class,
                "DIR",
                "Where the last good snapshot and the lock live (default: /var/lib/cf-allowlist"
                    + " for root, else $XDG_STATE_HOME/cf-allowlist or"
                    + " ~/.local/state/cf-allowlist).")
            .build());
  }

  /** The options as {@code spec} holds them. */
  static CommonOptions of(CommandSpec spec) {
    return new CommonOptions(Declared.value(spec, "--state-dir"));
  }

  /**
   * The state directory the options name, or the default one.
   *
   * @throws IllegalArgumentException when {@code --state-dir} is empty
   */
  StateDir stateDir() {
    if (stateDir != null && stateDir.toString().isEmpty()) {
      // An empty path is the working directory: never what was meant.
      throw new IllegalArgumentException("--state-dir is empty; give a directory");
    }
    return StateDir.at(stateDir != null ? stateDir : StateDir.defaultLocation());
  }
}
