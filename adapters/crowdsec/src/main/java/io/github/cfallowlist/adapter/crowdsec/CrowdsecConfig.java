package io.github.cfallowlist.adapter.crowdsec;

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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The whitelist parser: what it holds, how it is rendered and how it is parsed back, strictly
 * (anything cf-allowlist does not write is refused, naming the line).
 *
 * <p>The file is YAML: the generated header as {@code #} comments, then exactly these lines, with
 * this indentation, and one {@code - "CIDR"} item per range (IPv4, then IPv6):
 *
 * <pre>
 * name: cf-allowlist/cloudflare-whitelist
 * description: "Cloudflare's IP ranges, kept by cf-allowlist"
 * whitelist:
 *   reason: "Cloudflare edge (cf-allowlist)"
 *   cidr:
 *     - "173.245.48.0/20"
 * </pre>
 *
 * <p>In the {@code s02-enrich} stage CrowdSec checks each event's source address ({@code
 * evt.Meta.source_ip}) against the {@code cidr} list and marks a match whitelisted: no scenario
 * counts it, so no Cloudflare edge is ever banned.
 *
 * <p>A file that carries the header but was edited by hand (drift) is read from disk with {@link
 * #live}: every line the strict parser refuses becomes a {@value #DRIFT} comment, so the reading
 * differs from any rendering, and apply replaces the file. Only {@link #parseLive} accepts those.
 */
final class CrowdsecConfig {
  static final String COMMENT = "# ";
  static final String NAME = "name: cf-allowlist/cloudflare-whitelist";
  static final String DESCRIPTION = "description: \"Cloudflare's IP ranges, kept by cf-allowlist\"";
  static final String WHITELIST = "whitelist:";
  static final String REASON = "  reason: \"Cloudflare edge (cf-allowlist)\"";
  static final String CIDR = "  cidr:";
  static final String ITEM = "    - \"";

  /** The lines before the ranges, in order. */
  private static final List<String> FIXED = List.of(NAME, DESCRIPTION, WHITELIST, REASON, CIDR);

  /** How a live reading shows a line cf-allowlist did not write; never written to a file. */
  static final String DRIFT = LineFile.DRIFT;

  /** How a live reading shows a file that lacks a line cf-allowlist writes; never written. */
  static final String INCOMPLETE = LineFile.INCOMPLETE;

  private static final Pattern MESSAGE = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private CrowdsecConfig() {}

  /**
   * The whitelist parser for {@code ranges}.
   *
   * @throws IllegalArgumentException when there is no range: the whitelist would protect nothing
   */
  static String render(RangeSnapshot snapshot, RangeSet ranges) {
    if (ranges.all().isEmpty()) {
      throw new IllegalArgumentException(
          "no range to whitelist: a CrowdSec whitelist without a CIDR would protect no"
              + " Cloudflare edge");
    }
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    for (String line : FIXED) {
      out.append(line).append('\n');
    }
    for (Cidr cidr : ranges.all()) {
      out.append(ITEM).append(cidr).append("\"\n");
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
   * {@value #INCOMPLETE} lines are passed over and lines cf-allowlist writes may be missing.
   */
  static RangeSet parseLive(String name, String content) {
    return parse(name, content, true);
  }

  private static RangeSet parse(String name, String content, boolean live) {
    return LineFile.parse(content, new Parser(name), live, LineFile::isNote);
  }

  /**
   * {@code content}, a file that carries cf-allowlist's header, as the live state shows it: each
   * line the strict parser accepts as it is, each other line as a {@value #DRIFT} comment in its
   * place; a file that lacks a line cf-allowlist writes but holds none it does not gets a last
   * {@value #INCOMPLETE} line. The result equals {@code content} exactly when {@link #parse}
   * accepts {@code content}.
   */
  static String live(String name, String content) {
    return LineFile.live(
        content, () -> new Parser(name), LineFile::isNote, line -> DRIFT + Printable.of(line));
  }

  /**
   * CrowdSec's error: the message of its first {@code level=fatal} (else {@code level=error}) log
   * line, which {@code crowdsec -t} writes to standard error, e.g. {@code Unable to parse cidr
   * whitelist '300.1.1.1/8' : invalid CIDR address: 300.1.1.1/8.}
   */
  static String crowdsecError(CommandResult result) {
    List<String> lines =
        Stream.of(result.stderr(), result.stdout()).flatMap(String::lines).toList();
    return level(lines, "fatal")
        .or(() -> level(lines, "error"))
        .map(Printable::errorLine)
        .orElseGet(() -> Printable.errorLine(result.firstErrorLine()));
  }

  private static Optional<String> level(List<String> lines, String level) {
    for (String line : lines) {
      if (line.contains("level=" + level + " ")) {
        Matcher m = MESSAGE.matcher(line);
        return Optional.of(m.find() ? m.group(1).replace("\\\"", "\"") : line.strip());
      }
    }
    return Optional.empty();
  }

  /** One pass over a file: comments up to the header, the fixed lines, then the ranges. */
  private static final class Parser extends LineFile.HeaderedParser {
    private final List<Cidr> cidrs = new ArrayList<>();
    private int fixed;

    Parser(String name) {
      super(name);
    }

    // Every check comes before any change of state, so a refused line leaves the parser as it was
    // and a live reading can go on past it.

    /** YAML: indentation carries meaning, so it is judged as written. */
    @Override
    public boolean stripsLines() {
      return false;
    }

    @Override
    protected void directive(int number, String line) {
      if (fixed < FIXED.size()) {
        if (!line.equals(FIXED.get(fixed))) {
          throw error(
              number, line, "is not the line cf-allowlist writes here: '" + FIXED.get(fixed) + "'");
        }
        fixed++;
        return;
      }
      if (!line.startsWith(ITEM) || !line.endsWith("\"") || line.length() <= ITEM.length() + 1) {
        throw error(
            number, line, "is not a line cf-allowlist writes (expected '" + ITEM + "CIDR\"')");
      }
      Cidr cidr;
      try {
        cidr = Cidr.parse(line.substring(ITEM.length(), line.length() - 1));
      } catch (IllegalArgumentException e) {
        throw error(number, line, "does not hold a valid CIDR: " + e.getMessage());
      }
      cidrs.add(cidr);
    }

    @Override
    public RangeSet end(int lines, boolean live) {
      requireHeader();
      if (!live && fixed < FIXED.size()) {
        throw refused("ends at line " + lines + " without '" + FIXED.get(fixed) + "'");
      }
      if (!live && cidrs.isEmpty()) {
        throw refused(
            "has no CIDR under 'cidr:', which cf-allowlist never writes (it would"
                + " whitelist nothing)");
      }
      return RangeSet.of(cidrs);
    }
  }
}
