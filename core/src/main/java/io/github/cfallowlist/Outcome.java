package io.github.cfallowlist;

/**
 * How one target ended a run. Callers switch on this; the message that comes with it is for people
 * only.
 */
public enum Outcome {
  /** The target already held the list; only reads were run. */
  IN_SYNC,
  /** The change was applied and verified by reading the live state back. */
  APPLIED,
  /** A dry run found changes; nothing was changed. */
  WOULD_CHANGE,
  /** A guard (the shrink guard) refused the plan; nothing was changed. */
  REFUSED,
  /** The change failed and a re-read shows the previous state untouched. */
  FAILED_UNCHANGED,
  /** The change failed, the previous state was put back, and a re-read confirms it. */
  FAILED_RESTORED,
  /** The change failed and the live state is neither the old nor the new one, or unreadable. */
  STATE_UNKNOWN;

  /** Whether the run failed for this target (refused, failed, or state unknown). */
  public boolean failed() {
    return this == REFUSED
        || this == FAILED_UNCHANGED
        || this == FAILED_RESTORED
        || this == STATE_UNKNOWN;
  }

  /** Whether the outcome reports a change pending (a dry run that found one). */
  public boolean pending() {
    return this == WOULD_CHANGE;
  }
}
