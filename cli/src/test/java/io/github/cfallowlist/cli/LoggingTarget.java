package io.github.cfallowlist.cli;

import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * A target that logs one record through {@link System#getLogger} while rendering, as the library's
 * own classes do, and nothing through java.util.logging.
 */
public final class LoggingTarget implements Target {
  @Override
  public String name() {
    return "logging";
  }

  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    System.getLogger(LoggingTarget.class.getName()).log(Level.DEBUG, "logging: rendering");
    return Rendered.single("logging.txt", "logging\n");
  }

  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return RangeSet.of(List.of());
  }
}
