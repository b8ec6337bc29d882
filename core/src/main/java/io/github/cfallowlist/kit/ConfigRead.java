package io.github.cfallowlist.kit;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Doctor's reading of the configuration a daemon would load, through one read-only command (e.g.
 * {@code nginx -T}): either what the command printed, or the finding that says why the
 * configuration cannot be read.
 *
 * <pre>{@code
 * ConfigRead read = ConfigRead.run(diagnosis, "apache", "Apache", command,
 *     "install apache2, or set apache-test-command to the Apache this host runs",
 *     ApacheConfig::apacheError, error -> "fix what 'apachectl -t' names");
 * if (read instanceof ConfigRead.Unreadable u) {
 *   return List.of(u.finding());
 * }
 * String dump = ((ConfigRead.Read) read).result().stdout();
 * }</pre>
 */
public sealed interface ConfigRead {
  /**
   * The command ran and succeeded.
   *
   * @param result what it printed
   */
  record Read(CommandResult result) implements ConfigRead {}

  /**
   * The configuration cannot be read: the program is not installed (a warning), or the command
   * failed, so the daemon cannot load its configuration either (a failure).
   *
   * @param finding what doctor reports instead
   */
  record Unreadable(Finding finding) implements ConfigRead {}

  /**
   * Runs {@code command} as a read.
   *
   * @param diagnosis where the command runs
   * @param check the check's name, e.g. {@code nginx}
   * @param daemon the daemon as a sentence names it, e.g. {@code Apache}
   * @param command the read-only command that prints the configuration
   * @param installRemedy the remedy when the program is not installed
   * @param error the daemon's own error, from the failed command's output
   * @param failRemedy the remedy for that error
   * @return the output, or the finding
   * @throws IOException when the command cannot be run for another reason
   */
  static ConfigRead run(
      Diagnosis diagnosis,
      String check,
      String daemon,
      Command command,
      String installRemedy,
      Function<CommandResult, String> error,
      UnaryOperator<String> failRemedy)
      throws IOException {
    CommandResult r;
    try {
      r = diagnosis.context().runner().run(command);
    } catch (ToolNotFoundException e) {
      return new Unreadable(
          Finding.warn(
              check, "the configuration cannot be read: " + e.getMessage(), installRemedy));
    }
    if (r.ok()) {
      return new Read(r);
    }
    String why = error.apply(r);
    return new Unreadable(
        Finding.fail(
            check,
            "'"
                + command.display()
                + "' fails, so "
                + daemon
                + " cannot load its configuration: "
                + why,
            failRemedy.apply(why)));
  }
}
