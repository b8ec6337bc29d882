package io.github.cfallowlist.cli;

import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * Serves {@link System#getLogger} in the command-line tool: every record becomes one line of the
 * running command's stderr, as {@link Logging} shapes it. Found by {@link java.util.ServiceLoader}
 * (its name is in {@code META-INF/services}); without it the JDK would start java.util.logging for
 * the first record, which costs a cold start more than the rest of an in-sync run's logging.
 */
public final class CommandLoggers extends System.LoggerFinder {
  /** Called by the JDK when the first logger is asked for. */
  public CommandLoggers() {}

  @Override
  public System.Logger getLogger(String name, Module module) {
    return new Line(name);
  }

  /** A logger that hands each record it shows to {@link Logging#publish}. */
  private static final class Line implements System.Logger {
    private final String name;

    Line(String name) {
      this.name = name;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean isLoggable(Level level) {
      return Logging.shows(name, level);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
      Logging.publish(name, level, message, thrown);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      if (Logging.shows(name, level)) {
        String message =
            params == null || params.length == 0 ? format : MessageFormat.format(format, params);
        Logging.publish(name, level, message, null);
      }
    }
  }
}
