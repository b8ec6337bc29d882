package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.adapter.firewalld.FirewalldLive.IpsetInfo;
import io.github.cfallowlist.adapter.firewalld.FirewalldLive.Reading;
import io.github.cfallowlist.adapter.firewalld.FirewalldLive.State;
import io.github.cfallowlist.adapter.firewalld.FirewalldLive.ZoneInfo;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Brings firewalld's runtime and permanent configuration to a desired state with the fewest
 * changes, and after any failure finds out what it left behind by reading both configurations
 * again.
 *
 * <p><b>Order.</b> When every object exists in the runtime configuration, the runtime changes first
 * (it is what filters traffic now), then the permanent one, and firewalld is not reloaded (a reload
 * would drop runtime changes other tools made, such as fail2ban's). Creating or deleting an object
 * (install, uninstall, a family added or dropped) is possible only in the permanent configuration,
 * which then changes first and is loaded with one reload. New ipsets of more than {@link
 * #FILLED_AFTER_RELOAD} entries are loaded empty and filled after the reload, permanent first: an
 * ipset the runtime did not hold matched nothing before, and matches nothing while empty.
 *
 * <p><b>Entries.</b> With firewalld running, an ipset's entries change in one call, firewalld's
 * {@code setEntries} ({@link FirewalldLive#replaceEntries}), with a time limit that grows with the
 * list: a run stopped at any moment leaves each ipset of each configuration with the old entries or
 * the new ones, never a mix, and a range replaced by an overlapping one (104.16.0.0/12 by
 * 104.16.0.0/13 in 2021, which firewalld refuses to hold together) is never missing in between.
 * firewall-cmd itself replaces the whole list on every entry change, so this is no heavier than
 * adding. Offline, {@code firewall-offline-cmd} changes entries in bulk through {@code
 * --add-entries-from-file=/dev/stdin}, at most {@link #BATCH} per call, additions before removals,
 * and an overlapping pair swapped in consecutive commands after every other addition.
 *
 * <p><b>Failure.</b> A command that failed, timed out or lost its reply may or may not have taken
 * effect, so nothing is concluded from which commands succeeded. Both configurations are read
 * again: equal to the state before, the outcome is {@link Outcome#FAILED_UNCHANGED}; otherwise the
 * changes from that live state back to the previous one are made (continuing past failures) and
 * both are read a third time: {@link Outcome#FAILED_RESTORED} only when that reading equals the
 * previous state, else {@link Outcome#STATE_UNKNOWN} naming every difference.
 */
final class FirewalldApplier {
  private static final System.Logger LOG = System.getLogger(FirewalldApplier.class.getName());

  /** The most entries one firewall-cmd call adds or removes. */
  static final int BATCH = 2000;

  /**
   * The most entries new ipsets are created with before the reload that loads them; above it they
   * are created empty and filled after the reload, each in one {@code setEntries} call, permanent
   * first. firewalld checks every entry as it loads a set (about 50 s for 100,000): the reload
   * stays short, and the permanent configuration is complete before the long runtime fill.
   */
  static final int FILLED_AFTER_RELOAD = 10_000;

  /**
   * Zone settings that hold lists, by firewall-cmd's name, with the option stem that edits them.
   */
  private static final Map<String, String> LISTS =
      Map.of(
          "services", "service",
          "ports", "port",
          "protocols", "protocol",
          "icmp-blocks", "icmp-block",
          "forward-ports", "forward-port",
          "source-ports", "source-port",
          "rich rules", "rich-rule",
          "interfaces", "interface",
          "sources", "source");

  // The most differences a message lists.
  private static final int SHOWN = 12;

  private final FirewalldLive live;
  private final int batch;

  FirewalldApplier(FirewalldLive live, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch (" + batch + ") must be positive");
    }
    this.live = live;
    this.batch = batch;
  }

  static FirewalldApplier of(TargetContext context) {
    return new FirewalldApplier(FirewalldLive.of(context), BATCH);
  }

  /**
   * Puts the plan's desired configuration in place in both configurations, ipsets of families no
   * longer in use included (they are the plan's leftovers).
   *
   * @throws ApplyFailedException saying, from a fresh reading, what the failure left behind
   */
  void apply(Plan plan) {
    if (plan.isRemoval()) {
      uninstall();
      return;
    }
    FirewalldXml.Parsed want = FirewalldConfig.parse(plan.desiredConfig());
    change(
        before -> new Reading(desired(before.runtime(), want), desired(before.permanent(), want)));
  }

  /**
   * Deletes the {@code cloudflare} zone and the {@code cloudflare-v4} / {@code cloudflare-v6}
   * ipsets; nothing else is touched.
   *
   * @throws ApplyFailedException saying, from a fresh reading, what the failure left behind
   */
  void uninstall() {
    change(before -> new Reading(State.empty(), State.empty()));
  }

  private void change(UnaryOperator<Reading> target) {
    Reading before;
    try {
      before = live.read();
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(Printable.message(e), Outcome.FAILED_UNCHANGED, e);
    }
    Reading want = target.apply(before);
    try {
      converge(before, want, new Steps(false));
    } catch (IOException | RuntimeException e) {
      throw settle(before, e);
    }
  }

  /** After a failure: what is there now, and back to {@code before} when it differs. */
  private ApplyFailedException settle(Reading before, Exception error) {
    String what = Printable.message(error);
    LOG.log(Level.WARNING, "firewalld: {0}; reading firewalld again", what);
    Reading now;
    try {
      now = live.read();
    } catch (IOException | RuntimeException e) {
      return new ApplyFailedException(
          what
              + "; reading firewalld again also failed ("
              + Printable.message(e)
              + "), so its state is unknown",
          Outcome.STATE_UNKNOWN,
          error);
    }
    if (now.equals(before)) {
      // The verdict words are the engine's; this says only what happened.
      return new ApplyFailedException(what, Outcome.FAILED_UNCHANGED, error);
    }
    LOG.log(
        Level.WARNING,
        "firewalld: putting the previous configuration back ({0})",
        String.join("; ", now.differences(before)));
    Steps back = new Steps(true);
    try {
      converge(now, before, back);
    } catch (IOException | RuntimeException e) {
      back.failed(e);
    }
    Reading after;
    try {
      after = live.read();
    } catch (IOException | RuntimeException e) {
      return new ApplyFailedException(
          what
              + "; after putting the previous configuration back, reading firewalld failed ("
              + Printable.message(e)
              + "), so its state is unknown",
          Outcome.STATE_UNKNOWN,
          error);
    }
    if (after.equals(before)) {
      return new ApplyFailedException(what, Outcome.FAILED_RESTORED, error);
    }
    List<String> differences = after.differences(before);
    String listed =
        String.join("; ", differences.subList(0, Math.min(SHOWN, differences.size())))
            + (differences.size() > SHOWN ? "; and " + (differences.size() - SHOWN) + " more" : "");
    return new ApplyFailedException(
        what
            + "; putting the previous configuration back "
            + back.firstError()
                .map(e -> "failed (" + Printable.message(e) + ")")
                .orElse("did not take")
            + ", and firewalld now differs from it: "
            + listed,
        Outcome.STATE_UNKNOWN,
        error);
  }

  /**
   * {@code have} with the desired objects of {@code want}: its ipsets, and a zone whose ports and
   * own ipset sources are the desired ones. Whatever else the zone holds is not this target's, so
   * it stays.
   */
  static State desired(State have, FirewalldXml.Parsed want) {
    Map<IpFamily, IpsetInfo> ipsets = new EnumMap<>(IpFamily.class);
    want.ipsets()
        .forEach(
            (family, entries) ->
                ipsets.put(
                    family,
                    new IpsetInfo(
                        Names.IPSET_TYPE,
                        List.of("family=" + Names.ipsetFamily(family)),
                        entries.stream().map(Cidr::toString).toList())));
    Optional<ZoneInfo> zone =
        want.zone()
            .map(
                spec -> {
                  ZoneInfo base = have.zone().orElse(new ZoneInfo("default", Map.of()));
                  List<String> sources = new ArrayList<>();
                  for (String s : base.list("sources")) {
                    if (!isOwnSource(s)) {
                      sources.add(s);
                    }
                  }
                  spec.sources().forEach(f -> sources.add("ipset:" + Names.ipset(f)));
                  return new ZoneInfo("default", base.fields())
                      .with("ports", spec.ports().stream().map(p -> p + "/tcp").toList())
                      .with("sources", sources);
                });
    return new State(zone, ipsets);
  }

  private static boolean isOwnSource(String source) {
    return source.startsWith("ipset:") && Names.familyOfIpset(source.substring(6)).isPresent();
  }

  /** Makes both configurations go from {@code have} to {@code want}. */
  private void converge(Reading have, Reading want, Steps steps) throws IOException {
    if (live.offline()) {
      converge(true, have.permanent(), want.permanent(), steps);
      return;
    }
    if (have.runtime().objects().equals(want.runtime().objects())) {
      // Runtime first: that is what filters traffic now.
      converge(false, have.runtime(), want.runtime(), steps);
      converge(true, have.permanent(), want.permanent(), steps);
    } else {
      // Objects are created and deleted only in the permanent configuration; a reload makes the
      // runtime what it then holds.
      State reloaded = reloaded(have.runtime(), want.runtime());
      converge(true, have.permanent(), reloaded, steps);
      steps.run(live.reload(entries(reloaded)));
      // Permanent first here: it is quick, and a run stopped while the runtime fills leaves empty
      // sets there (matching nothing, as before they existed) and firewalld's next start complete.
      converge(true, reloaded, want.permanent(), steps);
      converge(false, reloaded, want.runtime(), steps);
    }
  }

  /** How many entries the ipsets of {@code state} hold together. */
  private static int entries(State state) {
    return state.ipsets().values().stream().mapToInt(i -> i.entries().size()).sum();
  }

  /**
   * What the reload loads: {@code want}, except that ipsets the runtime does not hold yet are
   * loaded empty and filled afterwards when they hold more than {@link #FILLED_AFTER_RELOAD}
   * entries together. Nothing matched them before, and nothing matches them empty.
   */
  static State reloaded(State runtime, State want) {
    Map<IpFamily, IpsetInfo> ipsets = new EnumMap<>(IpFamily.class);
    want.ipsets()
        .forEach(
            (family, i) ->
                ipsets.put(
                    family,
                    runtime.ipsets().containsKey(family)
                        ? i
                        : new IpsetInfo(i.type(), i.options(), List.of())));
    State emptied = new State(want.zone(), ipsets);
    // What the new ipsets hold: all that emptying them took out.
    return entries(want) - entries(emptied) <= FILLED_AFTER_RELOAD ? want : emptied;
  }

  /**
   * Changes configuration {@code permanent} from {@code have} to {@code want}. Creating or deleting
   * objects happens only in the permanent configuration; the caller makes sure the runtime needs
   * none.
   */
  private void converge(boolean permanent, State have, State want, Steps steps) throws IOException {
    Optional<ZoneInfo> haveZone = have.zone();
    Map<IpFamily, EntryDiff> diffs = new EnumMap<>(IpFamily.class);
    for (Map.Entry<IpFamily, IpsetInfo> e : want.ipsets().entrySet()) {
      IpFamily family = e.getKey();
      String name = Names.ipset(family);
      IpsetInfo w = e.getValue();
      IpsetInfo h = have.ipsets().get(family);
      if (h != null && !(h.type().equals(w.type()) && h.options().equals(w.options()))) {
        // Type and options are set only at creation: the zone lets go of it, then it is made anew.
        String source = "ipset:" + name;
        if (haveZone.isPresent() && haveZone.get().list("sources").contains(source)) {
          steps.run(zone(permanent, "--remove-source=" + source));
          List<String> rest = new ArrayList<>(haveZone.get().list("sources"));
          rest.remove(source);
          haveZone = Optional.of(haveZone.get().with("sources", rest));
        }
        steps.run(command(permanent, "--delete-ipset=" + name));
        h = null;
      }
      if (h == null) {
        List<String> create = new ArrayList<>();
        create.add("--new-ipset=" + name);
        create.add("--type=" + w.type());
        w.options().forEach(o -> create.add("--option=" + o));
        steps.run(command(permanent, create.toArray(String[]::new)));
      }
      Map<String, String> held = h == null ? Map.of() : h.canonicalEntries();
      if (live.offline()) {
        EntryDiff diff = EntryDiff.of(w.canonicalEntries(), held);
        diffs.put(family, diff);
        entries(steps, permanent, family, true, diff.addFirst());
      } else if (!held.keySet().equals(w.canonicalEntries().keySet())) {
        // One call: the ipset holds the old entries or the new ones, whenever this run stops.
        steps.run(live.replaceEntries(permanent, family, w.entries()));
      }
    }

    if (want.zone().isPresent()) {
      ZoneInfo w = want.zone().get();
      if (haveZone.isEmpty()) {
        steps.run(command(permanent, "--new-zone=" + Names.ZONE));
        haveZone = Optional.of(new ZoneInfo("default", Map.of()));
      }
      if (!haveZone.get().target().equals(w.target())) {
        steps.run(zone(permanent, "--set-target=" + w.target()));
      }
      zoneSettings(steps, permanent, haveZone.get(), w, true);
    }

    for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
      entries(steps, permanent, d.getKey(), false, d.getValue().swapOut());
      entries(steps, permanent, d.getKey(), true, d.getValue().swapIn());
    }
    for (Map.Entry<IpFamily, EntryDiff> d : diffs.entrySet()) {
      entries(steps, permanent, d.getKey(), false, d.getValue().removeLast());
    }

    if (want.zone().isPresent()) {
      zoneSettings(steps, permanent, haveZone.orElseThrow(), want.zone().get(), false);
    } else if (haveZone.isPresent()) {
      steps.run(command(permanent, "--delete-zone=" + Names.ZONE));
    }

    for (IpFamily family : have.ipsets().keySet()) {
      if (!want.ipsets().containsKey(family)) {
        steps.run(command(permanent, "--delete-ipset=" + Names.ipset(family)));
      }
    }
  }

  /**
   * Adds ({@code add}) what {@code want} holds and {@code have} lacks, or removes the reverse, one
   * command per kind of setting. Settings {@code want} does not mention are left alone.
   */
  private void zoneSettings(
      Steps steps, boolean permanent, ZoneInfo have, ZoneInfo want, boolean add)
      throws IOException {
    for (Map.Entry<String, List<String>> e : new TreeMap<>(want.fields()).entrySet()) {
      String key = e.getKey();
      if (FirewalldLive.FLAGS.contains(key)) {
        boolean on = e.getValue().contains("yes");
        if (on == add && have.yes(key) != on) {
          steps.run(zone(permanent, (add ? "--add-" : "--remove-") + key));
        }
        continue;
      }
      String stem = LISTS.get(key);
      if (stem == null) {
        continue;
      }
      List<String> values =
          add ? minus(e.getValue(), have.list(key)) : minus(have.list(key), e.getValue());
      if (values.isEmpty()) {
        continue;
      }
      List<String> args = new ArrayList<>();
      for (String v : values) {
        args.add((add ? "--add-" : "--remove-") + stem + "=" + v);
      }
      steps.run(zone(permanent, args.toArray(String[]::new)));
    }
  }

  private void entries(
      Steps steps, boolean permanent, IpFamily family, boolean add, List<String> entries)
      throws IOException {
    for (int from = 0; from < entries.size(); from += batch) {
      List<String> part = entries.subList(from, Math.min(entries.size(), from + batch));
      steps.run(
          command(
                  permanent,
                  "--ipset=" + Names.ipset(family),
                  (add ? "--add" : "--remove") + "-entries-from-file=/dev/stdin")
              .withStdin(String.join("\n", part) + "\n"));
    }
  }

  private Command command(boolean permanent, String... args) {
    return Command.modify(live.argv(permanent, args));
  }

  private Command zone(boolean permanent, String... args) {
    List<String> all = new ArrayList<>();
    all.add("--zone=" + Names.ZONE);
    all.addAll(List.of(args));
    return command(permanent, all.toArray(String[]::new));
  }

  private static List<String> minus(List<String> a, List<String> b) {
    Set<String> drop = Set.copyOf(b);
    return a.stream().filter(x -> !drop.contains(x)).distinct().toList();
  }

  /**
   * Runs the changing commands, stopping at the first failure, or (putting a previous state back)
   * running every one and keeping the first failure.
   */
  private final class Steps {
    private final boolean bestEffort;
    private final List<Exception> errors = new ArrayList<>();

    Steps(boolean bestEffort) {
      this.bestEffort = bestEffort;
    }

    void run(Command command) throws IOException {
      try {
        CommandResult result = live.runner().run(command);
        if (!result.ok()) {
          throw live.failure(command, result);
        }
      } catch (IOException | RuntimeException e) {
        if (!bestEffort) {
          throw e;
        }
        failed(e);
      }
    }

    void failed(Exception e) {
      errors.add(e);
    }

    Optional<Exception> firstError() {
      return errors.stream().findFirst();
    }
  }

  /**
   * The entry changes for one ipset, in the order they run; entries are named in firewalld's text.
   *
   * @param addFirst added before anything is removed
   * @param swapOut removed just before {@code swapIn}, because they overlap it
   * @param swapIn added right after {@code swapOut}
   * @param removeLast removed after every addition
   */
  record EntryDiff(
      List<String> addFirst, List<String> swapOut, List<String> swapIn, List<String> removeLast) {

    /**
     * The changes from {@code have} to {@code want}, each mapping an entry's canonical text to the
     * text it is (to be) stored as: additions use {@code want}'s text, removals {@code have}'s,
     * which is what firewalld matches on.
     */
    static EntryDiff of(Map<String, String> want, Map<String, String> have) {
      Map<String, String> add = new LinkedHashMap<>(want);
      add.keySet().removeAll(have.keySet());
      Map<String, String> remove = new LinkedHashMap<>(have);
      remove.keySet().removeAll(want.keySet());
      List<Cidr> removed = cidrs(remove.keySet());
      List<Cidr> added = cidrs(add.keySet());
      List<String> addFirst = new ArrayList<>();
      List<String> swapIn = new ArrayList<>();
      add.forEach((key, text) -> (overlapsAny(key, removed) ? swapIn : addFirst).add(text));
      List<String> swapOut = new ArrayList<>();
      List<String> removeLast = new ArrayList<>();
      remove.forEach((key, text) -> (overlapsAny(key, added) ? swapOut : removeLast).add(text));
      return new EntryDiff(addFirst, swapOut, swapIn, removeLast);
    }

    private static List<Cidr> cidrs(Set<String> keys) {
      List<Cidr> out = new ArrayList<>();
      keys.forEach(k -> IpsetInfo.canonical(k).ifPresent(out::add));
      return out;
    }

    // An entry that is not a prefix overlaps nothing this target adds.
    private static boolean overlapsAny(String key, List<Cidr> others) {
      Optional<Cidr> c = IpsetInfo.canonical(key);
      return c.isPresent() && others.stream().anyMatch(o -> o.overlaps(c.get()));
    }
  }
}
