package io.github.cfallowlist.cli;

import picocli.CommandLine.Option;

/** {@code --format text|json}, which every command takes. */
final class FormatOption {
  @Option(
      names = "--format",
      paramLabel = "FMT",
      defaultValue = "text",
      description = "text (default) or json: one JSON object on stdout (see docs/json.md).")
  OutputFormat format = OutputFormat.text;

  boolean json() {
    return format == OutputFormat.json;
  }
}
