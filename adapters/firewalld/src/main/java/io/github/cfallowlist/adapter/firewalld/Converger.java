package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.IpFamily;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings one firewalld configuration (runtime or permanent) to a desired state with the fewest
 * changes, remembering how to undo each one so a failure puts everything back.
 *
 * <p>firewalld cannot flush or swap an ipset (its issue 450), so the ipsets change entry by entry,
 * in bulk through {@code --add-entries-from-file=/dev/stdin}. Additions come before removals so
 * that Cloudflare stays admitted throughout. The one exception: firewalld refuses an entry that
 * overlaps one already in the set, so a range replaced by an overlapping one (104.16.0.0/12 by
 * 104.16.0.0/13 in 2021) must leave before its successor can enter; that pair is swapped in
 * consecutive commands, after every other addition.
 */
final class Converger {
  private final FirewallCmd fw;
  private final Deque<List<Command>> undo = new ArrayDeque<>();

  Converger(FirewallCmd fw) {
    this.fw = fw;
  }

  /** Whether any change was made. */
  boolean changed() {
    return !undo.isEmpty();
  }

  /**
   * Changes configuration {@code permanent} from {@code have} to {@code want}. Only the permanent
   * configuration can create or delete ipsets and zones; {@code structural} allows it.
   */
  void converge(
      boolean permanent, FirewallCmd.State have, FirewalldXml.Parsed want, boolean structural)
      throws IOException {
    Map<IpFamily, EntryDiff> diffs = new EnumMap<>(IpFamily.class);
    for (Map.Entry<IpFamily, List<Cidr>> e : want.ipsets().entrySet()) {
      IpFamily family = e.getKey();
      Optional<FirewallCmd.IpsetInfo> info = Optional.ofNullable(have.ipsets().get(family));
      if (info.isEmpty()) {
        requireStructural(structural, "ipset " + Names.ipset(family));
        step(
            fw.modify(
                permanent,
                "--new-ipset=" + Names.ipset(family),
                "--type=" + Names.IPSET_TYPE,
                "--option=family=" + Names.ipsetFamily(family)),
            List.of(fw.modify(permanent, "--delete-ipset=" + Names.ipset(family))));
      }
      diffs.put(
          family,
          EntryDiff.of(
              e.getValue(), info.map(FirewallCmd.IpsetInfo::canonicalEntries).orElse(Map.of())));
    }
    for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
      entries(permanent, d.getKey(), true, d.getValue().addFirst);
    }

