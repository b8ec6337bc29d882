package io.github.cfallowlist;

import java.util.List;
import java.util.Optional;

/**
 * What a {@link Run} did.
 *
 * @param snapshot the validated ranges the run used, empty when the source failed and no fallback
 *     was needed or possible
 * @param warnings lines for people that do not fail the run (a fallback list installed, a last good
 *     snapshot that could not be saved)
 * @param targets one result per target, in the order given
 */
public record RunResult(
    Optional<RangeSnapshot> snapshot, List<String> warnings, List<TargetResult> targets) {

  /** Copies the lists. */
  public RunResult {
    if (snapshot == null || warnings == null || targets == null) {
      throw new IllegalArgumentException("result components must not be null");
    }
    warnings = List.copyOf(warnings);
    targets = List.copyOf(targets);
  }

  /** Whether any target failed (refused, failed, or state unknown). */
  public boolean failed() {
    return targets.stream().anyMatch(t -> t.outcome().failed());
  }

  /** Whether any target has changes pending (a dry run that found some). */
  public boolean pending() {
    return targets.stream().anyMatch(t -> t.outcome().pending());
  }
}
