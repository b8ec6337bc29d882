package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.PatchTool;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The diff is the one {@code diff -u} writes (the expected texts below are GNU diff's output for
 * the same files, without timestamps), and {@code patch} applies it exactly.
 */
class UnifiedDiffTest {
  private static final String HEAD = "--- current/f\n+++ desired/f\n";

  private static String diff(String from, String to) {
    return UnifiedDiff.of("current/f", "desired/f", from, to);
  }

  @Example
  void aNewFileIsOneHunkStartingAtLineZero() {
    assertThat(diff("", "a\nb\nc\n")).isEqualTo(HEAD + "@@ -0,0 +1,3 @@\n+a\n+b\n+c\n");
  }

  @Example
  void aDeletedFileIsOneHunkEndingAtLineZero() {
    assertThat(diff("a\nb\nc\n", "")).isEqualTo(HEAD + "@@ -1,3 +0,0 @@\n-a\n-b\n-c\n");
  }

  @Example
  void aRangeOfOneLineShowsOnlyItsStart() {
    assertThat(diff("a\n", "b\n")).isEqualTo(HEAD + "@@ -1 +1 @@\n-a\n+b\n");
  }

  @Example
  void anInsertionShowsThreeLinesOfContextOnEachSide() {
    assertThat(diff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nX\ne\nf\ng\nh\n"))
        .isEqualTo(HEAD + "@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n");
  }

  @Example
  void changesSixUnchangedLinesApartShareOneHunkAndSevenApartDoNot() {
    String from = lines(1, 16);
    assertThat(diff(from, from.replace("\n2\n", "\nX\n").replace("\n9\n", "\nY\n")))
        .isEqualTo(
            HEAD
                + "@@ -1,12 +1,12 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n 10\n 11\n 12\n");
    assertThat(diff(from, from.replace("\n2\n", "\nX\n").replace("\n10\n", "\nY\n")))
        .isEqualTo(
            HEAD
                + "@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n"
                + "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+Y\n 11\n 12\n 13\n");
  }

  @Example
  void aLastLineWithoutNewlineIsMarkedAndDiffersFromOneWithIt() {
    assertThat(diff("a\nb\n", "a\nb"))
        .isEqualTo(HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
  }

  @Example
  void equalTextsHaveNoDiff() {
    assertThat(diff("a\n", "a\n")).isEmpty();
    assertThat(diff("", "")).isEmpty();
  }

  @Property(tries = 150)
  void patchTurnsTheOldTextIntoTheNewOne(@ForAll("texts") String from, @ForAll("texts") String to)
      throws Exception {
    String diff = diff(from, to);
    if (from.equals(to)) {
      assertThat(diff).isEmpty();
      return;
    }
    assertThat(PatchTool.apply(Map.of("f", from), diff)).isEqualTo(Map.of("f", to));
  }

  /** {@code count} sorted lines {@code prefix + i}, one per range as a rendered list has them. */
  private static List<String> ranges(String prefix, int count) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(String.format(Locale.ROOT, "\t%s%06d,", prefix, i));
    }
    return out;
  }

  private static String text(List<String> lines) {
    return String.join("\n", lines) + "\n";
  }

  private static long count(String diff, char mark) {
    return diff.lines().filter(l -> l.charAt(0) == mark && !l.startsWith("--- ")).count();
  }

  @Example
  void aLongListReplacedByAnotherIsOneHunkOfEveryLine() {
    List<String> from = ranges("a", 100_000);
    List<String> to = ranges("b", 100_000);
    from.add(0, "table {");
    to.add(0, "table {");

    String diff = diff(text(from), text(to));

    assertThat(diff).startsWith(HEAD + "@@ -1,100001 +1,100001 @@\n table {\n-\ta000000,\n");
    assertThat(count(diff, '-')).isEqualTo(100_000);
    assertThat(count(diff, '+')).isEqualTo(100_000 + 1); // the "+++" line
  }

  @Example
  void aLongSortedListWithEveryOtherLineReplacedShowsOnlyThoseLines() {
    List<String> from = ranges("a", 100_000);
    List<String> to = new ArrayList<>(from);
    for (int i = 0; i < to.size(); i += 2) {
      to.set(i, to.get(i).replace('a', 'b'));
    }

    String diff = diff(text(from), text(to));

    assertThat(count(diff, '-')).isEqualTo(50_000);
    assertThat(count(diff, '+')).isEqualTo(50_000 + 1);
  }

  @Property(tries = 25)
  void patchTurnsALongTextIntoAnotherWithMovesRepeatsAndGaps(@ForAll long seed) throws Exception {
    Random random = new Random(seed);
    List<String> from = new ArrayList<>();
    int lines = PatienceDiff.MYERS_MAX_LINES + 1 + random.nextInt(1_500);
    for (int i = 0; i < lines; i++) {
      // Mostly lines found once, some found often, as in a rendered configuration.
      from.add(random.nextInt(10) == 0 ? "}" : "r" + random.nextInt(4_000));
    }
    List<String> to = new ArrayList<>(from);
    for (int edits = random.nextInt(60); edits >= 0 && to.size() > 100; edits--) {
      int at = random.nextInt(to.size());
      int length = Math.min(to.size() - at, 1 + random.nextInt(random.nextBoolean() ? 5 : 1_500));
      switch (random.nextInt(3)) {
        case 0 -> to.subList(at, at + length).clear();
        case 1 -> to.addAll(at, ranges("n" + edits + "-", length));
        default -> {
          List<String> moved = new ArrayList<>(to.subList(at, at + length));
          to.subList(at, at + length).clear();
          to.addAll(random.nextInt(to.size() + 1), moved);
        }
      }
    }
    String diff = diff(text(from), text(to));

    assertThat(PatchTool.apply(Map.of("f", text(from)), diff)).isEqualTo(Map.of("f", text(to)));
  }

  @Provide
  Arbitrary<String> texts() {
    // Few distinct lines, so texts share lines and hunks have context; sometimes no last newline.
    Arbitrary<List<String>> lines =
        Arbitraries.of("a", "b", "c", "d", "}", "").list().ofMaxSize(30);
    return net.jqwik.api.Combinators.combine(lines, Arbitraries.of(true, false))
        .as(
            (l, newline) -> {
              String text = String.join("\n", l);
              return l.isEmpty() ? "" : newline ? text + "\n" : text;
            });
  }

  private static String lines(int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i <= to; i++) {
      out.append(i).append('\n');
    }
    return out.toString();
  }
}
