package io.github.cfallowlist.cli;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code apply}: makes the live system hold the current ranges. */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = {
      "Make each target hold the current ranges: one atomic change per target, verified by"
          + " reading back. A run that finds everything in sync changes nothing.",
      "Several targets are applied one after the other; a failed one is left as it was."
    })
final class ApplyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin TargetArgs targetArgs;

  @Option(names = "--dry-run", description = "Only show the plan (exit 2 if it changes something).")
  boolean dryRun;

  @Option(
      names = "--uninstall",
      description = "Remove everything the targets own, and nothing else.")
  boolean uninstall;

  @Option(
      names = "--allow-shrink",
      description = "Apply even when the new list removes more than --max-shrink of a family.")
  boolean allowShrink;

  @Option(
      names = "--max-shrink",
      paramLabel = "PERCENT",
      defaultValue = "25",
      description = "Largest share of a family's ranges one run may remove (default: 25).")
  int maxShrinkPercent;

  @Option(
      names = "--lock-timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "How long to wait for another run to finish (default: 30).")
  int lockTimeoutSeconds;

  @Override
  public Integer call() throws Exception {
    List<Target> targets = targetArgs.resolve();
    TargetOptions options = targetArgs.options(source.families());
    TargetContext context = TargetContext.system(options);
    PrintWriter out = spec.commandLine().getOut();
    if (maxShrinkPercent < 0 || maxShrinkPercent > 100) {
      throw new IllegalArgumentException(
          "--max-shrink " + maxShrinkPercent + " is not between 0 and 100");
    }
    StateDir state = common.stateDir();
    try (StateDir.Lock lock = state.lock(Duration.ofSeconds(lockTimeoutSeconds))) {
      if (uninstall) {
        return uninstall(targets, context, out);
      }
      RangeSnapshot snapshot;
      try {
        snapshot = source.load(state);
      } catch (IOException | CfAllowlistException e) {
        throw new CfAllowlistException(
            Cli.message(e) + "; nothing was applied and the current rules stay in place", e);
      }
      if (dryRun) {
        return PlanCommand.planLiveAndPrint(
            out, targets, snapshot, context, OutputFormat.text, true);
      }
      Guards guards = source.guards().withShrink(maxShrinkPercent / 100.0, allowShrink);
      return apply(targets, snapshot, context, guards, out);
    }
  }

  private int apply(
      List<Target> targets,
      RangeSnapshot snapshot,
      TargetContext context,
      Guards guards,
      PrintWriter out) {
    PrintWriter err = spec.commandLine().getErr();
    int failed = 0;
    for (Target t : targets) {
      try {
        Plan plan = Sync.apply(t, snapshot, context, guards);
        out.println(
            t.name()
                + ": "
                + (plan.hasChanges() ? "applied " + plan.summary() : "in sync, " + plan.summary()));
      } catch (IOException | RuntimeException e) {
        failed++;
        err.println(
            "cf-allowlist: "
                + t.name()
                + ": "
                + Cli.message(e)
                + (e instanceof io.github.cfallowlist.ApplyFailedException
                    ? ""
                    : "; " + t.name() + " was left as it was"));
      }
      out.flush();
      err.flush();
    }
    return failed == 0 ? Cli.OK : Cli.ERROR;
  }

  private int uninstall(List<Target> targets, TargetContext context, PrintWriter out) {
    PrintWriter err = spec.commandLine().getErr();
    int failed = 0;
    for (Target t : targets) {
      try {
        boolean removed = Sync.uninstall(t, context);
        out.println(
            t.name()
                + ": "
                + (removed ? "removed everything cf-allowlist owned" : "nothing to remove"));
      } catch (IOException | RuntimeException e) {
        failed++;
        err.println("cf-allowlist: " + t.name() + ": " + Cli.message(e));
      }
      out.flush();
      err.flush();
    }
    return failed == 0 ? Cli.OK : Cli.ERROR;
  }
}
