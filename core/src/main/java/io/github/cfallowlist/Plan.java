package io.github.cfallowlist;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a target would change: the ranges added, removed and kept per family, and a unified diff of
 * the configuration text.
 *
 * @param target the target's name
 * @param currentConfig the configuration in place now, empty when the target holds none of its
 *     objects
 * @param current the ranges in place now (empty when nothing is installed)
 * @param snapshot the validated ranges to put in place
 * @param desiredConfig the configuration that holds them
 */
public record Plan(
    String target,
    Optional<Rendered> currentConfig,
    RangeSet current,
    RangeSnapshot snapshot,
    Rendered desiredConfig) {

  /** Checks every component is present. */
  public Plan {
    if (target == null
        || currentConfig == null
        || current == null
        || snapshot == null
        || desiredConfig == null) {
      throw new IllegalArgumentException("plan components must not be null");
    }
  }

  /**
   * The plan that takes {@code target} from {@code current} (a configuration it rendered before, or
   * empty when none is installed) to the ranges in {@code snapshot}.
   *
   * @throws ConfigParseException when {@code current} is not something the target wrote
   */
  public static Plan compute(
      Target target, RangeSnapshot snapshot, TargetOptions options, Optional<Rendered> current) {
    RangeSet currentRanges = current.map(c -> target.parse(c, options)).orElseGet(RangeSet::empty);
    return new Plan(
        target.name(), current, currentRanges, snapshot, target.render(snapshot, options));
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
    Set<Cidr> now = new HashSet<>(current.get(family));
    return desired().get(family).stream().filter(now::contains).toList();
  }

  private static List<Cidr> minus(List<Cidr> a, List<Cidr> b) {
    Set<Cidr> drop = new HashSet<>(b);
    return a.stream().filter(c -> !drop.contains(c)).toList();
  }

  /** Whether nothing is installed yet. */
  public boolean isInstall() {
    return currentConfig.isEmpty();
  }

  /**
   * Whether applying would change anything: an install, a range added or removed, or any other
   * difference in the configuration below its header (ports, mode, rules).
   */
  public boolean hasChanges() {
    if (isInstall() || !current.equals(desired())) {
      return true;
    }
    Rendered now = currentConfig.get();
    if (now.files().size() != desiredConfig.files().size()) {
      return true;
    }
    for (Rendered.File want : desiredConfig.files()) {
      Optional<Rendered.File> have = now.file(want.name());
      if (have.isEmpty() || !have.get().body().equals(want.body())) {
        return true;
      }
    }
    return false;
  }

  /** A unified diff from the current to the desired configuration, empty when they are equal. */
  public String diff() {
    StringBuilder out = new StringBuilder();
    for (Rendered.File want : desiredConfig.files()) {
      String have =
          currentConfig.flatMap(c -> c.file(want.name())).map(Rendered.File::content).orElse("");
      if (have.equals(want.content())) {
        continue;
      }
      List<String> a = lines(have);
      List<String> b = lines(want.content());
      List<String> diff =
          UnifiedDiffUtils.generateUnifiedDiff(
              "current/" + want.name(), "desired/" + want.name(), a, DiffUtils.diff(a, b), 3);
      for (String line : diff) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  /**
   * One line such as {@code +2 -1 ranges (IPv4 +1 -1, IPv6 +1)} or {@code no changes (22 ranges)}.
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
    if (!hasChanges()) {
      return String.format(Locale.ROOT, "no changes (%d ranges)", desired().size());
    }
    if (added == 0 && removed == 0) {
      return "ranges unchanged (" + desired().size() + "), configuration changes";
    }
    return String.format(
        Locale.ROOT,
        "+%d -%d ranges (%s)%s",
        added,
        removed,
        String.join(", ", parts),
        isInstall() ? ", new install" : "");
  }
}