    if (want.zone().isPresent()) {
      FirewalldXml.ZoneSpec zone = want.zone().get();
      List<String> havePorts = List.of();
      List<String> haveSources = List.of();
      if (have.zone().isEmpty()) {
        requireStructural(structural, "zone " + Names.ZONE);
        step(
            fw.modify(permanent, "--new-zone=" + Names.ZONE),
            List.of(fw.modify(permanent, "--delete-zone=" + Names.ZONE)));
      } else {
        havePorts = have.zone().get().list("ports");
        haveSources = have.zone().get().list("sources");
      }
      List<String> wantPorts = zone.ports().stream().map(p -> p + "/tcp").toList();
      List<String> wantSources =
          zone.sources().stream().map(f -> "ipset:" + Names.ipset(f)).toList();
      zoneItems(permanent, "port", minus(wantPorts, havePorts), true);
      zoneItems(permanent, "source", minus(wantSources, haveSources), true);

      for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
        entries(permanent, d.getKey(), false, d.getValue().swapOut);
        entries(permanent, d.getKey(), true, d.getValue().swapIn);
      }
      for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
        entries(permanent, d.getKey(), false, d.getValue().removeLast);
      }
      zoneItems(permanent, "port", minus(havePorts, wantPorts), false);
      // Only our own ipsets leave the zone's sources; anything else there is not ours to drop.
      List<String> ours =
          minus(haveSources, wantSources).stream()
              .filter(
                  s -> s.startsWith("ipset:") && Names.familyOfIpset(s.substring(6)).isPresent())
              .toList();
      zoneItems(permanent, "source", ours, false);
    } else {
      for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
        entries(permanent, d.getKey(), false, d.getValue().swapOut);
        entries(permanent, d.getKey(), true, d.getValue().swapIn);
        entries(permanent, d.getKey(), false, d.getValue().removeLast);
      }
      if (have.zone().isPresent()) {
        requireStructural(structural, "zone " + Names.ZONE);
        FirewallCmd.ZoneInfo old = have.zone().get();
        List<Command> back = new ArrayList<>();
        back.add(fw.modify(permanent, "--new-zone=" + Names.ZONE));
        zoneCommand(permanent, "port", old.list("ports"), true).ifPresent(back::add);
        zoneCommand(permanent, "source", old.list("sources"), true).ifPresent(back::add);
        step(fw.modify(permanent, "--delete-zone=" + Names.ZONE), back);
      }
    }

    for (Map.Entry<IpFamily, FirewallCmd.IpsetInfo> e : have.ipsets().entrySet()) {
      if (want.ipsets().containsKey(e.getKey())) {
        continue;
      }
      requireStructural(structural, "ipset " + Names.ipset(e.getKey()));
      String name = Names.ipset(e.getKey());
      FirewallCmd.IpsetInfo old = e.getValue();
      List<String> create = new ArrayList<>();
      create.add("--new-ipset=" + name);
      create.add("--type=" + old.type());
      old.options().forEach(o -> create.add("--option=" + o));
      List<Command> back = new ArrayList<>();
      back.add(fw.modify(permanent, create.toArray(String[]::new)));
      if (!old.entries().isEmpty()) {
        back.add(entriesCommand(permanent, e.getKey(), true, old.entries()));
      }
      step(fw.modify(permanent, "--delete-ipset=" + name), back);
    }
  }

  /** Makes the runtime configuration what the permanent one says. */
  void reload() throws IOException {
    fw.run(fw.modify(false, "--reload"));
  }

  /**
   * Undoes every change made so far, newest first, and says how that went, for the message.
   *
   * @param reload whether to reload afterwards, to bring the runtime back to the permanent state
   */
  String rollback(boolean reload) {
    List<String> failures = new ArrayList<>();
    while (!undo.isEmpty()) {
      for (Command c : undo.pop()) {
        try {
          fw.run(c);
        } catch (IOException | RuntimeException e) {
          failures.add(e.getMessage());
        }
      }
    }
    if (reload) {
      try {
        reload();
      } catch (IOException | RuntimeException e) {
        failures.add(e.getMessage());
      }
    }
    return failures.isEmpty()
        ? "the previous configuration was put back"
        : "putting the previous configuration back also failed: " + failures.get(0);
  }

  private void step(Command command, List<Command> back) throws IOException {
    fw.run(command);
    undo.push(back);
  }

  private static void requireStructural(boolean structural, String what) {
    if (!structural) {
      // The caller decides runtime-only changes are enough when every object exists; reaching
      // here means that decision was wrong, which is a bug, not a firewall problem.
      throw new IllegalStateException(what + " would need creating or deleting in place");
    }
  }

  private void entries(boolean permanent, IpFamily family, boolean add, List<String> entries)
      throws IOException {
    if (entries.isEmpty()) {
      return;
    }
    step(
        entriesCommand(permanent, family, add, entries),
        List.of(entriesCommand(permanent, family, !add, entries)));
  }

  // One command per ipset and direction whatever the count: the entries go on standard input.
  private Command entriesCommand(
      boolean permanent, IpFamily family, boolean add, List<String> entries) {
    return fw.modify(
            permanent,
            "--ipset=" + Names.ipset(family),
            (add ? "--add" : "--remove") + "-entries-from-file=/dev/stdin")
        .withStdin(String.join("\n", entries) + "\n");
  }

  private void zoneItems(boolean permanent, String kind, List<String> values, boolean add)
      throws IOException {
    Optional<Command> command = zoneCommand(permanent, kind, values, add);
    if (command.isPresent()) {
      step(command.get(), List.of(zoneCommand(permanent, kind, values, !add).orElseThrow()));
    }
  }

  private Optional<Command> zoneCommand(
      boolean permanent, String kind, List<String> values, boolean add) {
    if (values.isEmpty()) {
      return Optional.empty();
    }
    List<String> args = new ArrayList<>();
    args.add("--zone=" + Names.ZONE);
    for (String v : values) {
      args.add((add ? "--add-" : "--remove-") + kind + "=" + v);
    }
    return Optional.of(fw.modify(permanent, args.toArray(String[]::new)));
  }

  private static List<String> minus(List<String> a, List<String> b) {
    Set<String> drop = Set.copyOf(b);
    return a.stream().filter(x -> !drop.contains(x)).distinct().toList();
  }

  /**
   * The entry changes for one ipset, in the order they run.
   *
   * @param addFirst added before anything is removed
   * @param swapOut removed just before {@code swapIn}, because they overlap it
   * @param swapIn added right after {@code swapOut}
   * @param removeLast removed after every addition
   */
  record EntryDiff(
      List<String> addFirst, List<String> swapOut, List<String> swapIn, List<String> removeLast) {

    /**
     * The changes from {@code have} (canonical text to firewalld's text) to {@code want}; entries
     * to remove are named in firewalld's text, which is what it matches on.
     */
    static EntryDiff of(List<Cidr> want, Map<String, String> have) {
      Map<String, Cidr> wanted = new LinkedHashMap<>();
      want.forEach(c -> wanted.put(c.toString(), c));
      List<Cidr> add = want.stream().filter(c -> !have.containsKey(c.toString())).toList();
      List<String> remove = have.keySet().stream().filter(k -> !wanted.containsKey(k)).toList();
      List<Cidr> removeCidrs = new ArrayList<>();
      for (String r : remove) {
        try {
          removeCidrs.add(Cidr.parse(r));
        } catch (IllegalArgumentException notCidr) {
          // firewalld holds something that is not a prefix: it overlaps nothing we add.
        }
      }
      List<String> addFirst = new ArrayList<>();
      List<String> swapIn = new ArrayList<>();
      for (Cidr a : add) {
        boolean clash = removeCidrs.stream().anyMatch(r -> r.overlaps(a));
        (clash ? swapIn : addFirst).add(a.toString());
      }
      List<String> swapOut = new ArrayList<>();
      List<String> removeLast = new ArrayList<>();
      for (String r : remove) {
        boolean clash = false;
        try {
          Cidr c = Cidr.parse(r);
          clash = add.stream().anyMatch(a -> a.overlaps(c));
        } catch (IllegalArgumentException notCidr) {
          // kept as not clashing
        }
        (clash ? swapOut : removeLast).add(have.get(r));
      }
      return new EntryDiff(addFirst, swapOut, swapIn, removeLast);
    }
  }
}
