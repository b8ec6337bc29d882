package io.github.cfallowlist.doctor;

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
    return of(origin, CommandRunner.system());
  }

  /** A context for {@code origin} with the embedded list, {@code runner} and the real clock. */
  static DoctorContext of(Origin origin, CommandRunner runner) {
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
}
