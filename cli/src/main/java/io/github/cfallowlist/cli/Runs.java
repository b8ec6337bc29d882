package io.github.cfallowlist.cli;

import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.RunResult;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/** Runs a {@link Run} for a command and prints its results; the exit code follows the outcomes. */
final class Runs {
  /**
   * The logger, looked up when a record is logged: the JDK's first lookup searches for the logger
   * finder, which a run that logs nothing need not pay.
   */
  private static System.Logger logger() {
    return System.getLogger(Runs.class.getName());
  }

  /** How results are shown. */
  enum Style {
    /**
     * {@code plan} and {@code apply --dry-run}: the diff of each pending change, then summaries.
     */
    PLAN,
    /** {@code status}: summaries only. */
    STATUS,
    /** {@code apply}: what was done, naming the CIDRs, the source and its etag. */
    APPLY
  }

  private Runs() {}

  static int execute(CommandSpec spec, Run.Builder run, Style style, OutputFormat format)
      throws IOException {
    return print(spec, run.build().execute(), style, format);
  }

  /**
   * Prints a run's results and returns the exit code: in text, diffs and lines on stdout, failures
   * and warnings on stderr; in JSON, one object on stdout (failures and warnings still on stderr,
   * for logs).
   */
  static int print(CommandSpec spec, RunResult result, Style style, OutputFormat format)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int exitCode = exitCode(result.targets());
    for (String w : result.warnings()) {
      logger().log(System.Logger.Level.WARNING, w);
    }
    boolean applyLine = style == Style.APPLY;
    if (format == OutputFormat.json) {
      Map<String, Object> json = Json.object(spec.name(), exitCode);
      json.put("source", Json.source(result.snapshot()));
      json.put("warnings", result.warnings());
      List<Object> targets = new ArrayList<>();
      for (TargetResult r : result.targets()) {
        targets.add(Json.target(r, applyLine));
      }
      json.put("targets", targets);
      Json.print(out, json);
    }
    boolean quiet = Logging.current() == Logging.Verbosity.QUIET;
    for (TargetResult r : result.targets()) {
      if (format == OutputFormat.text && style == Style.PLAN && !quiet) {
        // A refused change is shown too, so the refusal can be judged.
        out.print(diff(r));
      }
      String line = r.target() + ": " + Words.line(r, applyLine);
      // What stdout holds comes first where both streams reach one log (2>&1): a refusal follows
      // the diff it judges.
      out.flush();
      if (r.outcome().failed()) {
        err.println(Logging.line(System.Logger.Level.ERROR, line, Logging.current()));
      } else if (format == OutputFormat.text && !quiet) {
        out.println(line);
      }
      out.flush();
      err.flush();
    }
    return exitCode;
  }

  private static String diff(TargetResult r) {
    boolean shown = r.outcome() == Outcome.WOULD_CHANGE || r.outcome() == Outcome.REFUSED;
    return shown ? r.plan().filter(Plan::hasChanges).map(Plan::diff).orElse("") : "";
  }

  /**
   * 1 when any target was refused or failed (whatever the others did), else 2 when any has a change
   * pending, else 0.
   */
  static int exitCode(List<TargetResult> results) {
    if (results.stream().anyMatch(r -> r.outcome().failed())) {
      return Cli.ERROR;
    }
    return results.stream().anyMatch(r -> r.outcome().pending()) ? Cli.CHANGES : Cli.OK;
  }
}
