package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Doctor contexts for one check at a time. */
final class Contexts {
  private Contexts() {}

  /** The embedded list, validated. */
  static RangeSnapshot embedded() {
    try {
      return Guards.defaults().validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A context for {@code origin} with the embedded list, the real runner and clock. */
  static DoctorContext of(Origin origin) {
    return context(CommandRunner.system(), origin);
  }

  /** A context for {@code origin} with the embedded list, {@code runner} and the real clock. */
  static DoctorContext context(CommandRunner runner, Origin origin) {
    return new DoctorContext(
        embedded(),
        Optional.empty(),
        RangeSource.embedded(),
        origin,
        List.of(),
        TargetOptions.defaults(),
        Guards.defaults(),
        runner,
        StateDir.at(Path.of("/nonexistent/cf-allowlist-state")),
        Clock.systemUTC());
  }

  /**
   * A runner that answers each command by its arguments joined with spaces, and fails any other
   * with status 127 as if the program were missing.
   */
  static CommandRunner scripted(Map<String, CommandResult> answers) {
    return (Command command) -> {
      CommandResult r = answers.get(String.join(" ", command.argv()));
      if (r == null) {
        throw new AssertionError("unexpected command: " + command.display());
      }
      return r;
    };
  }
}
