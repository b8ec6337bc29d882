package io.github.cfallowlist.kit;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.ToolNotFoundException;
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
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Changes a file-based target's files as one step, the machinery every "configuration file, test
 * command, reload" target shares: a record of the change ({@link Intent}) is written first, then
 * every file is written (or removed) through {@link io.github.cfallowlist.AtomicFiles}, then the
 * {@linkplain FileTarget#testCommand test command} checks the configuration that now includes them,
 * then the daemon is reloaded, and last the record is removed. A run killed anywhere in between
 * leaves the record, and the next run finishes the change (or puts the files back as they were
 * before it). On any failure every file is put back as it was, byte for byte (a symbolic link stays
 * a link, mode and owner stay), and read again to say what was left behind:
 *
 * <ul>
 *   <li>a write fails, the test command rejects the files or cannot be run (timeout): the files are
 *       put back and the daemon was not reloaded: {@link Outcome#FAILED_RESTORED} ({@link
 *       Outcome#FAILED_UNCHANGED} when no file had been changed yet);
 *   <li>the reload command is not installed: it never signalled the daemon, so the files are put
 *       back to match what it still runs: {@link Outcome#FAILED_RESTORED};
 *   <li>the reload command fails, times out or cannot be run: it may have signalled the daemon
 *       first (a {@code systemctl reload} whose reload step ran and then failed), so the files are
 *       put back and the reload is run once more, making the daemon load the old files again:
 *       {@link Outcome#FAILED_RESTORED} when that second reload passes, {@link
 *       Outcome#STATE_UNKNOWN} when it fails too (the daemon may run the new files);
 *   <li>anything else, including a file that does not read back as it was: {@link
 *       Outcome#STATE_UNKNOWN}, and the record stays for the next run.
 * </ul>
 *
 * <p>The test command killed by a signal (exit status 128 + N, as when systemd stops the whole
 * control group) did not pass: the files are put back. A path that holds a file without
 * cf-allowlist's header ({@link FoundFile#ours}) is never overwritten or removed: the run stops
 * with {@link Outcome#FAILED_UNCHANGED}. The directory of a file is never created. A daemon its
 * {@linkplain FileTarget#stoppedCheck stopped check} finds not running is not reloaded (the files
 * are tested all the same, and a warning says so): it stays stopped and reads them when it starts.
 *
 * <p>A target using it is mostly its settings, its rendering and strict parse, and a {@link
 * FileTarget} naming its commands:
 *
 * <pre>{@code
 * FileTarget daemon = FileTarget.of("apache", "apache2", file, testCommand, reloadCommand);
 * new FileApplier(daemon, context.runner())
 *     .apply(List.of(FileApplier.Desired.of(file, rendered)), FileApplier.Leftovers.NONE);
 * }</pre>
 */
public final class FileApplier {
  private static final System.Logger LOG = System.getLogger(FileApplier.class.getName());
  private static final Set<PosixFilePermission> NEW_MODE =
      PosixFilePermissions.fromString("rw-r--r--");

  private final FileTarget target;
  private final CommandRunner runner;

  /** Changes {@code target}'s files, running its commands through {@code runner}. */
  public FileApplier(FileTarget target, CommandRunner runner) {
    this.target = target;
    this.runner = runner;
  }

  /**
   * Puts every file of {@code files} in place (or removes it, for one without content) and removes
   * the {@code leftovers}, then tests and reloads; does nothing when no byte would change and no
   * change is pending. A change an interrupted run left unfinished is finished here: its files
   * count as they were before it, so they are tested and reloaded whatever is on disk, and a
   * failure puts them back as they were before it.
   *
   * @param files every file the target's settings name, with what it should hold
   * @param leftovers files an earlier run wrote that the settings no longer name, found with the
   *     pending change (if any) read as {@link FoundFile#effective} reads it
   * @throws io.github.cfallowlist.ApplyFailedException saying what was left behind (see the class
   *     comment); {@code FAILED_UNCHANGED} also when a path holds a file cf-allowlist did not write
   */
  public void apply(List<Desired> files, Leftovers leftovers) throws IOException {
    Optional<Intent> pending = Intent.read(target);
    List<Change> changes = new ArrayList<>();
    for (Desired file : files) {
      add(changes, file.path(), file.content(), pending);
    }
    for (Path old : leftovers.find(pending)) {
      add(changes, old, Optional.empty(), pending);
    }
    putBackTheRest(changes, pending);
    change(changes, pending, "the new configuration", "");
  }

  /**
   * Removes {@code files} and the {@code leftovers}, tests and reloads.
   *
   * @param files every file the target's settings name
   * @param leftovers as for {@link #apply}
   * @param advice what to add to the test command's rejection, given the files removed and the
   *     leftovers found: how to stop the daemon's configuration from needing them
   * @throws io.github.cfallowlist.ApplyFailedException as {@link #apply}
   */
  public void uninstall(List<Path> files, Leftovers leftovers, Advice advice) throws IOException {
    Optional<Intent> pending = Intent.read(target);
    List<Change> changes = new ArrayList<>();
    for (Path file : files) {
      add(changes, file, Optional.empty(), pending);
    }
    List<Path> found = leftovers.find(pending);
    for (Path old : found) {
      add(changes, old, Optional.empty(), pending);
    }
    putBackTheRest(changes, pending);
    List<Path> removed = changes.stream().filter(c -> !c.restore).map(c -> c.path).toList();
    String paths = String.join(" and ", removed.stream().map(Path::toString).toList());
    change(changes, pending, "the configuration without " + paths, advice.of(removed, found));
  }

  /**
   * One file a target owns and what it should hold.
   *
   * @param path where it lives
   * @param content what it should hold; empty: no file
   */
  public record Desired(Path path, Optional<String> content) {
    /** The file at {@code path} holding {@code content}. */
    public static Desired of(Path path, String content) {
      return new Desired(path, Optional.of(content));
    }
  }

  /** Finds files an earlier run wrote that the current settings no longer name. */
  @FunctionalInterface
  public interface Leftovers {
    /** None. */
    Leftovers NONE = pending -> List.of();

    /**
     * The leftover files, read as they were before the {@code pending} change, if any.
     *
     * @throws IOException when a file cannot be read
     */
    List<Path> find(Optional<Intent> pending) throws IOException;
  }

  /** Says how to make the daemon's configuration stop needing the files an uninstall removes. */
  @FunctionalInterface
  public interface Advice {
    /**
     * The text after the daemon's error, starting with {@code ;}, or empty.
     *
     * @param removed the files being removed
     * @param leftovers which of them are leftovers of an earlier run
     */
    String of(List<Path> removed, List<Path> leftovers);
  }

  /**
   * Adds the change of {@code path} to {@code after} (empty: no file) when a byte would change or a
   * change is pending; refuses a file on disk that cf-allowlist did not write.
   */
  private static void add(
      List<Change> changes, Path path, Optional<String> after, Optional<Intent> pending)
      throws IOException {
    if (changes.stream().anyMatch(c -> Intent.key(c.path).equals(Intent.key(path)))) {
      return;
    }
    Optional<FoundFile> now = FoundFile.read(path);
    refuseForeign(now, after.isPresent() ? "overwrite" : "remove");
    Optional<FoundFile> before = FoundFile.effective(path, pending);
    boolean recorded = pending.flatMap(p -> p.of(path)).isPresent();
    if (recorded || !now.map(FoundFile::text).equals(after)) {
      changes.add(new Change(path, before, after, false));
    }
  }

  /**
   * Files the pending change touched that this run neither writes nor removes go back to how they
   * were before it.
   */
  private static void putBackTheRest(List<Change> changes, Optional<Intent> pending)
      throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    for (Intent.Before b : pending.get().before().values()) {
      Path key = Intent.key(b.path());
      if (changes.stream().noneMatch(c -> Intent.key(c.path).equals(key))) {
        refuseForeign(FoundFile.read(b.path()), "put back");
        Optional<FoundFile> before = FoundFile.effective(b.path(), pending);
        changes.add(new Change(b.path(), before, b.text(), true));
      }
    }
  }

  private static void refuseForeign(Optional<FoundFile> file, String action) {
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
   * Records the change ({@link Intent}), makes it, tests and reloads, then clears the record; any
   * failure puts every file back. An interruption leaves the record for the next run.
   */
  private void change(List<Change> changes, Optional<Intent> pending, String what, String advice)
      throws IOException {
    if (changes.isEmpty() && pending.isEmpty()) {
      return;
    }
    boolean wasReloading = pending.map(Intent::reloading).orElse(false);
    Optional<String> missing = target.missingDirectory();
    if (missing.isPresent()) {
      throw new ApplyFailedException(missing.get(), Outcome.FAILED_UNCHANGED);
    }
    Map<Path, Intent.Before> befores = new LinkedHashMap<>();
    for (Change c : changes) {
      befores.put(Intent.key(c.path), c.recorded());
    }
    Intent intent =
        new Intent(Intent.location(target.primaryFile()), target.daemon(), wasReloading, befores);
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

    Command test = Command.read(target.testCommand());
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
                          + target.errorLine().apply(tested)
                          + advice),
          attempt,
          wasReloading,
          null);
    }

    Optional<String> stopped = stopped();
    if (stopped.isPresent()) {
      clear(attempt, "tested " + what);
      LOG.log(
          Level.WARNING,
          "{0} is not running ({1}), so it was not reloaded; it reads {2} when it starts",
          target.daemon(),
          stopped.get(),
          what);
      return;
    }
    Command reload = Command.modify(target.reloadCommand());
    try {
      // From here the daemon may load the new files: an interrupted run's successor must reload
      // them.
      attempt.intent = intent.reloading(true);
      attempt.intent.write();
    } catch (IOException | RuntimeException e) {
      throw failed(
          "cannot write " + intent.file() + ": " + e.getMessage(), attempt, wasReloading, e);
    }
    CommandResult reloaded;
    try {
      reloaded = runner.run(reload);
    } catch (ToolNotFoundException e) {
      // The reload never started, so it never signalled the daemon either.
      throw failed("cannot run '" + reload.display() + "': " + why(e), attempt, wasReloading, e);
    } catch (IOException | RuntimeException e) {
      throw failed("cannot run '" + reload.display() + "': " + why(e), attempt, true, e);
    }
    if (!reloaded.ok()) {
      // A reload that fails may have signalled the daemon before it failed (a systemctl reload
      // whose ExecReload ran, a wrapper that reloads and then fails): as after a hang, the files
      // go back and the daemon is reloaded with them, so that it runs them whatever it did.
      throw failed(
          "'" + reload.display() + "' failed: " + target.errorLine().apply(reloaded),
          attempt,
          true,
          null);
    }
    clear(attempt, "tested and loaded " + what);
    LOG.log(
        Level.DEBUG, "{0} reloaded after changing {1} file(s)", target.daemon(), changes.size());
  }

  /**
   * Why the daemon is known not to run, from its {@linkplain FileTarget#stoppedCheck stopped
   * check}; a check that throws cannot tell, and the reload runs.
   */
  private Optional<String> stopped() {
    try {
      return target.stoppedCheck().stopped(runner);
    } catch (RuntimeException e) {
      LOG.log(
          Level.DEBUG,
          "{0}: cannot tell whether it runs, so it is reloaded: {1}",
          target.daemon(),
          e.getMessage());
      return Optional.empty();
    }
  }

  /** Removes the record of a change that is done: {@code done} says what, for a failure. */
  private void clear(Attempt attempt, String done) {
    try {
      attempt.intent.clear();
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          target.daemon()
              + " "
              + done
              + ", but "
              + attempt.intent.file()
              + " cannot be removed, so the next run does it again: "
              + e.getMessage(),
          Outcome.STATE_UNKNOWN,
          e);
    }
  }

  /** The signal that ended a command, when it was killed by one (exit status 128 + N). */
  private static Optional<Integer> signalled(CommandResult result) {
    int code = result.exitCode();
    return code > 128 && code <= 128 + 64 ? Optional.of(code - 128) : Optional.empty();
  }

  /**
   * Stale temporary files {@link AtomicFiles} leaves when a run is killed mid-write, next to the
   * files it writes (never a file a daemon's wildcards would include: they start with a dot).
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
    Intent intent;

    Attempt(List<Change> changes, Intent intent, boolean recovering) {
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

  private String why(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e instanceof ToolNotFoundException ? message + "; " + target.installHint() : message;
  }

  /**
   * Puts back every file the attempt changed, reads them again and says what was left behind. With
   * {@code reloadAgain} (the daemon may have loaded the new files) it is reloaded once more after
   * the files are back. The record of the change is removed once everything is back, and kept
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
    boolean filesBack = problems.isEmpty();
    boolean reloadedAgain = false;
    // A daemon that is not running now loaded nothing to undo, and a reload could start it.
    Optional<String> stoppedNow =
        reloadAgain && problems.isEmpty() ? stopped() : Optional.<String>empty();
    if (reloadAgain && problems.isEmpty() && stoppedNow.isEmpty()) {
      Command reload = Command.modify(target.reloadCommand());
      try {
        CommandResult again = runner.run(reload);
        if (again.ok()) {
          reloadedAgain = true;
        } else {
          problems.add(
              "reloading "
                  + target.daemon()
                  + " with them failed too: "
                  + target.errorLine().apply(again));
        }
      } catch (IOException | RuntimeException e) {
        problems.add("reloading " + target.daemon() + " with them failed too: " + why(e));
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
          (reloadAgain ? target.daemon() + " may have loaded the new files; " : "")
              + String.join("; ", problems)
              + "; "
              + attempt.intent.file()
              + " records the files as they were, and the next run finishes or undoes the change";
    } else if (undo.isEmpty()) {
      outcome = Outcome.FAILED_UNCHANGED;
      said = "no file was changed and " + target.daemon() + " was not reloaded";
    } else {
      outcome = Outcome.FAILED_RESTORED;
      said =
          undo.size()
              + " file(s) read back as they were"
              + (attempt.recovering ? " before the interrupted change" : "")
              + (reloadedAgain
                  ? " and " + target.daemon() + " was reloaded with them"
                  : " and " + target.daemon() + " was not reloaded")
              + stoppedNow.map(why -> " (it is not running: " + why + ")").orElse("");
    }
    return outcome == Outcome.STATE_UNKNOWN && filesBack
        // Every file reads as before; what the daemon loaded is the one thing not known.
        ? ApplyFailedException.unknownAfterPutBack(error + "; " + said, cause)
        : new ApplyFailedException(error + "; " + said, outcome, cause);
  }

  /**
   * One file going from {@code before} to {@code after} (empty: absent); with {@code restore}, back
   * to {@code before} (a file an interrupted change touched that this run does not ask for).
   */
  private static final class Change {
    final Path path;
    final Optional<FoundFile> before;
    final Optional<String> after;
    final boolean restore;

    Change(Path path, Optional<FoundFile> before, Optional<String> after, boolean restore) {
      this.path = path;
      this.before = before;
      this.after = after;
      this.restore = restore;
    }

    String verb() {
      return restore ? "put back" : after.isPresent() ? "write" : "remove";
    }

    /** {@code before} as the record of the change holds it. */
    Intent.Before recorded() {
      return new Intent.Before(path, before.map(FoundFile::text), before.flatMap(FoundFile::link));
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
      FoundFile old = before.get();
      if (old.link().isPresent() && !Files.isSymbolicLink(path)) {
        // Removed by put(): the link's target was never touched, so the link alone comes back.
        Files.deleteIfExists(path);
        Files.createSymbolicLink(path, old.link().get());
        if (Files.exists(path)
            && FoundFile.read(path).map(FoundFile::text).equals(Optional.of(old.text()))) {
          return;
        }
      }
      write(old.text());
    }

    boolean isBack() throws IOException {
      Optional<FoundFile> now = FoundFile.read(path);
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
        // The daemon would not read a directory it does not know; creating one hides a wrong path.
        throw new NoSuchFileException(
            dir.toString(), null, "the directory for " + path + " does not exist");
      }
      Optional<PosixFileAttributes> attributes = before.flatMap(FoundFile::attributes);
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
        // Only root may give a file away; the daemon reads its configuration as root in any case.
        LOG.log(Level.WARNING, "cannot keep the owner of {0}: {1}", file, e.getMessage());
      }
    }
  }
}
