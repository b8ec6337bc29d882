package io.github.cfallowlist.adapter.fail2ban;

import io.github.cfallowlist.CfAllowlistException;
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
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code jail.d} drop-in: what it holds, how it is rendered and how it is parsed back, strictly
 * (anything cf-allowlist does not write is refused, naming the line).
 *
 * <p>The file: the generated header as {@code #} comments, then for each jail a section {@code
 * [JAIL]} with one line {@code ignoreip = %(known/ignoreip)s CIDR CIDR …} (IPv4, then IPv6). {@code
 * %(known/ignoreip)s} is fail2ban's own interpolation for "the value this option had before this
 * file": the jail keeps the {@code ignoreip} its own configuration gives it (its section in {@code
 * jail.conf} or {@code jail.local}, or {@code [DEFAULT]}) and gets Cloudflare's ranges as well.
 * Files in {@code jail.d/} ending {@code .local} are read last, so nothing the user writes is
 * overridden. A section for a jail that is not enabled does nothing.
 *
 * <p>A live reading ({@link #live}) turns every line the strict parser refuses into a {@value
 * #DRIFT} comment and adds a {@value #BANNED} line for each address inside the ranges that a jail
 * has banned right now, so either makes the reading differ from any rendering; only {@link
 * #parseLive} accepts those notes.
 */
final class Fail2banConfig {
  static final String COMMENT = "# ";
  static final String OPTION = "ignoreip = %(known/ignoreip)s";

  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  static final String DRIFT = "# not written by cf-allowlist, apply replaces it: ";

  /** How a live reading shows a file that lacks a line cf-allowlist writes; never written. */
  static final String INCOMPLETE = "# not as cf-allowlist writes it, apply replaces it: ";

  /** How a live reading shows a Cloudflare address banned right now; never written. */
  static final String BANNED = "# banned inside the ranges, apply lifts it: ";

  /**
   * The most ranges the drop-in holds. fail2ban checks each {@code ignoreip} entry against every
   * one it already holds as it loads them, in each jail, so loading grows with the square of the
   * list: on a two-core machine 20,000 ranges took about 20 s per jail and 100,000 over 9 minutes,
   * past any reload's time limit and with fail2ban busy all along. 10,000 take a few seconds.
   */
  static final int MAX_RANGES = 10_000;

  private Fail2banConfig() {}

  /**
   * The drop-in for {@code ranges} in {@code jails}.
   *
   * @throws IllegalArgumentException when there is no range or no jail
   * @throws CfAllowlistException when there are more than {@link #MAX_RANGES} ranges
   */
  static String render(RangeSnapshot snapshot, RangeSet ranges, List<String> jails) {
    if (ranges.all().isEmpty()) {
      throw new IllegalArgumentException(
          "no range to add to fail2ban's ignoreip: the drop-in would change nothing");
    }
    if (ranges.size() > MAX_RANGES) {
      throw new CfAllowlistException(
          "fail2ban's ignoreip takes at most "
              + String.format(Locale.ROOT, "%,d", MAX_RANGES)
              + " ranges and the list has "
              + String.format(Locale.ROOT, "%,d", ranges.size())
              + ": fail2ban checks each entry against every other as it loads them, so a list"
              + " this long would keep it busy in every jail at every start and reload");
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    String line =
        OPTION + " " + String.join(" ", ranges.all().stream().map(Cidr::toString).toList());
    for (String jail : jails) {
      out.append('[').append(jail).append("]\n").append(line).append('\n');
    }
    return out.toString();
  }

  /**
   * The ranges the file holds (the same in every jail).
   *
   * @throws ConfigParseException naming the file, the line number and the line it does not
   *     recognise
   */
  static RangeSet parse(String name, String content) {
    return parse(name, content, false);
  }

  /** As {@link #parse}, but the notes of a {@linkplain #live live reading} are passed over. */
  static RangeSet parseLive(String name, String content) {
    return parse(name, content, true);
  }

  private static RangeSet parse(String name, String content, boolean live) {
    return LineFile.parse(content, new Parser(name), live, Fail2banConfig::isNote);
  }

  /**
   * {@code content}, a file that carries cf-allowlist's header, as the live state shows it: each
   * line the strict parser accepts as it is, each other line as a {@value #DRIFT} comment; a file
   * that lacks a line cf-allowlist writes gets a last {@value #INCOMPLETE} line. Equals {@code
   * content} exactly when {@link #parse} accepts it.
   */
  static String live(String name, String content) {
    return LineFile.live(
        content, () -> new Parser(name), Fail2banConfig::isNote, l -> DRIFT + Printable.of(l));
  }

  /** The note a live reading adds for {@code ban}. */
  static String note(Bans.Ban ban) {
    return BANNED + ban.address() + " in jail " + ban.jail() + "\n";
  }

  private static boolean isNote(String line) {
    return line.startsWith(DRIFT.strip())
        || line.startsWith(INCOMPLETE.strip())
        || line.startsWith(BANNED.strip());
  }

  /**
   * fail2ban's error: the line that says {@code ERROR}, other than the closing summary; when it is
   * about {@code ignoreip} having no earlier value, with what to add.
   */
  static String fail2banError(CommandResult result) {
    String error = firstError(result);
    return error.contains("'ignoreip'") && error.contains("substitution")
        ? error
            + "; %(known/ignoreip)s needs an ignoreip in [DEFAULT]: add 'ignoreip = 127.0.0.1/8"
            + " ::1' under [DEFAULT] in jail.local"
        : error;
  }

  private static String firstError(CommandResult result) {
    return Stream.of(result.stderr(), result.stdout())
        .flatMap(String::lines)
        .map(String::strip)
        .filter(l -> l.contains("ERROR") && !l.contains("test configuration failed"))
        .findFirst()
        .map(l -> l.substring(l.indexOf("ERROR") + "ERROR".length()).strip())
        .map(Printable::errorLine)
        .orElseGet(() -> Printable.errorLine(result.firstErrorLine()));
  }

  /** One pass over a file: comments up to the header, then one section per jail. */
  private static final class Parser implements LineFile.Parser {
    private final String name;
    private final List<String> jails = new ArrayList<>();
    private RangeSet ranges;
    private boolean marker;
    private boolean option = true;

    Parser(String name) {
      this.name = name;
    }

    // Every check comes before any change of state, so a refused line leaves the parser as it was.

    @Override
    public void line(int number, String line) {
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
      if (line.startsWith("[") && line.endsWith("]")) {
        String jail = line.substring(1, line.length() - 1);
        if (!Fail2banSettings.isJail(jail)) {
          throw error(number, line, "is not a jail name cf-allowlist writes");
        }
        if (jails.contains(jail)) {
          throw error(number, line, "repeats the section of jail " + jail);
        }
        if (!option) {
          throw error(number, line, "starts a section before the one above has its ignoreip");
        }
        jails.add(jail);
        option = false;
      } else if (line.startsWith(OPTION + " ")) {
        if (jails.isEmpty() || option) {
          throw error(number, line, "is not the first line of a jail's section");
        }
        List<Cidr> cidrs = new ArrayList<>();
        for (String word : line.substring(OPTION.length()).strip().split("\\s+", -1)) {
          try {
            cidrs.add(Cidr.parse(word));
          } catch (IllegalArgumentException e) {
            throw error(number, line, "does not hold valid CIDRs: " + e.getMessage());
          }
        }
        RangeSet here = RangeSet.of(cidrs);
        if (ranges != null && !ranges.equals(here)) {
          throw error(number, line, "holds other ranges than the first jail's section");
        }
        ranges = here;
        option = true;
      } else {
        throw error(
            number,
            line,
            "is not a line cf-allowlist writes (expected '[JAIL]' or '" + OPTION + " CIDR …')");
      }
    }

    @Override
    public RangeSet end(int lines, boolean live) {
      if (!marker) {
        if (live && jails.isEmpty()) {
          // Only notes: bans inside the ranges with no drop-in yet.
          return RangeSet.empty();
        }
        throw new ConfigParseException(
            Printable.of(name)
                + " has no cf-allowlist header ('"
                + Header.MARKER
                + "'), so it was not written by cf-allowlist");
      }
      if (!live && (jails.isEmpty() || !option)) {
        throw new ConfigParseException(
            Printable.of(name)
                + " ends at line "
                + lines
                + (jails.isEmpty() ? " without any jail's section" : " without the last jail's '")
                + (jails.isEmpty() ? "" : OPTION + "' line"));
      }
      return ranges == null ? RangeSet.empty() : ranges;
    }

    private ConfigParseException error(int number, String line, String why) {
      return new ConfigParseException(
          Printable.of(name) + " line " + number + ": '" + Printable.of(line) + "' " + why);
    }
  }
}
