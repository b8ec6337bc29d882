package io.github.cfallowlist.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Entry point of the {@code cf-allowlist} command. */
public final class Main {
  private Main() {}

  /** Set when the JVM is asked to stop (SIGTERM, SIGINT): the run starts no further target. */
  static final AtomicBoolean STOPPING = new AtomicBoolean();

  /** How long a signal waits for the target being changed to finish and be verified. */
  static final Duration GRACE = Duration.ofSeconds(75);

  /**
   * What the grace keeps back from commands started after the signal: the time to read the target
   * back and print every outcome.
   */
  static final Duration RESERVE = Duration.ofSeconds(10);

  /** When the stop was asked for ({@link System#nanoTime()}); meaningful once {@link #STOPPING}. */
  private static volatile long stopAskedAt;

  /** picocli's system property naming, as regular expressions, the built-in converters to skip. */
  static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

  /**
   * The converters this tool skips: picocli builds those of java.time and java.sql types by
   * reflection at every start, which starts java.time's formatters (milliseconds of a cold start),
   * and no option of the tool has such a type.
   */
  static final String UNUSED_CONVERTERS = "java\\.time\\..*,java\\.sql\\..*";

  /**
   * How long commands started now may run before the stop's grace runs out (less {@link #RESERVE}),
   * or null when no stop was asked for.
   */
  static Duration leftToStop() {
    if (!STOPPING.get()) {
      return null;
    }
    return GRACE.minus(RESERVE).minusNanos(System.nanoTime() - stopAskedAt);
  }

  /**
   * Runs the command line and exits with its status. On SIGTERM or SIGINT the target being changed
   * is finished and verified, the rest are not started, and every outcome line is printed before
   * the JVM exits (within systemd's default 90 s stop timeout).
   */
  public static void main(String[] args) {
    JavaLogging.configureOnStart();
    if (System.getProperty(CONVERTER_EXCLUDES) == null) {
      System.setProperty(CONVERTER_EXCLUDES, UNUSED_CONVERTERS);
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopAskedAt = System.nanoTime();
                  STOPPING.set(true);
                  try {
                    done.await(GRACE.toSeconds(), TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "cf-allowlist-stop"));
    int code;
    try {
      code = Cli.commandLine(args).setOut(StandardOutput.open()).execute(args);
    } finally {
      done.countDown();
    }
    System.exit(code);
  }
}
