package io.github.cfallowlist.testing;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.RawRanges.RawList;
import io.github.cfallowlist.RejectedRangesException;
import io.github.cfallowlist.Rendered;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * The jqwik generators every target's round-trip properties share: lists that pass the default
 * guards, and edits of a rendering (lines dropped, duplicated, swapped, cut or garbled).
 */
public final class RangeArbitraries {
  private RangeArbitraries() {}

  /**
   * Snapshots of 5 to 30 IPv4 and 5 to 15 IPv6 plausible public prefixes that pass {@link
   * Guards#defaults()}, as a round trip through a target's files starts from.
   */
  public static Arbitrary<RangeSnapshot> validSnapshots() {
    return Combinators.combine(
            v4().list().ofMinSize(5).ofMaxSize(30), v6().list().ofMinSize(5).ofMaxSize(15))
        .as(RangeArbitraries::validate)
        .filter(Optional::isPresent)
        .map(Optional::get);
  }

  private static Optional<RangeSnapshot> validate(List<String> v4, List<String> v6) {
    RawRanges raw =
        new RawRanges(
            List.of(
                new RawList("ipv4_cidrs", Optional.of(IpFamily.IPV4), v4),
                new RawList("ipv6_cidrs", Optional.of(IpFamily.IPV6), v6)),
            "generated",
            Optional.empty(),
            Instant.EPOCH);
    try {
      return Optional.of(Guards.defaults().validate(raw));
    } catch (RejectedRangesException e) {
      return Optional.empty();
    }
  }

  private static boolean passes(String cidr, Families family) {
    RawRanges raw =
        new RawRanges(
            List.of(new RawList("one", Optional.empty(), List.of(cidr))),
            "generated",
            Optional.empty(),
            Instant.EPOCH);
    try {
      Guards.defaults().withMinRanges(1).withFamilies(family).validate(raw);
      return true;
    } catch (RejectedRangesException e) {
      return false;
    }
  }

  private static Arbitrary<String> v4() {
    return Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(8, 32))
        .as(RangeArbitraries::v4Prefix)
        .filter(c -> passes(c, Families.IPV4));
  }

  private static Arbitrary<String> v6() {
    return Combinators.combine(
            Arbitraries.integers().between(0x2001, 0x2fff),
            Arbitraries.integers().between(0, 0xffff).list().ofSize(7),
            Arbitraries.integers().between(16, 128))
        .as(
            (top, rest, length) -> {
              StringBuilder text = new StringBuilder(Integer.toHexString(top));
              rest.forEach(g -> text.append(':').append(Integer.toHexString(g)));
              return Cidr.parseZeroingHostBits(text + "/" + length).toString();
            })
        .filter(c -> passes(c, Families.IPV6));
  }

  /**
   * {@code address} with the bits past {@code length} cleared, as IPv4 prefix text ({@code
   * 104.16.0.0/12}).
   */
  public static String v4Prefix(int address, int length) {
    int n = address & (-1 << (32 - length));
    return (n >>> 24)
        + "."
        + ((n >>> 16) & 0xff)
        + "."
        + ((n >>> 8) & 0xff)
        + "."
        + (n & 0xff)
        + "/"
        + length;
  }

  /** One to three {@linkplain Mutation edits}, made in turn. */
  public static Arbitrary<List<Mutation>> mutations() {
    return Mutation.arbitrary().list().ofMinSize(1).ofMaxSize(3);
  }

  /** One edit of one line of a rendered file. */
  public record Mutation(Kind kind, int line, int at, String text) {
    /** What the edit does to its line. */
    public enum Kind {
      DROP,
      DUPLICATE,
      SWAP_WITH_NEXT,
      REPLACE_CHARACTER,
      INSERT_TEXT,
      INSERT_LINE,
      CUT_FILE_HERE
    }

    /** Any edit, at any line and column, inserting text a parser must be wary of. */
    public static Arbitrary<Mutation> arbitrary() {
      Arbitrary<String> text =
          Arbitraries.oneOf(
              Arbitraries.of(
                  ";",
                  "{",
                  "}",
                  "\"",
                  "#",
                  "\t",
                  " ",
                  ",",
                  "/",
                  ":",
                  ".",
                  "0",
                  "9",
                  "f",
                  "\n",
                  "\r",
                  "\\",
                  "'",
                  "$(reboot)",
                  "drop",
                  "accept",
                  "\t10.0.0.0/8,",
                  "0.0.0.0/0"),
              Arbitraries.strings().ofMaxLength(8));
      return Combinators.combine(
              Arbitraries.of(Kind.class),
              Arbitraries.integers().between(0, 10_000),
              Arbitraries.integers().between(0, 200),
              text)
          .as(Mutation::new);
    }

    /** {@code mutations} applied in turn to the one file {@code fileChoice} picks. */
    public static Rendered applyAll(Rendered rendered, int fileChoice, List<Mutation> mutations) {
      List<Rendered.File> files = new ArrayList<>(rendered.files());
      int index = Math.floorMod(fileChoice, files.size());
      Rendered.File file = files.get(index);
      String content = file.content();
      for (Mutation m : mutations) {
        content = m.apply(content);
      }
      files.set(index, new Rendered.File(file.name(), content));
      return new Rendered(files);
    }

    /** {@code content} with this edit made. */
    public String apply(String content) {
      List<String> lines = new ArrayList<>(List.of(content.split("\n", -1)));
      int i = line % lines.size();
      String target = lines.get(i);
      int j = Math.min(at, target.length());
      switch (kind) {
        case DROP -> lines.remove(i);
        case DUPLICATE -> lines.add(i, target);
        case SWAP_WITH_NEXT -> {
          if (i + 1 < lines.size()) {
            lines.set(i, lines.get(i + 1));
            lines.set(i + 1, target);
          }
        }
        case REPLACE_CHARACTER ->
            lines.set(
                i,
                j < target.length()
                    ? target.substring(0, j) + text + target.substring(j + 1)
                    : target + text);
        case INSERT_TEXT -> lines.set(i, target.substring(0, j) + text + target.substring(j));
        case INSERT_LINE -> lines.add(i, text);
        case CUT_FILE_HERE -> {
          lines.subList(i + 1, lines.size()).clear();
          lines.set(i, target.substring(0, j));
        }
      }
      return String.join("\n", lines);
    }
  }
}
