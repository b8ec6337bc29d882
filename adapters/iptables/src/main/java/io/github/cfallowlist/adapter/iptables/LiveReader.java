package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.TargetContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads our objects from the live system with read-only commands: {@code iptables-save -t filter}
 * (keeping only our chain and the jumps carrying our comment; every other rule is skipped unread)
 * and {@code ipset save} of our sets.
 */
final class LiveReader {
  private LiveReader() {}

  static String saveCommand(IpFamily family) {
    return family == IpFamily.IPV4 ? "iptables-save" : "ip6tables-save";
  }

  /**
   * The live state. A family not in use is read too, so that apply can remove what an earlier run
   * left there, but when its tool fails (no IPv6 in this kernel) it is simply left out.
   */
  static State read(TargetContext context, Settings settings) throws IOException {
    Map<IpFamily, State.FamilyRules> rules = new EnumMap<>(IpFamily.class);
    boolean setsReferenced = false;
    for (IpFamily family : IpFamily.values()) {
      boolean inUse = settings.families().includes(family);
      Command save = Command.read(saveCommand(family), "-t", "filter");
      CommandResult result;
      try {
        result = context.runner().run(save);
      } catch (IOException e) {
        if (inUse) {
          throw e;
        }
        continue;
      }
      // iptables-legacy says so when the filter table was never loaded: nothing of ours there.
      if (!result.ok() && result.stderr().contains("Table does not exist")) {
        continue;
      }
      if (!result.ok()) {
        if (inUse) {
          throw result.failure(save);
        }
        continue;
      }
      Optional<State.FamilyRules> ours = ours(result.stdout());
      if (ours.isPresent()) {
        rules.put(family, ours.get());
        setsReferenced |=
            ours.get().chain().stream()
                .anyMatch(spec -> spec.contains("--match-set cf-allowlist-"));
      }
    }
    Map<IpFamily, List<String>> sets = new EnumMap<>(IpFamily.class);
    // Without the setting and without a rule matching our sets there is nothing of ours in ipset;
    // not asking spares hosts that never use ipset from needing it installed.
    if (settings.ipset() || setsReferenced) {
      List<String> names = setNames(context);
      for (IpFamily family : IpFamily.values()) {
        if (names.contains(Rules.setName(family))) {
          sets.put(family, entries(context, family));
        }
      }
    }
    return new State(rules, sets);
  }

  /** Our chain's rules and our jumps in {@code iptables-save} output; empty when there are none. */
  static Optional<State.FamilyRules> ours(String saved) {
    boolean chainExists = false;
    List<String> chain = new ArrayList<>();
    List<State.Jump> jumps = new ArrayList<>();
    String ownRule = "-A " + Rules.CHAIN + " ";
    for (String line : saved.lines().toList()) {
      if (line.startsWith(":" + Rules.CHAIN + " ")) {
        chainExists = true;
      } else if (line.startsWith(ownRule)) {
        String spec = line.substring(ownRule.length());
        chain.add(
            Rules.recognise(spec)
                .filter(r -> !(r instanceof Rules.Jump))
                .map(Rules.Rule::spec)
                .orElse(spec));
      } else if (line.startsWith("-A ")) {
        String[] parts = line.split(" ", 3);
        if (parts.length == 3 && Rules.isOurJump(parts[2])) {
          String spec = Rules.recognise(parts[2]).map(Rules.Rule::spec).orElse(parts[2]);
          jumps.add(new State.Jump(parts[1], spec));
        }
      }
    }
    if (!chainExists && chain.isEmpty() && jumps.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new State.FamilyRules(chain, jumps));
  }

  /** The names of all ipsets; only ours are looked at further. */
  static List<String> setNames(TargetContext context) throws IOException {
    CommandResult result = context.runner().runChecked(Command.read("ipset", "list", "-n"));
    return result.stdout().lines().map(String::strip).toList();
  }

  private static List<String> entries(TargetContext context, IpFamily family) throws IOException {
    String set = Rules.setName(family);
    CommandResult result = context.runner().runChecked(Command.read("ipset", "save", set));
    List<Cidr> cidrs = new ArrayList<>();
    List<String> other = new ArrayList<>();
    String addPrefix = "add " + set + " ";
    for (String line : result.stdout().lines().toList()) {
      if (!line.startsWith(addPrefix)) {
        continue;
      }
      String entry = line.substring(addPrefix.length()).strip();
      // ipset prints a single-address entry without its prefix length.
      String withPrefix =
          entry.contains("/") ? entry : entry + (family == IpFamily.IPV4 ? "/32" : "/128");
      try {
        Cidr cidr = Cidr.parse(withPrefix);
        if (cidr.family() == family) {
          cidrs.add(cidr);
          continue;
        }
      } catch (IllegalArgumentException e) {
        // kept verbatim below, so the rendered set shows it and parse() names it
      }
      other.add(entry);
    }
    cidrs.sort(null);
    List<String> out = new ArrayList<>(cidrs.stream().map(Cidr::toString).toList());
    out.addAll(other);
    return out;
  }
}
