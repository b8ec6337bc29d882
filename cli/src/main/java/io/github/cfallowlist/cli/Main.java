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
  private static final Duration GRACE = Duration.ofSeconds(75);

  /**
   * Runs the command line and exits with its status. On SIGTERM or SIGINT the target being changed
   * is finished and verified, the rest are not started, and every outcome line is printed before
   * the JVM exits (within systemd's default 90 s stop timeout).
   */
  public static void main(String[] args) {
    JavaLogging.configureOnStart();
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
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
      code = Cli.commandLine(args).execute(args);
    } finally {
      done.countDown();
    }
    System.exit(code);
  }
}
