package io.github.cfallowlist;

/**
 * The one policy for untrusted text in messages (a list entry, a line of a file, a command's
 * output): control characters and anything outside printable ASCII escaped, at most 80 characters,
 * so a message stays one readable line and never carries a terminal escape.
 */
public final class Printable {
  /** The most characters of untrusted text a message shows. */
  public static final int MAX = 80;

  /**
   * The most characters of a daemon's error line a message shows ({@link #errorLine}): what it
   * names last (a file, a line number, the reason) is what a sysadmin needs.
   */
  public static final int ERROR_LINE_MAX = 200;

  private Printable() {}

  /** {@code text} made safe to show in a one-line message. */
  public static String of(String text) {
    return of(text, MAX);
  }

  /**
   * A command's error line made safe as {@link #of} makes text safe, with at most {@value
   * #ERROR_LINE_MAX} characters: errors such as {@code Error decoding parsing configuration file
   * 'PATH': yaml: line 4: did not find expected node content} say what is wrong after the path.
   */
  public static String errorLine(String text) {
    return of(text, ERROR_LINE_MAX);
  }

  private static String of(String text, int max) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < text.length() && out.length() < max) {
      int c = text.codePointAt(i);
      if (c >= 0x20 && c < 0x7f) {
        out.append((char) c);
      } else {
        escape(out, c);
      }
      i += Character.charCount(c);
    }
    if (i < text.length()) {
      out.append("...");
    }
    return out.toString();
  }

  /**
   * {@code text} with every control and format character escaped as {@link #of} escapes it, and
   * nothing else changed or cut: for a whole message that may carry a value from the command line,
   * a configuration file or a server, which must not reach a terminal as an escape sequence, while
   * other text (a path with accents) stays as it is.
   */
  public static String withoutControls(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int type = Character.getType(c);
      boolean control =
          type == Character.CONTROL || type == Character.FORMAT || c == '\u2028' || c == '\u2029';
      if (control && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (out != null) {
        if (control) {
          escape(out, c);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? text : out.toString();
  }

  /**
   * Appends code point {@code c} escaped: a backslash, x and two hex digits up to 0xff, else u and
   * the hex digits in braces.
   */
  private static void escape(StringBuilder out, int c) {
    out.append(String.format(c <= 0xff ? "\\x%02x" : "\\u{%x}", c));
  }

  /**
   * The message of {@code e} as one line: line breaks folded to spaces and the ends stripped, or
   * the simple name of its class when the message is blank. Neither escaped nor shortened: a
   * message that may carry untrusted text goes through {@link #of} as well.
   */
  public static String message(Throwable e) {
    String text = e.getMessage();
    if (text == null || text.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return text.replace('\n', ' ').strip();
  }
}
