package io.github.cfallowlist;

import java.util.Optional;

/**
 * How one target ended a run.
 *
 * @param target the target's name
 * @param outcome what happened, as data to switch on
 * @param plan the plan that was applied, would be applied or was refused; empty when the target
 *     failed before one could be made
 * @param message one sentence for people, without the target's name
 * @param fallback when the source failed and a saved list was installed instead, which one (for
 *     example {@code last good list from 2026-10-02})
 */
public record TargetResult(
    String target,
    Outcome outcome,
    Optional<Plan> plan,
    String message,
    Optional<String> fallback) {

  /** Checks every component is present and drops a leading "{@code target}: " from the message. */
  public TargetResult {
    if (target == null || outcome == null || plan == null || message == null || fallback == null) {
      throw new IllegalArgumentException("result components must not be null");
    }
    // A message from deep inside a target may already start with its name; it is said once.
    if (message.startsWith(target + ": ")) {
      message = message.substring(target.length() + 2);
    }
  }

  static TargetResult of(Target target, Outcome outcome, Plan plan, String message) {
    return new TargetResult(target.name(), outcome, Optional.of(plan), message, Optional.empty());
  }

  static TargetResult failed(Target target, String message) {
    return new TargetResult(
        target.name(), Outcome.FAILED_UNCHANGED, Optional.empty(), message, Optional.empty());
  }

  /** This result marked as installed from {@code what} because the source failed. */
  TargetResult withFallback(String what) {
    return new TargetResult(target, outcome, plan, message, Optional.of(what));
  }
}
