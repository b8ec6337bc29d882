package io.github.cfallowlist.cli;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.RunResult;
import io.github.cfallowlist.SmallFiles;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plan}: what applying would change, as a unified diff and a summary. */
final class PlanCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this,
          "plan",
          "Show what apply would change: a unified diff of the configuration and a one-line"
              + " summary per target.",
          "Without --current the live system is read (read-only). Exit 0 when nothing changes,"
              + " 2 when something does, 1 on error.");

  PlanCommand() {
    Cli.declareRun(spec);
    spec.addOption(
        Declared.option(
                "--current",
                Path.class,
                "PATH",
                "Compare with this previously rendered file (or directory, for a target made of"
                    + " several files) instead of the live system.")
            .build());
  }

  @Override
  public Integer call() throws Exception {
    Optional<ConfigFile> file = ConfigOption.applyTo(spec);
    Path current = Declared.value(spec, "--current");
    OriginOptions origin = OriginOptions.of(spec);
    if (current == null) {
      return Runs.execute(
          spec,
          origin.applyTo(Cli.run(spec, file)).action(Run.Action.DRY_RUN),
          Runs.Style.PLAN,
          FormatOption.of(spec));
    }
    if (current.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "--current is empty; give the file a target was rendered to, or the directory holding"
              + " its files");
    }
    CommonOptions common = CommonOptions.of(spec);
    SourceOptions source = SourceOptions.of(spec);
    TargetArgs targetArgs = TargetArgs.of(spec, file);
    List<Target> targets = targetArgs.resolve();
    TargetOptions options = targetArgs.options(source.families());
    Run.checkSettings(targets, options);
    if (targets.size() > 1 && !Files.isDirectory(current)) {
      // One file cannot be what several targets rendered: each would be judged against it.
      throw new IllegalArgumentException(
          "--current "
              + Printable.of(current.toString())
              + " is not a directory, but the plan has "
              + targets.size()
              + " targets ("
              + String.join(", ", targets.stream().map(Target::name).toList())
              + "); give one --target, or --current a directory holding every target's files");
    }
    origin.check(); // a mistake in the options is said before anything is fetched
    RangeSnapshot snapshot = source.load(common.stateDir());
    origin.verify(snapshot, common.stateDir(), false);
    Guards guards = RunOptions.of(spec).guards(source.guards());
    List<TargetResult> results = new ArrayList<>();
    for (Target target : targets) {
      TargetOptions own = options.forTarget(target);
      Rendered desired = target.render(snapshot, own);
      try {
        Optional<Rendered> held =
            readCurrent(
                current,
                desired,
                targets.size() == 1 ? Optional.of(target.name()) : Optional.empty());
        results.add(Sync.review(target, snapshot, own, guards, held));
      } catch (ConfigParseException e) {
        throw new ConfigParseException(inUserTerms(e.getMessage(), current, desired));
      }
    }
    return Runs.print(
        spec,
        new RunResult(Optional.of(snapshot), List.of(), results),
        Runs.Style.PLAN,
        FormatOption.of(spec));
  }

  /**
   * {@code message} about the files of {@code desired} with each file's name (the one the target
   * gives it, {@code cf_allowlist.nft}) replaced by the path the user gave.
   */
  static String inUserTerms(String message, Path current, Rendered desired) {
    for (Rendered.File f : desired.files()) {
      Path user = Files.isDirectory(current) ? current.resolve(f.name()) : current;
      Matcher m =
          Pattern.compile("^(?:[a-z]+: )?(" + Pattern.quote(f.name()) + ")(?=[ :])")
              .matcher(message);
      if (m.find()) {
        return "--current " + user + message.substring(m.end(1));
      }
    }
    return message;
  }

  /**
   * Reads a previously rendered configuration: a file for a one-file target, a directory holding
   * the files otherwise (or for a plan of several targets). Empty when the directory holds none of
   * them, which means "not installed", except for the one target of a plan that renders one file:
   * then a directory without that file is a wrong path, not an empty installation.
   *
   * @param soleTarget the name of the plan's only target; empty when it has several
   */
  static Optional<Rendered> readCurrent(Path path, Rendered desired, Optional<String> soleTarget)
      throws IOException {
    if (Files.isDirectory(path)) {
      List<Rendered.File> files = new ArrayList<>();
      for (Rendered.File f : desired.files()) {
        Path file = path.resolve(f.name());
        if (Files.exists(file)) {
          files.add(new Rendered.File(f.name(), rendered(file)));
        }
      }
      if (files.isEmpty() && soleTarget.isPresent() && desired.files().size() == 1) {
        throw new IllegalArgumentException(
            "--current "
                + Printable.of(path.toString())
                + " is a directory without "
                + desired.files().get(0).name()
                + "; give --current the file "
                + soleTarget.get()
                + " was rendered to");
      }
      return files.isEmpty() ? Optional.empty() : Optional.of(new Rendered(files));
    }
    if (desired.files().size() != 1) {
      throw new IllegalArgumentException(
          "this target is made of "
              + desired.files().size()
              + " files; give --current the directory that holds them, not "
              + path);
    }
    return Optional.of(Rendered.single(desired.files().get(0).name(), rendered(path)));
  }

  /**
   * The text of {@code file}, which must carry cf-allowlist's header: a file it did not render (a
   * path given by mistake, or on purpose) is refused without a word of its content being quoted.
   */
  private static String rendered(Path file) throws IOException {
    String content = SmallFiles.readConfig(file, "--current");
    if (content.contains("\r\n")) {
      // Compared as they are, its lines would all differ from the rendering in a byte not shown.
      throw new ConfigParseException(
          "--current "
              + Printable.of(file.toString())
              + " has Windows line ends (CRLF), which cf-allowlist never writes (a checkout with"
              + " git's core.autocrlf?); convert it to LF line ends, for example with dos2unix");
    }
    if (!Header.isIn(content)) {
      throw new ConfigParseException(
          "--current "
              + Printable.of(file.toString())
              + " has no '"
              + Header.MARKER
              + "' header, so it is not a configuration cf-allowlist rendered; nothing was"
              + " compared");
    }
    return content;
  }
}
