package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.PatchTool;
import java.util.List;
import java.util.Map;
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
