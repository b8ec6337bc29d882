package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one vocabulary of outcomes: each engine outcome maps to exactly one line. */
class WordsTest {
  private static final ExampleTarget TARGET = new ExampleTarget();
  private static final TargetOptions OPTIONS = TargetOptions.defaults();
  private static final String[] NEW = {
    "1.1.0.0/24", "1.2.0.0/24", "1.3.0.0/24", "1.4.0.0/24", "1.5.0.0/24", "2606:4700::/32"
  };
  private static final String[] OLD = {
    "1.1.0.0/24", "1.2.0.0/24", "1.3.0.0/24", "1.9.0.0/24", "2606:4700::/32"
  };

  private static RangeSnapshot snapshot(Optional<String> etag, String... cidrs) {
    return new RangeSnapshot(
        RangeSet.parse(cidrs), "file /srv/ranges.txt", etag, Instant.parse("2026-11-20T08:00:00Z"));
  }

  private static RangeSnapshot fresh() {
    return snapshot(Optional.of("abc"), NEW);
  }

  private static Plan change() {
    return Plan.compute(
        TARGET,
        fresh(),
        OPTIONS,
        Optional.of(TARGET.render(snapshot(Optional.empty(), OLD), OPTIONS)));
  }

  private static Plan install() {
    return Plan.compute(TARGET, fresh(), OPTIONS, Optional.empty());
  }

  private static Plan inSync() {
    return Plan.compute(TARGET, fresh(), OPTIONS, Optional.of(TARGET.render(fresh(), OPTIONS)));
  }

  private static Plan removal() {
    return Plan.removal(TARGET, OPTIONS, Optional.of(TARGET.render(fresh(), OPTIONS)), List.of());
  }

  private static TargetResult result(Outcome outcome, Plan plan, String message) {
    return new TargetResult("example", outcome, Optional.of(plan), message, Optional.empty());
  }

  @Test
  void inSyncCountsTheRangesAndAnApplyLineNamesTheSourceAndEtag() {
    TargetResult r = result(Outcome.IN_SYNC, inSync(), "in sync, no changes (6 ranges)");
    assertThat(Words.status(r)).isEqualTo("in sync");
    assertThat(Words.line(r, false)).isEqualTo("in sync (6 ranges)");
    assertThat(Words.line(r, true))
        .isEqualTo("in sync (6 ranges): source file /srv/ranges.txt, etag abc");
  }

  @Test
  void aPendingChangeCountsWhatItAddsAndRemoves() {
    TargetResult r = result(Outcome.WOULD_CHANGE, change(), "would change");
    assertThat(Words.status(r)).isEqualTo("would change");
    assertThat(Words.line(r, false)).isEqualTo("would change (+2 -1)");
  }

  @Test
  void aTargetHoldingNothingIsNotInstalledNotANewInstall() {
    TargetResult r = result(Outcome.WOULD_CHANGE, install(), "would change");
    assertThat(Words.status(r)).isEqualTo("not installed");
    assertThat(Words.line(r, false)).isEqualTo("not installed, would change (+6 -0)");
  }

  @Test
  void anApplyLineNamesTheCidrsAddedAndRemovedTheSourceAndItsEtag() {
    TargetResult r = result(Outcome.APPLIED, change(), "applied");
    assertThat(Words.status(r)).isEqualTo("applied");
    assertThat(Words.line(r, true))
        .isEqualTo(
            "applied (+2 -1): added 1.4.0.0/24, 1.5.0.0/24; removed 1.9.0.0/24;"
                + " source file /srv/ranges.txt, etag abc");
  }

  @Test
  void anApplyLineShowsFiveCidrsAndCountsTheRest() {
    Plan plan = Plan.compute(TARGET, snapshot(Optional.empty(), NEW), OPTIONS, Optional.empty());
    assertThat(Words.line(result(Outcome.APPLIED, plan, "applied"), true))
        .isEqualTo(
            "applied (+6 -0): added 1.1.0.0/24, 1.2.0.0/24, 1.3.0.0/24, 1.4.0.0/24, 1.5.0.0/24"
                + " and 1 more; source file /srv/ranges.txt, no etag");
  }

