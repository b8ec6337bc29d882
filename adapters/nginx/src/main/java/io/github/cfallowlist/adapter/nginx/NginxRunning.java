package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.Liveness;
import java.io.IOException;
import java.lang.System.Logger.Level;
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

  private static final Pattern PID = Pattern.compile("(?m)^\\s*pid\\s+\"?([^;\\s\"]+)\"?\\s*;");
  private static final Pattern PID_PATH = Pattern.compile("--pid-path=(\\S+)");
  private static final Pattern PREFIX = Pattern.compile("--prefix=(\\S+)");

  private NginxRunning() {}

  /**
   * Why nginx is known not to run: its pid file is missing or names no running process. Empty when
   * it runs, or when that cannot be told (a test command without {@code -t}, a dump that fails, no
   * pid file to be found): the reload then runs as configured.
   */
  static Optional<String> stopped(List<String> testCommand, CommandRunner runner) {
    int at = testCommand.indexOf("-t");
    // nginx itself only: through docker exec or ssh, its pid file is not one to read here.
    if (at < 0 || !Path.of(testCommand.get(0)).getFileName().toString().equals("nginx")) {
      return Optional.empty();
    }
    List<String> dump = new ArrayList<>(testCommand);
    dump.set(at, "-T");
    try {
      CommandResult r = runner.run(Command.read(dump));
      if (!r.ok()) {
        return Optional.empty();
      }
      Matcher pid = PID.matcher(r.stdout());
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
        int p = testCommand.indexOf("-p");
        String prefix;
        if (p >= 0 && p + 1 < testCommand.size()) {
          prefix = testCommand.get(p + 1);
        } else {
          Matcher m = PREFIX.matcher(built != null ? built : built(testCommand, runner));
          if (!m.find()) {
            return Optional.empty();
          }
          prefix = m.group(1);
        }
        path = Path.of(prefix).resolve(path);
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

  /** What {@code nginx -V} prints: how this nginx was built, its default paths included. */
  private static String built(List<String> testCommand, CommandRunner runner) throws IOException {
    CommandResult v = runner.run(Command.read(List.of(testCommand.get(0), "-V")));
    return v.ok() ? v.stderr() + v.stdout() : "";
  }
}
