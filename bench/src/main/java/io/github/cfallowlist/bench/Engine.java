package io.github.cfallowlist.bench;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.RawRanges.RawList;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The engine's stages over one desired list and one current configuration, as a run does them. */
final class Engine {
  static final Guards GUARDS = Guards.defaults();
  static final TargetOptions OPTIONS = TargetOptions.defaults();

  private Engine() {}

  /** What a source read: one list of {@code entries} mixing both families. */
  static RawRanges raw(List<String> entries) {
    return new RawRanges(
        List.of(new RawList("ranges.txt", Optional.empty(), entries)),
        "file ranges.txt",
        Optional.empty(),
        Instant.EPOCH);
  }

  /** Parse: each entry to a typed prefix. */
  static List<Cidr> parse(List<String> entries) {
    List<Cidr> out = new ArrayList<>(entries.size());
    for (String e : entries) {
      out.add(Cidr.parse(e));
    }
    return out;
  }

  /** Normalise: sort, drop duplicates and covered prefixes, split by family. */
  static RangeSet normalise(List<Cidr> parsed) {
    return RangeSet.of(parsed);
  }

  /** Validate: parse every entry, run every guard, normalise (what a run does to a source). */
  static RangeSnapshot validate(RawRanges raw) {
    return GUARDS.validate(raw);
  }

  /**
   * Diff/plan: the plan from {@code current} (already parsed) to {@code snapshot}, its added,
   * removed and unchanged prefixes per family and the shrink guard; returns the number of changes.
   */
  static int diff(RangeSnapshot snapshot, RangeSet current) {
    Target target = new LineTarget(Optional.of(current));
    return changes(
        Plan.compute(target, snapshot, OPTIONS, Optional.of(LineTarget.config(List.of()))));
  }

  /**
   * The whole engine: validate {@code desired}, parse and normalise the {@code current}
   * configuration, plan; returns the number of changes.
   */
  static int endToEnd(RawRanges desired, Rendered current) {
    RangeSnapshot snapshot = validate(desired);
    Plan plan = Plan.compute(new LineTarget(), snapshot, OPTIONS, Optional.of(current));
    return changes(plan);
  }

  private static int changes(Plan plan) {
    GUARDS.checkShrink(plan);
    int changes = 0;
    for (IpFamily family : IpFamily.values()) {
      changes += plan.added(family).size() + plan.removed(family).size();
      changes -= plan.unchanged(family).size() > 0 ? 0 : 1;
    }
    return changes;
  }
}
