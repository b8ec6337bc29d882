package io.github.cfallowlist.cli;

import io.github.cfallowlist.Run;
import io.github.cfallowlist.RunResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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
      "Several targets are applied one after the other; each line says how a target ended."
    })
final class ApplyCommand implements Callable<Integer> {
  private static final System.Logger LOG = System.getLogger(ApplyCommand.class.getName());

  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin ConfigOption config;
  @Mixin TargetArgs targetArgs;
  @Mixin RunOptions runOptions;
  @Mixin OriginOptions origin;
  @Mixin FormatOption format;

  @Option(
      names = "--dry-run",
      description =
          "Plan exactly as apply would, guards included, and change nothing (exit 2 if it would"
              + " change something).")
  boolean dryRun;

  @Option(
      names = "--uninstall",
      description = "Remove everything the targets own, and nothing else.")
  boolean uninstall;

  @Option(
      names = "--lock-timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "How long to wait for another run to finish (default: 30).")
  int lockTimeoutSeconds;

  @Option(
      names = "--metrics-file",
      paramLabel = "PATH",
      description =
          "After the run, succeeded or not, write its metrics here in node_exporter's textfile"
              + " format (for example /var/lib/prometheus/node-exporter/cf-allowlist.prom).")
  Path metricsFile;

  @Override
  public Integer call() throws Exception {
    config.applyTo(spec, targetArgs);
    if (lockTimeoutSeconds < 0) {
      throw new IllegalArgumentException(
          "--lock-timeout " + lockTimeoutSeconds + " is negative; give the seconds to wait");
    }
    Run.Action action =
        uninstall
            ? (dryRun ? Run.Action.UNINSTALL_DRY_RUN : Run.Action.UNINSTALL)
            : (dryRun ? Run.Action.DRY_RUN : Run.Action.APPLY);
    Run.Builder run =
        origin
            .applyTo(Cli.run(common, source, targetArgs, runOptions))
            .action(action)
            .lockTimeout(Duration.ofSeconds(lockTimeoutSeconds));
    RunResult result;
    try {
      result = run.build().execute();
    } catch (Exception e) {
      writeMetrics(Optional.empty());
      throw e;
    }
    writeMetrics(Optional.of(result));
    return Runs.print(spec, result, dryRun ? Runs.Style.PLAN : Runs.Style.APPLY, format.format);
  }

  private void writeMetrics(Optional<RunResult> result) {
    if (metricsFile == null) {
      return;
    }
    try {
      MetricsFile.write(metricsFile, result, dryRun, Instant.now());
    } catch (IOException | RuntimeException e) {
      // The firewall matters more than its monitoring.
      LOG.log(
          System.Logger.Level.WARNING,
          "the metrics could not be written to " + metricsFile + ": " + Cli.message(e));
    }
  }
}
