package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this target holds, live or desired, and its rendered files: per family the rules of {@code
 * CF-ALLOWLIST} and the jumps into it, the ipsets' entries, and scratch sets an interrupted run
 * left behind.
 *
 * <p>Rules we recognise are kept in canonical form and anything else verbatim, so that putting a
 * previous state back restores it exactly, and rendering shows it: a line inside our objects that
 * this target does not write is rendered as a {@value #DRIFT} comment, which {@link #parse} reads
 * past (it holds no range) but which makes the live rendering differ from the desired one, so the
 * plan shows the drift and apply replaces it.
 *
 * @param rules per family present: the chain and every jump into it carrying our comment
 * @param sets per ipset present: its entries
 * @param scratch the families whose temporary set ({@code cf-allowlist-v4-tmp}) exists
 */
record IptablesConfig(
    Map<IpFamily, FamilyRules> rules, Map<IpFamily, SetEntries> sets, Set<IpFamily> scratch) {

  static final String RULES_V4 = "cf-allowlist.rules.v4";
  static final String RULES_V6 = "cf-allowlist.rules.v6";
  static final String IPSET = "cf-allowlist.ipset";

  static final String CHAIN_DECLARATION = ":" + Rules.CHAIN + " - [0:0]";

  /** How a line inside our objects that this target did not write is rendered. */
  static final String DRIFT = "# not written by cf-allowlist, apply removes it: ";

  IptablesConfig {
    rules = Collections.unmodifiableMap(copy(rules));
    sets = Collections.unmodifiableMap(copy(sets));
    scratch =
        Collections.unmodifiableSet(
            scratch.isEmpty() ? EnumSet.noneOf(IpFamily.class) : EnumSet.copyOf(scratch));
  }

  private static <V> EnumMap<IpFamily, V> copy(Map<IpFamily, V> map) {
    EnumMap<IpFamily, V> out = new EnumMap<>(IpFamily.class);
    out.putAll(map);
    return out;
  }

  static IptablesConfig empty() {
    return new IptablesConfig(Map.of(), Map.of(), Set.of());
  }

  /** The configuration that holds {@code ranges} as {@code settings} asks. */
  static IptablesConfig desired(RangeSet ranges, IptablesSettings settings) {
    Map<IpFamily, FamilyRules> rules = new EnumMap<>(IpFamily.class);
    Map<IpFamily, SetEntries> sets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : settings.families().members()) {
      List<Cidr> cidrs = ranges.get(family);
      List<String> chain = new ArrayList<>();
      if (settings.ipset()) {
        chain.add(new Rules.SetAccept(family).spec());
        sets.put(family, new SetEntries(cidrs, List.of()));
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
    return new IptablesConfig(rules, sets, Set.of());
  }

  boolean isEmpty() {
    return rules.isEmpty() && sets.isEmpty() && scratch.isEmpty();
  }

  /**
   * The part of this live configuration that {@code settings} would create: the chains, the jumps
   * from the configured parent chain, and the sets when ipsets are asked for. The rest is {@link
   * #leftovers}.
   */
  IptablesConfig owned(IptablesSettings settings) {
    Map<IpFamily, FamilyRules> ownRules = new EnumMap<>(IpFamily.class);
    rules.forEach(
        (family, r) ->
            ownRules.put(
                family,
                new FamilyRules(
                    r.chain(),
                    r.jumps().stream()
                        .filter(j -> j.parent().equals(settings.parentChain()))
                        .toList())));
    return new IptablesConfig(ownRules, settings.ipset() ? sets : Map.of(), Set.of());
  }

  /**
   * What {@code settings} would not create, described in a few words: jumps from another parent
   * chain, the ipsets when they are not asked for, and scratch sets.
   */
  List<String> leftovers(IptablesSettings settings) {
    List<String> out = new ArrayList<>();
    rules.forEach(
        (family, r) ->
            r.jumps().stream()
                .map(Jump::parent)
                .filter(parent -> !parent.equals(settings.parentChain()))
                .distinct()
                .forEach(
                    parent ->
                        out.add(
                            "jump from "
                                + Printable.of(parent)
                                + " to "
                                + Rules.CHAIN
                                + " ("
                                + family
                                + ")")));
    if (!settings.ipset()) {
      sets.keySet().forEach(family -> out.add("ipset " + Rules.setName(family)));
    }
    scratch.forEach(family -> out.add("ipset " + Rules.tmpSetName(family)));
    return out;
  }

  /** This configuration without its scratch sets, which hold nothing that filters traffic. */
  IptablesConfig withoutScratch() {
    return new IptablesConfig(rules, sets, Set.of());
  }

  /** The ranges held: the chains' range rules and the sets' entries that are CIDRs. */
  RangeSet ranges() {
    List<Cidr> all = new ArrayList<>();
    rules.forEach(
        (family, r) -> {
          for (String spec : r.chain()) {
            ourRule(spec, family)
                .filter(Rules.RangeAccept.class::isInstance)
                .ifPresent(rule -> all.add(((Rules.RangeAccept) rule).cidr()));
          }
        });
    sets.values().forEach(entries -> all.addAll(entries.cidrs()));
    return RangeSet.of(all);
  }

  Optional<FamilyRules> family(IpFamily family) {
    return Optional.ofNullable(rules.get(family));
  }

  Optional<SetEntries> set(IpFamily family) {
    return Optional.ofNullable(sets.get(family));
  }

  /** The rule {@code spec} is, when it is one this target writes in the chain of {@code family}. */
  static Optional<Rules.Rule> ourRule(String spec, IpFamily family) {
    return Rules.recognise(spec).filter(rule -> belongsTo(rule, family));
  }

  private static boolean belongsTo(Rules.Rule rule, IpFamily family) {
    if (rule instanceof Rules.RangeAccept r) {
      return r.cidr().family() == family;
    }
    if (rule instanceof Rules.SetAccept s) {
      return s.family() == family;
    }
    return rule instanceof Rules.Final;
  }

  // ---- rendering

  static String rulesFile(IpFamily family) {
    return family == IpFamily.IPV4 ? RULES_V4 : RULES_V6;
  }

  /** The files for this configuration, headed by {@code snapshot}'s provenance. */
  Rendered render(RangeSnapshot snapshot) {
    String header = Header.commented(snapshot, "# ");
    List<Rendered.File> files = new ArrayList<>();
    rules.forEach(
        (family, r) ->
            files.add(new Rendered.File(rulesFile(family), header + rulesBody(family, r))));
    if (!sets.isEmpty()) {
      StringBuilder body = new StringBuilder(header);
      sets.forEach((family, entries) -> body.append(ipsetRendering(family, entries)));
      files.add(new Rendered.File(IPSET, body.toString()));
    }
    return new Rendered(files);
  }

  private static String rulesBody(IpFamily family, FamilyRules rules) {
    StringBuilder out = new StringBuilder("*filter\n").append(CHAIN_DECLARATION).append('\n');
    for (String spec : rules.chain()) {
      String line = "-A " + Rules.CHAIN + " " + spec;
      out.append(ourRule(spec, family).isPresent() ? line : drift(line)).append('\n');
    }
    for (Jump jump : rules.jumps()) {
      boolean ours = Rules.recognise(jump.spec()).filter(Rules.Jump.class::isInstance).isPresent();
      out.append(ours ? jump.line() : drift("-A " + jump.parent() + " " + jump.spec()));
      out.append('\n');
    }
    return out.append("COMMIT\n").toString();
  }

  private static String ipsetRendering(IpFamily family, SetEntries entries) {
    StringBuilder out = new StringBuilder(ipsetSection(family, entries.cidrs()));
    for (String entry : entries.other()) {
      out.append(drift("add " + Rules.setName(family) + " " + entry)).append('\n');
    }
    return out.toString();
  }

  /**
   * {@code line}, found live but not written by this target, as a comment; escaped when it holds
   * anything but printable ASCII, so a plan never carries a terminal escape.
   */
  private static String drift(String line) {
    boolean plain = line.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    return DRIFT + (plain ? line : Printable.of(line));
  }

  /**
   * The {@code ipset restore} lines that fill {@code family}'s set: a temporary set is filled and
   * swapped in, so the live set changes in one step and is never empty. Both sets are sized for
   * {@code entries} ({@link #maxElements}), so a list of any length fits.
   */
  static String ipsetSection(IpFamily family, List<Cidr> entries) {
    return ipsetSection(family, new SetEntries(entries, List.of()), true, false);
  }

  /**
   * As {@link #ipsetSection(IpFamily, List)}, for every entry of {@code entries} (an earlier
   * reading put back holds its other entries verbatim too), and for the live system as read just
   * before: the set is created only when it does not exist ({@code setExists}), since {@code create
   * -exist} refuses an existing set of another size, and a scratch set left behind ({@code
   * scratchExists}) is destroyed first, so the temporary set always has the size this list needs.
   * The swap exchanges the sets whatever their sizes, so a set too small for a longer list is
   * replaced in one step.
   */
  static String ipsetSection(
      IpFamily family, SetEntries entries, boolean createSet, boolean scratchExists) {
    String set = Rules.setName(family);
    String tmp = Rules.tmpSetName(family);
    int size = entries.cidrs().size() + entries.other().size();
    String type = createOptions(family, size);
    StringBuilder out = new StringBuilder(size * 24 + 256);
    if (createSet) {
      out.append("create ").append(set).append(type).append('\n');
    }
    if (scratchExists) {
      out.append("destroy ").append(tmp).append('\n');
    }
    out.append("create ").append(tmp).append(type).append('\n');
    out.append("flush ").append(tmp).append('\n');
    for (Cidr entry : entries.cidrs()) {
      out.append("add ").append(tmp).append(' ').append(entry).append('\n');
    }
    for (String entry : entries.other()) {
      out.append("add ").append(tmp).append(' ').append(entry).append('\n');
    }
    out.append("swap ").append(tmp).append(' ').append(set).append('\n');
    out.append("destroy ").append(tmp).append('\n');
    return out.toString();
  }

  /**
   * The type of our sets, {@code " hash:net family inet -exist"}, with {@code hashsize} and {@code
   * maxelem} for a list longer than ipset's default {@code maxelem} allows.
   */
  private static String createOptions(IpFamily family, int entries) {
    String type = " hash:net family " + (family == IpFamily.IPV4 ? "inet" : "inet6");
    if (entries > DEFAULT_MAXELEM) {
      type += " hashsize " + hashSize(entries) + " maxelem " + maxElements(entries);
    }
    return type + " -exist";
  }

  /**
   * The {@code maxelem} of a set holding {@code entries}: ipset's default, 65,536, or the next
   * power of two above the count for a longer list (a set refuses entries beyond it: "Hash is
   * full").
   */
  static int maxElements(int entries) {
    return entries <= DEFAULT_MAXELEM ? DEFAULT_MAXELEM : Integer.highestOneBit(entries) << 1;
  }

  /**
   * The initial {@code hashsize}: ipset's default, 1,024, or a quarter of {@link #maxElements} for
   * a longer list, so that loading it does not grow the table step by step.
   */
  static int hashSize(int entries) {
    return entries <= DEFAULT_MAXELEM ? DEFAULT_HASHSIZE : maxElements(entries) / 4;
  }

  private static final int DEFAULT_MAXELEM = 65_536;
  private static final int DEFAULT_HASHSIZE = 1_024;

  /** Whether {@code line} is one of the lines around the entries in {@link #ipsetSection}. */
  private static boolean isSectionLine(IpFamily family, String line) {
    String set = Rules.setName(family);
    String tmp = Rules.tmpSetName(family);
    if (line.equals("flush " + tmp)
        || line.equals("swap " + tmp + " " + set)
        || line.equals("destroy " + tmp)) {
      return true;
    }
    String type = " hash:net family " + (family == IpFamily.IPV4 ? "inet" : "inet6");
    for (String name : List.of(set, tmp)) {
      String head = "create " + name + type;
      if (!line.startsWith(head) || !line.endsWith(" -exist")) {
        continue;
      }
      String sizes = line.substring(head.length(), line.length() - " -exist".length());
      if (sizes.isEmpty()) {
        return true;
      }
      String[] words = sizes.split(" ", -1);
      if (words.length == 5
          && words[0].isEmpty()
          && words[1].equals("hashsize")
          && isCount(words[2])
          && words[3].equals("maxelem")
          && isCount(words[4])) {
        return true;
      }
    }
    return false;
  }

  private static boolean isCount(String text) {
    return !text.isEmpty()
        && text.length() <= 10
        && text.chars().allMatch(c -> c >= '0' && c <= '9')
        && text.charAt(0) != '0';
  }

  // ---- parsing

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
                    Printable.of(file.name()),
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
        } else if (isSectionLine(family, line)) {
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
        String.format(
            Locale.ROOT,
            "%s line %d %s: '%s'",
            Printable.of(file.name()),
            n,
            what,
            Printable.of(line)));
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
   * An ipset's entries, each read once: the CIDRs of the set's family, then anything else verbatim,
   * which the rendering shows as drift and an apply replaces.
   *
   * @param cidrs the entries that are CIDRs of the set's family, sorted
   * @param other the entries that are not, in the order they were found
   */
  record SetEntries(List<Cidr> cidrs, List<String> other) {
    SetEntries {
      cidrs = List.copyOf(cidrs);
      other = List.copyOf(other);
    }

    // Written out: the record's generated methods spin classes at their first call.
    @Override
    public boolean equals(Object o) {
      return o instanceof SetEntries that && cidrs.equals(that.cidrs) && other.equals(that.other);
    }

    @Override
    public int hashCode() {
      return 31 * cidrs.hashCode() + other.hashCode();
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
