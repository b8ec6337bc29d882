package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Header;
import io.github.cfallowlist.RangeSnapshot;

/** Small helpers for writing XML text by hand, so the output is byte-for-byte deterministic. */
final class Xml {
  static final String DECLARATION = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

  private Xml() {}

  /** {@code value} escaped for a double-quoted attribute. */
  static String attr(String value) {
    return text(value).replace("\"", "&quot;");
  }

  /** {@code value} escaped for element content. */
  static String text(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        default -> out.append(c < 0x20 ? '?' : c);
      }
    }
    return out.toString();
  }

  /**
   * The declaration and the header as one XML comment. A comment may not hold {@code --}, and a
   * snapshot's source is free text (a file path may hold it), so each such pair is split.
   */
  static String prologue(RangeSnapshot snapshot) {
    StringBuilder out = new StringBuilder(DECLARATION).append("<!--\n");
    for (String line : Header.lines(snapshot)) {
      out.append("  ").append(commentSafe(line)).append('\n');
    }
    return out.append("-->\n").toString();
  }

  static String commentSafe(String line) {
    StringBuilder out = new StringBuilder(line.length());
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20) {
        c = '?';
      }
      if (c == '-' && out.length() > 0 && out.charAt(out.length() - 1) == '-') {
        out.append(' ');
      }
      out.append(c);
    }
    return out.toString();
  }
}
