package io.github.cfallowlist.cli;

import io.github.cfallowlist.Fallback;
import io.github.cfallowlist.Guards;
import picocli.CommandLine.Option;

/**
 * Options that decide what a run may do, shared by {@code plan}, {@code status} and {@code apply}
 * so that a dry run judges exactly as the apply would.
 */
final class RunOptions {
  @Option(
      names = "--allow-shrink",
      description = "Apply even when the new list removes more than --max-shrink of a family.")
  boolean allowShrink;

  @Option(
      names = "--max-shrink",
      paramLabel = "PERCENT",
      defaultValue = "25",
      description = "Largest share of a family's ranges one run may remove (default: 25).")
  int maxShrinkPercent;

  @Option(
      names = "--fallback",
      paramLabel = "POLICY",
      defaultValue = "last-good",
      description =
          "When the source fails and a target holds no list (first install, after a reboot):"
              + " last-good (default: the saved list, else the embedded one), embedded, or none.")
  String fallback;

  Guards guards(Guards base) {
    if (maxShrinkPercent < 0 || maxShrinkPercent > 100) {
      throw new IllegalArgumentException(
          "--max-shrink " + maxShrinkPercent + " is not between 0 and 100");
    }
    return base.withShrink(maxShrinkPercent / 100.0, allowShrink);
  }

  Fallback fallback() {
    return Fallback.parse(fallback);
  }
}
