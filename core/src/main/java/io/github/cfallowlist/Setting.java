package io.github.cfallowlist;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One setting a target declares: its name, the kind of value, its default and a one-line help.
 * Values arrive as text in {@link TargetOptions#settings()} and are parsed here, so a typo or a
 * malformed value is an error before anything is read or changed, never a silent default.
 *
 * <p>Targets list theirs in {@link Target#settings()}; callers read them typed with {@link
 * #from(TargetOptions)}.
 *
 * @param <T> the type of the value
 */
public final class Setting<T> {
  private static final Pattern BOOLEAN = Pattern.compile("true|false");

  private final String name;
  private final String valueLabel;
  private final String help;
  private final Optional<T> defaultValue;
  private final Function<String, T> parser;

  private Setting(
      String name,
      String valueLabel,
      String help,
      Optional<T> defaultValue,
      Function<String, T> parser) {
    if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("setting name '" + name + "' is not lower-case-words");
    }
    if (valueLabel == null || help == null || defaultValue == null || parser == null) {
      throw new IllegalArgumentException("valueLabel, help, defaultValue and parser are required");
    }
    this.name = name;
    this.valueLabel = valueLabel;
    this.help = help;
    this.defaultValue = defaultValue;
    this.parser = parser;
  }

  /**
   * A setting whose value {@code parser} turns into a {@code T}; the parser throws {@link
   * IllegalArgumentException} saying what is wrong with a value.
   */
  public static <T> Setting<T> of(
      String name,
      String valueLabel,
      String help,
      Optional<T> defaultValue,
      Function<String, T> parser) {
    return new Setting<>(name, valueLabel, help, defaultValue, parser);
  }

  /** A yes/no setting written {@code true} or {@code false}, default false. */
  public static Setting<Boolean> flag(String name, String help) {
    return new Setting<>(
        name,
        "true|false",
        help,
        Optional.of(false),
        v -> {
          if (!BOOLEAN.matcher(v).matches()) {
            throw new IllegalArgumentException("is not true or false");
          }
          return Boolean.parseBoolean(v);
        });
  }

  /** A text setting that must match {@code pattern} in full ({@code what} names the kind). */
  public static Setting<String> text(
      String name,
      String valueLabel,
      String help,
      Optional<String> defaultValue,
      Pattern pattern,
      String what) {
    return new Setting<>(
        name,
        valueLabel,
        help,
        defaultValue,
        v -> {
          if (!pattern.matcher(v).matches()) {
            throw new IllegalArgumentException("is not " + what);
          }
          return v;
        });
  }

  /** An absolute file path. */
  public static Setting<Path> path(String name, String help, Optional<Path> defaultValue) {
    return new Setting<>(
        name,
        "PATH",
        help,
        defaultValue,
        v -> {
          if (v.isBlank() || v.indexOf('\0') >= 0 || v.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("is not a file path");
          }
          Path p = Path.of(v);
          if (p.getFileName() == null) {
            throw new IllegalArgumentException("does not name a file");
          }
          if (!p.isAbsolute()) {
            // cron and systemd start a run in /, an interactive one wherever the shell is.
            throw new IllegalArgumentException(
                "is not an absolute path (a run from cron or systemd starts in /)");
          }
          return p;
        });
  }

  /**
   * A command written as words separated by spaces; it is run as an argument list, never by a
   * shell, so there is no quoting.
   */
  public static Setting<List<String>> command(String name, String help, String defaultValue) {
    Function<String, List<String>> words =
        v -> {
          String stripped = v.strip();
          if (stripped.isEmpty() || stripped.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("is not a command");
          }
          return List.of(stripped.split("\\s+", -1));
        };
    return new Setting<>(name, "CMD", help, Optional.of(words.apply(defaultValue)), words);
  }

  /** The name, as in {@code --set NAME=VALUE}. */
  public String name() {
    return name;
  }

  /** What the value looks like, for help ({@code PATH}, {@code true|false}, …). */
  public String valueLabel() {
    return valueLabel;
  }

  /** One line of help. */
  public String help() {
    return help;
  }

  /** The value used when the setting is not given, if there is one. */
  public Optional<T> defaultValue() {
    return defaultValue;
  }

  /**
   * The value {@code raw} stands for.
   *
   * @throws IllegalArgumentException naming the setting when the value is malformed
   */
  public T parse(String raw) {
    if (raw == null) {
      throw new IllegalArgumentException("setting " + name + " has no value");
    }
    try {
      return parser.apply(raw);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "setting "
              + name
              + " value '"
              + Printable.of(raw)
              + "' "
              + (e.getMessage() == null ? "is not valid" : e.getMessage()),
          e);
    }
  }

  /** The value set in {@code options}, if any, parsed. */
  public Optional<T> in(TargetOptions options) {
    return options.setting(name).map(this::parse);
  }

  /** The value set in {@code options}, or the default. */
  public T from(TargetOptions options) {
    return in(options)
        .or(() -> defaultValue)
        .orElseThrow(() -> new IllegalArgumentException("setting " + name + " is required"));
  }

  /**
   * Checks that every setting in {@code options} is one of {@code declared} and that its value
   * parses.
   *
   * @throws IllegalArgumentException naming the unknown key (and the declared one it was probably
   *     meant to be) or the malformed value; nothing has been read or changed at that point
   */
  public static void check(String owner, List<Setting<?>> declared, TargetOptions options) {
    for (Map.Entry<String, String> e : options.settings().entrySet()) {
      Optional<Setting<?>> match =
          declared.stream().filter(s -> s.name().equals(e.getKey())).findFirst();
      if (match.isEmpty()) {
        throw unknown(owner, declared, e.getKey());
      }
      match.get().parse(e.getValue());
    }
  }

  /** The error for {@code key}, which none of {@code declared} is called. */
  static IllegalArgumentException unknown(String owner, List<Setting<?>> declared, String key) {
    List<String> names = new ArrayList<>();
    declared.forEach(s -> names.add(s.name()));
    Optional<String> meant = closest(key, names);
    return new IllegalArgumentException(
        "unknown setting '"
            + Printable.of(key)
            + "' for "
            + owner
            + meant.map(m -> "; did you mean '" + m + "'?").orElse("")
            + (meant.isPresent() || names.isEmpty() ? "" : "; known: " + String.join(", ", names)));
  }

  /**
   * The name among {@code names} that {@code key} was most likely meant to be, if one is close
   * (case, {@code _} for {@code -}, or a few letters apart): for "did you mean" in messages.
   */
  public static Optional<String> didYouMean(String key, List<String> names) {
    return closest(key, names);
  }

  /** The declared name a typo most likely meant, if one is close. */
  static Optional<String> closest(String key, List<String> names) {
    String folded = fold(key);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String n : names) {
      int d = fold(n).equals(folded) ? 0 : distance(fold(n), folded);
      if (d < bestDistance) {
        best = n;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, key.length() / 4)
        ? Optional.of(best)
        : Optional.empty();
  }

  private static String fold(String s) {
    return s.toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  @Override
  public String toString() {
    return name + "=" + valueLabel;
  }
}
