package io.github.cfallowlist.cli;

import io.github.cfallowlist.Run;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code status}: whether the live system is in sync, one line per target. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Tell whether each target's live state is in sync (exit 0) or drifted (exit 2); exit 1"
            + " when apply would refuse or fail.")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin ConfigOption config;
  @Mixin TargetArgs targetArgs;
  @Mixin RunOptions runOptions;
  @Mixin OriginOptions origin;
  @Mixin FormatOption format;

  @Override
  public Integer call() throws Exception {
    config.applyTo(spec, targetArgs);
    return Runs.execute(
        spec,
        origin.applyTo(Cli.run(common, source, targetArgs, runOptions)).action(Run.Action.DRY_RUN),
        Runs.Style.STATUS,
        format.format);
  }
}
