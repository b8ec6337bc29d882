package io.github.cfallowlist.cli;

import io.github.cfallowlist.Run;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code status}: whether the live system is in sync, one line per target. */
final class StatusCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this,
          "status",
          "Tell whether each target's live state is in sync (exit 0) or drifted (exit 2); exit 1"
              + " when apply would refuse or fail.");

  StatusCommand() {
    Cli.declareRun(spec);
  }

  @Override
  public Integer call() throws Exception {
    Optional<ConfigFile> file = ConfigOption.applyTo(spec);
    return Runs.execute(
        spec,
        OriginOptions.of(spec).applyTo(Cli.run(spec, file)).action(Run.Action.DRY_RUN),
        Runs.Style.STATUS,
        FormatOption.of(spec));
  }
}
