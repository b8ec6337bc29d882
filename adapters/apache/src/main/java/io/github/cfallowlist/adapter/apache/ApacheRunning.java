package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.Liveness;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether Apache runs, told as {@code apachectl -k graceful} tells it: by the process its {@code
 * PidFile} names, when the test command is Apache's own ({@code apachectl}, {@code apache2ctl},
 * {@code apache2} or {@code httpd}, not one that runs it elsewhere). {@code -k graceful} starts an
 * Apache that is not running (outside systemd, on a host where systemd runs it), so a change to a
 * stopped Apache is not reloaded.
 */
final class ApacheRunning {
  private static final System.Logger LOG = System.getLogger(ApacheRunning.class.getName());

  /** {@code PidFile: "/run/apache2/apache2.pid"}, a line of {@code -D DUMP_RUN_CFG}. */
  private static final Pattern PID_FILE = Pattern.compile("(?m)^PidFile: \"([^\"]+)\"$");

  private ApacheRunning() {}

  /**
   * Why Apache is known not to run: its pid file is missing, or names no running process. Empty
   * when it runs, or when that cannot be told (a test command without {@code -t}, a dump without a
   * {@code PidFile}, a pid file that cannot be read): the reload then runs as configured.
   */
  static Optional<String> stopped(List<String> testCommand, CommandRunner runner) {
    Optional<List<String>> dump = ApacheDiagnosis.withDefine(testCommand, "DUMP_RUN_CFG");
    // Apache's own tools only: through docker exec or ssh, its pid file is not one to read here.
    if (dump.isEmpty()
        || !Liveness.runsItself(testCommand, "apachectl", "apache2ctl", "apache2", "httpd")) {
      return Optional.empty();
    }
    try {
      CommandResult r = runner.run(Command.read(dump.get()));
      Matcher m = PID_FILE.matcher(r.stdout());
      if (!r.ok() || !m.find()) {
        return Optional.empty();
      }
      return Liveness.byPidFile(Path.of(m.group(1)));
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.DEBUG,
          "apache: cannot tell whether it runs, so it is reloaded: {0}",
          Printable.message(e));
      return Optional.empty();
    }
  }
}
