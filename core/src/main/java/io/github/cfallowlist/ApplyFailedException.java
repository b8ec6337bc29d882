package io.github.cfallowlist;

/**
 * An apply did not complete. {@link #outcome()} says, as data, what the target left behind; the
 * message is for people.
 */
public final class ApplyFailedException extends CfAllowlistException {
  private static final long serialVersionUID = 1L;

  /** What the failed apply left behind. */
  private final Outcome outcome;

  /** Whether a {@link Outcome#STATE_UNKNOWN} came after everything a reading shows was put back. */
  private final boolean putBack;

  /**
   * An apply failure described by {@code message} that left the target as {@code outcome} says.
   *
   * @param outcome {@link Outcome#FAILED_UNCHANGED}, {@link Outcome#FAILED_RESTORED} or {@link
   *     Outcome#STATE_UNKNOWN}
   */
  public ApplyFailedException(String message, Outcome outcome) {
    this(message, outcome, null);
  }

  /** As {@link #ApplyFailedException(String, Outcome)}, caused by {@code cause}. */
  public ApplyFailedException(String message, Outcome outcome, Throwable cause) {
    this(message, outcome, cause, false);
  }

  private ApplyFailedException(String message, Outcome outcome, Throwable cause, boolean putBack) {
    super(message, cause);
    if (outcome == null
        || !(outcome == Outcome.FAILED_UNCHANGED
            || outcome == Outcome.FAILED_RESTORED
            || outcome == Outcome.STATE_UNKNOWN)) {
      throw new IllegalArgumentException("outcome " + outcome + " is not a failure outcome");
    }
    this.outcome = outcome;
    this.putBack = putBack;
  }

  /**
   * A {@link Outcome#STATE_UNKNOWN} from a target that put back everything a reading shows, and
   * kept for the next run what it could not (a daemon that may have loaded the new files when
   * reloading it with the old ones failed too): the engine then puts nothing back, which would only
   * run the failing change again.
   */
  public static ApplyFailedException unknownAfterPutBack(String message, Throwable cause) {
    return new ApplyFailedException(message, Outcome.STATE_UNKNOWN, cause, true);
  }

  /** Whether this is {@link #unknownAfterPutBack}: only what a reading cannot see is unknown. */
  public boolean putBack() {
    return putBack;
  }

  /** What the failed apply left behind. */
  public Outcome outcome() {
    return outcome;
  }
}
