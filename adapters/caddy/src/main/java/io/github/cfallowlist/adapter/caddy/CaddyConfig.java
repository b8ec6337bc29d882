package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.kit.LineFile;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Caddyfile snippet: what it holds, how it is rendered and how it is parsed back, strictly
 * (anything cf-allowlist does not write is refused, naming the line).
 *
 * <p>The file, imported inside a site block: the generated header as {@code #} comments, a named
 * matcher {@value #MATCHER} for every connection that comes from none of the ranges (one {@code not
 * remote_ip CIDR} line per range, IPv4 then IPv6), and one {@code request_header} line that sets
 * {@code CF-Connecting-IP} to the connection's own address for those connections. After it, {@code
 * {http.request.header.CF-Connecting-IP}} is the visitor's address for a request through Cloudflare
 * and the client's own address for any other: a client outside Cloudflare cannot choose it. This
 * works on every Caddy 2 (Debian bookworm ships 2.6.2, which has no server-wide {@code
 * trusted_proxies} or {@code client_ip_headers}).
 *
 * <p>A file that carries the header but was edited by hand (drift) is read from disk with {@link
 * #live}: every line the strict parser refuses becomes a {@value #DRIFT} comment, so the reading
 * differs from any rendering and shows the line, and apply replaces the file. Only {@link
 * #parseLive} accepts those comments; {@link #parse} refuses them like any other hand edit.
 */
final class CaddyConfig {
  static final String COMMENT = "# ";

  /** The matcher's name: prefixed, so it does not clash with the user's own matchers. */
  static final String MATCHER = "@cf_allowlist_outside";

  static final String OPEN = MATCHER + " {";
  static final String RANGE = "not remote_ip";
  static final String CLOSE = "}";

  /** The only header set: Cloudflare sets it and overwrites a client's copy. */
  static final String HEADER_NAME = "CF-Connecting-IP";

  static final String SET_HEADER =
      "request_header " + MATCHER + " " + HEADER_NAME + " {http.request.remote.host}";

  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  static final String DRIFT = LineFile.DRIFT;

  private CaddyConfig() {}

  /**
   * The snippet for {@code ranges}.
   *
   * @throws IllegalArgumentException when there is no range: the matcher would then hold no {@code
   *     not remote_ip} line, which cf-allowlist never writes
   */
  static String render(RangeSnapshot snapshot, RangeSet ranges) {
    if (ranges.all().isEmpty()) {
      throw new IllegalArgumentException(
          "no range to trust: a Caddy snippet without a range would trust no Cloudflare address");
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    out.append(OPEN).append('\n');
    for (Cidr cidr : ranges.all()) {
      out.append('\t').append(RANGE).append(' ').append(cidr).append('\n');
    }
    out.append(CLOSE).append('\n');
    out.append(SET_HEADER).append('\n');
    return out.toString();
  }

  /**
   * The ranges the file holds.
   *
   * @throws ConfigParseException naming the file, the line number and the line it does not
   *     recognise
   */
  static RangeSet parse(String name, String content) {
    return parse(name, content, false);
  }

  /**
   * The ranges a {@linkplain #live live reading} holds: as {@link #parse}, but {@value #DRIFT} and
   * {@value LineFile#INCOMPLETE} lines are passed over and the file may end early.
   */
  static RangeSet parseLive(String name, String content) {
    return parse(name, content, true);
  }

  private static RangeSet parse(String name, String content, boolean live) {
    return LineFile.parse(content, new Parser(name), live, LineFile::isNote);
  }

  /**
   * {@code content}, a file that carries cf-allowlist's header, as the live state shows it (see
   * {@link LineFile#live}): each line the strict parser refuses as a {@value #DRIFT} comment in its
   * place. The result equals {@code content} exactly when {@link #parse} accepts {@code content}.
   */
  static String live(String name, String content) {
    return LineFile.live(content, () -> new Parser(name), LineFile::isNote, LineFile::drift);
  }

  /**
   * Caddy's error: {@code caddy validate} logs JSON lines and then says what is wrong on a line
   * that starts {@code Error:}; that line is shown without its prefixes, what is wrong first.
   */
  static String caddyError(CommandResult result) {
    String adapting = "adapting config using caddyfile: ";
    return Stream.of(result.stderr(), result.stdout())
        .flatMap(String::lines)
        .map(String::strip)
        .filter(l -> l.startsWith("Error:"))
        .findFirst()
        // The prefixes say nothing the message around it does not; the file and line matter.
        .map(l -> l.substring("Error:".length()).strip())
        .map(l -> l.startsWith(adapting) ? l.substring(adapting.length()) : l)
        .map(CaddyConfig::whatThenWhere)
        .orElseGet(() -> Printable.errorLine(result.firstErrorLine()));
  }

  /**
   * {@code FILE:LINE: WHAT} as {@code WHAT (FILE:LINE)}, each part cut on its own: a long path must
   * not hide what is wrong.
   */
  private static String whatThenWhere(String line) {
    Matcher m = WHERE.matcher(line);
    return m.matches()
        ? Printable.of(m.group(2)) + " (" + Printable.of(m.group(1)) + ")"
        : Printable.errorLine(line);
  }

  private static final Pattern WHERE = Pattern.compile("(\\S+:\\d+):? (.+)");

  /** Where a pass over a file is: the parts come in this order, each once. */
  private enum Part {
    HEADER,
    RANGES,
    CLOSED,
    DONE
  }

  /** One pass over a file: comments up to the header, then the matcher, then the header line. */
  private static final class Parser extends LineFile.HeaderedParser {
    private final List<Cidr> cidrs = new ArrayList<>();
    private Part part = Part.HEADER;

    Parser(String name) {
      super(name);
    }

    @Override
    protected void directive(int number, String line) {
      switch (part) {
        case HEADER -> {
          expect(number, line, OPEN);
          part = Part.RANGES;
        }
        case RANGES -> {
          if (line.equals(CLOSE)) {
            part = Part.CLOSED;
            return;
          }
          String[] words = line.split("\\s+", 0);
          if (words.length != 3 || !(words[0] + " " + words[1]).equals(RANGE)) {
            throw error(
                number,
                line,
                "is not a line cf-allowlist writes in its matcher (expected '"
                    + RANGE
                    + " CIDR' or '"
                    + CLOSE
                    + "')");
          }
          Cidr cidr;
          try {
            cidr = Cidr.parse(words[2]);
          } catch (IllegalArgumentException e) {
            throw error(number, line, "does not hold a valid CIDR: " + e.getMessage());
          }
          cidrs.add(cidr);
        }
        case CLOSED -> {
          expect(number, line, SET_HEADER);
          part = Part.DONE;
        }
        case DONE ->
            throw error(
                number,
                line,
                "comes after the last line cf-allowlist writes ('" + SET_HEADER + "')");
      }
    }

    private void expect(int number, String line, String expected) {
      if (!line.equals(expected)) {
        throw error(
            number, line, "is not the line cf-allowlist writes here (expected '" + expected + "')");
      }
    }

    @Override
    public RangeSet end(int lines, boolean live) {
      requireHeader();
      if (!live && part != Part.DONE) {
        throw refused("ends at line " + lines + " without '" + SET_HEADER + "'");
      }
      if (!live && cidrs.isEmpty()) {
        throw refused(
            "has no '"
                + RANGE
                + "' line, which cf-allowlist never writes (no Cloudflare address would be"
                + " trusted)");
      }
      return RangeSet.of(cidrs);
    }
  }
}
