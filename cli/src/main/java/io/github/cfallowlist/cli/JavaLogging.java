package io.github.cfallowlist.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The records of libraries that log through {@code java.util.logging} (OkHttp), shown as {@link
 * Logging} shapes every line, at WARNING whatever the flags.
 *
 * <p>The command-line tool ({@link Main}) names {@link Config} as java.util.logging's configuration
 * class, so java.util.logging starts only if such a library logs, and starts with {@link Lines} as
 * its one handler. Where java.util.logging is set up otherwise (the tool run from a test, a
 * configuration given with {@code -Djava.util.logging.config.*}), each command puts {@link Lines}
 * in place of the root handlers for its run and the old ones back after it.
 */
public final class JavaLogging {
  private JavaLogging() {}

  /** The configuration {@link Main} names: one handler, {@link Lines}, and the root at WARNING. */
  public static final class Config {
    /** Called by java.util.logging when it starts. */
    public Config() throws IOException {
      String properties = "handlers=" + Lines.class.getName() + "\n.level=WARNING\n";
      LogManager.getLogManager()
          .readConfiguration(new ByteArrayInputStream(properties.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** Names {@link Config} as java.util.logging's configuration, unless one is given already. */
  static void configureOnStart() {
    if (System.getProperty("java.util.logging.config.class") == null
        && System.getProperty("java.util.logging.config.file") == null) {
      System.setProperty("java.util.logging.config.class", Config.class.getName());
    }
  }

  /**
   * What a command changes in java.util.logging for its run, or null when {@link Config} set it up
   * and {@link Lines} follows the running command by itself.
   */
  static Taken take(Logging.Verbosity verbosity) {
    if (Config.class.getName().equals(System.getProperty("java.util.logging.config.class"))) {
      return null;
    }
    return new Taken(verbosity);
  }

  /** The root's handlers and level replaced for a command's run, to put back after it. */
  static final class Taken {
    // Held here because java.util.logging keeps loggers only weakly: a logger that is collected
    // forgets the level set on it.
    private static final Logger ROOT = Logger.getLogger("");

    private final Level level;
    private final List<Handler> handlers;
    private final Handler lines = new Lines();

    private Taken(Logging.Verbosity verbosity) {
      level = ROOT.getLevel();
      handlers = List.of(ROOT.getHandlers());
      handlers.forEach(ROOT::removeHandler);
      ROOT.addHandler(lines);
      ROOT.setLevel(verbosity == Logging.Verbosity.QUIET ? Level.SEVERE : Level.WARNING);
    }

    void restore() {
      ROOT.removeHandler(lines);
      handlers.forEach(ROOT::addHandler);
      ROOT.setLevel(level);
    }
  }

  /** Writes each record as one line of the running command's stderr. */
  public static final class Lines extends Handler {
    private final Formatter formatter =
        new Formatter() {
          @Override
          public String format(LogRecord record) {
            return formatMessage(record);
          }
        };

    /** Called by java.util.logging, named by {@link Config}. */
    public Lines() {
      setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
      if (record == null || !isLoggable(record)) {
        return;
      }
      Logging.publish(
          record.getLoggerName(),
          level(record.getLevel()),
          formatter.formatMessage(record),
          record.getThrown());
    }

    /** The {@link System.Logger.Level} a java.util.logging level stands for. */
    static System.Logger.Level level(Level level) {
      int v = level.intValue();
      if (v >= Level.SEVERE.intValue()) {
        return System.Logger.Level.ERROR;
      }
      if (v >= Level.WARNING.intValue()) {
        return System.Logger.Level.WARNING;
      }
      if (v >= Level.INFO.intValue()) {
        return System.Logger.Level.INFO;
      }
      if (v >= Level.FINE.intValue()) {
        return System.Logger.Level.DEBUG;
      }
      return System.Logger.Level.TRACE;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