  @Test
  void aChangeOfTheRulesAloneSaysSo() {
    Plan plan =
        Plan.compute(
            TARGET,
            fresh(),
            OPTIONS,
            Optional.of(TARGET.render(fresh(), OPTIONS.withSetting("greeting", "hi"))));
    assertThat(Words.line(result(Outcome.WOULD_CHANGE, plan, "x"), false))
        .isEqualTo("would change (+0 -0): configuration differs");
    assertThat(Words.line(result(Outcome.APPLIED, plan, "x"), true))
        .isEqualTo("applied (+0 -0): configuration changed; source file /srv/ranges.txt, etag abc");
  }

  @Test
  void anUninstallIsAChangeThatRemovesAndNothingThereIsNotInstalled() {
    assertThat(Words.line(result(Outcome.WOULD_CHANGE, removal(), "x"), false))
        .isEqualTo("would change (+0 -6): uninstall");
    assertThat(Words.line(result(Outcome.APPLIED, removal(), "x"), true))
        .isEqualTo(
            "applied (+0 -6): uninstalled; removed 1.1.0.0/24, 1.2.0.0/24, 1.3.0.0/24,"
                + " 1.4.0.0/24, 1.5.0.0/24 and 1 more");
    Plan nothing = Plan.removal(TARGET, OPTIONS, Optional.empty(), List.of());
    TargetResult r = result(Outcome.IN_SYNC, nothing, "nothing to remove");
    assertThat(Words.status(r)).isEqualTo("not installed");
    assertThat(Words.line(r, true)).isEqualTo("not installed");
  }

  @Test
  void aRefusalSaysWhy() {
    TargetResult r =
        result(Outcome.REFUSED, change(), "the new list would remove 1 of 4; nothing was changed");
    assertThat(Words.status(r)).isEqualTo("refused");
    assertThat(Words.line(r, true))
        .isEqualTo("refused: the new list would remove 1 of 4; nothing was changed");
  }

  @Test
  void aFailureSaysWhatWasLeft() {
    assertThat(Words.line(result(Outcome.FAILED_UNCHANGED, change(), "nft failed"), true))
        .isEqualTo("failed (nothing changed): nft failed");
    assertThat(Words.line(result(Outcome.FAILED_RESTORED, change(), "nft failed"), true))
        .isEqualTo("failed (previous state put back): nft failed");
    TargetResult unknown = result(Outcome.STATE_UNKNOWN, change(), "nft hung");
    assertThat(Words.line(unknown, true)).isEqualTo("failed (state unknown): nft hung");
    assertThat(Words.status(unknown)).isEqualTo("failed");
    TargetResult noPlan =
        new TargetResult(
            "example",
            Outcome.FAILED_UNCHANGED,
            Optional.empty(),
            "HTTP 503; nothing was changed",
            Optional.empty());
    assertThat(Words.line(noPlan, true)).isEqualTo("failed (nothing changed): HTTP 503");
  }

  @Test
  void aFailureSaysWhatWasLeftOnceAndWhetherAReadingConfirmedIt() {
    assertThat(
            Words.line(
                result(
                    Outcome.FAILED_UNCHANGED,
                    change(),
                    "nft failed; nothing was changed (verified by reading back)"),
                true))
        .isEqualTo("failed (nothing changed): nft failed; verified by reading back");
    assertThat(
            Words.line(
                result(
                    Outcome.FAILED_RESTORED,
                    change(),
                    "nft failed; the previous state was put back (verified by reading back)"),
                true))
        .isEqualTo("failed (previous state put back): nft failed; verified by reading back");
    assertThat(
            Words.line(
                result(
                    Outcome.FAILED_RESTORED,
                    change(),
                    "nft failed; the previous state was put back (verified by reading back,"
                        + " although putting it back reported: nft hung)"),
                false))
        .as("a put-back with more to say keeps its words")
        .isEqualTo(
            "failed (previous state put back): nft failed; the previous state was put back"
                + " (verified by reading back, although putting it back reported: nft hung)");
    assertThat(
            Words.line(
                result(Outcome.STATE_UNKNOWN, change(), "nft hung; nothing was changed"), true))
        .as("only the words the head says are dropped")
        .isEqualTo("failed (state unknown): nft hung; nothing was changed");
  }

  @Test
  void aFallbackListIsNamed() {
    TargetResult r =
        new TargetResult(
            "example",
            Outcome.APPLIED,
            Optional.of(install()),
            "applied",
            Optional.of("last good list from 2026-11-20 (6 ranges)"));
    assertThat(Words.line(r, true))
        .endsWith(
            "; source file /srv/ranges.txt, etag abc; from the last good list from 2026-11-20 (6 ranges)");
  }
}
