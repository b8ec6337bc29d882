package io.github.cfallowlist.cli;

import io.github.cfallowlist.Run;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code config}: works on the configuration file. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Work on the configuration file.",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code config check}: validates the file as {@code apply} would read it, running nothing. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Check the configuration file as apply would read it: every key known and of the right"
            + " type, every target known with only the settings it declares, every value"
            + " valid. Nothing is fetched or changed.",
        "Prints 'FILE: ok, N targets' (exit 0), or the first mistake with its line (exit 1)."
      })
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin ConfigOption config;

    @Override
    public Integer call() throws Exception {
      Path file = config.config != null ? config.config : ConfigFile.DEFAULT;
      ApplyCommand apply = new ApplyCommand();
      CommandLine cmd = new CommandLine(apply);
      cmd.parseArgs("--config", file.toString());
      ConfigFile read = apply.config.applyTo(apply.spec, apply.targetArgs).orElseThrow();
      try {
        apply.source.rangeSource(apply.common.stateDir());
        apply.runOptions.guards(apply.source.guards());
        apply.runOptions.fallback();
        apply.origin.check();
        apply.targetArgs.options(apply.source.families());
        if (read.targetCount() > 0) {
          Cli.run(apply.common, apply.source, apply.targetArgs, apply.runOptions).build();
          Run.checkSettings(
              apply.targetArgs.resolve(), apply.targetArgs.options(apply.source.families()));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + Cli.message(e), e);
      }
      int n = read.targetCount();
      spec.commandLine().getOut().println(file + ": ok, " + n + (n == 1 ? " target" : " targets"));
      return Cli.OK;
    }
  }
}
