package io.github.cfallowlist.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** {@code --config FILE}: the file whose keys stand in for the options not given. */
final class ConfigOption {
  private ConfigOption() {}

  /** Adds the option to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.option(
                "--config",
                Path.class,
                "FILE",
                "The configuration file (default: /etc/cf-allowlist/cf-allowlist.toml when it"
                    + " exists); an option given on the command line overrides its key.")
            .build());
  }

  /** The file {@code --config} names, or {@code null} when it was not given. */
  static Path given(CommandSpec spec) {
    return Declared.value(spec, "--config");
  }

  /**
   * Reads the configuration file and sets every option of {@code spec}'s command that the command
   * line did not give from its key. Keys for options the command does not have are left alone; the
   * file's targets are for {@link TargetArgs#of}.
   *
   * @return the file read, if any
   */
  static Optional<ConfigFile> applyTo(CommandSpec spec) throws IOException {
    return applyTo(spec, true);
  }

  /**
   * As {@link #applyTo(CommandSpec)}; with {@code trusted} false the file is read wherever it is
   * (see {@link ConfigFile#load(Path, boolean)}).
   */
  static Optional<ConfigFile> applyTo(CommandSpec spec, boolean trusted) throws IOException {
    Optional<ConfigFile> loaded = ConfigFile.load(given(spec), trusted);
    if (loaded.isEmpty()) {
      return loaded;
    }
    ParseResult given = spec.commandLine() == null ? null : spec.commandLine().getParseResult();
    for (Map.Entry<String, Object> e : loaded.get().values().entrySet()) {
      OptionSpec option = spec.findOption("--" + e.getKey());
      if (option != null && (given == null || !given.hasMatchedOption(option))) {
        option.setValue(convert(e.getValue(), option.type()));
      }
    }
    return loaded;
  }

  private static Object convert(Object value, Class<?> type) {
    if (type == Path.class) {
      return Path.of((String) value);
    }
    if (value instanceof List<?> list) {
      return new ArrayList<>(list);
    }
    return value;
  }
}
