package io.github.cfallowlist.adapter.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.RawRanges.RawList;
import io.github.cfallowlist.RejectedRangesException;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of the rendered real-IP and allow files over generated lists that pass {@link
 * Guards#defaults()}: parsing gives back exactly the ranges rendered, with and without the allow
 * file, for every family selection; and a rendering with lines dropped, duplicated, swapped, cut or
 * garbled is either read or refused with {@link ConfigParseException}, never anything else.
 */
class NginxRoundTripPropertyTest {
  private final NginxTarget target = new NginxTarget();

  @Property(tries = 200)
  void parseGivesBackExactlyTheRenderedRanges(
      @ForAll("snapshots") RangeSnapshot snapshot, @ForAll("options") TargetOptions options) {
    Rendered rendered = target.render(snapshot, options);

    assertThat(target.render(snapshot, options)).isEqualTo(rendered);
    assertThat(target.parse(rendered, options))
        .isEqualTo(snapshot.ranges().restrictTo(options.families()));
  }

  @Property(tries = 200)
  void aMutatedRenderingIsReadOrRefusedWithConfigParseException(
      @ForAll("snapshots") RangeSnapshot snapshot,
      @ForAll("options") TargetOptions options,
      @ForAll("mutations") List<Mutation> mutations,
      @ForAll int fileChoice) {
    // Most edits must be refused, or the generator is not reaching the parser's checks.
    Statistics.coverage(c -> c.check("refused").percentage(p -> p >= 25));
    Rendered rendered = target.render(snapshot, options);
    Rendered mutated = Mutation.applyAll(rendered, fileChoice, mutations);

    try {
      target.parse(mutated, options);
      Statistics.collect("read");
    } catch (ConfigParseException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      Statistics.collect("refused");
    } catch (RuntimeException | Error e) {
      throw new AssertionError("parse threw " + e + " on:\n" + mutated.text(), e);
    }
  }

  @Provide
  Arbitrary<TargetOptions> options() {
    List<TargetOptions> all = new ArrayList<>();
    for (Families families : Families.values()) {
      all.add(TestSupport.options(families));
      all.add(TestSupport.withAllow(families));
    }
    return Arbitraries.of(all);
  }

  @Provide
  Arbitrary<RangeSnapshot> snapshots() {
    return ValidLists.snapshots();
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    return Mutation.arbitrary().list().ofMinSize(1).ofMaxSize(3);
  }

  /** Lists of plausible public prefixes that pass the default guards. */
  static final class ValidLists {
    private ValidLists() {}

    static Arbitrary<RangeSnapshot> snapshots() {
      return Combinators.combine(
              v4().list().ofMinSize(5).ofMaxSize(30), v6().list().ofMinSize(5).ofMaxSize(15))
          .as(ValidLists::validate)
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
          .as(
              (a, length) -> {
                int n = a & (-1 << (32 - length));
                return (n >>> 24)
                    + "."
                    + ((n >>> 16) & 0xff)
                    + "."
                    + ((n >>> 8) & 0xff)
                    + "."
                    + (n & 0xff)
                    + "/"
                    + length;
              })
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
  }

  /** One edit of one line of a rendered file. */
  record Mutation(Kind kind, int line, int at, String text) {
    enum Kind {
      DROP,
      DUPLICATE,
      SWAP_WITH_NEXT,
      REPLACE_CHARACTER,
      INSERT_TEXT,
      INSERT_LINE,
      CUT_FILE_HERE
    }

    static Arbitrary<Mutation> arbitrary() {
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
    static Rendered applyAll(Rendered rendered, int fileChoice, List<Mutation> mutations) {
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

    String apply(String content) {
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
