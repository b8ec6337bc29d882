package io.github.cfallowlist.cli;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code render}: prints or writes a target's full configuration. */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Print the full configuration a target would hold for the current ranges.",
      "A target made of several files prints each after a '==> NAME <==' line; with --output"
          + " they are written into that directory."
    })
final class RenderCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin TargetArgs targetArgs;

  @Option(
      names = "--output",
      paramLabel = "PATH",
      description =
          "Write the configuration here (atomically) instead of printing it: a file, or a"
              + " directory for a target made of several files.")
  Path output;

  @Override
  public Integer call() throws Exception {
    List<Target> targets = targetArgs.resolve();
    if (targets.size() != 1) {
      throw new IllegalArgumentException("render takes exactly one --target");
    }
    Target target = targets.get(0);
    TargetOptions options = targetArgs.options(source.families());
    Run.checkSettings(targets, options);
    RangeSnapshot snapshot = source.load(common.stateDir());
    Rendered rendered = target.render(snapshot, options);
    if (output != null) {
      write(rendered, output);
      return Cli.OK;
    }
    PrintWriter out = spec.commandLine().getOut();
    if (rendered.files().size() == 1) {
      out.print(rendered.text());
    } else {
      for (Rendered.File f : rendered.files()) {
        out.println("==> " + f.name() + " <==");
        out.print(f.content());
      }
    }
    out.flush();
    return Cli.OK;
  }

  static void write(Rendered rendered, Path output) throws java.io.IOException {
    if (rendered.files().size() == 1 && !Files.isDirectory(output)) {
      AtomicFiles.write(output, rendered.text());
      return;
    }
    for (Rendered.File f : rendered.files()) {
      AtomicFiles.write(output.resolve(f.name()), f.content());
    }
  }
}
