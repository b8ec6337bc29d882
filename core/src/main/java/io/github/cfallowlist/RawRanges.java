package io.github.cfallowlist;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a {@link RangeSource} read, before any guard ran: named lists of entries exactly as they
 * appeared, plus provenance. {@link Guards#validate(RawRanges)} turns it into a {@link
 * RangeSnapshot} or refuses it.
 */
public record RawRanges(
    List<RawList> lists, String source, Optional<String> etag, Instant fetchedAt) {

  /** Copies the lists and checks every component is present. */
  public RawRanges {
    if (lists == null || source == null || etag == null || fetchedAt == null) {
      throw new IllegalArgumentException("lists, source, etag and fetchedAt must not be null");
    }
    lists = List.copyOf(lists);
  }

  /**
   * One list as published.
   *
   * @param name what the list is called where it came from ({@code ipv4_cidrs}, {@code ips-v6}, a
   *     file name), used in error messages
   * @param family the family every entry must have, or empty when the list mixes families
   * @param entries the entries, untrimmed
   */
  public record RawList(String name, Optional<IpFamily> family, List<String> entries) {
    /** Copies the entries and checks every component is present. */
    public RawList {
      if (name == null || family == null || entries == null) {
        throw new IllegalArgumentException("name, family and entries must not be null");
      }
      entries = List.copyOf(entries);
    }
  }
}
