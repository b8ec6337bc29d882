package io.github.cfallowlist.kit;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target that is one snippet file a daemon's own configuration includes: everything but the
 * snippet's syntax and the daemon's settings. The file is named by the setting {@code NAME-file}
 * (its file name is the file's name in a {@link Rendered}); the daemon's test and reload commands
 * come with it in a {@link FileTarget}.
 *
 * <p>Live state is read from the file itself (no command runs). Apply goes through {@link
 * FileApplier}: a record of the change first, the file written atomically, the test command, and
 * the reload only when it passes; on any failure the old file is put back byte for byte, and {@link
 * ApplyFailedException#outcome()} says what was left behind. A run killed midway is finished or
 * undone by the next one; while its record is there {@link #readLive} shows the file as it was
 * before and {@link #leftovers} lists {@value #UNFINISHED}{@code PATH}. The target never overwrites
 * or removes a file that lacks its header. A hand-edited file shows in {@link #readLive} with each
 * line cf-allowlist did not write turned into a comment saying apply replaces it ({@link
 * LineFile#live}).
 *
 * <p>A subclass gives its {@link #name()}, {@link #settings()} and {@link #packages()}, and:
 *
 * <pre>{@code
 * protected FileTarget daemon(TargetOptions options)       // checks the settings
 * protected String renderFile(RangeSnapshot s, RangeSet r) // the snippet's text
 * protected RangeSet parseFile(String name, String text, boolean live)
 * protected String liveFile(String name, String text)      // drift shown as comments
 * protected String uninstallAdvice(Path file)              // how to stop including it
 * }</pre>
 */
public abstract class SnippetTarget implements Target {
  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  public static final String UNFINISHED = "unfinished change ";

  private final String title;

  /**
   * A target whose daemon messages call {@code title}, e.g. {@code Apache}.
   *
   * @param title the daemon's name as a sentence shows it
   */
  protected SnippetTarget(String title) {
    this.title = title;
  }

  /**
   * The daemon for {@code options}: its commands, and the snippet as its {@linkplain
   * FileTarget#primaryFile primary file}.
   *
   * @throws IllegalArgumentException for a key the target does not declare or a malformed value
   */
  protected abstract FileTarget daemon(TargetOptions options);

  /**
   * The snippet's text for {@code ranges}.
   *
   * @throws IllegalArgumentException when the ranges cannot be written (none, for instance)
   */
  protected abstract String renderFile(RangeSnapshot snapshot, RangeSet ranges);

  /**
   * The ranges the file called {@code name} holds, parsed strictly; with {@code live}, the notes
   * {@link #liveFile} writes are passed over.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  protected abstract RangeSet parseFile(String name, String content, boolean live);

  /** {@code content}, a file with cf-allowlist's header, as the live state shows it. */
  protected abstract String liveFile(String name, String content);

  /**
   * What to add when the test command rejects the configuration without the snippet: text starting
   * with {@code ;} saying how to stop including {@code file}.
   */
  protected abstract String uninstallAdvice(Path file);

  /** The snippet's name in a {@link Rendered}: its file name. */
  private static String fileName(FileTarget daemon) {
    return daemon.primaryFile().getFileName().toString();
  }

  /**
   * The snippet for the families in {@code options}, named after the file name of the {@code
   * NAME-file} setting.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when no range
   *     is left to trust
   */
  @Override
  public final Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    FileTarget daemon = daemon(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    return Rendered.single(fileName(daemon), renderFile(snapshot, ranges));
  }

  /**
   * The ranges the snippet holds, parsed strictly: any line cf-allowlist does not write is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public final RangeSet parse(Rendered config, TargetOptions options) {
    daemon(options);
    Rendered.File file = only(config);
    return parseFile(file.name(), file.content(), false);
  }

  /**
   * As {@link #parse}, but the drift notes {@link #readLive} writes are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public final RangeSet parseLive(Rendered live, TargetOptions options) {
    daemon(options);
    Rendered.File file = only(live);
    return parseFile(file.name(), file.content(), true);
  }

  private Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          article(title)
              + " "
              + title
              + " configuration is one file, not "
              + config.files().size());
    }
    return config.files().get(0);
  }

  private static String article(String word) {
    return !word.isEmpty() && "AEIOUaeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
  }

  /** {@return {@code true}: the file can be read and written in place} */
  @Override
  public final boolean supportsLive() {
    return true;
  }

  /**
   * The snippet, or empty when there is none; while an interrupted change is pending, as it was
   * before it. A file with the header shows each line cf-allowlist did not write as a drift
   * comment; one without is returned as it is, which {@link #parse} refuses. Runs no command.
   *
   * @throws IOException also when the record of an interrupted change cannot be read
   */
  @Override
  public final Optional<Rendered> readLive(TargetContext context) throws IOException {
    FileTarget daemon = daemon(context.options());
    Optional<FoundFile> found = FoundFile.effective(daemon.primaryFile(), Intent.read(daemon));
    return found.map(
        f ->
            Rendered.single(
                fileName(daemon), f.ours() ? liveFile(f.path().toString(), f.text()) : f.text()));
  }

  /**
   * {@value #UNFINISHED}{@code PATH} when an interrupted run left its record of a change, which the
   * next apply finishes. Runs no command.
   */
  @Override
  public final List<String> leftovers(TargetContext context) throws IOException {
    List<String> out = new ArrayList<>();
    Intent.read(daemon(context.options())).ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /** That the snippet's directory does not exist; the change would fail unchanged. */
  @Override
  public final Optional<String> obstacle(TargetContext context) throws IOException {
    return FileTarget.missingDirectory(daemon(context.options()).primaryFile());
  }

  /**
   * Writes {@code plan}'s snippet atomically, runs the test command and reloads the daemon only
   * when it passes; when no byte changes (and no interrupted change is pending) nothing runs. On
   * failure the old file is put back byte for byte and read again; the outcomes are {@link
   * FileApplier}'s: {@code FAILED_RESTORED} when the test rejected the file, or the reload failed
   * and the daemon was reloaded with the old file, {@code FAILED_UNCHANGED} when nothing was
   * changed, {@code STATE_UNKNOWN} when putting back (or that second reload) failed.
   *
   * @throws ApplyFailedException saying what was left behind, with the daemon's own error; {@code
   *     FAILED_UNCHANGED} also when the file holds one cf-allowlist did not write
   */
  @Override
  public final void apply(Plan plan, TargetContext context) throws IOException {
    FileTarget daemon = daemon(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    String name = fileName(daemon);
    String content =
        desired
            .file(name)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the plan has no " + name + ", which " + name() + "-file names"))
            .content();
    new FileApplier(daemon, context.runner())
        .apply(
            List.of(FileApplier.Desired.of(daemon.primaryFile(), content)),
            FileApplier.Leftovers.NONE);
  }

  /**
   * Removes the snippet, runs the test command and reloads the daemon; when the test fails (the
   * configuration still names the file without a wildcard) the file is put back and the daemon is
   * not reloaded.
   *
   * @throws ApplyFailedException saying what was left behind; {@code FAILED_UNCHANGED} when the
   *     file holds one cf-allowlist did not write (nothing is removed)
   */
  @Override
  public final void uninstall(TargetContext context) throws IOException {
    FileTarget daemon = daemon(context.options());
    Path file = daemon.primaryFile();
    new FileApplier(daemon, context.runner())
        .uninstall(
            List.of(file),
            FileApplier.Leftovers.NONE,
            (removed, leftovers) -> uninstallAdvice(file));
  }
}
