package io.github.cfallowlist;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import java.util.ArrayList;
import java.util.List;

/**
 * A unified diff in the format of {@code diff -u} (without timestamps), so {@code patch} applies
 * it: three lines of context, hunks closer than twice that merged, a range of one line written as
 * its start alone ({@code @@ -4 +4 @@}), an empty range written as the line before it ({@code @@
 * -0,0 +1,37 @@} for a new file, {@code @@ -1,37 +0,0 @@} for a deleted one), and {@code \ No
 * newline at end of file} after a last line that lacks one. Long texts are diffed in time that does
 * not grow with the number of lines that differ ({@link PatienceDiff}).
 */
final class UnifiedDiff {
  static final int CONTEXT = 3;
  private static final String NO_NEWLINE = "\n\\ No newline at end of file";

  private UnifiedDiff() {}

  /**
   * The diff from {@code from} to {@code to}, each line ended with a newline; empty when the texts
   * are equal.
   */
  static String of(String fromName, String toName, String from, String to) {
    if (from.equals(to)) {
      return "";
    }
    List<String> a = lines(from);
    List<String> b = lines(to);
    List<AbstractDelta<String>> deltas = DiffUtils.diff(a, b, new PatienceDiff()).getDeltas();
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(fromName).append('\n');
    out.append("+++ ").append(toName).append('\n');
    int i = 0;
    while (i < deltas.size()) {
      // One hunk: this delta and every next one that starts within 2 * CONTEXT unchanged lines.
      int last = i;
      while (last + 1 < deltas.size()
          && deltas.get(last + 1).getSource().getPosition() - end(deltas.get(last))
              <= 2 * CONTEXT) {
        last++;
      }
      hunk(out, a, deltas.subList(i, last + 1));
      i = last + 1;
    }
    return out.toString();
  }

  private static int end(AbstractDelta<String> delta) {
    return delta.getSource().getPosition() + delta.getSource().size();
  }

  private static void hunk(StringBuilder out, List<String> a, List<AbstractDelta<String>> deltas) {
    AbstractDelta<String> first = deltas.get(0);
    AbstractDelta<String> lastDelta = deltas.get(deltas.size() - 1);
    int before = Math.min(CONTEXT, first.getSource().getPosition());
    int after = Math.min(CONTEXT, a.size() - end(lastDelta));
    int aStart = first.getSource().getPosition() - before;
    int bStart = first.getTarget().getPosition() - before;
    int aEnd = end(lastDelta) + after;
    int bEnd = lastDelta.getTarget().getPosition() + lastDelta.getTarget().size() + after;
    out.append("@@ -")
        .append(range(aStart, aEnd - aStart))
        .append(" +")
        .append(range(bStart, bEnd - bStart))
        .append(" @@\n");
    int pos = aStart;
    for (AbstractDelta<String> d : deltas) {
      for (; pos < d.getSource().getPosition(); pos++) {
        out.append(' ').append(a.get(pos)).append('\n');
      }
      for (String line : d.getSource().getLines()) {
        out.append('-').append(line).append('\n');
      }
      for (String line : d.getTarget().getLines()) {
        out.append('+').append(line).append('\n');
      }
      pos = end(d);
    }
    for (; pos < aEnd; pos++) {
      out.append(' ').append(a.get(pos)).append('\n');
    }
  }

  /** A hunk range as diff writes it: 0-based {@code start}, shown 1-based unless empty. */
  private static String range(int start, int count) {
    if (count == 1) {
      return Integer.toString(start + 1);
    }
    return (count == 0 ? start : start + 1) + "," + count;
  }

  /**
   * The lines of {@code text} without their newlines; a last line without one carries the {@code \
   * No newline} note, so it differs from the same line with a newline and prints with the note.
   */
  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int eol = text.indexOf('\n', start);
      if (eol < 0) {
        out.add(text.substring(start) + NO_NEWLINE);
        break;
      }
      out.add(text.substring(start, eol));
      start = eol + 1;
    }
    return out;
  }
}
