package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.ToolNotFoundException;
import io.github.cfallowlist.adapter.nginx.NginxLive.Found;
import io.github.cfallowlist.adapter.nginx.NginxSettings.Owned;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Changes the files as one step: a record of the change ({@link NginxIntent}) is written first,
 * then every file is written (or removed) through {@link AtomicFiles}, then the test command checks
 * the configuration that now includes them, then nginx is reloaded, and last the record is removed.
 * A run killed anywhere in between leaves the record, and the next run finishes the change (or puts
 * the files back as they were before it). On any failure every file is put back as it was, byte for
 * byte, and read again to say what was left behind:
 *
 * <ul>
 *   <li>a write fails, the test command rejects the files or cannot be run (timeout): the files are
 *       put back and nginx was not reloaded: {@link Outcome#FAILED_RESTORED} ({@link
 *       Outcome#FAILED_UNCHANGED} when no file had been changed yet);
 *   <li>the reload command fails: nginx did not take the signal (that is how {@code nginx -s
 *       reload} fails), so the files are put back to match what nginx still runs: {@link
 *       Outcome#FAILED_RESTORED};
 *   <li>the reload command times out or cannot be run: it may have signalled nginx, so the files
 *       are put back and the reload is run once more, making nginx load the old files again: {@link
 *       Outcome#FAILED_RESTORED} when that second reload passes;
 *   <li>anything else, including a file that does not read back as it was: {@link
 *       Outcome#STATE_UNKNOWN}, and the record stays for the next run.
 * </ul>
 *
 * <p>The test command killed by a signal (exit status 128 + N, as when systemd stops the whole
 * control group) did not pass: the files are put back.
 */
final class NginxApplier {
  private static final System.Logger LOG = System.getLogger(NginxApplier.class.getName());
  private static final Set<PosixFilePermission> NEW_MODE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Pattern LOG_PREFIX =
      Pattern.compile("\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[(\\w+)\\] \\d+#\\d+: (.*)");

  private final NginxSettings settings;
  private final CommandRunner runner;

  NginxApplier(NginxSettings settings, CommandRunner runner) {
    this.settings = settings;
    this.runner = runner;
  }

  /**
   * Puts {@code desired} (every file the settings name) in place and removes the leftover allow
   * file, tests and reloads; does nothing when no byte would change and no change is pending. A
   * change an interrupted run left unfinished is finished here: its files count as they were before
   * it, so they are tested and reloaded whatever is on disk, and a failure puts them back as they
   * were before it.
   */
  void apply(Rendered desired) throws IOException {
    Optional<NginxIntent> pending = NginxIntent.read(settings);
    List<Change> changes = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      String content =
          desired
              .file(owned.name())
              .map(Rendered.File::content)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "the plan has no " + owned.name() + ", which the nginx settings name"));
      add(changes, owned.path(), Optional.of(content), pending);
    }
    for (Path old : NginxLive.leftovers(settings, pending)) {
      add(changes, old, Optional.empty(), pending);
    }
    putBackTheRest(changes, pending);
    change(changes, pending, "the new configuration", "");
  }

  /** Removes every file this target owns, the leftover allow file included, tests and reloads. */
  void uninstall() throws IOException {
    Optional<NginxIntent> pending = NginxIntent.read(settings);
    List<Change> changes = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      add(changes, owned.path(), Optional.empty(), pending);
    }
    List<Path> leftovers = NginxLive.leftovers(settings, pending);
    for (Path old : leftovers) {
      add(changes, old, Optional.empty(), pending);
    }
    putBackTheRest(changes, pending);
    boolean allowFile =
        !leftovers.isEmpty()
            || settings
                .allowFile()
                .filter(a -> changes.stream().anyMatch(c -> c.path.equals(a)))
                .isPresent();
    String paths =
        String.join(
            " and ", changes.stream().filter(c -> !c.restore).map(c -> c.path.toString()).toList());
    change(
        changes,
        pending,
        "the configuration without " + paths,
        "; if the nginx configuration includes "
            + paths
            + " by name (not through a wildcard)"
            + (allowFile ? " or a server still uses $cloudflare_edge" : "")
            + ", remove that first");
  }

  /**
   * Adds the change of {@code path} to {@code after} (empty: no file) when a byte would change or a
   * change is pending; refuses a file on disk that cf-allowlist did not write.
   */
  private static void add(
      List<Change> changes, Path path, Optional<String> after, Optional<NginxIntent> pending)
      throws IOException {
    if (changes.stream().anyMatch(c -> NginxIntent.key(c.path).equals(NginxIntent.key(path)))) {
      return;
    }
    Optional<Found> now = NginxLive.read(path);
    refuseForeign(now, after.isPresent() ? "overwrite" : "remove");
    Optional<Found> before = NginxLive.effective(path, pending);
    boolean recorded = pending.flatMap(p -> p.of(path)).isPresent();
    if (recorded || !now.map(Found::text).equals(after)) {
      changes.add(new Change(path, before, after, false));
    }
  }

  /**
   * Files the pending change touched that this run neither writes nor removes go back to how they
   * were before it.
   */
  private static void putBackTheRest(List<Change> changes, Optional<NginxIntent> pending)
      throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    for (NginxIntent.Before b : pending.get().before().values()) {
      Path key = NginxIntent.key(b.path());
      if (changes.stream().noneMatch(c -> NginxIntent.key(c.path).equals(key))) {
        refuseForeign(NginxLive.read(b.path()), "put back");
        Optional<Found> before = NginxLive.effective(b.path(), pending);
        changes.add(new Change(b.path(), before, b.text(), true));
      }
    }
  }

  private static void refuseForeign(Optional<Found> file, String action) {
    if (file.isPresent() && !file.get().ours()) {
      throw new ApplyFailedException(
          "cf-allowlist will not "
              + action
              + " "
              + file.get().path()
              + ": it has no '"
              + Header.MARKER
              + "' header, so cf-allowlist did not write it",
          Outcome.FAILED_UNCHANGED);
    }
  }

  /**
   * Records the change ({@link NginxIntent}), makes it, tests and reloads, then clears the record;
   * any failure puts every file back. An interruption leaves the record for the next run.
   */
  private void change(
      List<Change> changes, Optional<NginxIntent> pending, String what, String advice)
      throws IOException {
    if (changes.isEmpty() && pending.isEmpty()) {
      return;
    }
    boolean wasReloading = pending.map(NginxIntent::reloading).orElse(false);
    Path realIp = settings.realIpFile();
    if (!Files.isDirectory(realIp.toAbsolutePath().getParent())) {
      // nginx would not read a directory it does not know; creating one hides a wrong path.
      throw new ApplyFailedException(
          "cannot write " + realIp + ": the directory for " + realIp + " does not exist",
          Outcome.FAILED_UNCHANGED);
    }
    Map<Path, NginxIntent.Before> befores = new LinkedHashMap<>();
    for (Change c : changes) {
      befores.put(NginxIntent.key(c.path), c.recorded());
    }
    NginxIntent intent = new NginxIntent(NginxIntent.location(settings), wasReloading, befores);
    removeTemporaryFiles(changes, intent.file());
    try {
      intent.write();
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          "cannot write "
              + intent.file()
              + ", the record of the change in progress: "
              + e.getMessage(),
          Outcome.FAILED_UNCHANGED,
          e);
    }
    Attempt attempt = new Attempt(changes, intent, pending.isPresent());
    for (Change c : changes) {
      try {
        c.put();
      } catch (IOException | RuntimeException e) {
        throw failed(
            "cannot " + c.verb() + " " + c.path + ": " + e.getMessage(), attempt, wasReloading, e);
      }
      attempt.done.add(c);
    }

    Command test = Command.read(settings.testCommand());
    CommandResult tested;
    try {
      tested = runner.run(test);
    } catch (IOException | RuntimeException e) {
      throw failed("cannot run '" + test.display() + "': " + why(e), attempt, wasReloading, e);
    }
    if (!tested.ok()) {
      throw failed(
          signalled(tested)
              .map(sig -> "'" + test.display() + "' was stopped by signal " + sig + " before it")
              .map(s -> s + " finished, so " + what + " was not tested")
              .orElseGet(
                  () ->
                      "'"
                          + test.display()
                          + "' rejected "
                          + what
                          + ": "
                          + nginxError(tested)
                          + advice),
          attempt,
          wasReloading,
          null);
    }

    Command reload = Command.modify(settings.reloadCommand());
    try {
      // From here nginx may load the new files: an interrupted run's successor must reload them.
      attempt.intent = intent.reloading(true);
      attempt.intent.write();
    } catch (IOException | RuntimeException e) {
      throw failed(
          "cannot write " + intent.file() + ": " + e.getMessage(), attempt, wasReloading, e);
    }
    CommandResult reloaded;
    try {
      reloaded = runner.run(reload);
    } catch (IOException | RuntimeException e) {
      throw failed("cannot run '" + reload.display() + "': " + why(e), attempt, true, e);
    }
    if (!reloaded.ok()) {
      // A failing nginx -s reload never signalled nginx: it runs what it ran before this run.
      throw failed(
          "'" + reload.display() + "' failed: " + nginxError(reloaded),
          attempt,
          wasReloading,
          null);
    }
    try {
      attempt.intent.clear();
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          "nginx tested and loaded "
              + what
              + ", but "
              + intent.file()
              + " cannot be removed, so the next run does it again: "
              + e.getMessage(),
          Outcome.STATE_UNKNOWN,
          e);
    }
    LOG.log(Level.DEBUG, "nginx reloaded after changing {0} file(s)", changes.size());
  }

  /** The signal that ended a command, when it was killed by one (exit status 128 + N). */
  private static Optional<Integer> signalled(CommandResult result) {
    int code = result.exitCode();
    return code > 128 && code <= 128 + 64 ? Optional.of(code - 128) : Optional.empty();
  }

  /**
   * Stale temporary files {@link AtomicFiles} leaves when a run is killed mid-write, next to the
   * files it writes (never a file nginx's wildcards would include: they start with a dot).
   */
  private static void removeTemporaryFiles(List<Change> changes, Path intent) {
    List<Path> files = new ArrayList<>();
    files.add(intent);
    for (Change c : changes) {
      try {
        files.add(AtomicFiles.resolveLink(c.path));
      } catch (IOException | RuntimeException e) {
        // A loop of links fails the write itself, with a message.
      }
    }
    for (Path file : files) {
      Path dir = file.toAbsolutePath().getParent();
      Pattern temporary =
          Pattern.compile(Pattern.quote("." + file.getFileName() + ".") + "\\d+\\.tmp");
      try (Stream<Path> entries = Files.list(dir)) {
        for (Path p : entries.toList()) {
          if (temporary.matcher(p.getFileName().toString()).matches()
              && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            LOG.log(Level.INFO, "removing {0}, left by an interrupted run", p);
            Files.deleteIfExists(p);
          }
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, "cannot look for temporary files in {0}: {1}", dir, e.getMessage());
      }
    }
  }

  /** The changes of one run, those already made, and the record on disk. */
  private static final class Attempt {
    final List<Change> changes;
    final List<Change> done = new ArrayList<>();
    final boolean recovering;
    NginxIntent intent;

    Attempt(List<Change> changes, NginxIntent intent, boolean recovering) {
      this.changes = changes;
      this.intent = intent;
      this.recovering = recovering;
    }

    /**
     * What to put back: the changes made, or, when finishing an interrupted change, all of them
     * (the files on disk then still hold its untested content).
     */
    List<Change> toUndo() {
      return recovering ? changes : done;
    }
  }

  private static String why(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e instanceof ToolNotFoundException
        ? message + "; install the Debian package nginx (or nginx-light)"
        : message;
  }

  /**
   * Puts back every file the attempt changed, reads them again and says what was left behind. With
   * {@code reloadAgain} (nginx may have loaded the new files) nginx is reloaded once more after the
   * files are back. The record of the change is removed once everything is back, and kept
   * otherwise, so the next run finishes or undoes the change.
   */
  private ApplyFailedException failed(
      String error, Attempt attempt, boolean reloadAgain, Throwable cause) {
    List<Change> undo = attempt.toUndo();
    List<String> problems = new ArrayList<>();
    for (int i = undo.size() - 1; i >= 0; i--) {
      Change c = undo.get(i);
      try {
        c.undo();
      } catch (IOException | RuntimeException e) {
        problems.add("putting " + c.path + " back failed: " + e.getMessage());
      }
    }
    for (Change c : undo) {
      try {
        if (!c.isBack()) {
          problems.add(c.path + " does not read back as it was");
        }
      } catch (IOException | RuntimeException e) {
        problems.add(c.path + " cannot be read back: " + e.getMessage());
      }
    }
    boolean reloadedAgain = false;
    if (reloadAgain && problems.isEmpty()) {
      Command reload = Command.modify(settings.reloadCommand());
      try {
        CommandResult again = runner.run(reload);
        if (again.ok()) {
          reloadedAgain = true;
        } else {
          problems.add("reloading nginx with them failed too: " + nginxError(again));
        }
      } catch (IOException | RuntimeException e) {
        problems.add("reloading nginx with them failed too: " + why(e));
      }
    }
    if (problems.isEmpty()) {
      try {
        attempt.intent.clear();
      } catch (IOException | RuntimeException e) {
        problems.add("cannot remove " + attempt.intent.file() + ": " + e.getMessage());
      }
    }
    Outcome outcome;
    String said;
    if (!problems.isEmpty()) {
      outcome = Outcome.STATE_UNKNOWN;
      said =
          (reloadAgain ? "nginx may have loaded the new files; " : "")
              + String.join("; ", problems)
              + "; "
              + attempt.intent.file()
              + " records the files as they were, and the next run finishes or undoes the change";
    } else if (undo.isEmpty()) {
      outcome = Outcome.FAILED_UNCHANGED;
      said = "no file was changed and nginx was not reloaded";
    } else {
      outcome = Outcome.FAILED_RESTORED;
      said =
          undo.size()
              + " file(s) read back as they were"
              + (attempt.recovering ? " before the interrupted change" : "")
              + (reloadedAgain
                  ? " and nginx was reloaded with them"
                  : " and nginx was not reloaded");
    }
    return new ApplyFailedException(error + "; " + said, outcome, cause);
  }

  /** nginx's first error line; warnings such as a useless {@code user} directive come first. */
  static String nginxError(CommandResult result) {
    return Printable.of(
        withoutLogPrefix(
            Stream.of(result.stderr(), result.stdout())
                .flatMap(String::lines)
                .filter(l -> l.contains("[emerg]") || l.contains("[alert]") || l.contains("[crit]"))
                .map(String::strip)
                .findFirst()
                .orElse(result.firstErrorLine())));
  }

  /**
   * Once the configuration names an {@code error_log}, nginx writes its errors in the log format
   * ({@code 2026/11/24 23:58:23 [emerg] 123#123: ...}); show them as {@code nginx: [emerg] ...}
   * like the rest of its messages.
   */
  private static String withoutLogPrefix(String line) {
    Matcher m = LOG_PREFIX.matcher(line);
    return m.matches() ? "nginx: [" + m.group(1) + "] " + m.group(2) : line;
  }

  /**
   * One file going from {@code before} to {@code after} (empty: absent); with {@code restore}, back
   * to {@code before} (a file an interrupted change touched that this run does not ask for).
   */
  private static final class Change {
    final Path path;
    final Optional<Found> before;
    final Optional<String> after;
    final boolean restore;

    Change(Path path, Optional<Found> before, Optional<String> after, boolean restore) {
      this.path = path;
      this.before = before;
      this.after = after;
      this.restore = restore;
    }

    String verb() {
      return restore ? "put back" : after.isPresent() ? "write" : "remove";
    }

    /** {@code before} as the record of the change holds it. */
    NginxIntent.Before recorded() {
      return new NginxIntent.Before(path, before.map(Found::text), before.flatMap(Found::link));
    }

    void put() throws IOException {
      if (restore) {
        undo();
      } else if (after.isPresent()) {
        write(after.get());
      } else {
        // A symbolic link is removed, not its target: the include goes, the target stays.
        Files.deleteIfExists(path);
      }
    }

    void undo() throws IOException {
      if (before.isEmpty()) {
        Files.deleteIfExists(path);
        return;
      }
      Found old = before.get();
      if (old.link().isPresent() && !Files.isSymbolicLink(path)) {
        // Removed by put(): the link's target was never touched, so the link alone comes back.
        Files.deleteIfExists(path);
        Files.createSymbolicLink(path, old.link().get());
        if (Files.exists(path)
            && NginxLive.read(path).map(Found::text).equals(Optional.of(old.text()))) {
          return;
        }
      }
      write(old.text());
    }

    boolean isBack() throws IOException {
      Optional<Found> now = NginxLive.read(path);
      if (before.isEmpty()) {
        return now.isEmpty() && !Files.exists(path, LinkOption.NOFOLLOW_LINKS);
      }
      return now.isPresent()
          && now.get().text().equals(before.get().text())
          && now.get().link().equals(before.get().link());
    }

    /** Writes {@code content} atomically (through a link), keeping the mode and owner. */
    private void write(String content) throws IOException {
      Path real = AtomicFiles.resolveLink(path);
      Path dir = real.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        // nginx would not read a directory it does not know; creating one hides a wrong path.
        throw new NoSuchFileException(
            dir.toString(), null, "the directory for " + path + " does not exist");
      }
      Optional<PosixFileAttributes> attributes = before.flatMap(Found::attributes);
      AtomicFiles.write(
          path, content, attributes.map(PosixFileAttributes::permissions).orElse(NEW_MODE));
      if (attributes.isPresent()) {
        keepOwner(real, attributes.get());
      }
    }

    private static void keepOwner(Path file, PosixFileAttributes was) {
      PosixFileAttributeView view =
          Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      try {
        PosixFileAttributes now = view.readAttributes();
        if (!now.owner().equals(was.owner())) {
          view.setOwner(was.owner());
        }
        if (!now.group().equals(was.group())) {
          view.setGroup(was.group());
        }
      } catch (IOException e) {
        // Only root may give a file away; nginx reads its configuration as root in any case.
        LOG.log(Level.WARNING, "cannot keep the owner of {0}: {1}", file, e.getMessage());
      }
    }
  }
}
