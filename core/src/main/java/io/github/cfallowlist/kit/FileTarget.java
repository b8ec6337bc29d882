package io.github.cfallowlist.kit;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A daemon configured by files a target owns: how it is named in messages, where the {@linkplain
 * Intent record of a change in progress} lives, and the commands that test its configuration and
 * make it load the configuration. Every file-based target (a web server's include, a snippet, an
 * ACL file) describes itself with one of these and hands it to {@link FileApplier}.
 *
 * <p>The test command must check the whole configuration as it is on disk, including the files the
 * target just wrote. A reload command that fails may have made the daemon load the files before it
 * failed (a {@code systemctl reload} whose reload step ran, then failed): the files are put back
 * and it is run once more, so that the daemon loads them again. Both are run without a shell.
 *
 * @param daemon the daemon's name as messages show it, e.g. {@code nginx}
 * @param primaryFile the main file the target owns; the record of a change lives beside it as
 *     {@code .NAME.cf-allowlist-intent}
 * @param testCommand checks the daemon's whole configuration
 * @param reloadCommand makes the daemon load its configuration
 * @param installHint said after "cannot run COMMAND: ..." when the command is not installed, e.g.
 *     {@code install the Debian package nginx}
 * @param errorLine the one line of a failed command's output that says what is wrong
 * @param stoppedCheck whether the daemon is known not to run, so that a change does not reload it
 *     (a reload such as {@code apachectl graceful} starts a daemon that is not running)
 */
