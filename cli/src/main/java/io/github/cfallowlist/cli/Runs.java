package io.github.cfallowlist.cli;

import com.fasterxml.jackson.jr.ob.JSON;
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
  private static final System.Logger LOG = System.getLogger(Runs.class.getName());

  /** How results are shown. */
  enum Style {
    /**
     * {@code plan} and {@code apply --dry-run}: the diff of each pending change, then summaries.
     */
    PLAN,
    /** {@code status}: summaries only. */
    STATUS,
    /** {@code apply}: what was done. */
    APPLY
  }

  private Runs() {}

  static int execute(CommandSpec spec, Run.Builder run, Style style, OutputFormat format)
      throws IOException {
    RunResult result = run.build().execute();
    print(spec, result.warnings(), result.targets(), style, format);
    return exitCode(result.targets());
  }

  /** Prints results: changes and summaries on stdout, failures and warnings on stderr. */
  static void print(
      CommandSpec spec,
      List<String> warnings,
      List<TargetResult> results,
      Style style,
      OutputFormat format)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    for (String w : warnings) {
      LOG.log(System.Logger.Level.WARNING, w);
    }
    if (format == OutputFormat.json) {
      List<Object> list = new ArrayList<>();
      for (TargetResult r : results) {
        list.add(toJson(r));
      }
      out.println(JSON.std.asString(list.size() == 1 ? list.get(0) : list));
    }
    for (TargetResult r : results) {
      if (format == OutputFormat.text && Logging.current() != Logging.Verbosity.QUIET) {
        printText(out, r, style);
      }
      if (r.outcome().failed()) {
        err.println(
            Logging.line(
                java.util.logging.Level.SEVERE,
                r.target() + ": " + r.message(),
                Logging.current()));
      }
      out.flush();
      err.flush();
    }
  }

  private static void printText(PrintWriter out, TargetResult r, Style style) {
    Plan plan = r.plan().orElse(null);
    boolean showDiff =
        style == Style.PLAN
            && plan != null
            && plan.hasChanges()
            && (r.outcome() == Outcome.WOULD_CHANGE || r.outcome() == Outcome.REFUSED);
    if (showDiff) {
      out.print(plan.diff());
    }
    if (r.outcome().failed()) {
      return;
    }
    String line = style == Style.APPLY ? r.message() : plan == null ? r.message() : plan.summary();
    out.println(
        r.target() + ": " + line + r.fallback().map(f -> " (from the " + f + ")").orElse(""));
  }

  static int exitCode(List<TargetResult> results) {
    if (results.stream().anyMatch(r -> r.outcome().failed())) {
      return Cli.ERROR;
    }
    return results.stream().anyMatch(r -> r.outcome().pending()) ? Cli.CHANGES : Cli.OK;
  }

  static Map<String, Object> toJson(TargetResult r) {
    Map<String, Object> map =
        r.plan().map(PlanCommand::toJson).orElseGet(java.util.LinkedHashMap::new);
    map.put("target", r.target());
    map.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
    map.put("message", r.message());
    map.put("fallback", r.fallback().orElse(null));
    return map;
  }
}
