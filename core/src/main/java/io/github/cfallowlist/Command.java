package io.github.cfallowlist;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One external command: its arguments (never given to a shell), what to feed it on standard input,
 * and whether it changes the system.
 *
 * @param argv program and arguments
 * @param stdin text for standard input, if any
 * @param modifies whether the command changes state (a read-only run must issue none)
 * @param timeout how long it may run
 */
public record Command(
    List<String> argv, Optional<String> stdin, boolean modifies, Duration timeout) {

  /** The default time a command may run. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /** Copies the arguments and checks them. */
  public Command {
    if (argv == null || argv.isEmpty() || stdin == null || timeout == null) {
      throw new IllegalArgumentException("argv, stdin and timeout must not be null or empty");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
    for (String a : argv) {
      if (a == null || a.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("argument is null or holds a NUL: " + argv);
      }
    }
    argv = List.copyOf(argv);
  }

  /** A command that only reads. */
  public static Command read(String... argv) {
    return new Command(List.of(argv), Optional.empty(), false, DEFAULT_TIMEOUT);
  }

  /** A command that changes the system. */
  public static Command modify(String... argv) {
    return new Command(List.of(argv), Optional.empty(), true, DEFAULT_TIMEOUT);
  }

  /** A command that only reads. */
  public static Command read(List<String> argv) {
    return new Command(argv, Optional.empty(), false, DEFAULT_TIMEOUT);
  }

  /** A command that changes the system. */
  public static Command modify(List<String> argv) {
    return new Command(argv, Optional.empty(), true, DEFAULT_TIMEOUT);
  }

  /** This command fed {@code input} on standard input. */
  public Command withStdin(String input) {
    return new Command(argv, Optional.of(input), modifies, timeout);
  }

  /** This command with another time limit. */
  public Command withTimeout(Duration value) {
    return new Command(argv, stdin, modifies, value);
  }

  /**
   * The command as one line for messages. An argument of several lines (a script given to an
   * interpreter) is shown by its first line, without a leading {@code #}, in angle brackets.
   */
  public String display() {
    return argv.stream().map(Command::shown).collect(java.util.stream.Collectors.joining(" "));
  }

  private static String shown(String argument) {
    int newline = argument.indexOf('\n');
    if (newline < 0) {
      return argument;
    }
    String first = argument.substring(0, newline).strip();
    return "<" + (first.startsWith("#") ? first.substring(1).strip() : first) + ">";
  }
}
