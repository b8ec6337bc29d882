package io.github.cfallowlist;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A target's live state read on a thread of its own, so that a run reads the system while its list
 * loads: at 100,000 ranges each takes a good part of a second. The reading is all read commands,
 * made under the run's lock, and only ever followed by the run's own use of the runner, never run
 * beside it.
 *
 * <p>Closing it stops a reading the run did not use (the command still running is killed, as an
 * interrupt kills it in {@link SystemCommandRunner}) and waits for its thread, so no command
 * outlives the run.
 */
final class ReadAhead implements AutoCloseable {
  private final FutureTask<Sync.Live> reading;
  private final Thread thread;

  private ReadAhead(FutureTask<Sync.Live> reading, Thread thread) {
    this.reading = reading;
    this.thread = thread;
  }

  /** Starts reading what {@code target} holds. */
  static ReadAhead start(Target target, TargetContext context) {
    FutureTask<Sync.Live> reading = new FutureTask<>(() -> Sync.read(target, context));
    Thread thread = new Thread(reading, "cf-allowlist-read-" + target.name());
    thread.setDaemon(true);
    thread.start();
    return new ReadAhead(reading, thread);
  }

  /**
   * The reading, once it is done.
   *
   * @throws IOException what the reading threw, or when this thread was interrupted waiting
   */
  Sync.Live get() throws IOException {
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
