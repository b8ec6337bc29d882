package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The rendered files: {@code iptables-restore} and {@code ipset restore} inputs, and reading them
 * back.
 */
final class ConfigText {
  static final String RULES_V4 = "cf-allowlist.rules.v4";
  static final String RULES_V6 = "cf-allowlist.rules.v6";
  static final String IPSET = "cf-allowlist.ipset";

  static final String CHAIN_DECLARATION = ":" + Rules.CHAIN + " - [0:0]";

  private ConfigText() {}

  static String rulesFile(IpFamily family) {
    return family == IpFamily.IPV4 ? RULES_V4 : RULES_V6;
  }

  /** The files for {@code state}, headed by {@code snapshot}'s provenance. */
  static Rendered render(State state, RangeSnapshot snapshot) {
    String header = Header.commented(snapshot, "# ");
    List<Rendered.File> files = new ArrayList<>();
    for (Map.Entry<IpFamily, State.FamilyRules> e : state.rules().entrySet()) {
      files.add(new Rendered.File(rulesFile(e.getKey()), header + rulesBody(e.getValue())));
    }
    if (!state.sets().isEmpty()) {
      StringBuilder body = new StringBuilder(header);
      state.sets().forEach((family, entries) -> body.append(ipsetSection(family, entries)));
      files.add(new Rendered.File(IPSET, body.toString()));
    }
    return new Rendered(files);
  }

  private static String rulesBody(State.FamilyRules rules) {
    StringBuilder out = new StringBuilder("*filter\n").append(CHAIN_DECLARATION).append('\n');
    for (String spec : rules.chain()) {
      out.append("-A ").append(Rules.CHAIN).append(' ').append(spec).append('\n');
    }
    for (State.Jump jump : rules.jumps()) {
      out.append(jump.line()).append('\n');
    }
    return out.append("COMMIT\n").toString();
  }

  /**
   * The {@code ipset restore} lines that fill {@code family}'s set: a temporary set is filled and
   * swapped in, so the live set changes in one step and is never empty.
   */
  static String ipsetSection(IpFamily family, List<String> entries) {
    String set = Rules.setName(family);
    String tmp = Rules.tmpSetName(family);
    String type = " hash:net family " + (family == IpFamily.IPV4 ? "inet" : "inet6") + " -exist";
    StringBuilder out = new StringBuilder();
    out.append("create ").append(set).append(type).append('\n');
    out.append("create ").append(tmp).append(type).append('\n');
    out.append("flush ").append(tmp).append('\n');
    for (String entry : entries) {
      out.append("add ").append(tmp).append(' ').append(entry).append('\n');
    }
    out.append("swap ").append(tmp).append(' ').append(set).append('\n');
    out.append("destroy ").append(tmp).append('\n');
    return out.toString();
  }

  /** The ranges in {@code config}, refusing any line this target does not write. */
  static RangeSet parse(Rendered config) {
    List<Cidr> ranges = new ArrayList<>();
    for (Rendered.File file : config.files()) {
      switch (file.name()) {
        case RULES_V4 -> ranges.addAll(parseRules(file, IpFamily.IPV4));
        case RULES_V6 -> ranges.addAll(parseRules(file, IpFamily.IPV6));
        case IPSET -> ranges.addAll(parseIpset(file));
        default ->
            throw new ConfigParseException(
                String.format(
                    Locale.ROOT,
                    "file %s is not one the iptables target writes (expected %s, %s or %s)",
                    file.name(),
                    RULES_V4,
                    RULES_V6,
                    IPSET));
      }
    }
    return RangeSet.of(ranges);
  }

  private enum Section {
    START,
    TABLE,
    CHAIN,
    JUMPS,
    DONE
  }

  private static List<Cidr> parseRules(Rendered.File file, IpFamily family) {
    List<Cidr> ranges = new ArrayList<>();
    Section section = Section.START;
    List<String> lines = file.content().lines().toList();
    for (int n = 1; n <= lines.size(); n++) {
      String line = lines.get(n - 1);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (section == Section.START && line.equals("*filter")) {
        section = Section.TABLE;
      } else if (section == Section.TABLE && line.equals(CHAIN_DECLARATION)) {
        section = Section.CHAIN;
      } else if (section == Section.CHAIN && line.startsWith("-A " + Rules.CHAIN + " ")) {
        Optional<Rules.Rule> rule = Rules.recognise(line.substring(4 + Rules.CHAIN.length()));
        if (rule.isEmpty() || rule.get() instanceof Rules.Jump) {
          throw unrecognised(file, n, line);
        }
        if (rule.get() instanceof Rules.RangeAccept range) {
          if (range.cidr().family() != family) {
            throw bad(file, n, line, "holds " + range.cidr() + ", not an " + family + " range");
          }
          ranges.add(range.cidr());
        }
        if (rule.get() instanceof Rules.SetAccept set && set.family() != family) {
          throw bad(
              file, n, line, "matches the " + set.family() + " set in an " + family + " file");
        }
      } else if ((section == Section.CHAIN || section == Section.JUMPS) && isJumpLine(line)) {
        section = Section.JUMPS;
      } else if ((section == Section.CHAIN || section == Section.JUMPS) && line.equals("COMMIT")) {
        section = Section.DONE;
      } else {
        throw unrecognised(file, n, line);
      }
    }
    if (section != Section.DONE) {
      throw new ConfigParseException(
          file.name() + " ends without the COMMIT line, so it is incomplete");
    }
    return ranges;
  }

  private static boolean isJumpLine(String line) {
    String[] parts = line.split(" ", 3);
    return parts.length == 3
        && parts[0].equals("-I")
        && !parts[1].equals(Rules.CHAIN)
        && Rules.recognise(parts[2]).filter(Rules.Jump.class::isInstance).isPresent();
  }

  private static List<Cidr> parseIpset(Rendered.File file) {
    List<Cidr> ranges = new ArrayList<>();
    List<String> lines = file.content().lines().toList();
    for (int n = 1; n <= lines.size(); n++) {
      String line = lines.get(n - 1);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Optional<Cidr> added = Optional.empty();
      boolean known = false;
      for (IpFamily family : IpFamily.values()) {
        String addPrefix = "add " + Rules.tmpSetName(family) + " ";
        if (line.startsWith(addPrefix)) {
          try {
            Cidr cidr = Cidr.parse(line.substring(addPrefix.length()));
            if (cidr.family() == family) {
              added = Optional.of(cidr);
            }
          } catch (IllegalArgumentException e) {
            throw bad(file, n, line, "does not add a CIDR (" + e.getMessage() + ")");
          }
        } else if (ipsetSection(family, List.of()).lines().anyMatch(line::equals)) {
          known = true;
        }
      }
      if (added.isPresent()) {
        ranges.add(added.get());
      } else if (!known) {
        throw unrecognised(file, n, line);
      }
    }
    return ranges;
  }

  private static ConfigParseException unrecognised(Rendered.File file, int n, String line) {
    return bad(file, n, line, "is not a line the iptables target writes");
  }

  private static ConfigParseException bad(Rendered.File file, int n, String line, String what) {
    return new ConfigParseException(
        String.format(Locale.ROOT, "%s line %d %s: '%s'", file.name(), n, what, line));
  }
}
