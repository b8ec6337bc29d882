package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads what firewalld holds of the target's objects, in the runtime and the permanent
 * configuration, through {@code firewall-cmd} (or, offline, {@code firewall-offline-cmd}, which
 * sees only the permanent configuration and takes no {@code --permanent}). Runs only reads.
 */
final class FirewalldLive {
  static final String ONLINE = "firewall-cmd";
  static final String OFFLINE = "firewall-offline-cmd";
  static final String PYTHON = "python3";

  // Replaces an ipset's entries in one call (see replaceEntries).
  private static final String SET_ENTRIES = resource("set-entries.py");

  // Reads the zone and the ipsets of both configurations in one call (see infos).
  private static final String READ_STATE = resource("read-state.py");

  private static final String RELOAD = resource("reload.py");
  private static final String ANSWER = "@@ ";
  private static final String MISSING = " missing";

  // firewall-cmd's exit codes (firewall/errors.py): the object does not exist, or no daemon.
  private static final int INVALID_ZONE = 112;
  private static final int INVALID_IPSET = 135;
  private static final int NOT_RUNNING = 252;

  // Zone settings that firewall-cmd prints as yes or no.
  static final Set<String> FLAGS = Set.of("icmp-block-inversion", "forward", "masquerade");

  private final CommandRunner runner;
  private final boolean offline;

  FirewalldLive(CommandRunner runner, boolean offline) {
    this.runner = runner;
    this.offline = offline;
  }

  static FirewalldLive of(TargetContext context) {
    return new FirewalldLive(context.runner(), FirewalldSettings.of(context.options()).offline());
  }