public record FileTarget(
    String daemon,
    Path primaryFile,
    List<String> testCommand,
    List<String> reloadCommand,
    String installHint,
    Function<CommandResult, String> errorLine,
    StoppedCheck stoppedCheck) {

  /**
   * Tells whether a daemon is stopped. A change to a stopped daemon's files is tested as any other,
   * and not reloaded: the daemon stays stopped and reads the files when it starts.
   */
  @FunctionalInterface
  public interface StoppedCheck {
    /** Never known to be stopped: every change is reloaded. */
    StoppedCheck NEVER = runner -> Optional.empty();

    /**
     * Why the daemon is known not to run, e.g. {@code no process has the pid in
     * /run/apache2/apache2.pid}; empty when it runs or when that cannot be told. Runs only reads.
     */
    Optional<String> stopped(CommandRunner runner);
  }

  /** A daemon that is reloaded on every change ({@link StoppedCheck#NEVER}). */
  public FileTarget(
      String daemon,
      Path primaryFile,
      List<String> testCommand,
      List<String> reloadCommand,
      String installHint,
      Function<CommandResult, String> errorLine) {
    this(
        daemon,
        primaryFile,
        testCommand,
        reloadCommand,
        installHint,
        errorLine,
        StoppedCheck.NEVER);
  }

  /** Checks that every part is there and copies the commands. */
  public FileTarget {
    Objects.requireNonNull(daemon, "daemon");
    Objects.requireNonNull(primaryFile, "primaryFile");
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
    Objects.requireNonNull(installHint, "installHint");
    Objects.requireNonNull(errorLine, "errorLine");
    Objects.requireNonNull(stoppedCheck, "stoppedCheck");
    if (testCommand.isEmpty() || reloadCommand.isEmpty()) {
      throw new IllegalArgumentException("the " + daemon + " test and reload commands are empty");
    }
  }

  /**
   * A daemon whose failed commands are shown by their first non-blank error line, with the hint
   * {@code install the Debian package PACKAGE} when a command is missing.
   */
  public static FileTarget of(
      String daemon,
      String debianPackage,
      Path primaryFile,
      List<String> testCommand,
      List<String> reloadCommand) {
    return new FileTarget(
        daemon,
        primaryFile,
        testCommand,
        reloadCommand,
        "install the Debian package " + debianPackage,
        r -> Printable.errorLine(r.firstErrorLine()));
  }

  /**
   * That the directory of {@link #primaryFile} does not exist, in the words a failed change uses:
   * the daemon would not read a directory it does not know, and creating one would hide a wrong
   * path. Empty when it exists.
   */
  public Optional<String> missingDirectory() {
    return missing(primaryFile, primaryFile);
  }

  /**
   * That {@code file} cannot be written because a directory does not exist or is on a file system
   * mounted read-only: its own, or the one of the file a symbolic link there points to (a change
   * writes through the link). Empty when both exist and may be written, so that a dry run says what
   * the change would meet.
   *
   * @throws IOException when a link cannot be read or is a loop
   */
  public static Optional<String> missingDirectory(Path file) throws IOException {
    Optional<String> own = missing(file, file);
    if (own.isPresent()) {
      return own;
    }
    Path at = AtomicFiles.resolveLink(file);
    Optional<String> linked = missing(file, at);
    return linked.isPresent() ? linked : readOnly(file, at.toAbsolutePath().getParent());
  }

  /**
   * That {@code directory}, where writing {@code file} goes, is on a read-only mount; empty also
   * when its mount cannot be read (the write then says what is wrong).
   */
  private static Optional<String> readOnly(Path file, Path directory) {
    boolean readOnly;
    try {
      readOnly = readOnlyMount(directory.toRealPath(), Path.of("/proc/self/mountinfo"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return readOnly
        ? Optional.of(
            "cannot write "
                + file
                + ": "
                + directory
                + " is on a file system mounted read-only"
                + " (under systemd, a ReadWritePaths= the unit lacks)")
        : Optional.empty();
  }

  /**
   * Whether the mount {@code path} is on is read-only, as {@code mountinfo} (the format of {@code
   * /proc/self/mountinfo}) lists it: the last mount whose mount point is {@code path} or the
   * nearest above it, with {@code ro} among its own options or its file system's. Bind mounts count
   * as the mounts they are (systemd's {@code ReadWritePaths=} under a read-only {@code /}), which
   * the file system's device alone does not tell apart.
   *
   * @throws IOException when {@code mountinfo} cannot be read
   */
  static boolean readOnlyMount(Path path, Path mountinfo) throws IOException {
    String options = "";
    int depth = -1;
    for (String line : Files.readAllLines(mountinfo)) {
      String[] fields = line.split(" ", -1);
      if (fields.length < 6) {
        continue;
      }
      Path point = Path.of(unescape(fields[4]));
      if (path.startsWith(point) && point.getNameCount() >= depth) {
        depth = point.getNameCount();
        // The mount's own options, and the file system's after the "-" that ends the optional
        // fields (an ext4 remounted read-only on errors says so only there).
        int separator = List.of(fields).indexOf("-");
        options =
            fields[5]
                + (separator > 5 && separator + 3 < fields.length
                    ? "," + fields[separator + 3]
                    : "");
      }
    }
    return List.of(options.split(",", -1)).contains("ro");
  }

  /** A mountinfo field with its octal escapes ({@code \040} for a space) undone. */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\'
          && i + 3 < field.length()
          && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** That the directory of {@code at}, where writing {@code file} goes, does not exist. */
  private static Optional<String> missing(Path file, Path at) {
    if (Files.isDirectory(at.toAbsolutePath().getParent())) {
      return Optional.empty();
    }
    return Optional.of("cannot write " + file + ": the directory for " + at + " does not exist");
  }

  /** The same daemon with another way of picking a failed command's error line. */
  public FileTarget withErrorLine(Function<CommandResult, String> value) {
    return new FileTarget(
        daemon, primaryFile, testCommand, reloadCommand, installHint, value, stoppedCheck);
  }

  /** The same daemon with another hint for a command that is not installed. */
  public FileTarget withInstallHint(String value) {
    return new FileTarget(
        daemon, primaryFile, testCommand, reloadCommand, value, errorLine, stoppedCheck);
  }

  /** The same daemon, not reloaded while {@code value} says it is stopped. */
  public FileTarget withStoppedCheck(StoppedCheck value) {
    return new FileTarget(
        daemon, primaryFile, testCommand, reloadCommand, installHint, errorLine, value);
  }
}
