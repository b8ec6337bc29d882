package io.github.cfallowlist.cli;

import io.github.cfallowlist.Printable;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * What a command says on stderr besides its result: one line per event, {@code cf-allowlist: LEVEL:
 * message} with {@code --verbose}, {@code cf-allowlist: message} (and {@code cf-allowlist: warning:
 * message}) without it, errors only with {@code --quiet}. The library's records (it logs through
 * {@link System.Logger}, which {@link CommandLoggers} serves) are shown at the chosen level; every
 * other logger, the JDK's and OkHttp's (which logs through {@code java.util.logging}, see {@link
 * JavaLogging}), stays at WARNING whatever the flags.
 */
final class Logging implements AutoCloseable {
  /** How much a command says. */
  enum Verbosity {
    /** Errors only. */
    QUIET,
    /** Warnings and errors. */
    NORMAL,
    /** Also progress: each command run, each fetch, each retry; the stack trace of an error. */
    VERBOSE
  }

  private static final String PREFIX = "cf-allowlist: ";

  /** The loggers of the library and of its targets: their names start so. */
  private static final String LIBRARY = "io.github.cfallowlist";

  /** Where the records go and how many: the running command's, else stderr at NORMAL. */
  private record Sink(PrintWriter err, Verbosity verbosity) {}

  private static volatile Sink sink =
      new Sink(new PrintWriter(System.err, true, StandardCharsets.UTF_8), Verbosity.NORMAL);

  private final Sink before;

  /** What the command changed in java.util.logging, to put back; null when it changed nothing. */
  private final JavaLogging.Taken taken;

  private Logging(Sink before, JavaLogging.Taken taken) {
    this.before = before;
    this.taken = taken;
  }

  /**
   * Sends records to {@code err} as {@code verbosity} asks until {@link #close}, which puts the
   * previous destination back.
   */
  static Logging install(Verbosity verbosity, PrintWriter err) {
    Sink previous = sink;
    sink = new Sink(err, verbosity);
    return new Logging(previous, JavaLogging.take(verbosity));
  }

  /** The verbosity of the command running now ({@link Verbosity#NORMAL} outside a command). */
  static Verbosity current() {
    return sink.verbosity();
  }

  /** Whether a record of the logger {@code name} at {@code level} is shown now. */
  static boolean shows(String name, System.Logger.Level level) {
    if (level == System.Logger.Level.OFF || level == System.Logger.Level.ALL) {
      return false;
    }
    System.Logger.Level least =
        switch (sink.verbosity()) {
          case QUIET -> System.Logger.Level.ERROR;
          case NORMAL -> System.Logger.Level.WARNING;
          case VERBOSE -> isLibrary(name) ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING;
        };
    return level.getSeverity() >= least.getSeverity();
  }

  /** Whether the library's DEBUG records (each command run, each fetch) are shown now. */
  static boolean showsLibraryDebug() {
    return shows(LIBRARY, System.Logger.Level.DEBUG);
  }

  private static boolean isLibrary(String name) {
    return name != null
        && name.startsWith(LIBRARY)
        && (name.length() == LIBRARY.length() || name.charAt(LIBRARY.length()) == '.');
  }

  /** Writes one record as a line when {@link #shows} says so; the cause is said unless it is. */
  static void publish(String name, System.Logger.Level level, String message, Throwable thrown) {
    if (!shows(name, level)) {
      return;
    }
    String text = message == null ? "" : message;
    if (thrown != null && !text.contains(Printable.message(thrown))) {
      text = text + ": " + Printable.message(thrown);
    }
    Sink s = sink;
    synchronized (s.err()) {
      s.err().println(line(level, text, s.verbosity()));
      s.err().flush();
    }
  }

  /**
   * The verbosity {@code --quiet} and {@code --verbose} ask for.
   *
   * @throws CommandLine.ParameterException when both are given
   */
  static Verbosity of(ParseResult result) {
    boolean verbose = false;
    boolean quiet = false;
    for (ParseResult r = result; r != null; r = r.subcommand()) {
      verbose |= r.hasMatchedOption("--verbose");
      quiet |= r.hasMatchedOption("--quiet");
    }
    if (verbose && quiet) {
      throw new CommandLine.ParameterException(
          last(result).commandSpec().commandLine(),
          "--quiet and --verbose contradict each other; give one of them");
    }
    return verbose ? Verbosity.VERBOSE : quiet ? Verbosity.QUIET : Verbosity.NORMAL;
  }

  private static ParseResult last(ParseResult result) {
    ParseResult r = result;
    while (r.subcommand() != null) {
      r = r.subcommand();
    }
    return r;
  }

  /** One line for an event at {@code level}, in the shape {@code verbosity} uses. */
  static String line(System.Logger.Level level, String message, Verbosity verbosity) {
    String text = Printable.withoutControls(message.replace("\r", "").replace('\n', ' ').strip());
    if (verbosity == Verbosity.VERBOSE) {
      return PREFIX + level.getName() + ": " + text;
    }
    return level == System.Logger.Level.WARNING ? PREFIX + "warning: " + text : PREFIX + text;
  }

  /** Puts back where records went before {@link #install}. */
  @Override
  public void close() {
    sink.err().flush();
    if (taken != null) {
      taken.restore();
    }
    sink = before;
  }
}