  private static String resource(String name) {
    try (InputStream in = FirewalldLive.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean offline() {
    return offline;
  }

  CommandRunner runner() {
    return runner;
  }

  /** The argument list of one firewall-cmd call on the runtime or the permanent configuration. */
  List<String> argv(boolean permanent, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(offline ? OFFLINE : ONLINE);
    if (permanent && !offline) {
      argv.add("--permanent");
    }
    argv.addAll(Arrays.asList(args));
    return argv;
  }

  /**
   * The command that replaces every entry of {@code family}'s ipset in the runtime or the permanent
   * configuration with {@code entries}, in one call to firewalld (its D-Bus method {@code
   * setEntries}, through the {@code python3-dbus} firewalld itself depends on): firewall-cmd only
   * adds or removes entries, so a change of several calls could be cut between them. The entries
   * are followed by a line {@code end}; an input cut short before it changes nothing, whatever
   * runner carried it. Its time limit grows with the list, since firewalld checks every entry
   * before loading them.
   */
  Command replaceEntries(boolean permanent, IpFamily family, List<String> entries) {
    long seconds = seconds(entries.size());
    return Command.modify(
            List.of(
                PYTHON,
                "-I",
                "-c",
                SET_ENTRIES,
                permanent ? "--permanent" : "runtime",
                Names.ipset(family),
                Long.toString(seconds)))
        .withStdin(entries.isEmpty() ? "end\n" : String.join("\n", entries) + "\nend\n")
        .withTimeout(Duration.ofSeconds(seconds + 10));
  }

  /**
   * The command that reloads firewalld (its D-Bus method {@code reload}, the one {@code
   * firewall-cmd --reload} calls), waiting for the reply for a time that grows with the {@code
   * entries} of the ipsets it loads: firewall-cmd stops waiting after about 25 s, while firewalld
   * checks every entry as it loads a set (about 50 s for 100,000).
   */
  Command reload(int entries) {
    long seconds = seconds(entries);
    return Command.modify(List.of(PYTHON, "-I", "-c", RELOAD, Long.toString(seconds)))
        .withTimeout(Duration.ofSeconds(seconds + 10));
  }

  /** How long firewalld may take to check and load {@code entries}: 30 s and 1 s per 500. */
  private static long seconds(int entries) {
    return 30 + entries / 500L;
  }

  /**
   * The error for {@code command}, which ended as {@code result} (not 0).
   *
   * @throws CfAllowlistException when the reason is that firewalld is not running
   */
  IOException failure(Command command, CommandResult result) {
    String error = result.stderr() + result.stdout();
    if (!offline
        && (result.exitCode() == NOT_RUNNING
            || error.contains("not running")
            || error.contains("DBUS_ERROR"))) {
      throw new CfAllowlistException(
          "firewalld is not running (firewall-cmd: "
              + Printable.of(result.firstErrorLine())
              + "); start it, or use --offline (setting offline=true) to change only its permanent"
              + " configuration with firewall-offline-cmd");
    }
    return result.failure(command);
  }

  /** Both configurations; offline, the permanent one stands for both. */
  Reading read() throws IOException {
    if (offline) {
      State permanent = read(true);
      return new Reading(permanent, permanent);
    }
    // Online, one process reads both configurations: each firewall-cmd call costs a Python start.
    Map<String, Optional<String>> answers = infos(queries(List.of(false, true), IpFamily.values()));
    return new Reading(state(false, answers), state(true, answers));
  }

  /** One configuration's objects as firewall-cmd reports them. */
  State read(boolean permanent) throws IOException {
    return state(permanent, infos(queries(List.of(permanent), IpFamily.values())));
  }

  /** The zone and the ipsets of {@code families} in each of {@code configurations}. */
  private static List<String> queries(List<Boolean> configurations, IpFamily... families) {
    List<String> out = new ArrayList<>();
    for (boolean permanent : configurations) {
      // The zone first: when firewalld is down, the first command says so.
      out.add(query(permanent, "--info-zone=" + Names.ZONE));
      for (IpFamily family : families) {
        out.add(query(permanent, "--info-ipset=" + Names.ipset(family)));
      }
    }
    return out;
  }

  private static String query(boolean permanent, String option) {
    return (permanent ? "permanent " : "runtime ") + option;
  }

  private static State state(boolean permanent, Map<String, Optional<String>> answers) {
    Optional<ZoneInfo> zone =
        answers.get(query(permanent, "--info-zone=" + Names.ZONE)).map(ZoneInfo::parse);
    Map<IpFamily, IpsetInfo> ipsets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      answers
          .getOrDefault(query(permanent, "--info-ipset=" + Names.ipset(family)), Optional.empty())
          .ifPresent(text -> ipsets.put(family, IpsetInfo.parse(text)));
    }
    return new State(zone, ipsets);
  }

  /**
   * The answer to each query ({@code runtime --info-zone=NAME}, {@code permanent
   * --info-ipset=NAME}), empty when the object does not exist: online in one call of the read-state
   * script, offline one firewall-offline-cmd call each.
   */
  private Map<String, Optional<String>> infos(List<String> queries) throws IOException {
    Map<String, Optional<String>> out = new LinkedHashMap<>();
    if (offline) {
      for (String q : queries) {
        out.put(q, info(true, q.substring(q.indexOf(' ') + 1)));
      }
      return out;
    }
    List<String> argv = new ArrayList<>(List.of(PYTHON, "-I", "-c", READ_STATE));
    argv.addAll(queries);
    Command command = Command.read(argv);
    CommandResult result = runner.run(command);
    if (!result.ok()) {
      throw failure(command, result);
    }
    String query = null;
    StringBuilder text = new StringBuilder();
    for (String line : result.stdout().split("\n", -1)) {
      if (line.startsWith(ANSWER)) {
        if (query != null) {
          out.put(query, Optional.of(text.toString()));
        }
        String head = line.substring(ANSWER.length());
        query = null;
        text.setLength(0);
        if (head.endsWith(MISSING)) {
          out.put(head.substring(0, head.length() - MISSING.length()), Optional.empty());
        } else {
          query = head;
        }
      } else if (query != null) {
        text.append(line).append('\n');
      }
    }
    if (query != null) {
      out.put(query, Optional.of(text.toString()));
    }
    if (!out.keySet().containsAll(queries)) {
      throw new IOException(
          command.display() + " did not answer every query (got " + out.keySet() + ")");
    }
    return out;
  }

  /** The output of an {@code --info-...} query, or empty when the object does not exist. */
  private Optional<String> info(boolean permanent, String option) throws IOException {
    Command command = Command.read(argv(permanent, option));
    CommandResult result = runner.run(command);
    if (result.ok()) {
      return Optional.of(result.stdout());
    }
    String error = result.stderr() + result.stdout();
    if (result.exitCode() == INVALID_ZONE
        || result.exitCode() == INVALID_IPSET
        || error.contains("INVALID_ZONE")
        || error.contains("INVALID_IPSET")) {
      return Optional.empty();
    }
    throw failure(command, result);
  }

  /**
   * The ipsets of the families not in {@code families} that exist in either configuration, each as
   * {@code ipset NAME}.
   */
  List<String> leftovers(Families families) throws IOException {
    List<IpFamily> unused = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      if (!families.includes(family)) {
        unused.add(family);
      }
    }
    if (unused.isEmpty()) {
      return List.of();
    }
    List<String> queries = new ArrayList<>();
    for (boolean permanent : configurations()) {
      for (IpFamily family : unused) {
        queries.add(query(permanent, "--info-ipset=" + Names.ipset(family)));
      }
    }
    Map<String, Optional<String>> answers = infos(queries);
    List<String> out = new ArrayList<>();
    for (IpFamily family : unused) {
      for (boolean permanent : configurations()) {
        if (answers.get(query(permanent, "--info-ipset=" + Names.ipset(family))).isPresent()) {
          out.add("ipset " + Names.ipset(family));
          break;
        }
      }
    }
    return out;
  }

