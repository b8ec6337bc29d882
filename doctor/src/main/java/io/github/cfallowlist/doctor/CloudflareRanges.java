package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Cloudflare's ranges, sorted, for the question the checks ask of every address they read: which
 * range does it share addresses with? A lookup costs a logarithm of the list, so a ban list of
 * thousands of entries against thousands of ranges stays fast.
 */
final class CloudflareRanges {
  private final NavigableSet<Cidr> sorted;

  private CloudflareRanges(NavigableSet<Cidr> sorted) {
    this.sorted = sorted;
  }

  /** The ranges of {@code set}, which is normalized: no range overlaps another. */
  static CloudflareRanges of(RangeSet set) {
    return new CloudflareRanges(new TreeSet<>(set.all()));
  }

  /** The range that {@code block} lies in or holds part of, if any. */
  Optional<Cidr> overlapping(Cidr block) {
    // Ranges never overlap each other, so only the nearest range at or before the block can
    // contain it and only the nearest at or after it can lie inside it.
    Cidr before = sorted.floor(block);
    if (before != null && before.overlaps(block)) {
      return Optional.of(before);
    }
    Cidr after = sorted.ceiling(block);
    if (after != null && after.overlaps(block)) {
      return Optional.of(after);
    }
    return Optional.empty();
  }

  /** The first range any of {@code blocks} overlaps. */
  Optional<Cidr> overlapping(List<Cidr> blocks) {
    for (Cidr b : blocks) {
      Optional<Cidr> hit = overlapping(b);
      if (hit.isPresent()) {
        return hit;
      }
    }
    return Optional.empty();
  }

  /**
   * The prefixes an address, a prefix ({@code 10.0.0.0/8}) or a range ({@code 10.0.0.1-10.0.0.9})
   * as firewalls and ban tools print them stands for; empty when the text is none of these.
   */
  static List<Cidr> blocks(String text) {
    String t = text.strip();
    try {
      int dash = t.indexOf('-');
      if (dash > 0) {
        return Cidr.span(t.substring(0, dash), t.substring(dash + 1));
      }
      if (t.indexOf('/') > 0) {
        return List.of(Cidr.parseZeroingHostBits(t));
      }
      return Cidr.host(t).map(List::of).orElse(List.of());
    } catch (IllegalArgumentException e) {
      return List.of();
    }
  }

  /** The first address of {@code range}, the one the route check asks about. */
  static String firstAddress(Cidr range) {
    String s = range.toString();
    return s.substring(0, s.indexOf('/'));
  }
}
