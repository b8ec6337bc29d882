package io.github.cfallowlist;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
   * @param name what the list is called where it came from ({@code ipv4_cidrs}, a URL, a file's
   *     path), used in error messages
   * @param family the family every entry must have, or empty when the list mixes families
   * @param entries the entries, untrimmed
   * @param lines for a list read line by line, the line number of each entry (1-based), used in
   *     error messages; empty otherwise
   */
  public record RawList(
      String name, Optional<IpFamily> family, List<String> entries, List<Integer> lines) {
    /** Copies the entries and checks every component is present. */
    public RawList {
      if (name == null || family == null || entries == null || lines == null) {
        throw new IllegalArgumentException("name, family, entries and lines must not be null");
      }
      if (!lines.isEmpty() && lines.size() != entries.size()) {
        throw new IllegalArgumentException(
            "lines (" + lines.size() + ") must be empty or one per entry (" + entries.size() + ")");
      }
      // Nulls are kept: the guards refuse a null entry naming its list and line.
      entries = Collections.unmodifiableList(new ArrayList<>(entries));
      lines = List.copyOf(lines);
    }

    /** A list whose entries have no line numbers (a JSON array). */
    public RawList(String name, Optional<IpFamily> family, List<String> entries) {
      this(name, family, entries, List.of());
    }

    /** Where entry {@code index} is, for messages: the list's name and its line, if known. */
    String where(int index) {
      return lines.isEmpty() ? name : name + " line " + lines.get(index);
    }
  }
}
