package io.github.cfallowlist;

/**
 * An apply did not complete. {@link #outcome()} says, as data, what the target left behind; the
 * message is for people.
 */
public final class ApplyFailedException extends CfAllowlistException {
  private static final long serialVersionUID = 1L;

  /** What the failed apply left behind. */
  private final Outcome outcome;

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
    super(message, cause);
    if (outcome == null
        || !(outcome == Outcome.FAILED_UNCHANGED
            || outcome == Outcome.FAILED_RESTORED
            || outcome == Outcome.STATE_UNKNOWN)) {
      throw new IllegalArgumentException("outcome " + outcome + " is not a failure outcome");
    }
    this.outcome = outcome;
  }

  /** What the failed apply left behind. */
  public Outcome outcome() {
    return outcome;
  }
}
