package io.github.cfallowlist.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

/** {@code --config FILE}: the file whose keys stand in for the options not given. */
final class ConfigOption {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The configuration file (default: /etc/cf-allowlist/cf-allowlist.toml when it exists);"
              + " an option given on the command line overrides its key.")
  Path config;

  /**
   * Reads the configuration file and sets every option of {@code spec}'s command that the command
   * line did not give from its key; the file's targets, when {@code targets} is not null and no
   * {@code --target} was given. Keys for options the command does not have are left alone.
   *
   * @return the file read, if any
   */
  Optional<ConfigFile> applyTo(CommandSpec spec, TargetArgs targets) throws IOException {
    Optional<ConfigFile> loaded = ConfigFile.load(config);
    if (loaded.isEmpty()) {
      return loaded;
    }
    ConfigFile file = loaded.get();
    ParseResult given = spec.commandLine().getParseResult();
    for (Map.Entry<String, Object> e : file.values().entrySet()) {
      OptionSpec option = spec.findOption("--" + e.getKey());
      if (option != null && (given == null || !given.hasMatchedOption(option))) {
        option.setValue(convert(e.getValue(), option.type()));
      }
    }
    if (targets != null) {
      targets.configSettings = file.targets();
      boolean flagged = given != null && given.hasMatchedOption("--target");
      if (!flagged && !file.targets().isEmpty()) {
        targets.targets = new ArrayList<>(file.targets().keySet());
      }
      targets.noTargetHint =
          "give --target T, or uncomment a [targets.NAME] table in " + file.file();
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