  /** The configurations to read and change: runtime then permanent, or only permanent offline. */
  List<Boolean> configurations() {
    return offline ? List.of(true) : List.of(false, true);
  }

  /**
   * {@code reading} rendered the way the target renders its files, with the ipsets of {@code
   * families} only (the others are leftovers), or empty when none of those objects exists. An ipset
   * shows the ranges both configurations hold, and an object on which they disagree carries a
   * comment saying so, which makes the plan apply again.
   */
  static Optional<Rendered> render(Reading reading, Families families) {
    State runtime = reading.runtime();
    State permanent = reading.permanent();
    Optional<FirewalldConfig.Zone> zone;
    if (runtime.zone().isPresent() && permanent.zone().isPresent()) {
      zone =
          Optional.of(
              FirewalldConfig.Zone.merge(
                  runtime.zone().get().toConfig(), permanent.zone().get().toConfig()));
    } else {
      // Present in one configuration only: show it, flagged, so the next apply settles it.
      zone =
          runtime
              .zone()
              .or(permanent::zone)
              .map(ZoneInfo::toConfig)
              .map(z -> new FirewalldConfig.Zone(z.target(), z.items(), true));
    }
    Map<IpFamily, FirewalldConfig.Ipset> ipsets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : families.members()) {
      IpsetInfo r = runtime.ipsets().get(family);
      IpsetInfo p = permanent.ipsets().get(family);
      if (r != null && p != null) {
        ipsets.put(family, FirewalldConfig.Ipset.merge(r.toConfig(), p.toConfig()));
      } else if (r != null || p != null) {
        FirewalldConfig.Ipset one = (r != null ? r : p).toConfig();
        ipsets.put(
            family, new FirewalldConfig.Ipset(one.type(), one.options(), one.entries(), true));
      }
    }
    FirewalldConfig live = new FirewalldConfig(zone, ipsets);
    if (live.isEmpty()) {
      return Optional.empty();
    }
    List<Cidr> ranges = new ArrayList<>();
    for (FirewalldConfig.Ipset ipset : live.ipsets().values()) {
      for (String entry : ipset.entries()) {
        IpsetInfo.canonical(entry).ifPresent(ranges::add);
      }
    }
    return Optional.of(live.render(RangeSnapshot.live(RangeSet.of(ranges), "firewalld")));
  }

  /** Text order, except that numbers at the start compare as numbers (80/tcp before 443/tcp). */
  static int naturalOrder(String a, String b) {
    int da = leadingDigits(a);
    int db = leadingDigits(b);
    if (da > 0 && db > 0 && da != db) {
      return Integer.compare(da, db);
    }
    return a.compareTo(b);
  }

  private static int leadingDigits(String s) {
    int n = 0;
    while (n < s.length() && n < 9 && Character.isDigit(s.charAt(n))) {
      n++;
    }
    return n;
  }

  /** {@code --info-...} output: a title line, then {@code " key: value"} lines. */
  private static Map<String, List<String>> infoFields(String text) {
    Map<String, List<String>> fields = new LinkedHashMap<>();
    String key = null;
    List<String> lines = text.lines().toList();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("\t") && key != null) {
        // forward-ports and rich rules: one per continuation line
        fields.get(key).add(line.strip());
        continue;
      }
      int colon = line.indexOf(':');
      if (!line.startsWith("  ") || colon < 0) {
        continue;
      }
      key = line.substring(0, colon).strip();
      List<String> values = new ArrayList<>();
      for (String v : line.substring(colon + 1).strip().split(" ", -1)) {
        if (!v.isEmpty()) {
          values.add(v);
        }
      }
      fields.put(key, values);
    }
    return fields;
  }

  /**
   * Both configurations at one moment. Equal readings mean equal firewalld state for the target's
   * objects: the order firewalld lists things in does not count.
   *
   * @param runtime what filters traffic now
   * @param permanent what firewalld loads at its next start or reload
   */
  record Reading(State runtime, State permanent) {
    /** Whether none of the objects exists in either configuration. */
    boolean isEmpty() {
      return runtime.isEmpty() && permanent.isEmpty();
    }

    /**
     * How this reading differs from {@code other}, one item per object and setting, such as {@code
     * runtime ipset cloudflare-v4 entries +45.64.64.0/22 -131.0.72.0/22} ({@code +} held here, not
     * in {@code other}); empty when they are equal.
     */
    List<String> differences(Reading other) {
      List<String> out = new ArrayList<>();
      runtime.differences("runtime", other.runtime, out);
      permanent.differences("permanent", other.permanent, out);
      return out;
    }
  }

  /**
   * What one configuration holds.
   *
   * @param zone the zone, when it exists
   * @param ipsets the ipsets that exist
   */
  record State(Optional<ZoneInfo> zone, Map<IpFamily, IpsetInfo> ipsets) {
    State {
      Map<IpFamily, IpsetInfo> copy = new EnumMap<>(IpFamily.class);
      copy.putAll(ipsets);
      ipsets = Collections.unmodifiableMap(copy);
    }

    static State empty() {
      return new State(Optional.empty(), Map.of());
    }

    boolean isEmpty() {
      return zone.isEmpty() && ipsets.isEmpty();
    }

    /**
     * The objects that exist and what only creating them can set (a zone's target, an ipset's type
     * and options): a configuration reaches another without deleting or creating anything when both
     * name the same objects.
     */
    Set<String> objects() {
      Set<String> out = new TreeSet<>();
      zone.ifPresent(z -> out.add("zone " + Names.ZONE + " target " + z.target()));
      ipsets.forEach(
          (f, i) -> out.add("ipset " + Names.ipset(f) + " " + i.type() + " " + i.options()));
      return out;
    }

    void differences(String where, State other, List<String> out) {
      String zoneName = where + " zone " + Names.ZONE;
      if (zone.isPresent() != other.zone.isPresent()) {
        out.add(zoneName + (zone.isPresent() ? " present" : " missing"));
      } else if (zone.isPresent()) {
        ZoneInfo a = zone.get();
        ZoneInfo b = other.zone.get();
        if (!a.target().equals(b.target())) {
          out.add(
              zoneName
                  + " target "
                  + Printable.of(a.target())
                  + " (expected "
                  + Printable.of(b.target())
                  + ")");
        }
        Set<String> keys = new TreeSet<>(a.fields().keySet());
        keys.addAll(b.fields().keySet());
        for (String key : keys) {
          change(zoneName + " " + key, a.list(key), b.list(key)).ifPresent(out::add);
        }
      }
      for (IpFamily family : IpFamily.values()) {
        String name = where + " ipset " + Names.ipset(family);
        IpsetInfo a = ipsets.get(family);
        IpsetInfo b = other.ipsets.get(family);
        if ((a == null) != (b == null)) {
          out.add(name + (a != null ? " present" : " missing"));
        } else if (a != null) {
          if (!a.type().equals(b.type()) || !a.options().equals(b.options())) {
            out.add(
                name
                    + " "
                    + Printable.of(a.type() + " " + a.options())
                    + " (expected "
                    + Printable.of(b.type() + " " + b.options())
                    + ")");
          }
          change(name + " entries", a.entries(), b.entries()).ifPresent(out::add);
        }
      }
    }

    private static Optional<String> change(String what, List<String> now, List<String> expected) {
      List<String> extra = new ArrayList<>(new TreeSet<>(now));
      extra.removeAll(expected);
      List<String> missing = new ArrayList<>(new TreeSet<>(expected));
      missing.removeAll(now);
      if (extra.isEmpty() && missing.isEmpty()) {
        return Optional.empty();
      }
      StringBuilder out = new StringBuilder(what);
      listed(out, "+", extra);
      listed(out, "-", missing);
      return Optional.of(out.toString());
    }

    private static final int SHOWN = 10;

    private static void listed(StringBuilder out, String sign, List<String> values) {
      for (int i = 0; i < values.size() && i < SHOWN; i++) {
        out.append(' ').append(sign).append(Printable.of(values.get(i)));
      }
      if (values.size() > SHOWN) {
        out.append(" (").append(sign).append(values.size() - SHOWN).append(" more)");
      }
    }
  }

  /**
   * The zone as {@code --info-zone} shows it.
   *
   * @param target its target
   * @param fields every other setting, by the name firewall-cmd prints, values sorted (numbers as
   *     numbers)
   */
  record ZoneInfo(String target, Map<String, List<String>> fields) {
    ZoneInfo {
      Map<String, List<String>> copy = new TreeMap<>();
      fields.forEach(
          (k, v) -> {
            if (!k.equals("target")) {
              TreeSet<String> sorted = new TreeSet<>(FirewalldLive::naturalOrder);
              sorted.addAll(v);
              copy.put(k, List.copyOf(sorted));
            }
          });
      fields = Collections.unmodifiableMap(copy);
    }

    static ZoneInfo parse(String text) {
      Map<String, List<String>> f = infoFields(text);
      List<String> target = f.getOrDefault("target", List.of("default"));
      return new ZoneInfo(target.isEmpty() ? "default" : target.get(0), f);
    }

    List<String> list(String key) {
      return fields.getOrDefault(key, List.of());
    }

    boolean yes(String key) {
      return list(key).contains("yes");
    }

    /** This zone with {@code key} holding {@code values}. */
    ZoneInfo with(String key, List<String> values) {
      Map<String, List<String>> copy = new TreeMap<>(fields);
      copy.put(key, values);
      return new ZoneInfo(target, copy);
    }

    /** The zone for rendering: every setting it holds, ours and anyone else's. */
    FirewalldConfig.Zone toConfig() {
      List<FirewalldConfig.Item> items = new ArrayList<>();
      for (String s : list("services")) {
        items.add(FirewalldConfig.Item.named(FirewalldConfig.Item.SERVICE, "service", "name", s));
      }
      for (String p : list("ports")) {
        int slash = p.lastIndexOf('/');
        items.add(
            slash < 0
                ? FirewalldConfig.Item.port(p, "")
                : FirewalldConfig.Item.port(p.substring(0, slash), p.substring(slash + 1)));
      }
      for (String p : list("protocols")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.PROTOCOL, "protocol", "value", p));
      }
      for (String b : list("icmp-blocks")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.ICMP_BLOCK, "icmp-block", "name", b));
      }
      if (yes("masquerade")) {
        items.add(FirewalldConfig.Item.flag(FirewalldConfig.Item.MASQUERADE, "masquerade"));
      }
      // Forward ports and rich rules are shown by their firewall-cmd text: readLive only needs to
      // make them visible, and parse refuses them either way.
      for (String fp : list("forward-ports")) {
        items.add(
            FirewalldConfig.Item.named(
                FirewalldConfig.Item.FORWARD_PORT, "forward-port", "spec", fp));
      }
      for (String p : list("source-ports")) {
        int slash = p.lastIndexOf('/');
        items.add(
            slash < 0
                ? FirewalldConfig.Item.sourcePort(p, "")
                : FirewalldConfig.Item.sourcePort(p.substring(0, slash), p.substring(slash + 1)));
      }
      for (String r : list("rich rules")) {
        items.add(FirewalldConfig.Item.named(FirewalldConfig.Item.RULE, "rule", "spec", r));
      }
      for (String i : list("interfaces")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.INTERFACE, "interface", "name", i));
      }
      for (String s : list("sources")) {
        items.add(FirewalldConfig.Item.source(s));
      }
      if (yes("icmp-block-inversion")) {
        items.add(
            FirewalldConfig.Item.flag(
                FirewalldConfig.Item.ICMP_BLOCK_INVERSION, "icmp-block-inversion"));
      }
      if (yes("forward")) {
        items.add(FirewalldConfig.Item.flag(FirewalldConfig.Item.FORWARD, "forward"));
      }
      return new FirewalldConfig.Zone(target, items, false);
    }
  }

  /**
   * An ipset as {@code --info-ipset} shows it.
   *
   * @param type its type
   * @param options its options, {@code key=value} or {@code key}, sorted
   * @param entries its entries as firewalld stores them, sorted
   */
  record IpsetInfo(String type, List<String> options, List<String> entries) {
    IpsetInfo {
      options = List.copyOf(new TreeSet<>(options));
      entries = List.copyOf(new TreeSet<>(entries));
    }

    static IpsetInfo parse(String text) {
      Map<String, List<String>> f = infoFields(text);
      List<String> type = f.getOrDefault("type", List.of());
      return new IpsetInfo(
          type.isEmpty() ? "" : type.get(0),
          f.getOrDefault("options", List.of()),
          f.getOrDefault("entries", List.of()));
    }

    /**
     * The entries by their canonical text, mapped to the text firewalld stores (needed to remove
     * them); entries that are not CIDR prefixes map to themselves.
     */
    Map<String, String> canonicalEntries() {
      Map<String, String> out = new LinkedHashMap<>();
      for (String e : entries) {
        out.put(canonical(e).map(Cidr::toString).orElse(e), e);
      }
      return out;
    }

    /**
     * The ipset for rendering: entries in canonical text and in the order a RangeSet keeps, so the
     * same ranges render the same bytes whatever order they were added in.
     */
    FirewalldConfig.Ipset toConfig() {
      List<Cidr> cidrs = new ArrayList<>();
      List<String> other = new ArrayList<>();
      for (String e : entries) {
        canonical(e).ifPresentOrElse(cidrs::add, () -> other.add(e));
      }
      Collections.sort(cidrs);
      List<String> all = new ArrayList<>(cidrs.stream().map(Cidr::toString).toList());
      all.addAll(other);
      return new FirewalldConfig.Ipset(type, options, all, false);
    }

    static Optional<Cidr> canonical(String entry) {
      try {
        return Optional.of(Cidr.parse(entry));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }
}
