package io.github.cfallowlist;

/**
 * The one policy for untrusted text in messages (a list entry, a line of a file, a command's
 * output): control characters and anything outside printable ASCII escaped, at most 80 characters,
 * so a message stays one readable line and never carries a terminal escape.
 */
public final class Printable {
  /** The most characters of untrusted text a message shows. */
  public static final int MAX = 80;

  private Printable() {}

  /** {@code text} made safe to show in a one-line message. */
  public static String of(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < text.length() && out.length() < MAX) {
      int c = text.codePointAt(i);
      if (c >= 0x20 && c < 0x7f) {
        out.append((char) c);
      } else if (c <= 0xff) {
        out.append(String.format("\\x%02x", c));
      } else {
        out.append(String.format("\\u{%x}", c));
      }
      i += Character.charCount(c);
    }
    if (i < text.length()) {
      out.append("...");
    }
    return out.toString();
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
