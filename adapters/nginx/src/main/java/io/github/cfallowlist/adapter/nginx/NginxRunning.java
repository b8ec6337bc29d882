package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.Liveness;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether nginx runs, told as {@code nginx -s reload} tells it: by the process its pid file names,
 * when the test command is nginx itself (not one that runs it elsewhere). The pid file is the
 * configuration's {@code pid} directive ({@code nginx -T}, the test command with {@code -T} for
 * {@code -t}), else the one nginx was built with ({@code nginx -V}); a relative one is under the
 * prefix ({@code -p}, else the built one). A change to a stopped nginx is tested and written, not
 * reloaded: the reload would fail, and the file would be put back, although nginx reads it when it
 * starts.
 */
final class NginxRunning {
  private static final System.Logger LOG = System.getLogger(NginxRunning.class.getName());

  /** A {@code pid} directive at the start of a line or after another directive's {@code ;}. */
  private static final Pattern PID =
      Pattern.compile("(?m)(?:^|;)\\s*pid\\s+[\"']?([^;\\s\"']+)[\"']?\\s*;");

  /** How {@code nginx -T} starts each file it dumps. */
  private static final String FILE_HEADER = "# configuration file ";

  private static final Pattern PID_PATH = Pattern.compile("--pid-path=(\\S+)");
  private static final Pattern PREFIX = Pattern.compile("--prefix=(\\S+)");

  private NginxRunning() {}

  /**
   * Why nginx is known not to run: its pid file is empty (as {@code nginx -t} leaves it) or names
   * no running process. Empty when it runs, or when that cannot be told (a test command without
   * {@code -t}, a dump that fails, a pid file not found where it was looked for): the reload then
   * runs as configured.
   */
  static Optional<String> stopped(List<String> testCommand, CommandRunner runner) {
    int at = testCommand.indexOf("-t");
    // nginx itself only: through docker exec or ssh, its pid file is not one to read here.
    if (at < 0 || !Liveness.runsItself(testCommand, "nginx")) {
      return Optional.empty();
    }
    List<String> dump = new ArrayList<>(testCommand);
    dump.set(at, "-T");
    try {
      CommandResult r = runner.run(Command.read(dump));
      if (!r.ok()) {
        return Optional.empty();
      }
      // The main file only, where a pid directive must be: an included map or log_format may hold
      // a line that starts with "pid".
      Matcher pid = PID.matcher(mainFile(r.stdout()));
      String built = null;
      String file;
      if (pid.find()) {
        file = pid.group(1);
      } else {
        built = built(testCommand, runner);
        Matcher m = PID_PATH.matcher(built);
        if (!m.find()) {
          return Optional.empty();
        }
        file = m.group(1);
      }
      Path path = Path.of(file);
      if (!path.isAbsolute()) {
        Optional<String> given = prefix(testCommand);
        String prefix;
        if (given.isPresent()) {
          prefix = given.get();
        } else {
          Matcher m = PREFIX.matcher(built != null ? built : built(testCommand, runner));
          if (!m.find()) {
            return Optional.empty();
          }
          prefix = m.group(1);
        }
        path = Path.of(prefix).resolve(path);
      }
      if (Files.notExists(path)) {
        // nginx -t, which passed just now, creates the pid file: its path was worked out wrong.
        return Optional.empty();
      }
      return Liveness.byPidFile(path);
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.DEBUG,
          "nginx: cannot tell whether it runs, so it is reloaded: {0}",
          Printable.message(e));
      return Optional.empty();
    }
  }

  /** The dump's first file, the main configuration file. */
  static String mainFile(String dump) {
    int start = dump.indexOf(FILE_HEADER);
    if (start < 0) {
      return dump;
    }
    int next = dump.indexOf("\n" + FILE_HEADER, start + FILE_HEADER.length());
    return next < 0 ? dump.substring(start) : dump.substring(start, next);
  }

  /** The prefix {@code -p} gives, as {@code -p DIR} or {@code -pDIR}. */
  static Optional<String> prefix(List<String> command) {
    for (int i = 1; i < command.size(); i++) {
      String arg = command.get(i);
      if (arg.equals("-p") && i + 1 < command.size()) {
        return Optional.of(command.get(i + 1));
      }
      if (arg.startsWith("-p") && arg.length() > 2) {
        return Optional.of(arg.substring(2));
      }
    }
    return Optional.empty();
  }

  /** What {@code nginx -V} prints: how this nginx was built, its default paths included. */
  private static String built(List<String> testCommand, CommandRunner runner) throws IOException {
    CommandResult v = runner.run(Command.read(List.of(testCommand.get(0), "-V")));
    return v.ok() ? v.stderr() + v.stdout() : "";
  }
}
