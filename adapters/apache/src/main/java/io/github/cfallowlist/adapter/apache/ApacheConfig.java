package io.github.cfallowlist.adapter.apache;

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
import java.util.stream.Stream;

/**
 * The mod_remoteip snippet: what it holds, how it is rendered and how it is parsed back, strictly
 * (anything cf-allowlist does not write is refused, naming the line).
 *
 * <p>The file: the generated header as {@code #} comments, {@code RemoteIPHeader CF-Connecting-IP},
 * then one {@code RemoteIPTrustedProxy CIDR} per range (IPv4, then IPv6). {@code
 * RemoteIPTrustedProxy} (not {@code RemoteIPInternalProxy}) because Cloudflare's addresses are
 * public: Apache then takes the visitor's address from the header only when the connection comes
 * from one of the ranges, and the spoofable {@code X-Forwarded-For} is never read.
 *
 * <p>A file that carries the header but was edited by hand (drift) is read from disk with {@link
 * #live}: every line the strict parser refuses becomes a {@value #DRIFT} comment, so the reading
 * differs from any rendering and shows the line, and apply replaces the file. Only {@link
 * #parseLive} accepts those comments; {@link #parse} refuses them like any other hand edit.
 */
final class ApacheConfig {
  static final String COMMENT = "# ";
  static final String REMOTE_IP_HEADER = "RemoteIPHeader";
  static final String TRUSTED_PROXY = "RemoteIPTrustedProxy";

  /** The only header trusted: Cloudflare sets it and overwrites a client's copy. */
  static final String HEADER_NAME = "CF-Connecting-IP";

  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  static final String DRIFT = LineFile.DRIFT;

  private ApacheConfig() {}

  /**
   * The snippet for {@code ranges}.
   *
   * @throws IllegalArgumentException when there is no range: mod_remoteip without a trusted proxy
   *     would take the header from every client
   */
  static String render(RangeSnapshot snapshot, RangeSet ranges) {
    if (ranges.all().isEmpty()) {
      throw new IllegalArgumentException(
          "no range to trust: an Apache snippet without RemoteIPTrustedProxy would take"
              + " CF-Connecting-IP from every client");
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    out.append(REMOTE_IP_HEADER).append(' ').append(HEADER_NAME).append('\n');
    // One line per prefix, so an empty family writes no line at all.
    for (Cidr cidr : ranges.all()) {
      out.append(TRUSTED_PROXY).append(' ').append(cidr).append('\n');
    }
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
   * {@value LineFile#INCOMPLETE} lines are passed over and the {@code RemoteIPHeader} line may be
   * missing.
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
   * Apache's error: {@code apachectl -t} says where ({@code AH00526: Syntax error on line 3 of
   * FILE:}) on one line and what on the next; both are shown, joined, each cut to a printable line.
   */
  static String apacheError(CommandResult result) {
    List<String> lines =
        Stream.of(result.stderr(), result.stdout())
            .flatMap(String::lines)
            .map(String::strip)
            .filter(l -> !l.isEmpty())
            .toList();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("Syntax error")) {
        // Each part on its own: the where alone may take most of one printable line.
        return Printable.of(lines.get(i))
            + (i + 1 < lines.size() ? " " + Printable.of(lines.get(i + 1)) : "");
      }
    }
    return Printable.errorLine(result.firstErrorLine());
  }

  /** One pass over a file: comments up to the header, then directives. */
  private static final class Parser extends LineFile.HeaderedParser {
    private final List<Cidr> cidrs = new ArrayList<>();
    private boolean header;

    Parser(String name) {
      super(name);
    }

    @Override
    protected void directive(int number, String line) {
      String[] words = line.split("\\s+", 0);
      if (words.length == 2 && words[0].equals(REMOTE_IP_HEADER)) {
        if (!words[1].equals(HEADER_NAME)) {
          throw error(
              number,
              line,
              "trusts a header other than "
                  + HEADER_NAME
                  + "; cf-allowlist only writes '"
                  + REMOTE_IP_HEADER
                  + " "
                  + HEADER_NAME
                  + "'");
        }
        if (header) {
          throw error(number, line, "repeats the " + REMOTE_IP_HEADER + " line");
        }
        if (!cidrs.isEmpty()) {
          throw error(number, line, "comes after the ranges; cf-allowlist writes it before them");
        }
        header = true;
      } else if (words.length == 2 && words[0].equals(TRUSTED_PROXY)) {
        Cidr cidr;
        try {
          cidr = Cidr.parse(words[1]);
        } catch (IllegalArgumentException e) {
          throw error(number, line, "does not hold a valid CIDR: " + e.getMessage());
        }
        cidrs.add(cidr);
      } else {
        throw error(
            number,
            line,
            "is not a line cf-allowlist writes (expected '"
                + REMOTE_IP_HEADER
                + " "
                + HEADER_NAME
                + "' or '"
                + TRUSTED_PROXY
                + " CIDR')");
      }
    }

    @Override
    public RangeSet end(int lines, boolean live) {
      requireHeader();
      if (!live && !header) {
        throw refused(
            "ends at line " + lines + " without '" + REMOTE_IP_HEADER + " " + HEADER_NAME + "'");
      }
      if (!live && cidrs.isEmpty()) {
        throw refused(
            "has no "
                + TRUSTED_PROXY
                + " line, which cf-allowlist never writes (Apache would trust every client)");
      }
      return RangeSet.of(cidrs);
    }
  }
}
