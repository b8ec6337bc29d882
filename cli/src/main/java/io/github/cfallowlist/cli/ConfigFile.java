package io.github.cfallowlist.cli;

import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.SmallFiles;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * The configuration file: the options of a run as TOML keys named like the command-line options,
 * and a {@code [targets.NAME]} table per target holding the settings that target declares. It is
 * checked in full when read: an unknown key, a value of the wrong type or a setting the target does
 * not declare is an error naming the file, the line and the key.
 *
 * @param file where it was read from
 * @param values the run's options by key (without {@code --}): String, Long, Boolean or a list of
 *     String or Long, as the key's kind says
 * @param targets the target tables in file order, each with its settings as text
 */
record ConfigFile(Path file, Map<String, Object> values, Map<String, Map<String, String>> targets) {

  /** Where the service's configuration lives; a run reads it when it exists. */
  static final Path DEFAULT = Path.of("/etc/cf-allowlist/cf-allowlist.toml");

  /** The kinds of value a key takes. */
  enum Kind {
    TEXT("a string"),
    AS_NUMBER("a string or an integer"),
    INTEGER("an integer"),
    BOOLEAN("true or false"),
    TEXTS("an array of strings"),
    INTEGERS("an array of integers"),
    TABLES("tables");

    final String words;

    Kind(String words) {
      this.words = words;
    }
  }

  /** Every key the file may hold at the top, and its kind. */
  static final Map<String, Kind> KEYS = keys();

  private static Map<String, Kind> keys() {
    Map<String, Kind> k = new LinkedHashMap<>();
    k.put("source", Kind.TEXT);
    k.put("api-url", Kind.TEXT);
    k.put("text-urls", Kind.TEXTS);
    k.put("jdcloud", Kind.BOOLEAN);
    k.put("family", Kind.TEXT);
    k.put("min-ranges", Kind.INTEGER);
    k.put("shortest-prefix-v4", Kind.INTEGER);
    k.put("shortest-prefix-v6", Kind.INTEGER);
    k.put("max-shrink", Kind.INTEGER);
    k.put("allow-shrink", Kind.BOOLEAN);
    k.put("fallback", Kind.TEXT);
    k.put("state-dir", Kind.TEXT);
    k.put("lock-timeout", Kind.INTEGER);
    k.put("ports", Kind.INTEGERS);
    k.put("mode", Kind.TEXT);
    k.put("metrics-file", Kind.TEXT);
    k.put("proxy", Kind.TEXT);
    k.put("verify-origin-as", Kind.AS_NUMBER);
    k.put("whois-server", Kind.TEXT);
    k.put("verify-origin-as-optional", Kind.BOOLEAN);
    k.put("targets", Kind.TABLES);
    return Map.copyOf(k);
  }

