package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ACL file's text: the generated header as {@code #} comments, then one CIDR per line, IPv4
 * then IPv6, each in the exact form {@link Cidr#toString()} gives. HAProxy skips {@code #} lines in
 * a pattern file, so the file is used as it is.
 */
final class HaproxyConfig {
  private static final String COMMENT = "# ";

  /** How a live reading marks an entry cf-allowlist did not put there. */
  static final String DRIFT_NOTE = "# not added by cf-allowlist, apply replaces it: ";

  /** How a live reading marks a file that differs from the running ACL. */
  static final String FILE_NOTE = "# the file differs from the running ACL, apply rewrites it: ";

  private HaproxyConfig() {}

  /** The file holding {@code ranges}, with {@code snapshot}'s header. */
  static String render(RangeSnapshot snapshot, RangeSet ranges) {
    StringBuilder out = new StringBuilder(Header.commented(snapshot, COMMENT));
    for (Cidr cidr : ranges.all()) {
      out.append(cidr).append('\n');
    }
    return out.toString();
  }

  /**
   * The ranges in a file cf-allowlist wrote: comment lines up to the header's marker line, then
   * only CIDRs in the form it writes, each once.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  static RangeSet parse(String name, String content) {
    return parse(name, content, false);
  }

  /** As {@link #parse}, also accepting the notes a live reading adds for drift. */
  static RangeSet parseLive(String name, String content) {
    return parse(name, content, true);
  }

  private static RangeSet parse(String name, String content, boolean live) {
    if (!Header.isIn(content)) {
      throw new ConfigParseException(
          name + " was not written by cf-allowlist: it lacks the line '" + Header.MARKER + "'");
    }
    if (!content.endsWith("\n")) {
      throw new ConfigParseException(name + " does not end with a newline (truncated?)");
    }
    List<Cidr> ranges = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    boolean inHeader = true;
    int number = 0;
    for (String line : content.substring(0, content.length() - 1).split("\n", -1)) {
      number++;
      if (inHeader) {
        if (!line.startsWith("#")) {
          throw unknown(name, number, line);
        }
        inHeader = !line.contains(Header.MARKER);
        continue;
      }
      if (live && (line.startsWith(DRIFT_NOTE) || line.startsWith(FILE_NOTE))) {
        continue;
      }
      Optional<Cidr> cidr = canonical(line);
      if (cidr.isEmpty() || !seen.add(line)) {
        throw unknown(name, number, line);
      }
      ranges.add(cidr.get());
    }
    return RangeSet.of(ranges);
  }

  /** {@code text} as a range when it is a CIDR written exactly as cf-allowlist writes it. */
  static Optional<Cidr> canonical(String text) {
    try {
      Cidr cidr = Cidr.parse(text);
      return cidr.toString().equals(text) ? Optional.of(cidr) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static ConfigParseException unknown(String name, int number, String line) {
    return new ConfigParseException(
        name
            + " line "
            + number
            + ": '"
            + Printable.of(line)
            + "' is not a line cf-allowlist writes (one CIDR per line, each once)");
  }

  /**
   * The running ACL's entries rendered as the file would be: those cf-allowlist writes as lines in
   * its order, anything else (a host address, another spelling, a second copy, added at runtime by
   * hand) as a {@link #DRIFT_NOTE} so the reading never equals a rendering; and, when the file on
   * disk does not hold the same, a {@link #FILE_NOTE}.
   *
   * @param header the header lines, already commented
   * @param entries the running ACL's patterns, as HAProxy shows them
   * @param fileDiffers what is wrong with the file, when it does not match the entries
   */
  static String live(String header, List<String> entries, Optional<String> fileDiffers) {
    List<String> notes = new ArrayList<>();
    List<Cidr> ranges = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String entry : entries) {
      Optional<Cidr> cidr = canonical(entry);
      if (cidr.isPresent() && seen.add(entry)) {
        ranges.add(cidr.get());
      } else {
        notes.add(DRIFT_NOTE + Printable.of(entry));
      }
    }
    StringBuilder out = new StringBuilder(header);
    for (Cidr cidr : RangeSet.of(ranges).all()) {
      out.append(cidr).append('\n');
    }
    notes.forEach(n -> out.append(n).append('\n'));
    fileDiffers.ifPresent(f -> out.append(FILE_NOTE).append(f).append('\n'));
    return out.toString();
  }
}
