package io.github.cfallowlist;

import io.github.cfallowlist.RawRanges.RawList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The safety guards every list passes before anything is applied, as one pure validation step.
 *
 * @param minRanges fewest prefixes accepted per family in use (default 5)
 * @param shortestPrefixV4 shortest IPv4 prefix length accepted (default 8)
 * @param shortestPrefixV6 shortest IPv6 prefix length accepted (default 16)
 * @param families the families in use (default both)
 * @param maxShrink largest share of a family's ranges one run may remove without {@code
 *     allowShrink} (default 0.25)
 * @param allowShrink let a run remove more than {@code maxShrink}
 */
public record Guards(
    int minRanges,
    int shortestPrefixV4,
    int shortestPrefixV6,
    Families families,
    double maxShrink,
    boolean allowShrink) {

  /** Checks each limit is in range. */
  public Guards {
    if (minRanges < 1) {
      throw new IllegalArgumentException("minRanges (" + minRanges + ") must be at least 1");
    }
    if (shortestPrefixV4 < 1 || shortestPrefixV4 > 32) {
      throw new IllegalArgumentException(
          "shortestPrefixV4 (" + shortestPrefixV4 + ") must be between 1 and 32");
    }
    if (shortestPrefixV6 < 1 || shortestPrefixV6 > 128) {
      throw new IllegalArgumentException(
          "shortestPrefixV6 (" + shortestPrefixV6 + ") must be between 1 and 128");
    }
    if (families == null) {
      throw new IllegalArgumentException("families == null");
    }
    if (!(maxShrink >= 0 && maxShrink <= 1)) {
      throw new IllegalArgumentException("maxShrink (" + maxShrink + ") must be between 0 and 1");
    }
  }

  /** The safe defaults: 5 ranges per family, /8 and /16, both families, 25% shrink. */
  public static Guards defaults() {
    return new Guards(5, 8, 16, Families.BOTH, 0.25, false);
  }

  /** These guards with another minimum count per family. */
  public Guards withMinRanges(int value) {
    return new Guards(value, shortestPrefixV4, shortestPrefixV6, families, maxShrink, allowShrink);
  }

  /** These guards with other shortest prefixes. */
  public Guards withShortestPrefixes(int v4, int v6) {
    return new Guards(minRanges, v4, v6, families, maxShrink, allowShrink);
  }

  /** These guards for other families. */
  public Guards withFamilies(Families value) {
    return new Guards(minRanges, shortestPrefixV4, shortestPrefixV6, value, maxShrink, allowShrink);
  }

  /** These guards with another shrink limit. */
  public Guards withShrink(double share, boolean allow) {
    return new Guards(minRanges, shortestPrefixV4, shortestPrefixV6, families, share, allow);
  }

  /**
   * Validates every entry of {@code raw} and returns the normalized ranges of the families in use.
   *
   * @throws RejectedRangesException naming the first offending entry and its list
   */
  public RangeSnapshot validate(RawRanges raw) {
    List<Cidr> all = new ArrayList<>();
    for (RawList list : raw.lists()) {
      for (int i = 0; i < list.entries().size(); i++) {
        all.add(check(list.entries().get(i), list.family(), list, i, raw.source()));
      }
    }
    RangeSet ranges = RangeSet.of(all).restrictTo(families);
    requireMinimum(ranges, raw.source());
    return new RangeSnapshot(ranges, raw.source(), raw.etag(), raw.fetchedAt());
  }

  /** Refuses {@code ranges} when a family in use holds fewer than {@link #minRanges}. */
  private void requireMinimum(RangeSet ranges, String source) {
    for (IpFamily family : families.members()) {
      int count = ranges.get(family).size();
      if (count < minRanges) {
        throw new RejectedRangesException(
            String.format(
                Locale.ROOT,
                "%s holds %d %s range%s, fewer than the minimum of %d (--min-ranges)",
                source,
                count,
                family,
                count == 1 ? "" : "s",
                minRanges));
      }
    }
  }

  /**
   * Checks a snapshot that {@link #validate} did not return (one built by hand, or kept from
   * elsewhere) as a list is checked: every range, and the count per family in use. Returns the
   * snapshot restricted to those families.
   *
   * @throws RejectedRangesException naming the first offending range
   */
  public RangeSnapshot check(RangeSnapshot snapshot) {
    RangeSnapshot managed = snapshot.restrictTo(families);
    for (IpFamily family : families.members()) {
      // Named for messages only: the ranges are checked as they are, not as text again.
      RawList named = new RawList(family + " ranges", Optional.of(family), List.of());
      for (Cidr cidr : managed.ranges().get(family)) {
        admit(cidr, null, named, 0, snapshot.source());
      }
    }
    requireMinimum(managed.ranges(), snapshot.source());
    return managed;
  }

  /** " in LIST line N from SOURCE", naming the source only when the list's name does not. */
  private static String where(RawList list, int index, String source) {
    return " in " + list.where(index) + (source.contains(list.name()) ? "" : " from " + source);
  }

  /**
   * Checks one entry; {@code where} (its list, line and source) is built only for a message, so a
   * list that passes never builds one.
   */
  private Cidr check(
      String entry, Optional<IpFamily> family, RawList list, int index, String source) {
    if (entry == null) {
      throw new RejectedRangesException(
          "a null entry" + where(list, index, source) + " is not a CIDR");
    }
    Cidr cidr;
    try {
      cidr = Cidr.parse(entry);
    } catch (IllegalArgumentException e) {
      throw new RejectedRangesException(e.getMessage() + where(list, index, source), e);
    }
    Optional<IpFamily> expected = family;
    if (expected.isPresent() && expected.get() != cidr.family()) {
      String text = AddressParsing.quote(entry);
      String where = where(list, index, source);
      throw new RejectedRangesException(
          text
              + " is an "
              + cidr.family()
              + " range"
              + where
              + ", which must hold only "
              + expected.get()
              + " ranges");
    }
    return admit(cidr, entry, list, index, source);
  }

  /**
   * Why {@link #admit} refuses {@code cidr}, as the end of a sentence that names it (the default
   * route, a special-purpose block, broader than the shortest prefix); empty when it passes.
   */
  private Optional<String> refusal(Cidr cidr) {
    if (cidr.prefixLength() == 0) {
      return Optional.of(" is the default route, which would admit every address");
    }
    Optional<SpecialPurpose.Block> special = SpecialPurpose.overlapping(cidr);
    if (special.isPresent()) {
      return Optional.of(
          " overlaps "
              + special.get().cidr()
              + ", "
              + special.get().name()
              + ", which is never a Cloudflare range");
    }
    int shortest = cidr.family() == IpFamily.IPV4 ? shortestPrefixV4 : shortestPrefixV6;
    if (cidr.prefixLength() < shortest) {
      return Optional.of(
          " is broader than /" + shortest + ", the shortest prefix allowed for " + cidr.family());
    }
    return Optional.empty();
  }

  /** Whether {@link #admit} lets {@code cidr} pass. */
  private boolean admissible(Cidr cidr) {
    return refusal(cidr).isEmpty();
  }

  /**
   * Checks one prefix against the guards that do not depend on how it was written: the default
   * route, the special-purpose blocks and the shortest prefix. {@code entry} is its text as given
   * (null for a prefix that was never text), quoted only in a message.
   */
  private Cidr admit(Cidr cidr, String entry, RawList list, int index, String source) {
    Optional<String> why = refusal(cidr);
    if (why.isPresent()) {
      String text = AddressParsing.quote(entry == null ? cidr.toString() : entry);
      throw new RejectedRangesException(text + where(list, index, source) + why.get());
    }
    return cidr;
  }

  /**
   * Refuses a plan that would remove more than {@link #maxShrink()} of a family's current ranges,
   * unless {@link #allowShrink()}. Only the families in use count: dropping a family with {@link
   * #families()} is the caller's choice, not a shrunken list. Only ranges these guards would admit
   * in a list count: removing the default route, a special-purpose block or a range broader than
   * the shortest prefix (a hand edit that opened the origin to everyone) never is a shrunken list.
   *
   * <p>Where the live ranges cannot be counted, the share is taken of the list this version embeds
   * instead, so that a short list still cannot lock Cloudflare out: while a family holds such a
   * range (a range set merges the ranges it covers into it, so they are hidden), and while a family
   * holds no range where these options keep them but the plan removes {@linkplain Plan#leftovers()
   * leftovers} (options that moved the ranges elsewhere: the objects that held them go with this
   * change, uncounted).
   *
   * @throws RejectedRangesException naming the family and the share
   */
  public void checkShrink(Plan plan) {
    if (allowShrink) {
      return;
    }
    RangeSet embeddedList = null; // read only when a family needs it
    for (IpFamily family : families.members()) {
      List<Cidr> current = plan.current().get(family);
      List<Cidr> admitted = current.stream().filter(this::admissible).toList();
      Optional<String> hidden = hidden(plan, family, current, admitted);
      if (hidden.isPresent()) {
        embeddedList = embeddedList != null ? embeddedList : embeddedRanges();
        List<Cidr> embedded = embeddedList.get(family);
        List<Cidr> desired = plan.desired().get(family);
        int left = (int) embedded.stream().filter(c -> !desired.contains(c)).count();
        if (left > maxShrink * embedded.size()) {
          throw new RejectedRangesException(
              String.format(
                  Locale.ROOT,
                  "the new list would leave out %d of the %d %s ranges of the list this version"
                      + " embeds (%.0f%%), more than the %.0f%% allowed per run, and %s; re-run"
                      + " with --allow-shrink if this is expected",
                  left,
                  embedded.size(),
                  family,
                  100.0 * left / embedded.size(),
                  100 * maxShrink,
                  hidden.get()));
        }
        continue;
      }
      int before = admitted.size();
      int removed = plan.removed(family).size();
      if (before > 0 && removed > maxShrink * before) {
        throw new RejectedRangesException(
            String.format(
                Locale.ROOT,
                "the new list would remove %d of %d %s ranges from %s (%.0f%%), more than the"
                    + " %.0f%% allowed per run; re-run with --allow-shrink if this is expected",
                removed,
                before,
                family,
                plan.target(),
                100.0 * removed / before,
                100 * maxShrink));
      }
    }
  }

  /** Why {@code family}'s live ranges cannot be counted in {@code plan}, if they cannot. */
  private Optional<String> hidden(
      Plan plan, IpFamily family, List<Cidr> current, List<Cidr> admitted) {
    if (admitted.size() < current.size()) {
      Cidr broad = current.stream().filter(c -> !admissible(c)).findFirst().orElseThrow();
      return Optional.of(
          plan.target()
              + " holds a range no list would (such as "
              + broad
              + "), which hides the ranges it had");
    }
    if (current.isEmpty() && !plan.leftovers().isEmpty()) {
      return Optional.of(
          plan.target()
              + " holds no "
              + family
              + " range where these settings keep them, while the change removes "
              + String.join(", ", plan.leftovers())
              + ", which may hold the ranges it had");
    }
    return Optional.empty();
  }

  /** The list this version embeds: the baseline where the live one is hidden. */
  private static RangeSet embeddedRanges() {
    try {
      return defaults().validate(RangeSource.embedded().fetch()).ranges();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The guard every firewall target runs before rendering a restriction: in {@link Mode#RESTRICT}
   * each family in use must hold at least one range, since a restrict rule over an empty set would
   * refuse everyone, Cloudflare included, on the managed ports.
   *
   * @throws CfAllowlistException naming the target and the empty family
   */
  public static void requireRangesToRestrict(
      String target, RangeSet ranges, TargetOptions options) {
    if (options.mode() != Mode.RESTRICT) {
      return;
    }
    for (IpFamily family : options.families().members()) {
      if (ranges.get(family).isEmpty()) {
        throw new CfAllowlistException(
            target
                + ": there is no "
                + family
                + " range to allow, and restricting with an empty list would refuse everyone on"
                + " ports "
                + options.ports().stream().map(String::valueOf).collect(Collectors.joining(", "))
                + "; use --family to leave "
                + family
                + " out; nothing was changed");
      }
    }
  }
}
