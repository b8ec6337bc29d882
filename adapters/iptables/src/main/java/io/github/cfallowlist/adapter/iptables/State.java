package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What this target holds, live or desired: per family the chain's rules and the jumps into it, and
 * the ipsets' entries. Lines we recognise are kept in canonical form and anything else verbatim, so
 * that rendering shows it and putting a previous state back restores it exactly.
 *
 * @param rules per family present: the chain and its jumps
 * @param sets per ipset present: its entries, sorted
 */
record State(Map<IpFamily, FamilyRules> rules, Map<IpFamily, List<String>> sets) {

  State {
    rules = Collections.unmodifiableMap(copy(rules));
    sets = Collections.unmodifiableMap(copy(sets));
  }

  private static <V> EnumMap<IpFamily, V> copy(Map<IpFamily, V> map) {
    EnumMap<IpFamily, V> out = new EnumMap<>(IpFamily.class);
    out.putAll(map);
    return out;
  }

  static State empty() {
    return new State(Map.of(), Map.of());
  }

  /** The state that holds {@code ranges} as {@code settings} asks. */
  static State desired(RangeSet ranges, Settings settings) {
    Map<IpFamily, FamilyRules> rules = new EnumMap<>(IpFamily.class);
    Map<IpFamily, List<String>> sets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : settings.families().members()) {
      List<Cidr> cidrs = ranges.get(family);
      List<String> chain = new ArrayList<>();
      if (settings.ipset()) {
        chain.add(new Rules.SetAccept(family).spec());
        sets.put(family, cidrs.stream().map(Cidr::toString).toList());
      } else {
        cidrs.forEach(c -> chain.add(new Rules.RangeAccept(c).spec()));
      }
      chain.add(new Rules.Final(settings.mode()).spec());
      List<Jump> jumps =
          Rules.jumpSpecs(settings.parentChain(), settings.ports()).stream()
              .map(spec -> new Jump(settings.parentChain(), spec))
              .toList();
      rules.put(family, new FamilyRules(chain, jumps));
    }
    return new State(rules, sets);
  }

  boolean isEmpty() {
    return rules.isEmpty() && sets.isEmpty();
  }

  /** The ranges held: the chains' source matches and the sets' entries that are CIDRs. */
  RangeSet ranges() {
    List<Cidr> all = new ArrayList<>();
    for (FamilyRules family : rules.values()) {
      for (String spec : family.chain()) {
        Rules.recognise(spec)
            .filter(Rules.RangeAccept.class::isInstance)
            .ifPresent(r -> all.add(((Rules.RangeAccept) r).cidr()));
      }
    }
    for (List<String> entries : sets.values()) {
      for (String entry : entries) {
        try {
          all.add(Cidr.parse(entry));
        } catch (IllegalArgumentException e) {
          // Shown verbatim in the rendered set; parse() then names it.
        }
      }
    }
    return RangeSet.of(all);
  }

  Optional<FamilyRules> family(IpFamily family) {
    return Optional.ofNullable(rules.get(family));
  }

  Optional<List<String>> set(IpFamily family) {
    return Optional.ofNullable(sets.get(family));
  }

  /**
   * One family's chain and jumps.
   *
   * @param chain the specs of the rules in {@code CF-ALLOWLIST}, in order
   * @param jumps the jumps into it, sorted (their order among themselves does not matter)
   */
  record FamilyRules(List<String> chain, List<Jump> jumps) {
    FamilyRules {
      chain = List.copyOf(chain);
      List<Jump> sorted = new ArrayList<>(jumps);
      sorted.sort(null);
      jumps = List.copyOf(sorted);
    }
  }

  /**
   * A jump into our chain.
   *
   * @param parent the chain holding it
   * @param spec the rule after {@code -A parent}
   */
  record Jump(String parent, String spec) implements Comparable<Jump> {
    String line() {
      return "-I " + parent + " " + spec;
    }

    @Override
    public int compareTo(Jump other) {
      return line().compareTo(other.line());
    }
  }
}
