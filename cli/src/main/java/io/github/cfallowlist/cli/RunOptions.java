package io.github.cfallowlist.cli;

import io.github.cfallowlist.Fallback;
import io.github.cfallowlist.Guards;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Options that decide what a run may do, shared by {@code plan}, {@code status} and {@code apply}
 * so that a dry run judges exactly as the apply would.
 */
final class RunOptions {
  private final boolean allowShrink;
  private final int maxShrinkPercent;
  private final String fallback;

  private RunOptions(boolean allowShrink, int maxShrinkPercent, String fallback) {
    this.allowShrink = allowShrink;
    this.maxShrinkPercent = maxShrinkPercent;
    this.fallback = fallback;
  }

  /** Adds the options to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.flag(
            "--allow-shrink",
            "Apply even when the new list removes more than --max-shrink of a family."));
    spec.addOption(
        Declared.option(
                "--max-shrink",
                int.class,
                "PERCENT",
                "Largest share of a family's ranges one run may remove (default: 25).")
            .defaultValue("25")
            .build());
    spec.addOption(
        Declared.option(
                "--fallback",
                String.class,
                "POLICY",
                "When the source fails and a target holds no list (first install, after a"
                    + " reboot): last-good (default: the saved list, else the embedded one),"
                    + " embedded, or none.")
            .defaultValue("last-good")
            .build());
  }

  /** The options as {@code spec} holds them. */
  static RunOptions of(CommandSpec spec) {
    return new RunOptions(
        Declared.given(spec, "--allow-shrink"),
        Declared.value(spec, "--max-shrink"),
        Declared.value(spec, "--fallback"));
  }

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
