package io.github.cfallowlist.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What a piece of code logs through one class's logger, each message formatted with its arguments.
 *
 * @param value what the code returned
 * @param messages the messages, in order
 */
public record Logged<T>(T value, List<String> messages) {
  /** Runs {@code body} and records what {@code source}'s logger logs meanwhile. */
  public static <T> Logged<T> by(Class<?> source, Callable<T> body) throws Exception {
    List<String> messages = new ArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            synchronized (messages) {
              messages.add(new SimpleFormatter().formatMessage(r));
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(source.getName());
    logger.addHandler(handler);
    T value;
    try {
      value = body.call();
    } finally {
      logger.removeHandler(handler);
    }
    synchronized (messages) {
      return new Logged<>(value, List.copyOf(messages));
    }
  }
}
