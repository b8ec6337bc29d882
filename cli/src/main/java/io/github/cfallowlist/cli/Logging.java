package io.github.cfallowlist.cli;

import io.github.cfallowlist.Printable;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * What a command says on stderr besides its result: one line per event, {@code cf-allowlist: LEVEL:
 * message} with {@code --verbose}, {@code cf-allowlist: message} (and {@code cf-allowlist: warning:
 * message}) without it, errors only with {@code --quiet}. The library's records (it logs through
 * {@link System.Logger}, which the JDK hands to {@code java.util.logging}) are shown at the chosen
 * level; every other logger, the JDK's and OkHttp's, stays at WARNING whatever the flags.
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

  // Held here because java.util.logging keeps loggers only weakly: a logger that is collected
  // forgets the level set on it.
  private static final Logger LIBRARY = Logger.getLogger("io.github.cfallowlist");
  private static final Logger ROOT = Logger.getLogger("");

  private static volatile Verbosity current = Verbosity.NORMAL;

  private final Verbosity before;
  private final Level rootLevel;
  private final Level libraryLevel;
  private final List<Handler> rootHandlers;
  private final Handler handler;

  private Logging(Handler handler) {
    this.before = current;
    this.rootLevel = ROOT.getLevel();
    this.libraryLevel = LIBRARY.getLevel();
    this.rootHandlers = List.of(ROOT.getHandlers());
    this.handler = handler;
  }

  /**
   * Sends log records to {@code err} as {@code verbosity} asks until {@link #close}, which puts the
   * previous handlers and levels back.
   */
  static Logging install(Verbosity verbosity, PrintWriter err) {
    Logging saved = new Logging(new LineHandler(err, verbosity));
    saved.rootHandlers.forEach(ROOT::removeHandler);
    ROOT.addHandler(saved.handler);
    ROOT.setLevel(verbosity == Verbosity.QUIET ? Level.SEVERE : Level.WARNING);
    LIBRARY.setLevel(
        switch (verbosity) {
          case QUIET -> Level.SEVERE;
          case NORMAL -> Level.WARNING;
          case VERBOSE -> Level.FINE;
        });
    current = verbosity;
    return saved;
  }

  /** The verbosity of the command running now ({@link Verbosity#NORMAL} outside a command). */
  static Verbosity current() {
    return current;
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
  static String line(Level level, String message, Verbosity verbosity) {
    String text = message.replace("\r", "").replace('\n', ' ').strip();
    if (verbosity == Verbosity.VERBOSE) {
      return PREFIX + name(level) + ": " + text;
    }
    return level.intValue() == Level.WARNING.intValue()
        ? PREFIX + "warning: " + text
        : PREFIX + text;
  }

  /** The level by the names of {@link System.Logger.Level}, which the library logs with. */
  static String name(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARNING";
    }
    if (v >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (v >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }

  /** Puts the handlers and levels back as they were before {@link #install}. */
  @Override
  public void close() {
    ROOT.removeHandler(handler);
    handler.flush();
    rootHandlers.forEach(ROOT::addHandler);
    ROOT.setLevel(rootLevel);
    LIBRARY.setLevel(libraryLevel);
    current = before;
  }

  /** Writes each record as one line. */
  private static final class LineHandler extends Handler {
    private final PrintWriter err;
    private final Verbosity verbosity;
    private final Formatter formatter =
        new Formatter() {
          @Override
          public String format(LogRecord record) {
            return formatMessage(record);
          }
        };

    LineHandler(PrintWriter err, Verbosity verbosity) {
      this.err = err;
      this.verbosity = verbosity;
      setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
      if (!isLoggable(record)) {
        return;
      }
      List<String> parts = new ArrayList<>();
      String message = formatter.formatMessage(record);
      parts.add(message == null ? "" : message);
      Throwable thrown = record.getThrown();
      if (thrown != null && !parts.get(0).contains(Printable.message(thrown))) {
        parts.add(Printable.message(thrown));
      }
      String text = String.join(": ", parts);
      synchronized (err) {
        err.println(line(record.getLevel(), text, verbosity));
        err.flush();
      }
    }

    @Override
    public void flush() {
      err.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }
}
