package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.adapter.firewalld.FaultInjectingRunner.Fault;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FaultKit.Live;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite for firewalld: a real firewalld with a private D-Bus in namespaces of its own
 * ({@link KillableFirewalld}), one for the whole class because firewalld is slow. Each case runs
 * the real engine from the embedded list to the changed one ({@link FaultKit#newList()}) while a
 * {@code firewall-cmd} change fails, loses its reply, firewalld itself is killed, or the whole run
 * is killed at a chosen moment; then reads firewalld with {@code firewall-cmd} itself, not through
 * the adapter, runtime and permanent configuration both, and checks that each is exactly the old or
 * the new list and that the outcome says which. Each appends a row to {@code
 * target/reliability-firewalld.tsv}, from which {@code docs/reliability/generate.sh} builds {@code
 * docs/reliability.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewalldFaultTest {
  private static final String NAME = "firewalld";

  /**
   * The kills of a whole run at chosen moments: (to the new list?, changes made before the kill),
   * each starting where the one before ended. A run makes two runtime changes (the IPv4 ipset, then
   * the IPv6 one, each in one call), then the same two permanent ones.
   */
  private static final List<Map.Entry<Boolean, Integer>> TRIALS =
      List.of(
          Map.entry(true, 0),
          Map.entry(false, 1),
          Map.entry(true, 2),
          Map.entry(false, 3),
          Map.entry(true, 4));

  /** Kills of a whole run at random moments, spread over half as long again as a run. */
  private static final int RANDOM_TRIALS = 12;

  private static final List<String> CONFIGS = List.of("runtime", "permanent");
  private static final List<String> OBJECTS =
      List.of("--info-ipset=cloudflare-v4", "--info-ipset=cloudflare-v6", "--info-zone=cloudflare");

  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final TargetOptions OPTIONS = FaultKit.options(false);
  private static final RangeSnapshot OLD = FaultKit.oldList();
  private static final RangeSnapshot NEW = FaultKit.newList();

  private static KillableFirewalld firewalld;
  private static Map<String, String> oldView;
  private static Map<String, String> newView;

  @BeforeAll
  static void startFirewalld() {
    FaultKit.resetTsv(NAME);
    SystemTests.requireTools(
        "ip",
        "nsenter",
        "unshare",
        "mount",
        "sh",
        "kill",
        "dbus-daemon",
        "firewalld",
        "firewall-cmd");
    firewalld = KillableFirewalld.start();
    // What firewall-cmd shows with each list installed: the two states a faulted run may leave.
    assertThat(sync(NEW).outcome()).isEqualTo(Outcome.APPLIED);
    newView = view();
    assertThat(sync(OLD).outcome()).isEqualTo(Outcome.APPLIED);
    oldView = view();
    assertThat(oldView.get("runtime --info-ipset=cloudflare-v4")).contains("104.24.0.0/14");
    assertThat(newView.get("runtime --info-ipset=cloudflare-v4")).contains("104.16.0.0/12");
    assertThat(newView.get("permanent --info-ipset=cloudflare-v6")).contains("2a10:50c0::/29");
  }

  @AfterAll
  static void stopFirewalld() {
    if (firewalld != null) {
      firewalld.close();
    }
  }

  @Test
  @Order(1)
  void failedPermanentChangeLeavesTheOldListAndTheOutcomeSaysSo() {
    startFromOld();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(c -> c.modifies() && c.argv().contains("--permanent"), Fault.FAIL);

    TargetResult result = Sync.sync(TARGET, NEW, context(faults), FaultKit.guards(), false);

    assertThat(faults.allUsed()).as("a permanent change ran under the fault").isTrue();
    checkAndRecord(
        "the first permanent change fails (exit 1)",
        "set-entries --permanent cloudflare-v4",
        result);
  }

  @Test
  @Order(2)
  void lostReplyOfACarriedOutChangeLeavesTheOldOrTheNewListAndTheOutcomeSaysWhich() {
    startFromOld();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(Command::modifies, Fault.LOSE_REPLY_AFTER);

    TargetResult result = Sync.sync(TARGET, NEW, context(faults), FaultKit.guards(), false);

    assertThat(faults.allUsed()).as("the first change ran under the fault").isTrue();
    checkAndRecord(
        "the first change is carried out, then its reply is lost",
        "set-entries runtime cloudflare-v4",
        result);
  }

  @Test
  @Order(3)
  void firewalldKilledMidApplyIsReportedAsARestartShowsAndTheNextRunRepairsIt() {
    startFromOld();
    AtomicInteger changes = new AtomicInteger();
    CommandRunner real = firewalld.runner();
    CommandRunner killing =
        command -> {
          CommandResult r = real.run(command);
          if (command.modifies() && changes.incrementAndGet() == 1) {
            firewalld.killFirewalld();
          }
          return r;
        };

    TargetResult result = Sync.sync(TARGET, NEW, context(killing), FaultKit.guards(), false);

    assertThat(changes.get()).as("firewalld was killed after the first change").isPositive();
    assertThat(firewalld.firewalldAlive()).isFalse();
    firewalld.startFirewalld();
    Map<String, String> now = view();
    Live live = live(now);
    String verdict;
    if (result.outcome() == Outcome.STATE_UNKNOWN) {
      // Nothing could be read while firewalld was down: the honest word is "unknown", and it must
      // neither claim a state nor hide why.
      verdict =
          result.message().contains("put back")
                  || result.message().contains("nothing was changed")
                  || result.message().startsWith("applied")
              ? "STATE_UNKNOWN, but the message claims a state"
              : !result.message().contains("not running")
                  ? "STATE_UNKNOWN, but the message does not say firewalld is not running"
                  : live == Live.OLD || live == Live.NEW
                      ? "ok (unknown while firewalld was down; the restart shows "
                          + live.label()
                          + ")"
                      : "after the restart firewalld is " + describe(now);
    } else {
      verdict = FaultKit.verdict(live, result);
    }
    FaultKit.appendRow(
        NAME,
        "firewalld is killed (SIGKILL) after the first change, then started again",
        NAME,
        "firewalld",
        describe(now),
        result.outcome().name(),
        verdict,
        result.message());
    assertThat(verdict).as("%s: %s", result.outcome(), result.message()).startsWith("ok");
    repairs();
  }

  /**
   * SIGKILL of a whole run (a child JVM applying one list, killed with its commands or without
   * them) at chosen moments: before its first change, after each of its changes. Each ipset and the
   * zone, in each configuration, must then be exactly the old or the new one (the families and the
   * two configurations change in separate calls, so they may differ), and the next run must repair
   * all of them.
   */
  @Test
  @Order(4)
  void sigkillOfTheRunLeavesEachConfigurationOldOrNewAndTheNextRunRepairsBoth(@TempDir Path tmp)
      throws Exception {
    startFromOld();
    List<Map.Entry<Boolean, Integer>> trials = TRIALS;
    List<String> wrong = new ArrayList<>();
    FirewalldApplyChild child = FirewalldApplyChild.start(firewalld, tmp);
    for (int trial = 0; trial < trials.size(); trial++) {
      boolean toNew = trials.get(trial).getKey();
      int changes = trials.get(trial).getValue();
      boolean tree = trial % 2 == 1;
      String what =
          String.format(
              Locale.ROOT,
              "SIGKILL of the run to the %s list after %d of its changes%s",
              toNew ? "new" : "old",
              changes,
              tree ? " (with its commands)" : "");
      child.runUntil(toNew, changes);
      assertThat(child.kill(tree)).as("%s: the run was still going", what).isTrue();
      child = FirewalldApplyChild.start(firewalld, tmp);

      Map<String, String> now = view();
      String described = describe(now);
      TargetResult after = sync(toNew ? NEW : OLD);
      String verdict = killVerdict(now, toNew, after);
      FaultKit.appendRow(
          NAME,
          what,
          NAME,
          "the whole run",
          described,
          "next run: " + after.outcome().name(),
          verdict,
          after.message());
      if (!verdict.equals("ok")) {
        wrong.add(what + ": " + described + "; " + verdict + " (" + after.message() + ")");
      }
    }
    child.discard();
    assertThat(wrong).isEmpty();
  }

  /**
   * SIGKILL of a whole run at random moments while it applies, alternately to the new and the old
   * list, every other one with its commands; the same checks as at the chosen moments.
   */
  @Test
  @Order(5)
  void sigkillAtRandomMomentsLeavesEachObjectOldOrNewAndTheNextRunRepairsIt(@TempDir Path tmp)
      throws Exception {
    long seed = new java.util.Random().nextLong();
    java.util.Random random = new java.util.Random(seed);
    List<String> wrong = new ArrayList<>();
    Map<String, Integer> states = new TreeMap<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    int killed = 0;
    int span =
        FaultKit.killSpan(
            FirewalldFaultTest::startFromOld,
            () -> FirewalldApplyChild.start(firewalld, tmp).timedRun(true));
    // The timed runs left the new list; the trials start from the old one.
    startFromOld();
    FirewalldApplyChild child = FirewalldApplyChild.start(firewalld, tmp);
    for (int trial = 0; trial < RANDOM_TRIALS; trial++) {
      boolean toNew = trial % 2 == 0;
      boolean tree = trial % 4 >= 2;
      int delay = FaultKit.delay(random, trial, RANDOM_TRIALS, span);
      child.run(toNew);
      Thread.sleep(delay);
      if (child.kill(tree)) {
        killed++;
      }
      child = FirewalldApplyChild.start(firewalld, tmp);

      Map<String, String> now = view();
      String described = describe(now);
      TargetResult after = sync(toNew ? NEW : OLD);
      String verdict = killVerdict(now, toNew, after);
      states.merge(described, 1, Integer::sum);
      outcomes.merge(after.outcome().name(), 1, Integer::sum);
      if (!verdict.equals("ok")) {
        wrong.add(
            "trial "
                + trial
                + " of seed "
                + seed
                + " ("
                + delay
                + " ms): "
                + described
                + "; "
                + verdict
                + " ("
                + after.message()
                + ")");
      }
    }
    child.discard();
    FaultKit.appendRow(
        NAME,
        "SIGKILL at a random moment ("
            + RANDOM_TRIALS
            + " trials over 0-"
            + span
            + " ms, 1.5 runs)",
        NAME,
        "the whole run",
        counted(states),
        "next run: " + counted(outcomes),
        wrong.isEmpty() ? "ok" : wrong.size() + " wrong",
        killed
            + " killed while running (every other pair with its commands); the next run applied"
            + " or found in sync, as the state read said");
    assertThat(wrong).isEmpty();
    assertThat(killed).as("trials killed while the run was still going").isPositive();
  }

  /**
   * "ok" when every object of {@code now} is exactly old or new and the next run, to the new list
   * or the old one, found it in sync exactly when it was already that list, and left it so.
   */
  private static String killVerdict(Map<String, String> now, boolean toNew, TargetResult after) {
    boolean each = CONFIGS.stream().allMatch(c -> live(now, c) != Live.NEITHER);
    Live wanted = toNew ? Live.NEW : Live.OLD;
    boolean repaired = view().equals(toNew ? newView : oldView);
    Outcome expected = live(now) == wanted ? Outcome.IN_SYNC : Outcome.APPLIED;
    return !each
        ? "an ipset or the zone is neither old nor new"
        : after.outcome() != expected
            ? "the next run ended " + after.outcome() + ", not " + expected
            : !repaired ? "the next run did not repair every object" : "ok";
  }

  /** "new 3, old 5": each value with how often it came. */
  private static String counted(Map<String, Integer> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((k, v) -> parts.add(k + " " + v));
    return String.join(", ", parts);
  }

  // ---- helpers

  /** Checks a faulted run against a fresh reading, records its row, and repairs. */
  private static void checkAndRecord(String fault, String command, TargetResult result) {
    Map<String, String> now = view();
    Live live = live(now);
    String verdict = FaultKit.verdict(live, result);
    FaultKit.appendRow(
        NAME,
        fault,
        NAME,
        command,
        describe(now),
        result.outcome().name(),
        verdict,
        result.message());
    assertThat(verdict).as("%s: %s", result.outcome(), result.message()).isEqualTo("ok");
    repairs();
  }

  /** A clean run ends APPLIED or IN_SYNC with the new list, runtime and permanent. */
  private static void repairs() {
    TargetResult next = sync(NEW);
    assertThat(next.outcome()).as(next.message()).isIn(Outcome.APPLIED, Outcome.IN_SYNC);
    assertThat(view()).isEqualTo(newView);
  }

  /**
   * Installs the old list; the faulted run reads it again (a state that is not old shows there).
   */
  private static void startFromOld() {
    TargetResult r = sync(OLD);
    assertThat(r.outcome()).as(r.message()).isIn(Outcome.APPLIED, Outcome.IN_SYNC);
  }

  private static TargetContext context(CommandRunner runner) {
    return new TargetContext(OPTIONS, runner);
  }

  private static TargetResult sync(RangeSnapshot snapshot) {
    return Sync.sync(TARGET, snapshot, context(firewalld.runner()), FaultKit.guards(), false);
  }

  /**
   * Both ipsets and the zone as {@code firewall-cmd} shows them, runtime and permanent, by "CONFIG
   * OPTION"; entries sorted, as firewalld keeps them in the order they came.
   */
  private static Map<String, String> view() {
    Map<String, String> view = new TreeMap<>();
    for (String config : CONFIGS) {
      String flag = config.equals("permanent") ? "--permanent " : "";
      String out =
          firewalld.sh(
              "for o in "
                  + String.join(" ", OBJECTS)
                  + "; do echo \"== $o\"; firewall-cmd "
                  + flag
                  + "\"$o\" 2>&1 || echo \"exit $?\"; done");
      String key = null;
      List<String> lines = new ArrayList<>();
      for (String line : (out + "== end\n").lines().toList()) {
        if (line.startsWith("== ")) {
          if (key != null) {
            view.put(config + " " + key, String.join("\n", lines));
          }
          key = line.substring(3);
          lines.clear();
        } else {
          lines.add(normalized(line));
        }
      }
    }
    return view;
  }

  private static String normalized(String line) {
    String s = line.strip();
    if (!s.startsWith("entries:")) {
      return line;
    }
    String[] entries = entries(s);
    Arrays.sort(entries);
    return "  entries: " + String.join(" ", entries);
  }

  /** Which list {@code config} of {@code view} is. */
  private static Live live(Map<String, String> view, String config) {
    boolean old = true;
    boolean neu = true;
    boolean each = true;
    for (String object : OBJECTS) {
      String key = config + " " + object;
      boolean isOld = view.get(key).equals(oldView.get(key));
      boolean isNew = view.get(key).equals(newView.get(key));
      old &= isOld;
      neu &= isNew;
      each &= isOld || isNew;
    }
    return old ? Live.OLD : neu ? Live.NEW : each ? Live.MIXED : Live.NEITHER;
  }

  /** Which list firewalld is: old or new when both configurations are, else mixed or neither. */
  private static Live live(Map<String, String> view) {
    Live runtime = live(view, "runtime");
    Live permanent = live(view, "permanent");
    if (runtime == permanent) {
      return runtime;
    }
    return runtime == Live.NEITHER || permanent == Live.NEITHER ? Live.NEITHER : Live.MIXED;
  }

  /** The state in words: "old", or each configuration's, naming the objects that are neither. */
  private static String describe(Map<String, String> view) {
    Live both = live(view);
    if (both == Live.OLD || both == Live.NEW) {
      return both.label();
    }
    List<String> parts = new ArrayList<>();
    for (String config : CONFIGS) {
      Live live = live(view, config);
      String part = config + " " + live.label();
      if (live == Live.MIXED || live == Live.NEITHER) {
        List<String> odd = new ArrayList<>();
        for (String object : OBJECTS) {
          String key = config + " " + object;
          String v = view.get(key);
          odd.add(
              object.replaceFirst("^--info-", "")
                  + " "
                  + (v.equals(oldView.get(key))
                      ? "old"
                      : v.equals(newView.get(key))
                          ? "new"
                          : "neither: " + drift(v, oldView.get(key)) + " from old"));
        }
        part += " (" + String.join(", ", odd) + ")";
      }
      parts.add(part);
    }
    return String.join(", ", parts);
  }

  /** The entries of a stripped {@code entries:} line. */
  private static String[] entries(String line) {
    return line.substring("entries:".length()).strip().split("\\s+");
  }

  /** How {@code now} differs from {@code was}: each entry or other line gained (+) or lost (-). */
  private static String drift(String now, String was) {
    Set<String> gained = items(now);
    gained.removeAll(items(was));
    Set<String> lost = items(was);
    lost.removeAll(items(now));
    List<String> parts = new ArrayList<>();
    gained.forEach(i -> parts.add("+" + i));
    lost.forEach(i -> parts.add("-" + i));
    return String.join(" ", parts);
  }

  /** An object's entries, and each of its other lines in quotes. */
  private static Set<String> items(String info) {
    return info.lines()
        .map(String::strip)
        .flatMap(
            l -> l.startsWith("entries:") ? Arrays.stream(entries(l)) : Stream.of("'" + l + "'"))
        .filter(i -> !i.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
