package io.github.cfallowlist;

import java.time.Instant;
import java.util.Optional;

/**
 * Validated ranges together with where they came from: the source's name, the body's etag when it
 * has one, and when they were fetched (or recorded, for the embedded snapshot).
 */
public record RangeSnapshot(
    RangeSet ranges, String source, Optional<String> etag, Instant fetchedAt) {
  private static final String LIVE = "live ";

  /** Checks every component is present. */
  public RangeSnapshot {
    if (ranges == null) {
      throw new IllegalArgumentException("ranges == null");
    }
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("source is blank");
    }
    if (etag == null) {
      throw new IllegalArgumentException("etag == null (use Optional.empty())");
    }
    if (fetchedAt == null) {
      throw new IllegalArgumentException("fetchedAt == null");
    }
  }

  /** This snapshot with other ranges, same provenance. */
  public RangeSnapshot withRanges(RangeSet other) {
    return new RangeSnapshot(other, source, etag, fetchedAt);
  }

  /** This snapshot with only the ranges of {@code families} (this one when it holds no other). */
  public RangeSnapshot restrictTo(Families families) {
    RangeSet kept = ranges.restrictTo(families);
    return kept.size() == ranges.size() ? this : withRanges(kept);
  }

  /**
   * The provenance used when a target renders what it read from the live system: the source is
   * {@code live TARGET}, with no etag and no fetch time, so the same live state always renders the
   * same bytes.
   */
  public static RangeSnapshot live(RangeSet ranges, String target) {
    return new RangeSnapshot(ranges, LIVE + target, Optional.empty(), Instant.EPOCH);
  }

  /** Whether this is the provenance {@link #live} gives. */
  public boolean isLive() {
    return source.startsWith(LIVE) && etag.isEmpty() && fetchedAt.equals(Instant.EPOCH);
  }
}
