package io.github.cfallowlist.kit;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A file cf-allowlist writes line by line, read back strictly and shown as the live state: what
 * every file-based target's parser shares, whatever the daemon's syntax.
 *
 * <p>{@link #parse} feeds each line, stripped, to a target's {@link Parser}, which refuses anything
 * cf-allowlist does not write by throwing {@link ConfigParseException} naming the line. A file that
 * carries the header but was edited by hand (drift) is read with {@link #live}: every line the
 * parser refuses becomes a {@value #DRIFT} comment, so the reading differs from any rendering and
 * shows the line, and apply replaces the file. Those notes are passed over only by a live parse.
 */
public final class LineFile {
  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  public static final String DRIFT = "# not written by cf-allowlist, apply replaces it: ";

  /** How a live reading shows a file that lacks a line cf-allowlist writes; never written. */
  public static final String INCOMPLETE = "# not as cf-allowlist writes it, apply replaces it: ";

  private LineFile() {}

  /**
   * One pass over a file. Every check must come before any change of state, so a refused line
   * leaves the parser as it was and a live reading can go on past it.
   */
  public interface Parser {
    /**
     * Reads one line.
     *
     * @param number the line's number, from 1
     * @param line the line without its surrounding blanks
     * @throws ConfigParseException naming the line, when cf-allowlist does not write it here
     */
    void line(int number, String line);

    /**
     * The ranges read, once every line has been.
     *
     * @param lines how many lines the file has
     * @param live whether the file is a live reading, which may lack lines cf-allowlist writes
     * @throws ConfigParseException when the file lacks what cf-allowlist always writes
     */
    RangeSet end(int lines, boolean live);

    /**
     * Whether lines reach {@link #line} with their surrounding whitespace stripped: yes by default;
     * a format whose indentation carries meaning (YAML) keeps it and judges it.
     */
    default boolean stripsLines() {
      return true;
    }
  }

  /**
   * The ranges {@code content} holds, read by {@code parser}; with {@code live}, lines {@code note}
   * accepts (a live reading's notes) are passed over.
   *
   * @throws ConfigParseException naming the file, the line number and the line it does not
   *     recognise
   */
  public static RangeSet parse(
      String content, Parser parser, boolean live, Predicate<String> note) {
    String[] lines = content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = parser.stripsLines() ? lines[i].strip() : lines[i];
      if (live && note.test(line)) {
        continue;
      }
      parser.line(i + 1, line);
    }
    return parser.end(lines.length, live);
  }

  /**
   * {@code content}, a file that carries cf-allowlist's header, as the live state shows it: each
   * line a fresh parser from {@code parsers} accepts as it is, each other line (and each line
   * {@code note} takes for a note) as {@code drift} of it in its place; a file that lacks a line
   * cf-allowlist writes but holds none it does not gets a last {@value #INCOMPLETE} line. The
   * result equals {@code content} exactly when a strict parse accepts {@code content}.
   */
  public static String live(
      String content,
      Supplier<? extends Parser> parsers,
      Predicate<String> note,
      UnaryOperator<String> drift) {
    ConfigParseException refused;
    try {
      parse(content, parsers.get(), false, note);
      return content;
    } catch (ConfigParseException e) {
      refused = e;
    }
    Parser parser = parsers.get();
    String[] lines = content.split("\n", -1);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = parser.stripsLines() ? lines[i].strip() : lines[i];
      boolean recognised = !note.test(line);
      if (recognised) {
        try {
          parser.line(i + 1, line);
        } catch (ConfigParseException e) {
          recognised = false;
        }
      }
      out.add(recognised ? lines[i] : drift.apply(line));
    }
    String text = String.join("\n", out);
    if (!text.equals(content)) {
      return text;
    }
    return (text.isEmpty() || text.endsWith("\n") ? text : text + "\n")
        + INCOMPLETE
        + refused.getMessage()
        + "\n";
  }

  /** Whether {@code line} is a {@value #DRIFT} or {@value #INCOMPLETE} note. */
  public static boolean isNote(String line) {
    return line.startsWith(DRIFT.strip()) || line.startsWith(INCOMPLETE.strip());
  }

  /** {@code line} as a {@value #DRIFT} note, escaped unless it is printable ASCII. */
  public static String drift(String line) {
    boolean plain = line.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    return DRIFT + (plain ? line : Printable.of(line));
  }

  /**
   * A parser for a {@code #}-commented file: comments up to cf-allowlist's header, none after it,
   * then the directives {@link #directive} reads.
   */
  public abstract static class HeaderedParser implements Parser {
    private final String name;
    private boolean marker;

    /** A parser for the file called {@code name} in messages. */
    protected HeaderedParser(String name) {
      this.name = name;
    }

    @Override
    public final void line(int number, String line) {
      if (line.isEmpty()) {
        return;
      }
      if (line.startsWith("#")) {
        if (marker) {
          throw error(number, line, "is a comment cf-allowlist does not write below its header");
        }
        marker = line.contains(Header.MARKER);
        return;
      }
      if (!marker) {
        throw error(
            number,
            line,
            "comes before any cf-allowlist header ('"
                + Header.MARKER
                + "'), so this file was not written by cf-allowlist");
      }
      directive(number, line);
    }

    /**
     * Reads one line below the header that is neither blank nor a comment.
     *
     * @throws ConfigParseException naming the line, when cf-allowlist does not write it here
     */
    protected abstract void directive(int number, String line);

    /**
     * Refuses a file that has no header.
     *
     * @throws ConfigParseException saying the file was not written by cf-allowlist
     */
    protected final void requireHeader() {
      if (!marker) {
        throw refused(
            "has no cf-allowlist header ('"
                + Header.MARKER
                + "'), so it was not written by cf-allowlist");
      }
    }

    /** The error for line {@code number}, {@code line}, saying {@code why}. */
    protected final ConfigParseException error(int number, String line, String why) {
      return new ConfigParseException(
          Printable.of(name) + " line " + number + ": '" + Printable.of(line) + "' " + why);
    }

    /** The error for the whole file, saying {@code why} after its name. */
    protected final ConfigParseException refused(String why) {
      return new ConfigParseException(Printable.of(name) + " " + why);
    }
  }
}
