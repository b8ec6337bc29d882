package io.github.cfallowlist.cli;

import io.github.cfallowlist.Run;
import io.github.cfallowlist.RunResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code apply}: makes the live system hold the current ranges. */
final class ApplyCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this,
          "apply",
          "Make each target hold the current ranges: one atomic change per target, verified by"
              + " reading back. A run that finds everything in sync changes nothing.",
          "Several targets are applied one after the other; each line says how a target ended.");

  ApplyCommand() {
    Cli.declareRun(spec);
    spec.addOption(
        Declared.flag(
            "--dry-run",
            "Plan exactly as apply would, guards included, and change nothing (exit 2 if it would"
                + " change something)."));
    spec.addOption(
        Declared.flag("--uninstall", "Remove everything the targets own, and nothing else."));
    spec.addOption(
        Declared.option(
                "--lock-timeout",
                int.class,
                "SECONDS",
                "How long to wait for another run to finish (default: 30).")
            .defaultValue("30")
            .build());
    spec.addOption(
        Declared.option(
                "--metrics-file",
                Path.class,
                "PATH",
                "After the run, succeeded or not, write its metrics here in node_exporter's"
                    + " textfile format (for example"
                    + " /var/lib/prometheus/node-exporter/cf-allowlist.prom).")
            .build());
  }

  @Override
  public Integer call() throws Exception {
    Optional<ConfigFile> file = ConfigOption.applyTo(spec);
    boolean dryRun = Declared.given(spec, "--dry-run");
    int lockTimeoutSeconds = Declared.value(spec, "--lock-timeout");
    Path metricsFile = Declared.value(spec, "--metrics-file");
    if (lockTimeoutSeconds < 0) {
      throw new IllegalArgumentException(
          "--lock-timeout " + lockTimeoutSeconds + " is negative; give the seconds to wait");
    }
    if (metricsFile != null) {
      // Before the run: a path the metrics may not replace is bad input, and nothing has changed.
      MetricsFile.check(metricsFile);
    }
    Run.Action action =
        Declared.given(spec, "--uninstall")
            ? (dryRun ? Run.Action.UNINSTALL_DRY_RUN : Run.Action.UNINSTALL)
            : (dryRun ? Run.Action.DRY_RUN : Run.Action.APPLY);
    Run.Builder run =
        OriginOptions.of(spec)
            .applyTo(Cli.run(spec, file, action == Run.Action.APPLY))
            .action(action)
            .lockTimeout(Duration.ofSeconds(lockTimeoutSeconds));
    RunResult result;
    try {
      result = run.build().execute();
    } catch (Exception e) {
      writeMetrics(metricsFile, Optional.empty(), dryRun);
      throw e;
    }
    writeMetrics(metricsFile, Optional.of(result), dryRun);
    return Runs.print(
        spec, result, dryRun ? Runs.Style.PLAN : Runs.Style.APPLY, FormatOption.of(spec));
  }

  private static void writeMetrics(Path metricsFile, Optional<RunResult> result, boolean dryRun) {
    if (metricsFile == null) {
      return;
    }
    try {
      MetricsFile.write(metricsFile, result, dryRun, Instant.now());
    } catch (IOException | RuntimeException e) {
      // The firewall matters more than its monitoring.
      System.getLogger(ApplyCommand.class.getName())
          .log(
              System.Logger.Level.WARNING,
              "the metrics could not be written to " + metricsFile + ": " + Cli.message(e));
    }
  }
}
