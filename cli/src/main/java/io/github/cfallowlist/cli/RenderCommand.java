package io.github.cfallowlist.cli;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.SmallFiles;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code render}: prints or writes a target's full configuration. */
final class RenderCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this,
          "render",
          "Print the full configuration a target would hold for the current ranges.",
          "A target made of several files prints each after a '==> NAME <==' line; with --output"
              + " they are written into that directory.");

  RenderCommand() {
    CommonOptions.declare(spec);
    SourceOptions.declare(spec);
    ConfigOption.declare(spec);
    TargetArgs.declare(spec);
    FormatOption.declare(spec);
    spec.addOption(
        Declared.option(
                "--output",
                Path.class,
                "PATH",
                "Write the configuration here (atomically) instead of printing it: a file, or a"
                    + " directory for a target made of several files. An existing file is"
                    + " replaced only if it carries cf-allowlist's header.")
            .build());
  }

  @Override
  public Integer call() throws Exception {
    Optional<ConfigFile> file = ConfigOption.applyTo(spec);
    Path output = Declared.value(spec, "--output");
    if (output != null && output.toString().isEmpty()) {
      // An empty path is the working directory: never what was meant.
      throw new IllegalArgumentException(
          "--output is empty; give a file, or a directory for a target made of several files");
    }
    SourceOptions source = SourceOptions.of(spec);
    TargetArgs targetArgs = TargetArgs.of(spec, file);
    List<Target> targets = targetArgs.resolve();
    if (targets.size() != 1) {
      throw new IllegalArgumentException("render takes exactly one --target");
    }
    Target target = targets.get(0);
    TargetOptions options = targetArgs.options(source.families());
    Run.checkSettings(targets, options);
    RangeSnapshot snapshot = source.load(CommonOptions.of(spec).stateDir());
    Rendered rendered = target.render(snapshot, options);
    if (output != null
        && rendered.files().size() > 1
        && Files.exists(output)
        && !Files.isDirectory(output)) {
      throw new IllegalArgumentException(
          "--output "
              + Printable.of(output.toString())
              + " is a file, but "
              + target.name()
              + " renders "
              + rendered.files().size()
              + " files ("
              + String.join(", ", rendered.files().stream().map(Rendered.File::name).toList())
              + "); give --output a directory");
    }
    List<Path> written = output != null ? paths(rendered, output) : List.of();
    if (output != null) {
      write(rendered, output);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (FormatOption.of(spec) == OutputFormat.json) {
      Json.print(out, toJson(target, snapshot, rendered, written));
      return Cli.OK;
    }
    if (output != null) {
      return Cli.OK;
    }
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

  private static Map<String, Object> toJson(
      Target target, RangeSnapshot snapshot, Rendered rendered, List<Path> written) {
    Map<String, Object> json = Json.object("render", Cli.OK);
    json.put("source", Json.source(snapshot));
    List<Object> files = new ArrayList<>();
    for (int i = 0; i < rendered.files().size(); i++) {
      Rendered.File f = rendered.files().get(i);
      Map<String, Object> file = new LinkedHashMap<>();
      file.put("name", f.name());
      file.put("path", written.isEmpty() ? null : written.get(i).toString());
      file.put("content", f.content());
      files.add(file);
    }
    Map<String, Object> one = new LinkedHashMap<>();
    one.put("target", target.name());
    one.put("files", files);
    json.put("targets", List.of(one));
    return json;
  }

  /**
   * Writes the files, after checking that every one that exists carries cf-allowlist's header: a
   * file it did not write is never replaced, and nothing is written when one is refused.
   */
  static void write(Rendered rendered, Path output) throws IOException {
    Map<Path, String> writes = new LinkedHashMap<>();
    if (rendered.files().size() == 1 && !Files.isDirectory(output)) {
      writes.put(output, rendered.text());
    } else {
      for (Rendered.File f : rendered.files()) {
        writes.put(output.resolve(f.name()), f.content());
      }
    }
    for (Path file : writes.keySet()) {
      refuseForeign(file);
    }
    for (Map.Entry<Path, String> w : writes.entrySet()) {
      AtomicFiles.write(w.getKey(), w.getValue());
    }
  }

  private static void refuseForeign(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    String content;
    try {
      content = SmallFiles.readConfig(file, "--output");
    } catch (IOException e) {
      if (!Files.isRegularFile(file)) {
        throw e;
      }
      // Too large or not UTF-8: not a file cf-allowlist wrote.
      content = "";
    }
    if (!Header.isIn(content)) {
      throw new CfAllowlistException(
          "render will not overwrite "
              + file
              + ": it has no '"
              + Header.MARKER
              + "' header, so cf-allowlist did not write it (move it away or choose another"
              + " --output)");
    }
  }

  /** Where {@link #write} puts each file, in the order of {@code rendered.files()}. */
  private static List<Path> paths(Rendered rendered, Path output) {
    if (rendered.files().size() == 1 && !Files.isDirectory(output)) {
      return List.of(output);
    }
    return rendered.files().stream().map(f -> output.resolve(f.name())).toList();
  }
}
