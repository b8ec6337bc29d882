package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads our objects from the live system with read-only commands: {@code iptables-save -t filter}
 * (keeping only our chain and the jumps carrying our comment; every other rule is skipped unread),
 * {@code ipset list -n} and {@code ipset save} of our sets.
 */
final class IptablesLive {
  private IptablesLive() {}

  static String saveCommand(IpFamily family) {
    return family == IpFamily.IPV4 ? "iptables-save" : "ip6tables-save";
  }

  /** Our objects that {@code settings} would not create. */
  static List<String> leftovers(TargetContext context, IptablesSettings settings)
      throws IOException {
    return read(context, settings).leftovers(settings);
  }

  /**
   * Everything of ours on the live system, whatever the settings: the chain and the jumps from
   * every parent chain in both families, and our sets. A family not in use is read too, so that
   * apply can remove what an earlier run left there, but when its tool fails (no IPv6 in this
   * kernel) it is simply left out.
   */
  static IptablesConfig read(TargetContext context, IptablesSettings settings) throws IOException {
    Map<IpFamily, IptablesConfig.FamilyRules> rules = new EnumMap<>(IpFamily.class);
    boolean setsReferenced = false;
    for (IpFamily family : IpFamily.values()) {
      boolean inUse = settings.families().includes(family);
      Command save = Command.read(saveCommand(family), "-t", "filter");
      CommandResult result;
      try {
        result = context.runner().run(save);
      } catch (ToolNotFoundException e) {
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
      Optional<IptablesConfig.FamilyRules> ours = ours(result.stdout());
      if (ours.isPresent()) {
        rules.put(family, ours.get());
        setsReferenced |=
            ours.get().chain().stream()
                .anyMatch(spec -> spec.contains("--match-set cf-allowlist-"));
      }
    }
    Map<IpFamily, IptablesConfig.SetEntries> sets = new EnumMap<>(IpFamily.class);
    Set<IpFamily> scratch = EnumSet.noneOf(IpFamily.class);
    Optional<List<String>> names = setNames(context, settings.ipset() || setsReferenced);
    for (String name : names.orElse(List.of())) {
      for (IpFamily family : IpFamily.values()) {
        if (name.equals(Rules.setName(family))) {
          sets.put(family, entries(context, family));
        } else if (name.equals(Rules.tmpSetName(family))) {
          scratch.add(family);
        }
      }
    }
    return new IptablesConfig(rules, sets, scratch);
  }

  /** Our chain's rules and our jumps in {@code iptables-save} output; empty when there are none. */
  static Optional<IptablesConfig.FamilyRules> ours(String saved) {
    boolean chainExists = false;
    List<String> chain = new ArrayList<>();
    List<IptablesConfig.Jump> jumps = new ArrayList<>();
    String ownRule = "-A " + Rules.CHAIN + " ";
    for (String line : saved.lines().toList()) {
      if (line.startsWith(":" + Rules.CHAIN + " ")) {
        chainExists = true;
      } else if (line.startsWith(ownRule)) {
        String spec = line.substring(ownRule.length());
        // Anything else stays verbatim: the rendering shows it as drift, and a rollback puts the
        // exact rule back.
        chain.add(
            Rules.recognise(spec)
                .filter(r -> !(r instanceof Rules.Jump))
                .map(Rules.Rule::spec)
                .orElse(spec));
      } else if (line.startsWith("-A ")) {
        String[] parts = line.split(" ", 3);
        if (parts.length == 3 && Rules.isOurJump(parts[2])) {
          String spec = Rules.recognise(parts[2]).map(Rules.Rule::spec).orElse(parts[2]);
          jumps.add(new IptablesConfig.Jump(parts[1], spec));
        }
      }
    }
    if (!chainExists && chain.isEmpty() && jumps.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new IptablesConfig.FamilyRules(chain, jumps));
  }

  /**
   * The names of all ipsets (only ours are looked at further). Unless {@code required}, a host
   * without a working ipset tool simply has none of ours: it is never needed for the plain chain.
   */
  private static Optional<List<String>> setNames(TargetContext context, boolean required)
      throws IOException {
    Command list = Command.read("ipset", "list", "-n");
    CommandResult result;
    try {
      result = context.runner().run(list);
    } catch (ToolNotFoundException e) {
      if (required) {
        throw e;
      }
      return Optional.empty();
    }
    if (!result.ok()) {
      if (required) {
        throw result.failure(list);
      }
      return Optional.empty();
    }
    return Optional.of(result.stdout().lines().map(String::strip).toList());
  }

  private static IptablesConfig.SetEntries entries(TargetContext context, IpFamily family)
      throws IOException {
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
        // kept verbatim below: the rendering shows it as drift and apply replaces the set
      }
      other.add(entry);
    }
    // ipset lists a hash set's entries in hash order.
    return new IptablesConfig.SetEntries(Cidr.sorted(cidrs), other);
  }
}
