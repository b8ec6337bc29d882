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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Changes the files as one step: every file is written (or removed) through {@link AtomicFiles},
 * then the test command checks the configuration that now includes them, then nginx is reloaded. On
 * any failure every file is put back as it was, byte for byte, and read again to say what was left
 * behind:
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
 *       Outcome#STATE_UNKNOWN}.
 * </ul>
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
   * file, tests and reloads; does nothing when no byte would change.
   */
  void apply(Rendered desired) throws IOException {
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
      Optional<Found> before = NginxLive.read(owned.path());
      refuseForeign(before, "overwrite");
      if (before.isEmpty() || !before.get().text().equals(content)) {
        changes.add(new Change(owned.path(), before, Optional.of(content)));
      }
    }
    changes.addAll(leftoverRemovals());
    if (changes.isEmpty()) {
      return;
    }
    change(changes, "the new configuration", "");
  }

  /** Removes every file this target owns, the leftover allow file included, tests and reloads. */
  void uninstall() throws IOException {
    List<Change> changes = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      Optional<Found> before = NginxLive.read(owned.path());
      refuseForeign(before, "remove");
      before.ifPresent(b -> changes.add(new Change(owned.path(), before, Optional.empty())));
    }
    List<Change> leftovers = leftoverRemovals();
    changes.addAll(leftovers);
    if (changes.isEmpty()) {
      return;
    }
    boolean allowFile =
        !leftovers.isEmpty()
            || settings
                .allowFile()
                .filter(a -> changes.stream().anyMatch(c -> c.path.equals(a)))
                .isPresent();
    String paths = String.join(" and ", changes.stream().map(c -> c.path.toString()).toList());
    change(
        changes,
        "the configuration without " + paths,
        "; if the nginx configuration includes "
            + paths
            + " by name (not through a wildcard)"
            + (allowFile ? " or a server still uses $cloudflare_edge" : "")
            + ", remove that first");
  }

  private List<Change> leftoverRemovals() throws IOException {
    List<Change> out = new ArrayList<>();
    for (Path old : NginxLive.leftovers(settings)) {
      out.add(new Change(old, NginxLive.read(old), Optional.empty()));
    }
    return out;
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
              + "' header, so cf-allowlist did not write it; nothing was changed",
          Outcome.FAILED_UNCHANGED);
    }
  }

  /** Makes every change, tests and reloads; any failure puts every file back. */
  private void change(List<Change> changes, String what, String advice) throws IOException {
    List<Change> done = new ArrayList<>();
    for (Change c : changes) {
      try {
        c.put();
      } catch (IOException | RuntimeException e) {
        throw failed("cannot " + c.verb() + " " + c.path + ": " + e.getMessage(), done, false, e);
      }
      done.add(c);
    }

    Command test = Command.read(settings.testCommand());
    CommandResult tested;
    try {
      tested = runner.run(test);
    } catch (IOException | RuntimeException e) {
      throw failed("cannot run '" + test.display() + "': " + why(e), done, false, e);
    }
    if (!tested.ok()) {
      throw failed(
          "'" + test.display() + "' rejected " + what + ": " + nginxError(tested) + advice,
          done,
          false,
          null);
    }

    Command reload = Command.modify(settings.reloadCommand());
    CommandResult reloaded;
    try {
      reloaded = runner.run(reload);
    } catch (IOException | RuntimeException e) {
      throw failed("cannot run '" + reload.display() + "': " + why(e), done, true, e);
    }
    if (!reloaded.ok()) {
      throw failed("'" + reload.display() + "' failed: " + nginxError(reloaded), done, false, null);
    }
    LOG.log(Level.DEBUG, "nginx reloaded after changing {0} file(s)", done.size());
  }

  private static String why(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e instanceof ToolNotFoundException
        ? message + "; install the Debian package nginx (or nginx-light)"
        : message;
  }

  /**
   * Puts back every file in {@code done}, reads them again and says what was left behind. With
   * {@code reloadAgain} (the reload's outcome is unknown) nginx is reloaded once more after the
   * files are back.
   */
  private ApplyFailedException failed(
      String error, List<Change> done, boolean reloadAgain, Throwable cause) {
    List<String> problems = new ArrayList<>();
    for (int i = done.size() - 1; i >= 0; i--) {
      Change c = done.get(i);
      try {
        c.undo();
      } catch (IOException | RuntimeException e) {
        problems.add("putting " + c.path + " back failed: " + e.getMessage());
      }
    }
    for (Change c : done) {
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
    Outcome outcome;
    String said;
    if (!problems.isEmpty()) {
      outcome = Outcome.STATE_UNKNOWN;
      said =
          (reloadAgain ? "nginx may have loaded the new files; " : "")
              + String.join("; ", problems);
    } else if (done.isEmpty()) {
      outcome = Outcome.FAILED_UNCHANGED;
      said = "no file was changed and nginx was not reloaded";
    } else {
      outcome = Outcome.FAILED_RESTORED;
      said =
          done.size()
              + " file(s) read back as they were"
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

  /** One file going from {@code before} to {@code after} (empty: absent). */
  private static final class Change {
    final Path path;
    final Optional<Found> before;
    final Optional<String> after;

    Change(Path path, Optional<Found> before, Optional<String> after) {
      this.path = path;
      this.before = before;
      this.after = after;
    }

    String verb() {
      return after.isPresent() ? "write" : "remove";
    }

    void put() throws IOException {
      if (after.isPresent()) {
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
