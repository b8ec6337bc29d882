package io.github.cfallowlist.cli;

import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code status}: whether the live system is in sync, one line per target. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Tell whether each target's live state is in sync (exit 0) or drifted (exit 2).")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin TargetArgs targetArgs;

  @Override
  public Integer call() throws Exception {
    List<Target> targets = targetArgs.resolve();
    TargetOptions options = targetArgs.options(source.families());
    RangeSnapshot snapshot = source.load(common.stateDir());
    return PlanCommand.planLiveAndPrint(
        spec.commandLine().getOut(),
        targets,
        snapshot,
        TargetContext.system(options),
        OutputFormat.text,
        false);
  }
}
