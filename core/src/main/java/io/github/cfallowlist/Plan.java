package io.github.cfallowlist;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a target would change: the ranges added, removed and kept per family, objects left over from
 * other options that the change removes, and a unified diff of the configuration text.
 *
 * <p>A plan is built only by {@link #compute} (from a current configuration to a snapshot) or
 * {@link #removal} (from a current configuration to nothing), so its parts always agree.
 */
public final class Plan {
  private final String target;
  private final Optional<Rendered> currentConfig;
  private final RangeSet current;
  private final RangeSnapshot snapshot;
  private final Optional<Rendered> desiredConfig;
  private final List<String> leftovers;
  private final boolean changes;

  private Plan(
      String target,
      Optional<Rendered> currentConfig,
      RangeSet current,
      RangeSnapshot snapshot,
      Optional<Rendered> desiredConfig,
      List<String> leftovers) {
    this.target = target;
    this.currentConfig = currentConfig;
    this.current = current;
    this.snapshot = snapshot;
    this.desiredConfig = desiredConfig;
    this.leftovers = List.copyOf(leftovers);
    this.changes = differs();
  }

  /**
   * The plan that takes {@code target} from {@code current} (a configuration it rendered before, or
   * empty when none is installed) to the ranges in {@code snapshot}.
   *
   * @throws ConfigParseException when {@code current} is not something the target wrote
   */
  public static Plan compute(
      Target target, RangeSnapshot snapshot, TargetOptions options, Optional<Rendered> current) {
    return compute(target, snapshot, options, current, List.of());
  }

  /**
   * As {@link #compute(Target, RangeSnapshot, TargetOptions, Optional)}, with objects the target
   * owns that these options would not create ({@link Target#leftovers}); applying the plan removes
   * them.
   */
  public static Plan compute(
      Target target,
      RangeSnapshot snapshot,
      TargetOptions options,
      Optional<Rendered> current,
      List<String> leftovers) {
    requireNonNull(target, snapshot, options, current, leftovers);
    RangeSet currentRanges = current.map(c -> target.parse(c, options)).orElseGet(RangeSet::empty);
    return of(target, snapshot, options, current, currentRanges, leftovers, Optional.empty());
  }

  /** As {@link #compute}, for a live reading: read with {@link Target#parseLive}. */
  static Plan fromLive(
      Target target,
      RangeSnapshot snapshot,
      TargetOptions options,
      Optional<Rendered> current,
      List<String> leftovers) {
    requireNonNull(target, snapshot, options, current, leftovers);
    RangeSet currentRanges = live(target, options, current);
    return of(target, snapshot, options, current, currentRanges, leftovers, Optional.empty());
  }

  /**
   * As {@link #fromLive}, with the desired configuration already rendered from {@code snapshot}
   * restricted to the families of {@code options} (while the live state was being read).
   */
  static Plan fromLive(
      Target target,
      RangeSnapshot snapshot,
      TargetOptions options,
      Optional<Rendered> current,
      List<String> leftovers,
      Rendered desired) {
    requireNonNull(target, snapshot, options, current, leftovers, desired);
    RangeSet currentRanges = live(target, options, current);
    return of(target, snapshot, options, current, currentRanges, leftovers, Optional.of(desired));
  }

  /** The ranges of a live reading, none when nothing is installed. */
  private static RangeSet live(Target target, TargetOptions options, Optional<Rendered> current) {
    return current.map(c -> target.parseLive(c, options)).orElseGet(RangeSet::empty);
  }

  /**
   * The plan to the ranges of {@code snapshot} in the families {@code options} manage, rendered
   * unless {@code desired} holds the rendering already. A target renders and reads only those
   * families, so a range of another would be a change no apply could make; and the rendering names
   * the ranges it holds, as when the list was restricted when it was fetched.
   */
  private static Plan of(
      Target target,
      RangeSnapshot snapshot,
      TargetOptions options,
      Optional<Rendered> current,
      RangeSet currentRanges,
      List<String> leftovers,
      Optional<Rendered> desired) {
    RangeSnapshot managed = snapshot.restrictTo(options.families());
    return new Plan(
        target.name(),
        current,
        currentRanges,
        managed,
        Optional.of(desired.orElseGet(() -> target.render(managed, options))),
        leftovers);
  }

  /**
   * The plan that removes everything {@code target} owns: {@code current} and {@code leftovers}.
   */
  public static Plan removal(
      Target target, TargetOptions options, Optional<Rendered> current, List<String> leftovers) {
    requireNonNull(target, options, current, leftovers);
    RangeSet currentRanges = current.map(c -> target.parse(c, options)).orElseGet(RangeSet::empty);
    return removal(target, current, currentRanges, leftovers);
  }

  /**
   * As {@link #removal}, for a live reading: read with {@link Target#parseLive}, which accepts what
   * a reading says of a configuration edited by hand, since that is removed all the same.
   */
  static Plan removalFromLive(
      Target target, TargetOptions options, Optional<Rendered> current, List<String> leftovers) {
    requireNonNull(target, options, current, leftovers);
    return removal(target, current, live(target, options, current), leftovers);
  }

  private static Plan removal(
      Target target, Optional<Rendered> current, RangeSet currentRanges, List<String> leftovers) {
    RangeSnapshot nothing = RangeSnapshot.live(RangeSet.empty(), "uninstall");
    return new Plan(target.name(), current, currentRanges, nothing, Optional.empty(), leftovers);
  }

  private static void requireNonNull(Object... parts) {
    for (Object o : parts) {
      if (o == null) {
        throw new IllegalArgumentException("plan components must not be null");
      }
    }
  }

  /** The target's name. */
  public String target() {
    return target;
  }

  /** The configuration in place now, empty when the target holds none of its objects. */
  public Optional<Rendered> currentConfig() {
    return currentConfig;
  }

  /** The ranges in place now (empty when nothing is installed). */
  public RangeSet current() {
    return current;
  }

  /** The validated ranges to put in place (empty for a removal). */
  public RangeSnapshot snapshot() {
    return snapshot;
  }

  /**
   * The configuration that holds them.
   *
   * @throws IllegalStateException for a {@linkplain #isRemoval() removal}, which has none
   */
  public Rendered desiredConfig() {
    return desiredConfig.orElseThrow(
        () -> new IllegalStateException("a removal plan has no desired configuration"));
  }

  /** Objects this target owns that the current options would not create; applying removes them. */
  public List<String> leftovers() {
    return leftovers;
  }

  /** Whether this plan removes everything the target owns. */
  public boolean isRemoval() {
    return desiredConfig.isEmpty();
  }

  /** The ranges to put in place. */
  public RangeSet desired() {
    return snapshot.ranges();
  }

  /** Prefixes in the desired set but not in place now. */
  public List<Cidr> added(IpFamily family) {
    return minus(desired().get(family), current.get(family));
  }

  /** Prefixes in place now but not in the desired set. */
  public List<Cidr> removed(IpFamily family) {
    return minus(current.get(family), desired().get(family));
  }

  /** Prefixes in place now that stay. */
  public List<Cidr> unchanged(IpFamily family) {
    return select(desired().get(family), current.get(family), true);
  }

  private static List<Cidr> minus(List<Cidr> a, List<Cidr> b) {
    return select(a, b, false);
  }

  /**
   * The prefixes of {@code a} that are in {@code b} ({@code inB}) or not, in {@code a}'s order.
   * Both are a {@link RangeSet}'s lists, sorted with no repeats, so one walk through both finds
   * them.
   */
  private static List<Cidr> select(List<Cidr> a, List<Cidr> b, boolean inB) {
    List<Cidr> out = new ArrayList<>();
    int j = 0;
    for (Cidr c : a) {
      int order = -1;
      while (j < b.size() && (order = b.get(j).compareTo(c)) < 0) {
        j++;
      }
      if ((j < b.size() && order == 0) == inB) {
        out.add(c);
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** Whether nothing is installed yet. */
  public boolean isInstall() {
    return currentConfig.isEmpty() && !isRemoval();
  }

  /**
   * Whether applying would change anything: an install, a removal of something present, a range
   * added or removed, a leftover to remove, or any other difference in the configuration below its
   * header (ports, mode, rules).
   */
  public boolean hasChanges() {
    return changes;
  }

  /** What {@link #hasChanges} answers, worked out once: a run asks it several times. */
  private boolean differs() {
    if (!leftovers.isEmpty()) {
      return true;
    }
    if (isRemoval()) {
      return currentConfig.isPresent();
    }
    if (isInstall() || !current.equals(desired())) {
      return true;
    }
    return !currentConfig.get().sameBodies(desiredConfig.get());
  }

  /**
   * A unified diff ({@code diff -u}) from the current to the desired configuration (for a removal,
   * to nothing), empty when they are equal; each leftover to remove is a line {@code # remove
   * leftover: ...}. Only what follows each file's header is compared and shown: a header says where
   * a list came from (for a live reading, the live system), not what the target holds, so a file
   * whose configuration is unchanged shows no lines at all.
   */
  public String diff() {
    StringBuilder out = new StringBuilder();
    Set<String> names = new LinkedHashSet<>();
    desiredConfig.ifPresent(d -> d.files().forEach(f -> names.add(f.name())));
    currentConfig.ifPresent(c -> c.files().forEach(f -> names.add(f.name())));
    for (String name : names) {
      out.append(
          UnifiedDiff.of(
              "current/" + name,
              "desired/" + name,
              body(currentConfig, name),
              body(desiredConfig, name)));
    }
    for (String leftover : leftovers) {
      out.append("# remove leftover: ").append(leftover).append('\n');
    }
    return out.toString();
  }

  private static String body(Optional<Rendered> config, String name) {
    return config.flatMap(c -> c.file(name)).map(Rendered.File::body).orElse("");
  }

  /**
   * One line such as {@code +2 -1 ranges (IPv4 +1 -1, IPv6 +1)}, {@code +0 -0 ranges (22 kept), new
   * configuration} or {@code no changes (22 ranges)}.
   */
  public String summary() {
    int added = 0;
    int removed = 0;
    List<String> parts = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      int a = added(family).size();
      int r = removed(family).size();
      added += a;
      removed += r;
      if (a > 0 || r > 0) {
        parts.add(family + (a > 0 ? " +" + a : "") + (r > 0 ? " -" + r : ""));
      }
    }
    String leftoverNote =
        leftovers.isEmpty() ? "" : "; removes leftover " + String.join(", ", leftovers);
    if (!hasChanges()) {
      return isRemoval() ? "nothing to remove" : "no changes (" + desired().size() + " ranges)";
    }
    if (isRemoval()) {
      return "removes all " + current.size() + " ranges" + leftoverNote;
    }
    if (added == 0 && removed == 0) {
      return "+0 -0 ranges ("
          + desired().size()
          + " kept)"
          + (configurationDiffers() ? ", new configuration" : "")
          + leftoverNote;
    }
    return "+"
        + added
        + " -"
        + removed
        + " ranges ("
        + String.join(", ", parts)
        + ")"
        + (isInstall() ? ", new install" : "")
        + leftoverNote;
  }

  private boolean configurationDiffers() {
    if (isRemoval() || currentConfig.isEmpty()) {
      return true;
    }
    Plan without = new Plan(target, currentConfig, current, snapshot, desiredConfig, List.of());
    return without.hasChanges();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Plan p
        && target.equals(p.target)
        && currentConfig.equals(p.currentConfig)
        && snapshot.equals(p.snapshot)
        && desiredConfig.equals(p.desiredConfig)
        && leftovers.equals(p.leftovers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(target, currentConfig, snapshot, desiredConfig, leftovers);
  }

  @Override
  public String toString() {
    return "Plan[" + target + ": " + summary() + "]";
  }
}
