package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FaultKit.Child;
import io.github.cfallowlist.testing.FaultKit.Fault;
import io.github.cfallowlist.testing.FaultKit.FaultRunner;
import io.github.cfallowlist.testing.FaultKit.Live;
import io.github.cfallowlist.testing.FaultKit.References;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault suite for iptables (plain chain and {@code --ipset}): real iptables-restore,
 * ip6tables-restore and ipset in a namespace, one of them made to fail, hang, lose its reply or go
 * missing by a wrapper mounted over {@code /usr/local/sbin}, and runs killed at random moments. The
 * list change touches both families, so with the plain chain the IPv4 and the IPv6 restore both
 * run, and a fault of the second comes after the first has committed. Each case checks, with
 * iptables-save and ipset themselves and not through the adapter, that the rules and sets are
 * exactly the old or the new ones, and that the reported outcome says which. Each appends a row to
 * {@code target/reliability-iptables.tsv}.
 */
class IptablesFaultTest {
  private static final String NAME = "iptables";

  private final Target target = new IptablesTarget();
  private final RangeSnapshot oldList = FaultKit.oldList();
  private final RangeSnapshot newList = FaultKit.newList();

  @BeforeAll
  static void startMatrix() {
    FaultKit.resetTsv(NAME);
  }

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools(
        "ip",
        "iptables-save",
        "ip6tables-save",
        "iptables-restore",
        "ip6tables-restore",
        "ipset",
        "unshare",
        "mount",
        "sh",
        "sleep",
        "kill");
  }

  static Stream<Arguments> faults() {
    List<Arguments> cases = new ArrayList<>();
    for (Fault fault : Fault.values()) {
      cases.add(Arguments.of("iptables-restore", false, fault));
      cases.add(Arguments.of("ip6tables-restore", false, fault));
      cases.add(Arguments.of("ipset", true, fault));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("faults")
  void faultLeavesTheOldOrTheNewRulesAndTheOutcomeSaysWhich(
      String program, boolean ipset, Fault fault, @TempDir Path dir) throws Exception {
    TargetOptions options = FaultKit.options(ipset);
    try (Netns ns = Netns.create("cfiptf-")) {
      TargetContext clean = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      Refs refs = references(ns, clean, options);
      FaultRunner runner = new FaultRunner(ns.name(), program, fault, dir);

      TargetResult result =
          Sync.sync(target, newList, new TargetContext(options, runner), FaultKit.guards(), false);

      Map<IpFamily, Live> families = refs.perFamily(saved(ns));
      Live live = Refs.overall(families);
      String verdict = FaultKit.verdict(live, result);
      FaultKit.appendRow(
          NAME,
          program + " " + fault.label(),
          ipset ? "iptables --ipset" : NAME,
          program.equals("ipset") ? "ipset restore" : program + " --noflush",
          describe(live, families),
          result.outcome().name(),
          verdict,
          result.message());
      assertThat(runner.faultedCommands()).as("%s ran under the fault", program).isPositive();
      // Expected behaviour. Known to fail when the IPv4 restore commits and then exits non-zero or
      // is killed: IptablesApplier takes the exit status for "nothing was changed" without a
      // re-read, the engine then finds IPv4 new and IPv6 old and puts the old rules back, and the
      // message says both "nothing was changed" and "the previous state was put back".
      assertThat(verdict).as("%s: %s", result.outcome(), result.message()).isEqualTo("ok");
      assertThat(Sync.sync(target, newList, clean, FaultKit.guards(), false).outcome())
          .as("the next run")
          .isIn(Outcome.APPLIED, Outcome.IN_SYNC);
      assertThat(Refs.overall(refs.perFamily(saved(ns)))).isEqualTo(Live.NEW);
    }
  }

  @ParameterizedTest(name = "ipset={0}, {1} trials")
  @CsvSource({"false, 30", "true, 8"})
  void sigkillAtRandomMomentsLeavesTheOldOrTheNewRulesAndTheNextRunEndsInSync(
      boolean ipset, int trials, @TempDir Path tmp) throws Exception {
    TargetOptions options = FaultKit.options(ipset);
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Map<String, Integer> states = new TreeMap<>();
    Map<String, Integer> next = new TreeMap<>();
    int midRun = 0;
    int span;
    try (Netns ns = Netns.create("cfiptk-")) {
      TargetContext clean = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      Refs refs = references(ns, clean, options);
      span =
          FaultKit.killSpan(
              () -> FaultKit.installOld(target, clean, "before a timed run"),
              () -> Child.start(NAME, ns.name(), ipset, tmp).timedRun());
      Child child = Child.start(NAME, ns.name(), ipset, tmp);
      for (int trial = 0; trial < trials; trial++) {
        String what = "trial " + trial + " of seed " + seed;
        FaultKit.installOld(target, clean, what);
        assertThat(Refs.overall(refs.perFamily(saved(ns)))).as(what).isEqualTo(Live.OLD);
        long delay = FaultKit.delay(random, trial, trials, span);
        child.go();
        Thread.sleep(delay);
        midRun += child.kill(trial % 2 == 1) ? 1 : 0;
        child = Child.start(NAME, ns.name(), ipset, tmp);

        Map<IpFamily, Live> families = refs.perFamily(saved(ns));
        Live live = Refs.overall(families);
        String state = describe(live, families);
        // Each family is one commit (iptables-restore, ip6tables-restore, one ipset restore per
        // set): a kill between two of them leaves IPv4 new and IPv6 old, which the next run
        // completes. Within a family, nothing in between.
        assertThat(families)
            .as("%s, killed after %d ms: %s", what, delay, state)
            .doesNotContainValue(Live.NEITHER);
        // The in-process read shows each family's list exactly, rules and ranges.
        List<Cidr> expected = new ArrayList<>();
        for (IpFamily family : IpFamily.values()) {
          RangeSnapshot list = families.get(family) == Live.OLD ? oldList : newList;
          expected.addAll(list.ranges().get(family));
        }
        RangeSet ranges = RangeSet.of(expected);
        Optional<Rendered> read = target.readLive(clean);
        assertThat(read)
            .as("%s: %s", what, state)
            .contains(target.render(RangeSnapshot.live(ranges, NAME), options));
        assertThat(target.parse(read.orElseThrow(), options)).as(what).isEqualTo(ranges);
        TargetResult after = Sync.sync(target, newList, clean, FaultKit.guards(), false);
        assertThat(after.outcome())
            .as("%s: %s", what, state)
            .isEqualTo(live == Live.NEW ? Outcome.IN_SYNC : Outcome.APPLIED);
        assertThat(Refs.overall(refs.perFamily(saved(ns)))).as(what).isEqualTo(Live.NEW);
        assertThat(ns.execChecked("ipset", "list", "-n").stdout())
            .as("%s: the next run removed any scratch set", what)
            .doesNotContain("-tmp");
        states.merge(state, 1, Integer::sum);
        next.merge(after.outcome().name(), 1, Integer::sum);
      }
      child.discard();
    }
    FaultKit.appendRow(
        NAME,
        "SIGKILL at a random moment (" + trials + " trials over 0-" + span + " ms, 1.5 runs)",
        ipset ? "iptables --ipset" : NAME,
        "the whole run",
        states.toString().replaceAll("[{}]", "").replace('=', ' '),
        "next run: " + next.toString().replaceAll("[{}]", "").replace('=', ' '),
        states.keySet().stream().allMatch(k -> k.equals("old") || k.equals("new"))
            ? "ok"
            : "ok per family: IPv4 and IPv6 are separate commits",
        midRun
            + " killed while running (every other one with its commands); the next run applied"
            + " or found in sync, as the state read said");
    assertThat(midRun).as("trials killed while the run was still going").isPositive();
  }

  /**
   * Installs the new list, then the old one, and keeps what iptables-save and ipset show for each,
   * per family.
   */
  private Refs references(Netns ns, TargetContext clean, TargetOptions options) {
    References<Map<IpFamily, String>> refs = FaultKit.references(target, clean, () -> saved(ns));
    Map<IpFamily, String> neu = refs.neu();
    Map<IpFamily, String> old = refs.old();
    assertThat(old.get(IpFamily.IPV4))
        .isNotEqualTo(neu.get(IpFamily.IPV4))
        .contains("104.24.0.0/14");
    assertThat(old.get(IpFamily.IPV6)).isNotEqualTo(neu.get(IpFamily.IPV6));
    assertThat(neu.get(IpFamily.IPV4)).contains("104.16.0.0/12");
    assertThat(neu.get(IpFamily.IPV6)).contains("2a10:50c0::/29");
    if (options.get(IptablesSettings.IPSET)) {
      assertThat(neu.get(IpFamily.IPV4)).contains("add cf-allowlist-v4 104.16.0.0/12");
    }
    return new Refs(old, neu);
  }

  /** What the real tools showed for the old and the new list, per family. */
  private record Refs(Map<IpFamily, String> old, Map<IpFamily, String> neu) {
    Map<IpFamily, Live> perFamily(Map<IpFamily, String> now) {
      Map<IpFamily, Live> out = new EnumMap<>(IpFamily.class);
      for (IpFamily family : IpFamily.values()) {
        out.put(family, Live.of(now.get(family), old.get(family), neu.get(family)));
      }
      return out;
    }

    /** Old or new when every family is; mixed when each is one of them; else neither. */
    static Live overall(Map<IpFamily, Live> families) {
      if (families.containsValue(Live.NEITHER)) {
        return Live.NEITHER;
      }
      return families.values().stream().distinct().count() == 1
          ? families.values().iterator().next()
          : Live.MIXED;
    }
  }

  private static String describe(Live live, Map<IpFamily, Live> families) {
    if (live == Live.OLD || live == Live.NEW) {
      return live.label();
    }
    return live.label()
        + " ("
        + families.entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue().label())
            .collect(Collectors.joining(", "))
        + ")";
  }

  /**
   * Per family, the filter table (without comments and counters) and the family's ipsets (members
   * sorted, without the random hash seed; a scratch set shows too), as the real tools print them.
   */
  private static Map<IpFamily, String> saved(Netns ns) {
    List<String> sets =
        ns.execChecked("ipset", "save")
            .stdout()
            .lines()
            .map(l -> l.replaceAll(" initval 0x[0-9a-f]+", ""))
            .sorted()
            .toList();
    Map<IpFamily, String> out = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      String tool = family == IpFamily.IPV4 ? "iptables-save" : "ip6tables-save";
      String setName = family == IpFamily.IPV4 ? "cf-allowlist-v4" : "cf-allowlist-v6";
      String rules =
          ns.execChecked(tool, "-t", "filter")
              .stdout()
              .lines()
              .filter(l -> !l.startsWith("#"))
              .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "[0:0]"))
              .collect(Collectors.joining("\n", "", "\n"));
      out.put(
          family,
          rules
              + sets.stream()
                  // A scratch set a kill left half filled filters nothing; the next run removes
                  // it as a leftover, which the random kills check.
                  .filter(l -> l.contains(setName) && !l.contains(setName + "-tmp"))
                  .collect(Collectors.joining("\n", "", "\n")));
    }
    return out;
  }
}
