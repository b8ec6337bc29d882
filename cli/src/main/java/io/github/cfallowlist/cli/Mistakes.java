package io.github.cfallowlist.cli;

import io.github.cfallowlist.Printable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Says what is wrong with a command line picocli refused, in the terms of the mistake actually
 * made: a misspelled option is reported as such (picocli would first complain about the required
 * option it hid), and a misspelled option or command gets a "did you mean".
 */
final class Mistakes {
  private Mistakes() {}

  /** The sentence for {@code e}, raised while parsing {@code args}. */
  static String explain(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    boolean top = cmd.getParent() == null;
    int start = top ? 0 : indexOf(args, cmd.getCommandName()) + 1;
    if (top
        && args.length > 0
        && !args[0].startsWith("-")
        && !cmd.getSubcommands().containsKey(args[0])) {
      List<String> commands = new ArrayList<>(cmd.getSubcommands().keySet());
      return "unknown command '"
          + Printable.of(args[0])
          + "'"
          + closest(args[0], commands)
              .map(c -> "; did you mean '" + c + "'?")
              .orElse("; the commands are " + String.join(", ", commands));
    }
    Optional<String> unknownOption = unknownOption(cmd.getCommandSpec(), args, start);
    if (unknownOption.isPresent()) {
      String option = unknownOption.get();
      List<String> names = new ArrayList<>();
      for (OptionSpec o : cmd.getCommandSpec().options()) {
        if (!o.hidden()) {
          names.add(o.longestName());
        }
      }
      return "unknown option '"
          + Printable.of(option)
          + "'"
          + closest(option, names).map(n -> "; did you mean '" + n + "'?").orElse("");
    }
    // picocli says "option" twice in the message for a value a map option cannot split.
    return e.getMessage().replace("Value for option option '", "Value for option '");
  }

  private static int indexOf(String[] args, String name) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The first argument from {@code start} that looks like an option {@code spec} does not have; the
   * values of the options it has are skipped.
   */
  private static Optional<String> unknownOption(CommandSpec spec, String[] args, int start) {
    for (int i = Math.max(0, start); i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        return Optional.empty();
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq >= 0 ? arg.substring(0, eq) : arg;
      OptionSpec option = spec.findOption(name);
      if (option == null) {
        if (spec.subcommands().containsKey(name)) {
          continue;
        }
        return Optional.of(name);
      }
      if (eq < 0 && option.arity().max() > 0 && !option.typeInfo().isBoolean()) {
        i++;
      }
    }
    return Optional.empty();
  }

  /** The candidate {@code word} most likely meant, when one is a slip of a key or two away. */
  static Optional<String> closest(String word, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(word, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    int allowed = word.replaceFirst("^-+", "").length() <= 4 ? 1 : 2;
    return bestDistance <= allowed ? Optional.ofNullable(best) : Optional.empty();
  }

  /** Edits (insert, delete, replace, swap two neighbours) that turn {@code a} into {@code b}. */
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
