package io.github.cfallowlist.cli;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RejectedRangesException;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** {@code config}: works on the configuration file. */
final class ConfigCommand implements Runnable {
  final CommandSpec spec = Declared.command(this, "config", "Work on the configuration file.");

  ConfigCommand() {
    spec.addSubcommand("check", new Check().spec);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code config check}: validates the file as {@code apply} would read it, running nothing. */
  static final class Check implements Callable<Integer> {
    final CommandSpec spec =
        Declared.command(
            this,
            "check",
            "Check the configuration file as apply would read it: every key known and of the right"
                + " type, every target known with only the settings it declares, every value"
                + " valid. Nothing is fetched or changed.",
            "Prints 'FILE: ok, N targets' (exit 0), or the first mistake with its line (exit 1).");

    Check() {
      CommonOptions.declare(spec);
      ConfigOption.declare(spec);
      FormatOption.declare(spec);
    }

    @Override
    public Integer call() throws Exception {
      Path given = ConfigOption.given(spec);
      Path file = given != null ? given : ConfigFile.DEFAULT;
      CommandSpec apply = new ApplyCommand().spec;
      new CommandLine(apply).parseArgs("--config", file.toString());
      // A file a run would refuse to trust is checked all the same, with a warning: the check runs
      // nothing, and a copy under review (Ansible's validate) sits in a directory of its own.
      Optional<ConfigFile> loaded = ConfigOption.applyTo(apply, false);
      try {
        ConfigFile.requireTrusted(file);
      } catch (IllegalArgumentException e) {
        System.getLogger(ConfigCommand.class.getName())
            .log(System.Logger.Level.WARNING, Cli.message(e) + "; a run would refuse it");
      }
      ConfigFile read = loaded.orElseThrow();
      try {
        SourceOptions source = SourceOptions.of(apply);
        source.rangeSource(CommonOptions.of(apply).stateDir());
        try {
          source.trustedFile();
        } catch (IOException e) {
          // Missing or not a file (yet): the run says so when it reads it.
        } catch (IllegalArgumentException e) {
          System.getLogger(ConfigCommand.class.getName())
              .log(System.Logger.Level.WARNING, Cli.message(e) + "; an apply would refuse it");
        }
        RunOptions runOptions = RunOptions.of(apply);
        Guards guards = runOptions.guards(source.guards());
        runOptions.fallback();
        OriginOptions.of(apply).check();
        TargetArgs targetArgs = TargetArgs.of(apply, loaded);
        TargetOptions options = targetArgs.options(source.families());
        RangeSnapshot embedded = Guards.defaults().validate(RangeSource.embedded().fetch());
        try {
          guards.check(embedded);
        } catch (RejectedRangesException e) {
          // A warning: the list a run fetches is not this one, though it is rarely far from it.
          System.getLogger(ConfigCommand.class.getName())
              .log(
                  System.Logger.Level.WARNING,
                  file
                      + ": these guards refuse Cloudflare's list as this version embeds it ("
                      + e.getMessage()
                      + "); a run would refuse a list like it");
        }
        if (read.targetCount() > 0) {
          Cli.run(apply, loaded).build();
          List<Target> targets = targetArgs.resolve();
          Run.checkSettings(targets, options);
          // What a run refuses before it reads anything (--mode allow without nft-table, say) is
          // found by rendering each target from the embedded list, which runs nothing.
          for (Target t : targets) {
            try {
              t.render(embedded.restrictTo(options.families()), options.forTarget(t));
            } catch (CfAllowlistException e) {
              String why = e.getMessage();
              throw new IllegalArgumentException(
                  why.startsWith(t.name() + ": ") ? why : t.name() + ": " + why, e);
            }
          }
        }
        Path metrics = Declared.value(apply, "--metrics-file");
        if (metrics != null) {
          // The value only: the file and its directory are those of the host that runs it.
          MetricsFile.checkValue(metrics);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + Cli.message(e), e);
      }
      int n = read.targetCount();
      PrintWriter out = spec.commandLine().getOut();
      if (FormatOption.of(spec) == OutputFormat.json) {
        Map<String, Object> object = Json.object(Json.name(spec), Cli.OK);
        object.put("file", file.toString());
        object.put("targets", n);
        Json.print(out, object);
      } else {
        out.println(file + ": ok, " + n + (n == 1 ? " target" : " targets"));
      }
      out.flush();
      return Cli.OK;
    }
  }
}
