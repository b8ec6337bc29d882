package io.github.cfallowlist;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.LongSupplier;

/**
 * A target's live state read on a thread of its own, so that a run reads the system while its list
 * loads: at 100,000 ranges each takes a good part of a second. The reading is all read commands,
 * made under the run's lock, and the run makes no other use of the runner until it is over.
 *
 * <p>Closing it stops a reading the run did not use (the command still running is killed, as an
 * interrupt kills it in {@link SystemCommandRunner}) and waits for its thread, so no command
 * outlives the run.
 */
final class ReadAhead implements AutoCloseable {
  /**
   * How long before the target is planned (its list loaded, checked and saved) a reading may have
   * ended and still be used. An older one (the list came slowly from the network) is read again:
   * the state it saw may have changed since.
   */
  static final Duration MAX_AGE = Duration.ofSeconds(1);

  private final FutureTask<Sync.Live> reading;
  private final Thread thread;
  private final LongSupplier ticker;
  private volatile long endedAt;

  private ReadAhead(Target target, TargetContext context, LongSupplier ticker) {
    this.ticker = ticker;
    this.reading =
        new FutureTask<>(
            () -> {
              try {
                return Sync.read(target, context);
              } finally {
                endedAt = ticker.getAsLong();
              }
            });
    this.thread = new Thread(reading, "cf-allowlist-read-" + target.name());
    thread.setDaemon(true);
  }

  /**
   * Starts reading what {@code target} holds.
   *
   * @param ticker the time in nanoseconds that ages the reading ({@link System#nanoTime()})
   */
  static ReadAhead start(Target target, TargetContext context, LongSupplier ticker) {
    ReadAhead early = new ReadAhead(target, context, ticker);
    early.thread.start();
    return early;
  }

  /** Now, on the clock that ages the reading: when a plan begins. */
  long now() {
    return ticker.getAsLong();
  }

  /**
   * The reading, once it is over, unless it ended more than {@link #MAX_AGE} before {@code
   * planning} (a {@link #now()}, when the target's plan began): empty then, whatever it found.
   *
   * @throws IOException what the reading threw (a recent one), or when this thread was interrupted
   *     waiting
   */
  Optional<Sync.Live> recent(long planning) throws IOException {
    Sync.Live live;
    try {
      live = get();
    } catch (IOException | RuntimeException e) {
      if (old(planning)) {
        return Optional.empty();
      }
      throw e;
    }
    return old(planning) ? Optional.empty() : Optional.of(live);
  }

  private boolean old(long planning) {
    return reading.isDone() && !reading.isCancelled() && planning - endedAt > MAX_AGE.toNanos();
  }

  private Sync.Live get() throws IOException {
    try {
      return reading.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the live state", e);
    } catch (CancellationException e) {
      throw new IOException("the reading of the live state was stopped", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException("cannot read the live state", cause);
    }
  }

  /** Stops the reading if it is still running and waits for its thread. */
  @Override
  public void close() {
    reading.cancel(true);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