  /** Copies the maps, keeping the order of the targets. */
  ConfigFile {
    values = Map.copyOf(values);
    targets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targets));
  }

  /**
   * The file {@code given} names, or the default file when {@code given} is null and it exists.
   *
   * @throws IllegalArgumentException when the file given is missing, is not a regular file of at
   *     most {@link SmallFiles#MAX_BYTES} bytes of UTF-8, or is not valid
   */
  static Optional<ConfigFile> load(Path given) throws IOException {
    return load(given, true);
  }

  /**
   * As {@link #load(Path)}; with {@code trusted} false the file is read wherever it is (for {@code
   * config check}, which runs nothing and may be given a copy in a temporary directory).
   */
  static Optional<ConfigFile> load(Path given, boolean trusted) throws IOException {
    if (given == null) {
      return Files.exists(DEFAULT) ? Optional.of(read(DEFAULT, trusted)) : Optional.empty();
    }
    if (given.toString().isEmpty()) {
      throw new IllegalArgumentException("--config is empty; give the path of the file");
    }
    try {
      return Optional.of(read(given, trusted));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(
          "configuration file " + Printable.of(given.toString()) + " does not exist (--config)", e);
    }
  }

  /**
   * Reads and checks {@code file}, through {@link SmallFiles} so that a FIFO or a device is refused
   * before it is opened (it would hang, or fill the memory).
   */
  private static ConfigFile read(Path file, boolean trusted) throws IOException {
    String text;
    try {
      // The very file that was checked is read: no link on its path can be swapped in between.
      text = SmallFiles.read(trusted ? requireTrusted(file) : file, "configuration file");
    } catch (NoSuchFileException e) {
      throw e;
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(
          "configuration file "
              + Printable.of(file.toString())
              + " cannot be read: permission denied",
          e);
    } catch (IOException e) {
      // SmallFiles names the file and says what is wrong, never quoting its content.
      throw new IllegalArgumentException(Printable.message(e), e);
    }
    return parse(file, text);
  }

  /**
   * Refuses a configuration file that anyone but root and the user running could have written: it
   * names the commands a run starts (a target's test and reload commands), so whoever can change it
   * runs commands as that user. The file, after symbolic links, must belong to root or to this user
   * and be writable by its owner alone, and so must every directory above it, except that a
   * directory with the sticky bit (such as {@code /tmp}) may be writable by everyone ({@link
   * TrustedFiles#require}).
   *
   * @return the file's real path, to be read
   * @throws IllegalArgumentException naming the file or directory and what is wrong
   */
  static Path requireTrusted(Path file) throws IOException {
    return TrustedFiles.require(
        file, "configuration file", "it names the commands cf-allowlist runs");
  }

  /** Checks {@code text}, read from {@code file}. */
  static ConfigFile parse(Path file, String text) {
    TomlParseResult toml = Toml.parse(text);
    if (toml.hasErrors()) {
      TomlParseError e = toml.errors().get(0);
      throw error(file, e.position(), "not valid TOML: " + stripPosition(e.getMessage()));
    }
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, Map<String, String>> targets = new LinkedHashMap<>();
    for (String key : toml.keySet()) {
      TomlPosition at = toml.inputPositionOf(List.of(key));
      Kind kind = KEYS.get(key);
      if (kind == null) {
        throw error(file, at, unknown("key", key, new ArrayList<>(new TreeMap<>(KEYS).keySet())));
      }
      Object value = toml.get(List.of(key));
      if (kind == Kind.TABLES) {
        readTargets(file, toml, value, at, targets);
      } else {
        values.put(key, typed(file, at, key, kind, value));
      }
    }
    return new ConfigFile(file, values, targets);
  }

  private static void readTargets(
      Path file,
      TomlTable toml,
      Object value,
      TomlPosition at,
      Map<String, Map<String, String>> targets) {
    if (!(value instanceof TomlTable table)) {
      throw error(file, at, "targets must be tables ([targets.NAME]), not " + type(value));
    }
    List<String> known = Targets.names();
    for (String name : table.keySet()) {
      List<String> path = List.of("targets", name);
      TomlPosition tableAt = toml.inputPositionOf(path);
      if (!known.contains(name)) {
        throw error(file, tableAt, unknown("target", name, known));
      }
      if (!(table.get(List.of(name)) instanceof TomlTable settingsTable)) {
        throw error(file, tableAt, "targets." + name + " must be a table ([targets." + name + "])");
      }
      Target target = Targets.byName(name);
      Map<String, String> settings = new TreeMap<>();
      for (String key : settingsTable.keySet()) {
        TomlPosition keyAt = toml.inputPositionOf(List.of("targets", name, key));
        Object raw = settingsTable.get(List.of(key));
        if (!(raw instanceof String || raw instanceof Boolean || raw instanceof Long)) {
          throw error(
              file,
              keyAt,
              "setting "
                  + key
                  + " of target "
                  + name
                  + " must be a string, true or false, or an integer, not "
                  + type(raw));
        }
        String text = raw.toString();
        try {
          Setting.check(name, target.settings(), TargetOptions.defaults().withSetting(key, text));
        } catch (IllegalArgumentException e) {
          throw error(file, keyAt, e.getMessage());
        }
        settings.put(key, text);
      }
      targets.put(name, settings);
    }
  }

  private static Object typed(Path file, TomlPosition at, String key, Kind kind, Object value) {
    if ((kind == Kind.TEXT && value instanceof String)
        || (kind == Kind.BOOLEAN && value instanceof Boolean)) {
      return value;
    }
    if (kind == Kind.INTEGER && value instanceof Long n) {
      return checkInt(file, at, key, n);
    }
    if (kind == Kind.AS_NUMBER && (value instanceof String || value instanceof Long)) {
      return value.toString();
    }
    if ((kind == Kind.TEXTS || kind == Kind.INTEGERS) && value instanceof TomlArray array) {
      List<Object> items = new ArrayList<>();
      for (Object item : array.toList()) {
        if (kind == Kind.TEXTS && item instanceof String) {
          items.add(item);
        } else if (kind == Kind.INTEGERS && item instanceof Long n) {
          items.add(checkInt(file, at, key, n));
        } else {
          throw error(file, at, key + " must be " + kind.words + ", not one with " + type(item));
        }
      }
      return List.copyOf(items);
    }
    throw error(file, at, key + " must be " + kind.words + ", not " + type(value));
  }

  private static Integer checkInt(Path file, TomlPosition at, String key, long n) {
    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
      throw error(file, at, key + " value " + n + " is too large");
    }
    return (int) n;
  }

  /** The TOML type of {@code value}, in words. */
  private static String type(Object value) {
    if (value instanceof String) {
      return "a string";
    } else if (value instanceof Long) {
      return "an integer";
    } else if (value instanceof Double) {
      return "a float";
    } else if (value instanceof Boolean) {
      return "a boolean";
    } else if (value instanceof TomlArray) {
      return "an array";
    } else if (value instanceof TomlTable) {
      return "a table";
    }
    return "a date or time";
  }

  private static String unknown(String what, String key, List<String> names) {
    Optional<String> meant = Setting.didYouMean(key, names);
    return "unknown "
        + what
        + " '"
        + Printable.of(key)
        + "'"
        + meant
            .map(m -> "; did you mean '" + m + "'?")
            .orElse("; known: " + String.join(", ", names));
  }

  private static IllegalArgumentException error(Path file, TomlPosition at, String message) {
    return new IllegalArgumentException(
        file + (at == null ? "" : ":" + at.line()) + ": " + message);
  }

  /** tomlj's message without the position it appends, which the error gives as the line. */
  private static String stripPosition(String message) {
    return message == null
        ? "syntax error"
        : message
            .replaceFirst(" \\(line \\d+, column \\d+\\)$", "")
            // What the file holds there is not quoted: it may be a secret (a token, a key).
            .replaceAll("(?s)'.*'", "'...'");
  }

  /** The number of targets the file configures. */
  int targetCount() {
    return targets.size();
  }
}
