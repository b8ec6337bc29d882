package io.github.cfallowlist;

import com.github.difflib.algorithm.Change;
import com.github.difflib.algorithm.DiffAlgorithmI;
import com.github.difflib.algorithm.DiffAlgorithmListener;
import com.github.difflib.algorithm.myers.MeyersDiff;
import com.github.difflib.patch.DeltaType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The line diff behind {@link UnifiedDiff}: Myers' algorithm (java-diff-utils') for short texts,
 * and for long ones a patience diff, whose time does not grow with the number of differing lines.
 *
 * <p>Myers' algorithm finds a shortest diff in time proportional to the texts' length times the
 * number of lines that differ: the configurations of two lists of 100,000 ranges with half their
 * ranges apart took minutes. A patience diff anchors the texts on the lines each holds exactly once
 * (almost every line of a rendered list), keeps the longest run of those anchors that comes in the
 * same order on both sides, and diffs the gaps between anchors the same way. A gap without an
 * anchor goes to Myers' algorithm when short, and is otherwise one change: the diff may then be
 * longer than the shortest one, never wrong. For two sorted lists of ranges it is the shortest.
 */
final class PatienceDiff implements DiffAlgorithmI<String> {
  /**
   * Texts or gaps of at most this many lines, both sides together, go to Myers' algorithm, whose
   * worst case (every line differs) is then a few million steps.
   */
  static final int MYERS_MAX_LINES = 2_000;

  /** Segments of both sides still to diff: {@code from} and {@code to} line ranges, half open. */
  private record Segment(int aLo, int aHi, int bLo, int bHi) {}

  @Override
  public List<Change> computeDiff(
      List<String> source, List<String> target, DiffAlgorithmListener progress) {
    if (source.size() + target.size() <= MYERS_MAX_LINES) {
      return new MeyersDiff<String>().computeDiff(source, target, progress);
    }
    List<Change> out = new ArrayList<>();
    // Segments are taken in order: those a segment splits into go on top, last one first.
    Deque<Segment> todo = new ArrayDeque<>();
    todo.push(new Segment(0, source.size(), 0, target.size()));
    while (!todo.isEmpty()) {
      diff(source, target, todo.pop(), todo, out);
    }
    return out;
  }

  private static void diff(
      List<String> a, List<String> b, Segment s, Deque<Segment> todo, List<Change> out) {
    int aLo = s.aLo();
    int aHi = s.aHi();
    int bLo = s.bLo();
    int bHi = s.bHi();
    while (aLo < aHi && bLo < bHi && a.get(aLo).equals(b.get(bLo))) {
      aLo++;
      bLo++;
    }
    while (aLo < aHi && bLo < bHi && a.get(aHi - 1).equals(b.get(bHi - 1))) {
      aHi--;
      bHi--;
    }
    if (aLo == aHi && bLo == bHi) {
      return;
    }
    if (aLo == aHi || bLo == bHi) {
      DeltaType type = aLo == aHi ? DeltaType.INSERT : DeltaType.DELETE;
      out.add(new Change(type, aLo, aHi, bLo, bHi));
      return;
    }
    int[] anchors = anchors(a, aLo, aHi, b, bLo, bHi);
    if (anchors.length == 0) {
      gap(a, b, new Segment(aLo, aHi, bLo, bHi), out);
      return;
    }
    // anchors holds pairs (line in a, line in b), increasing on both sides.
    int pairs = anchors.length / 2;
    todo.push(new Segment(anchors[2 * pairs - 2] + 1, aHi, anchors[2 * pairs - 1] + 1, bHi));
    for (int k = pairs - 1; k > 0; k--) {
      todo.push(
          new Segment(
              anchors[2 * k - 2] + 1, anchors[2 * k], anchors[2 * k - 1] + 1, anchors[2 * k + 1]));
    }
    todo.push(new Segment(aLo, anchors[0], bLo, anchors[1]));
  }

  /** A gap without anchors: Myers' diff when short, otherwise one change. */
  private static void gap(List<String> a, List<String> b, Segment s, List<Change> out) {
    int aLen = s.aHi() - s.aLo();
    int bLen = s.bHi() - s.bLo();
    if (aLen + bLen > MYERS_MAX_LINES) {
      out.add(new Change(DeltaType.CHANGE, s.aLo(), s.aHi(), s.bLo(), s.bHi()));
      return;
    }
    List<Change> inner =
        new MeyersDiff<String>()
            .computeDiff(a.subList(s.aLo(), s.aHi()), b.subList(s.bLo(), s.bHi()), null);
    for (Change c : inner) {
      out.add(
          new Change(
              c.deltaType,
              c.startOriginal + s.aLo(),
              c.endOriginal + s.aLo(),
              c.startRevised + s.bLo(),
              c.endRevised + s.bLo()));
    }
  }

  /**
   * The lines found exactly once in {@code a[aLo, aHi)} and once in {@code b[bLo, bHi)}, as pairs
   * of positions {@code (i, j)} flattened into one array: the longest sequence of them increasing
   * on both sides (patience sorting: a longest increasing subsequence of {@code j} in the order of
   * {@code i}).
   */
  private static int[] anchors(List<String> a, int aLo, int aHi, List<String> b, int bLo, int bHi) {
    // For each line: how often in a, where in a, how often in b, where in b.
    Map<String, int[]> seen = new HashMap<>();
    for (int i = aLo; i < aHi; i++) {
      int[] e = seen.computeIfAbsent(a.get(i), k -> new int[4]);
      e[0]++;
      e[1] = i;
    }
    for (int j = bLo; j < bHi; j++) {
      int[] e = seen.get(b.get(j));
      if (e != null) {
        e[2]++;
        e[3] = j;
      }
    }
    List<int[]> unique = new ArrayList<>();
    for (int i = aLo; i < aHi; i++) {
      int[] e = seen.get(a.get(i));
      if (e[0] == 1 && e[2] == 1) {
        unique.add(new int[] {i, e[3]});
      }
    }
    int n = unique.size();
    if (n == 0) {
      return new int[0];
    }
    // tails[len - 1]: index in unique of the smallest last j of an increasing run of length len.
    int[] tails = new int[n];
    int[] previous = new int[n];
    int length = 0;
    for (int k = 0; k < n; k++) {
      int j = unique.get(k)[1];
      int lo = 0;
      int hi = length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (unique.get(tails[mid])[1] < j) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      previous[k] = lo > 0 ? tails[lo - 1] : -1;
      tails[lo] = k;
      if (lo == length) {
        length++;
      }
    }
    int[] out = new int[2 * length];
    for (int k = tails[length - 1], at = length - 1; k >= 0; k = previous[k], at--) {
      out[2 * at] = unique.get(k)[0];
      out[2 * at + 1] = unique.get(k)[1];
    }
    return out;
  }
}
