package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two nginx include files: what they hold, how they are rendered and how they are parsed back,
 * strictly (anything cf-allowlist does not write is refused, naming the line).
 *
 * <p>A file that carries cf-allowlist's header but was edited by hand (drift) is read from disk
 * with {@link #live}: every line the strict parser refuses becomes a {@value #DRIFT} comment, so
 * the reading differs from any rendering and shows the line, and apply replaces the file. Only
 * {@link #parseLive} accepts those comments (and a file missing a line cf-allowlist writes); {@link
 * #parse} refuses them like any other hand edit.
 *
 * <p>The real-IP file: the generated header, a {@code # allow file: PATH} line when an allow file
 * is configured (so a later run that no longer asks for it can find and remove it), one {@code
 * set_real_ip_from CIDR;} per range and {@code real_ip_header CF-Connecting-IP;}.
 *
 * <p>The allow file: the generated header, fixed comment lines saying how to use it, then {@code
 * geo $realip_remote_addr $cloudflare_edge { default 0; CIDR 1; ... }}. It keys on {@code
 * $realip_remote_addr}, the address of the connection itself, because nginx's {@code allow} and
 * {@code deny} see the address the real-IP module put in place (the visitor's) and would refuse
 * every real visitor.
 */
final class NginxConfig {
  static final String COMMENT = "# ";
  static final String SET_REAL_IP_FROM = "set_real_ip_from";
  static final String REAL_IP_HEADER = "real_ip_header";

  /** The only header trusted: Cloudflare sets it and overwrites a client's copy. */
  static final String HEADER_NAME = "CF-Connecting-IP";

  static final String ALLOW_FILE_NOTE = "allow file: ";

  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  static final String DRIFT = "# not written by cf-allowlist, apply replaces it: ";

  /**
   * How a live reading shows a file that lacks something cf-allowlist writes (a line removed by
   * hand); never written to a file.
   */
  static final String INCOMPLETE = "# not as cf-allowlist writes it, apply replaces it: ";

  static final String GEO = "geo";
  static final String GEO_OPEN = "geo $realip_remote_addr $cloudflare_edge {";
  static final String GEO_CLOSE = "}";
  static final String INDENT = "    ";
  static final String DEFAULT = "default";
  static final String ALL_V4 = "0.0.0.0/0";
  static final String ALL_V6 = "::/0";

  /** What the user writes in a server block to admit only Cloudflare. */
  static final String GUARD = "if ($cloudflare_edge = 0) { return 403; }";

  /** The comment lines below the allow file's header, without the comment marker. */
  static final List<String> ALLOW_USAGE =
      List.of(
          "Include this file in the http block (conf.d/*.conf is). It sets $cloudflare_edge to 1",
          "when the connection itself comes from a Cloudflare range ($realip_remote_addr, the",
          "address before the real-IP module put CF-Connecting-IP in its place), else to 0.",
          "allow/deny would see the visitor's address instead and refuse every real visitor.",
          "Admit only Cloudflare to a server by adding to it:",
          "    " + GUARD);

  private NginxConfig() {}

  /** Which of the two files. */
  enum Kind {
    REAL_IP,
    ALLOW
  }

  /**
   * What a file holds.
   *
   * @param ranges the prefixes
   * @param allowFile for a real-IP file, the allow file it records, if any
   */
  record Parsed(RangeSet ranges, Optional<String> allowFile) {}

  static String renderRealIp(RangeSnapshot snapshot, RangeSet ranges, Optional<String> allowFile) {
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    allowFile.ifPresent(p -> out.append(COMMENT).append(ALLOW_FILE_NOTE).append(p).append('\n'));
    // One line per prefix, so an empty family writes no line at all (never "set_real_ip_from ;").
    for (Cidr cidr : ranges.all()) {
      out.append(SET_REAL_IP_FROM).append(' ').append(cidr).append(";\n");
    }
    out.append(REAL_IP_HEADER).append(' ').append(HEADER_NAME).append(";\n");
    return out.toString();
  }

  static String renderAllow(RangeSnapshot snapshot, RangeSet ranges, Families families) {
    for (IpFamily family : families.members()) {
      if (ranges.get(family).isEmpty()) {
        // Every connection of that family would get 0, and a guarded server would refuse it.
        throw new IllegalArgumentException(
            "no "
                + family
                + " range to allow: the nginx allow file would deny every "
                + family
                + " client");
      }
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    for (String line : ALLOW_USAGE) {
      out.append(COMMENT).append(line).append('\n');
    }
    out.append(GEO_OPEN).append('\n');
    for (String entry : catchAll(families)) {
      out.append(INDENT).append(entry).append(";\n");
    }
    for (Cidr cidr : ranges.all()) {
      out.append(INDENT).append(cidr).append(" 1;\n");
    }
    out.append(GEO_CLOSE).append('\n');
    return out.toString();
  }

  /**
   * The entries for addresses outside the ranges. With one family managed, every address of the
   * other family gets 1, so that family is neither restricted nor locked out; both networks are
   * written out instead of a {@code default} that one of them would override (nginx warns of a
   * duplicate network then).
   */
  private static List<String> catchAll(Families families) {
    return switch (families) {
      case BOTH -> List.of(DEFAULT + " 0");
      case IPV4 -> List.of(ALL_V4 + " 0", ALL_V6 + " 1");
      case IPV6 -> List.of(ALL_V4 + " 1", ALL_V6 + " 0");
    };
  }

  private static final List<List<String>> CATCH_ALLS =
      List.of(catchAll(Families.BOTH), catchAll(Families.IPV4), catchAll(Families.IPV6));

  /**
   * The kind of file {@code content} is, from its first directive, for a file whose name matches
   * neither configured name (a copy saved elsewhere for review).
   */
  static Kind guessKind(String name, String content) {
    for (String raw : content.split("\n", -1)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String keyword = line.split("\\s+", 2)[0];
      if (keyword.equals(SET_REAL_IP_FROM) || keyword.equals(REAL_IP_HEADER)) {
        return Kind.REAL_IP;
      }
      if (keyword.equals(GEO)) {
        return Kind.ALLOW;
      }
      break;
    }
    throw new ConfigParseException(
        Printable.of(name)
            + " is neither a real-IP file nor an allow file written by cf-allowlist");
  }

  /**
   * What a file of {@code kind} holds.
   *
   * @throws ConfigParseException naming the file, the line number and the line it does not
   *     recognise
   */
  static Parsed parse(String name, String content, Kind kind) {
    return parse(name, content, kind, false);
  }

  /**
   * What a {@linkplain #live live reading} of a file of {@code kind} holds: as {@link #parse}, but
   * {@value #DRIFT} lines are passed over and a file may lack lines cf-allowlist writes (the
   * reading then differs from every rendering, which apply writes in its place).
   *
   * @throws ConfigParseException for a line that is neither recognised nor a drift comment, or for
   *     a file without the header
   */
  static Parsed parseLive(String name, String content, Kind kind) {
    return parse(name, content, kind, true);
  }

  private static Parsed parse(String name, String content, Kind kind, boolean live) {
    Parser parser = new Parser(name, kind, live);
    String[] lines = content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (live && isNote(line)) {
        continue;
      }
      parser.line(i + 1, line);
    }
    return parser.end(lines.length);
  }

  /**
   * {@code content}, a file of {@code kind} that carries cf-allowlist's header, as the live state
   * shows it: each line the strict parser recognises as it is, each other line as a {@value #DRIFT}
   * comment in its place (one found above the header goes right below it, where a plan compares
   * files); a file that lacks a line cf-allowlist writes, but holds none it does not, gets a last
   * {@value #INCOMPLETE} line saying what is wrong. So the result equals {@code content} exactly
   * when {@link #parse} accepts {@code content}. {@link #parseLive} reads the result.
   */
  static String live(String name, String content, Kind kind) {
    ConfigParseException refused;
    try {
      parse(name, content, kind);
      return content;
    } catch (ConfigParseException e) {
      refused = e;
    }
    Parser parser = new Parser(name, kind, true);
    String[] lines = content.split("\n", -1);
    List<String> out = new ArrayList<>();
    List<String> aboveHeader = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      boolean recognised = !isNote(line);
      if (recognised) {
        boolean before = parser.marker;
        try {
          parser.line(i + 1, line);
        } catch (ConfigParseException e) {
          recognised = false;
        }
        if (!before && parser.marker) {
          out.add(lines[i]);
          out.addAll(aboveHeader);
          aboveHeader.clear();
          continue;
        }
      }
      if (recognised) {
        out.add(lines[i]);
      } else {
        (parser.marker ? out : aboveHeader).add(drift(line));
      }
    }
    out.addAll(aboveHeader);
    String text = String.join("\n", out);
    if (!text.equals(content)) {
      return text;
    }
    return (text.isEmpty() || text.endsWith("\n") ? text : text + "\n")
        + INCOMPLETE
        + refused.getMessage()
        + "\n";
  }

  /** Whether {@code line} (stripped) is a note only a live reading holds. */
  private static boolean isNote(String line) {
    return line.startsWith(DRIFT.strip()) || line.startsWith(INCOMPLETE.strip());
  }

  /**
   * {@code line} as a {@value #DRIFT} comment; escaped when it holds anything but printable ASCII,
   * so a plan never carries a terminal escape.
   */
  private static String drift(String line) {
    boolean plain = line.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    return DRIFT + (plain ? line : Printable.of(line));
  }

  /** One pass over a file: header comments, notes, then directives. */
  private static final class Parser {
    private final String name;
    private final Kind kind;
    // A live reading: a file may lack lines cf-allowlist writes; the reading shows the difference.
    private final boolean live;
    private final List<Cidr> cidrs = new ArrayList<>();
    private boolean marker;
    private boolean directives;
    private Optional<String> allowFile = Optional.empty();
    private int usage;
    private int headers;
    // Allow file: before the geo line, inside it, after its closing brace.
    private boolean geoOpen;
    private boolean geoClosed;
    private final List<String> catchAll = new ArrayList<>();

    Parser(String name, Kind kind, boolean live) {
      this.name = name;
      this.kind = kind;
      this.live = live;
    }

    // Every check comes before any change of state, so a refused line leaves the parser as it was
    // and a live reading can go on past it.

    void line(int number, String line) {
      if (line.isEmpty()) {
        return;
      }
      if (line.startsWith("#")) {
        comment(number, line);
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
      if (!live && !directives && kind == Kind.ALLOW && usage < ALLOW_USAGE.size()) {
        throw error(
            number, line, "comes where cf-allowlist writes its usage comment ('# Include...')");
      }
      if (kind == Kind.REAL_IP) {
        realIp(number, line);
      } else {
        allow(number, line);
      }
      directives = true;
    }

    private void comment(int number, String line) {
      if (directives) {
        throw error(
            number, line, "is a comment below the directives, which cf-allowlist never writes");
      }
      if (!marker) {
        marker = line.contains(Header.MARKER);
        return;
      }
      String text = line.substring(1).strip();
      if (kind == Kind.REAL_IP && text.startsWith(ALLOW_FILE_NOTE) && allowFile.isEmpty()) {
        String path = text.substring(ALLOW_FILE_NOTE.length()).strip();
        if (path.isEmpty()) {
          throw error(number, line, "names no allow file");
        }
        allowFile = Optional.of(path);
      } else if (kind == Kind.ALLOW
          && usage < ALLOW_USAGE.size()
          && line.equals((COMMENT + ALLOW_USAGE.get(usage)).strip())) {
        usage++;
      } else {
        throw error(number, line, "is a comment cf-allowlist does not write below its header");
      }
    }

    private void realIp(int number, String line) {
      String[] words = line.split("\\s+", 0);
      String argument = argument(words);
      if (words[0].equals(SET_REAL_IP_FROM) && argument != null) {
        cidrs.add(cidr(number, line, argument));
      } else if (words[0].equals(REAL_IP_HEADER) && argument != null) {
        if (!argument.equals(HEADER_NAME)) {
          throw error(
              number,
              line,
              "trusts a header other than "
                  + HEADER_NAME
                  + "; cf-allowlist only writes 'real_ip_header "
                  + HEADER_NAME
                  + ";'");
        }
        if (headers > 0) {
          throw error(number, line, "repeats the real_ip_header line");
        }
        headers++;
      } else {
        throw error(
            number,
            line,
            "is not a line cf-allowlist writes (expected 'set_real_ip_from CIDR;' or"
                + " 'real_ip_header "
                + HEADER_NAME
                + ";')");
      }
    }

    private void allow(int number, String line) {
      if (geoClosed) {
        throw error(number, line, "comes after the geo block, where cf-allowlist writes nothing");
      }
      if (!geoOpen) {
        if (!line.equals(GEO_OPEN)) {
          throw error(number, line, "is not the line cf-allowlist writes ('" + GEO_OPEN + "')");
        }
        geoOpen = true;
        return;
      }
      if (line.equals(GEO_CLOSE)) {
        geoClosed = true;
        return;
      }
      String[] words = line.split("\\s+", 0);
      String value = argument(words);
      if (value == null || !(value.equals("0") || value.equals("1"))) {
        throw error(number, line, "is not a line cf-allowlist writes in the geo block ('CIDR 1;')");
      }
      String entry = words[0] + " " + value;
      if (cidrs.isEmpty() && catchAllPrefix(entry)) {
        catchAll.add(entry);
        return;
      }
      if (catchAll.isEmpty() || !CATCH_ALLS.contains(catchAll)) {
        throw error(
            number,
            line,
            "comes where cf-allowlist writes 'default 0;' (or, for one family, '"
                + ALL_V4
                + " 0;' and '"
                + ALL_V6
                + " 1;')");
      }
      if (!value.equals("1")) {
        throw error(number, line, "gives a range a value other than 1");
      }
      cidrs.add(cidr(number, line, words[0]));
    }

    /** Whether {@code entry} extends the catch-all entries read so far to a prefix of one. */
    private boolean catchAllPrefix(String entry) {
      List<String> next = new ArrayList<>(catchAll);
      next.add(entry);
      return CATCH_ALLS.stream()
          .anyMatch(c -> c.size() >= next.size() && c.subList(0, next.size()).equals(next));
    }

    Parsed end(int lines) {
      if (!marker) {
        throw new ConfigParseException(
            Printable.of(name)
                + " has no cf-allowlist header ('"
                + Header.MARKER
                + "'), so it was not written by cf-allowlist");
      }
      if (live) {
        return new Parsed(RangeSet.of(cidrs), allowFile);
      }
      if (kind == Kind.REAL_IP && headers == 0) {
        throw new ConfigParseException(
            Printable.of(name)
                + " ends at line "
                + lines
                + " without 'real_ip_header "
                + HEADER_NAME
                + ";'");
      }
      if (kind == Kind.ALLOW && !geoClosed) {
        throw new ConfigParseException(
            Printable.of(name)
                + " ends at line "
                + lines
                + (geoOpen ? " inside the geo block, without its '}'" : " without its geo block"));
      }
      if (kind == Kind.ALLOW && cidrs.isEmpty()) {
        throw new ConfigParseException(
            Printable.of(name)
                + " has a geo block without any range, which cf-allowlist never writes");
      }
      return new Parsed(RangeSet.of(cidrs), allowFile);
    }

    /** The single argument of {@code KEYWORD ARGUMENT;}, or null. */
    private static String argument(String[] words) {
      return words.length == 2 && words[1].endsWith(";") && words[1].length() > 1
          ? words[1].substring(0, words[1].length() - 1)
          : null;
    }

    private Cidr cidr(int number, String line, String text) {
      try {
        return Cidr.parse(text);
      } catch (IllegalArgumentException e) {
        throw error(number, line, "does not hold a valid CIDR: " + e.getMessage());
      }
    }

    private ConfigParseException error(int number, String line, String why) {
      return new ConfigParseException(
          Printable.of(name) + " line " + number + ": '" + Printable.of(line) + "' " + why);
    }
  }
}
