package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Outcome;
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
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault suite for nftables: real nft in a namespace, made to fail, hang, lose its reply or go
 * missing by a wrapper mounted over {@code /usr/local/sbin}, and runs killed at random moments.
 * Each case checks, with nft itself and not through the adapter, that the ruleset is exactly the
 * old or the new one, and that the outcome the engine reports says which. Each appends a row to
 * {@code target/reliability-nftables.tsv}, from which {@code docs/reliability/generate.sh} builds
 * {@code docs/reliability.md}.
 */
class NftablesFaultTest {
  private static final String NAME = "nftables";
  private static final int KILL_TRIALS = 30;

  private final Target target = new NftablesTarget();
  private final TargetOptions options = FaultKit.options(false);
  private final RangeSnapshot oldList = FaultKit.oldList();
  private final RangeSnapshot newList = FaultKit.newList();

  @BeforeAll
  static void startMatrix() {
    FaultKit.resetTsv(NAME);
  }

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft", "unshare", "mount", "sh", "sleep", "kill");
  }

  @ParameterizedTest(name = "nft {0}")
  @EnumSource(Fault.class)
  void faultLeavesTheOldOrTheNewRulesetAndTheOutcomeSaysWhich(Fault fault, @TempDir Path dir)
      throws Exception {
    try (Netns ns = Netns.create("cfnftf-")) {
      TargetContext clean = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      References<String> refs = references(ns, clean);
      FaultRunner runner = new FaultRunner(ns.name(), "nft", fault, dir);

      TargetResult result =
          Sync.sync(target, newList, new TargetContext(options, runner), FaultKit.guards(), false);

      Live live = Live.of(ruleset(ns), refs.old(), refs.neu());
      String verdict = FaultKit.verdict(live, result);
      FaultKit.appendRow(
          NAME,
          "nft " + fault.label(),
          NAME,
          "nft -f",
          live.label(),
          result.outcome().name(),
          verdict,
          result.message());
      assertThat(runner.faultedCommands()).as("nft -f ran under the fault").isPositive();
      assertThat(verdict).as("%s: %s", result.outcome(), result.message()).isEqualTo("ok");
      assertThat(Sync.sync(target, newList, clean, FaultKit.guards(), false).outcome())
          .as("the next run")
          .isIn(Outcome.APPLIED, Outcome.IN_SYNC);
      assertThat(ruleset(ns)).isEqualTo(refs.neu());
    }
  }

  @Test
  void sigkillAtRandomMomentsLeavesTheOldOrTheNewRulesetAndTheNextRunEndsInSync(@TempDir Path tmp)
      throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Map<Live, Integer> states = new EnumMap<>(Live.class);
    Map<String, Integer> next = new TreeMap<>();
    int midRun = 0;
    int span;
    try (Netns ns = Netns.create("cfnftk-")) {
      TargetContext clean = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      References<String> refs = references(ns, clean);
      Rendered oldLive = target.render(RangeSnapshot.live(oldList.ranges(), NAME), options);
      Rendered newLive = target.render(RangeSnapshot.live(newList.ranges(), NAME), options);
      span =
          FaultKit.killSpan(
              () -> FaultKit.installOld(target, clean, "before a timed run"),
              () -> Child.start(NAME, ns.name(), false, tmp).timedRun());
      Child child = Child.start(NAME, ns.name(), false, tmp);
      for (int trial = 0; trial < KILL_TRIALS; trial++) {
        String what = "trial " + trial + " of seed " + seed;
        FaultKit.installOld(target, clean, what);
        assertThat(ruleset(ns)).as(what).isEqualTo(refs.old());
        long delay = FaultKit.delay(random, trial, KILL_TRIALS, span);
        child.go();
        Thread.sleep(delay);
        midRun += child.kill(trial % 2 == 1) ? 1 : 0;
        child = Child.start(NAME, ns.name(), false, tmp);

        Live live = Live.of(ruleset(ns), refs.old(), refs.neu());
        assertThat(live).as("%s, killed after %d ms", what, delay).isNotEqualTo(Live.NEITHER);
        Optional<Rendered> read = target.readLive(clean);
        assertThat(read).as(what).contains(live == Live.OLD ? oldLive : newLive);
        assertThat(target.parse(read.orElseThrow(), options))
            .as(what)
            .isEqualTo((live == Live.OLD ? oldList : newList).ranges());
        TargetResult after = Sync.sync(target, newList, clean, FaultKit.guards(), false);
        assertThat(after.outcome())
            .as(what)
            .isEqualTo(live == Live.OLD ? Outcome.APPLIED : Outcome.IN_SYNC);
        assertThat(ruleset(ns)).as(what).isEqualTo(refs.neu());
        states.merge(live, 1, Integer::sum);
        next.merge(after.outcome().name(), 1, Integer::sum);
      }
      child.discard();
    }
    FaultKit.appendRow(
        NAME,
        "SIGKILL at a random moment (" + KILL_TRIALS + " trials over 0-" + span + " ms, 1.5 runs)",
        NAME,
        "the whole run",
        String.format(
            Locale.ROOT,
            "old %d, new %d",
            states.getOrDefault(Live.OLD, 0),
            states.getOrDefault(Live.NEW, 0)),
        "next run: " + next.toString().replaceAll("[{}]", "").replace('=', ' '),
        "ok",
        midRun
            + " killed while running (every other one with its commands); the next run applied"
            + " or found in sync, as the state read said");
    assertThat(midRun).as("trials killed while the run was still going").isPositive();
  }

  /** Installs the new list, then the old one, and returns nft's own listing of each. */
  private References<String> references(Netns ns, TargetContext clean) {
    References<String> refs = FaultKit.references(target, clean, () -> ruleset(ns));
    assertThat(refs.old()).isNotEqualTo(refs.neu()).contains("104.24.0.0/14");
    assertThat(refs.neu()).contains("104.16.0.0/12", "2a10:50c0::/29");
    return refs;
  }

  private static String ruleset(Netns ns) {
    return ns.execChecked("nft", "list", "ruleset").stdout();
  }
}
