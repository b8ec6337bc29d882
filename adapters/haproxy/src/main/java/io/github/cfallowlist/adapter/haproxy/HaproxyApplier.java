package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Changes the file and the running ACL: the file first (atomically, then checked with the check
 * command), then the running process through an atomic version swap, never a reload. Any failure
 * before the swap's commit puts the file back as it was and leaves the running ACL untouched.
 */
final class HaproxyApplier {

  private final HaproxySettings settings;
  private final CommandRunner runner;
  private final Consumer<Path> notUsed;

  HaproxyApplier(HaproxySettings settings, CommandRunner runner, Consumer<Path> notUsed) {
    this.settings = settings;
    this.runner = runner;
    this.notUsed = notUsed;
  }

  /** Makes the file hold {@code content} and the running ACL hold {@code ranges}. */
  void apply(String content, RangeSet ranges) throws IOException {
    Optional<String> before = original();
    try (HaproxySocket socket = open()) {
      HaproxyAcl acl = new HaproxyAcl(socket, settings.file());
      Optional<String> id = acl.id();
      boolean fileChanges = !before.equals(Optional.of(content));
      if (fileChanges) {
        write(Optional.of(content), Outcome.FAILED_UNCHANGED);
        check(before, "the configuration with the new " + settings.file());
      }
      if (id.isEmpty()) {
        notUsed.accept(settings.file());
        return;
      }
      List<Cidr> want = ranges.all();
      if (!running(acl, id.get(), before, fileChanges)
          .equals(want.stream().map(Cidr::toString).toList())) {
        swap(acl, want, before, fileChanges);
      }
    }
  }

  /**
   * Removes the file, checks that HAProxy's configuration still loads without it, and empties the
   * running ACL with the same atomic swap (a committed empty version).
   */
  void uninstall() throws IOException {
    Optional<String> before = original();
    try (HaproxySocket socket = open()) {
      HaproxyAcl acl = new HaproxyAcl(socket, settings.file());
      Optional<String> id = acl.id();
      if (before.isPresent()) {
        write(Optional.empty(), Outcome.FAILED_UNCHANGED);
        check(
            before,
            "the configuration without "
                + settings.file()
                + " (remove 'acl from_cloudflare src -f "
                + settings.file()
                + "' and the rules using from_cloudflare first)");
      }
      if (id.isPresent() && !running(acl, id.get(), before, before.isPresent()).isEmpty()) {
        swap(acl, List.of(), before, before.isPresent());
      }
    }
  }

  private Optional<String> original() throws IOException {
    try {
      return HaproxyLive.file(settings.file());
    } catch (IOException e) {
      throw new ApplyFailedException(Printable.message(e), Outcome.FAILED_UNCHANGED, e);
    }
  }

  private HaproxySocket open() throws IOException {
    try {
      return HaproxySocket.open(settings.socket());
    } catch (IOException e) {
      throw new ApplyFailedException(
          e.getMessage() + "; nothing was changed", Outcome.FAILED_UNCHANGED, e);
    }
  }

  /**
   * The running ACL's entries. When HAProxy does not answer (stopped, gone, too slow) nothing was
   * committed: a file this change wrote is put back.
   */
  private List<String> running(
      HaproxyAcl acl, String id, Optional<String> before, boolean fileChanged) throws IOException {
    try {
      return acl.entries(id);
    } catch (IOException e) {
      String message =
          "cannot read the running ACL over "
              + settings.socket()
              + ": "
              + Printable.message(e)
              + "; no version was committed, so the running ACL is unchanged";
      if (!fileChanged) {
        throw new ApplyFailedException(message, Outcome.FAILED_UNCHANGED, e);
      }
      throw putBack(before, message);
    }
  }

  /** The running ACL swapped to {@code ranges}; the file put back when that fails before commit. */
  private void swap(HaproxyAcl acl, List<Cidr> ranges, Optional<String> before, boolean fileChanged)
      throws IOException {
    try {
      acl.replace(ranges);
    } catch (ApplyFailedException e) {
      if (e.outcome() != Outcome.FAILED_UNCHANGED || !fileChanged) {
        throw e;
      }
      throw putBack(before, e.getMessage());
    } catch (IOException e) {
      // The connection failed before the commit was sent: the running ACL is unchanged.
      String message =
          e.getMessage() + "; no version was committed, so the running ACL is unchanged";
      if (!fileChanged) {
        throw new ApplyFailedException(message, Outcome.FAILED_UNCHANGED, e);
      }
      throw putBack(before, message);
    }
  }

  /** Runs the check command; when it fails, puts the file back and says so. */
  private void check(Optional<String> before, String what) throws IOException {
    List<String> argv = settings.checkCommand();
    CommandResult result;
    try {
      result = runner.run(Command.read(argv));
    } catch (IOException e) {
      throw putBack(before, "'" + String.join(" ", argv) + "' could not run: " + e.getMessage());
    }
    if (!result.ok()) {
      throw putBack(
          before, "'" + String.join(" ", argv) + "' rejected " + what + ": " + firstError(result));
    }
  }

  /**
   * Puts the file back as it was and returns the {@code FAILED_RESTORED} failure to throw, with
   * {@code error}.
   */
  private ApplyFailedException putBack(Optional<String> before, String error) throws IOException {
    write(before, Outcome.STATE_UNKNOWN);
    return new ApplyFailedException(
        error + "; " + settings.file() + " was put back as it was", Outcome.FAILED_RESTORED);
  }

  /** Writes {@code content} atomically, or removes the file for none. */
  private void write(Optional<String> content, Outcome onFailure) throws IOException {
    try {
      if (content.isPresent()) {
        Path dir = settings.file().toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
          // A directory that went away (or never was) is not created: see HaproxyTarget#obstacle.
          throw new NoSuchFileException(dir.toString(), null, "the directory does not exist");
        }
        AtomicFiles.write(settings.file(), content.get());
      } else {
        Files.deleteIfExists(settings.file());
      }
    } catch (IOException e) {
      throw new ApplyFailedException(
          "cannot "
              + (content.isPresent() ? "write " : "remove ")
              + settings.file()
              + ": "
              + Printable.message(e),
          onFailure,
          e);
    }
  }

  /**
   * HAProxy's first alert without its {@code [ALERT] (PID) :} prefix, else the first line of its
   * output; control characters are dropped.
   */
  private static String firstError(CommandResult result) {
    String all = result.stderr() + "\n" + result.stdout();
    return all.lines()
        .filter(l -> l.contains("[ALERT]"))
        .findFirst()
        .map(l -> l.replaceFirst("^.*?\\[ALERT\\]\\s*(\\(\\d+\\)\\s*:\\s*)?", ""))
        .or(() -> all.lines().filter(l -> !l.isBlank()).findFirst())
        .map(l -> l.replaceAll("\\p{Cntrl}", "").strip())
        .orElse("exit status " + result.exitCode());
  }
}
