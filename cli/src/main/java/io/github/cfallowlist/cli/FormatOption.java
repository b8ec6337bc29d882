package io.github.cfallowlist.cli;

import picocli.CommandLine.Model.CommandSpec;

/** {@code --format text|json}, which every command takes. */
final class FormatOption {
  private FormatOption() {}

  /** Adds the option to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.option(
                "--format",
                OutputFormat.class,
                "FMT",
                "text (default) or json: one JSON object on stdout (see docs/json.md).")
            .defaultValue("text")
            .build());
  }

  /** The format {@code spec} holds. */
  static OutputFormat of(CommandSpec spec) {
    return Declared.value(spec, "--format");
  }
}
