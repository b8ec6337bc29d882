package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import java.util.ArrayList;
import java.util.List;

/** Renders and strictly parses the two nginx include files. */
final class NginxConfig {
  static final String COMMENT = "# ";
  static final String SET_REAL_IP_FROM = "set_real_ip_from";
  static final String REAL_IP_HEADER = "real_ip_header";
  static final String ALLOW = "allow";
  static final String DENY = "deny";

  /** The only header trusted: Cloudflare sets it and overwrites a client's copy. */
  static final String HEADER_NAME = "CF-Connecting-IP";

  static final String DENY_ALL = "all";
  static final String DENY_ALL_V4 = "0.0.0.0/0";
  static final String DENY_ALL_V6 = "::/0";

  private NginxConfig() {}

  /** Which of the two files. */
  enum Kind {
    REAL_IP,
    ALLOW
  }

  static String renderRealIp(RangeSnapshot snapshot, RangeSet ranges) {
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
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
        // A deny with nothing allowed before it would shut every client of that family out.
        throw new IllegalArgumentException(
            "no "
                + family
                + " range to allow: the nginx allow file would deny every "
                + family
                + " client");
      }
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    for (Cidr cidr : ranges.all()) {
      out.append(ALLOW).append(' ').append(cidr).append(";\n");
    }
    out.append(DENY).append(' ').append(denyTarget(families)).append(";\n");
    return out.toString();
  }

  /**
   * With one family managed, deny only that family so the other is neither restricted nor locked
   * out.
   */
  private static String denyTarget(Families families) {
    return switch (families) {
      case IPV4 -> DENY_ALL_V4;
      case IPV6 -> DENY_ALL_V6;
      case BOTH -> DENY_ALL;
    };
  }

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
      if (keyword.equals(ALLOW) || keyword.equals(DENY)) {
        return Kind.ALLOW;
      }
      break;
    }
    throw new ConfigParseException(
        name + " is neither a real-IP file nor an allow file written by cf-allowlist");
  }

  /** Whether {@code content} carries the header cf-allowlist writes. */
  static boolean hasMarker(String content) {
    for (String line : content.split("\n", -1)) {
      String s = line.strip();
      if (s.startsWith("#") && s.contains(Header.MARKER)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The prefixes held by a file of {@code kind}.
   *
   * @throws ConfigParseException naming the file, the line number and the line it does not
   *     recognise
   */
  static RangeSet parse(String name, String content, Kind kind) {
    String[] lines = content.split("\n", -1);
    List<Cidr> cidrs = new ArrayList<>();
    boolean marker = false;
    boolean directives = false;
    int headers = 0;
    int denies = 0;
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        if (directives) {
          throw error(
              name,
              number,
              line,
              "is a comment below the directives, which cf-allowlist never writes");
        }
        marker |= line.contains(Header.MARKER);
        continue;
      }
      if (!marker) {
        throw error(
            name,
            number,
            line,
            "comes before any cf-allowlist header ('"
                + Header.MARKER
                + "'), so this file was not written by cf-allowlist");
      }
      directives = true;
      String[] words = line.split("\\s+", 0);
      String keyword = words[0];
      String argument =
          words.length == 2 && words[1].endsWith(";")
              ? words[1].substring(0, words[1].length() - 1)
              : null;
      if (kind == Kind.REAL_IP && keyword.equals(SET_REAL_IP_FROM) && argument != null) {
        cidrs.add(cidr(name, number, line, argument));
      } else if (kind == Kind.REAL_IP && keyword.equals(REAL_IP_HEADER) && argument != null) {
        if (!argument.equals(HEADER_NAME)) {
          throw error(
              name,
              number,
              line,
              "trusts a header other than "
                  + HEADER_NAME
                  + "; cf-allowlist only writes 'real_ip_header "
                  + HEADER_NAME
                  + ";'");
        }
        if (++headers > 1) {
          throw error(name, number, line, "repeats the real_ip_header line");
        }
      } else if (kind == Kind.ALLOW && keyword.equals(ALLOW) && argument != null) {
        if (denies > 0) {
          throw error(name, number, line, "comes after the deny line, where it never matches");
        }
        cidrs.add(cidr(name, number, line, argument));
      } else if (kind == Kind.ALLOW
          && keyword.equals(DENY)
          && argument != null
          && (argument.equals(DENY_ALL)
              || argument.equals(DENY_ALL_V4)
              || argument.equals(DENY_ALL_V6))) {
        if (++denies > 1) {
          throw error(name, number, line, "repeats the deny line");
        }
      } else {
        throw error(
            name,
            number,
            line,
            "is not a line cf-allowlist writes (expected "
                + (kind == Kind.REAL_IP
                    ? "'set_real_ip_from CIDR;' or 'real_ip_header " + HEADER_NAME + ";')"
                    : "'allow CIDR;' or a final 'deny all;')"));
      }
    }
    if (!marker) {
      throw new ConfigParseException(
          name
              + " has no cf-allowlist header ('"
              + Header.MARKER
              + "'), so it was not written by cf-allowlist");
    }
    if (kind == Kind.REAL_IP && headers == 0) {
      throw new ConfigParseException(
          name
              + " ends at line "
              + lines.length
              + " without 'real_ip_header "
              + HEADER_NAME
              + ";'");
    }
    if (kind == Kind.ALLOW && denies == 0) {
      throw new ConfigParseException(
          name + " ends at line " + lines.length + " without its final 'deny all;'");
    }
    return RangeSet.of(cidrs);
  }

  private static Cidr cidr(String name, int number, String line, String text) {
    try {
      return Cidr.parse(text);
    } catch (IllegalArgumentException e) {
      throw error(name, number, line, "does not hold a valid CIDR: " + e.getMessage());
    }
  }

  private static ConfigParseException error(String name, int number, String line, String why) {
    return new ConfigParseException(
        name + " line " + number + ": '" + printable(line) + "' " + why);
  }

  /** The line as it can be shown safely in one message: no control characters, not too long. */
  private static String printable(String line) {
    StringBuilder out = new StringBuilder();
    line.codePoints()
        .limit(120)
        .forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
    return line.codePointCount(0, line.length()) > 120 ? out + "…" : out.toString();
  }
}
