package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.adapter.firewalld.FirewalldFixtures.changedV4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.adapter.firewalld.FaultInjectingRunner.Fault;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Apply, uninstall and every failure path against {@link FakeFirewalld}, an in-memory firewalld (no
 * root): the exact commands issued, and the outcome decided by reading both configurations again
 * after a command that failed, timed out or lost its reply.
 */
class FirewalldApplyTest {
  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final TargetOptions OPTIONS = TargetOptions.defaults();
  private static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();
  private static final RangeSnapshot CHANGED =
      changedV4(List.of("131.0.72.0/22"), List.of("45.64.64.0/22"));

  private static final String SET_ENTRIES = "python3 -I -c <firewalld set-entries> ";
  private static final String RT_SET_V4 = SET_ENTRIES + "runtime cloudflare-v4 30";
  private static final String PERM_SET_V4 = SET_ENTRIES + "--permanent cloudflare-v4 30";
  private static final String RELOAD = "python3 -I -c <firewalld reload> 30";

  private final FakeFirewalld firewalld = new FakeFirewalld();
  private final FaultInjectingRunner faults = new FaultInjectingRunner(firewalld);
  private final RecordingCommandRunner runner = RecordingCommandRunner.wrapping(faults);

  private TargetContext context(TargetOptions options) {
    return new TargetContext(options, runner);
  }

  private TargetContext context() {
    return context(OPTIONS);
  }

  /** Installs {@code snapshot} and forgets the commands that did it. */
  private void installed(RangeSnapshot snapshot) {
    Sync.apply(TARGET, snapshot, context(), Guards.defaults());
    runner.clear();
  }

  private List<String> modifying() {
    return runner.modifyingCommands().stream().map(Command::display).toList();
  }

  /** The modifying commands issued after the first one matching {@code failed}. */
  private List<Command> after(String failed) {
    List<Command> all = runner.commands();
    int at = all.stream().map(Command::display).toList().indexOf(failed);
    return all.subList(at + 1, all.size());
  }

  /** Plans {@code snapshot} and applies the plan with the target itself, expecting a failure. */
  private ApplyFailedException failedApply(RangeSnapshot snapshot) throws Exception {
    Plan plan = Sync.plan(TARGET, snapshot, context());
    runner.clear();
    return catchThrowableOfType(ApplyFailedException.class, () -> TARGET.apply(plan, context()));
  }

  private static Predicate<Command> is(String display) {
    return c -> c.display().equals(display);
  }

  // ---- changes that succeed

  @Test
  void installCreatesObjectsInThePermanentConfigurationAndReloadsOnce() {
    Sync.apply(TARGET, SNAPSHOT, context(), Guards.defaults());

    assertThat(modifying())
        .containsExactly(
            "firewall-cmd --permanent --new-ipset=cloudflare-v4 --type=hash:net"
                + " --option=family=inet",
            PERM_SET_V4,
            "firewall-cmd --permanent --new-ipset=cloudflare-v6 --type=hash:net"
                + " --option=family=inet6",
            SET_ENTRIES + "--permanent cloudflare-v6 30",
            "firewall-cmd --permanent --new-zone=cloudflare",
            "firewall-cmd --permanent --zone=cloudflare --add-port=80/tcp --add-port=443/tcp",
            "firewall-cmd --permanent --zone=cloudflare --add-source=ipset:cloudflare-v4"
                + " --add-source=ipset:cloudflare-v6",
            RELOAD);
    assertThat(firewalld.entries("cloudflare-v4", false))
        .containsExactlyInAnyOrderElementsOf(strings(SNAPSHOT.ranges().ipv4()));
    assertThat(firewalld.entries("cloudflare-v6", true))
        .containsExactlyInAnyOrderElementsOf(strings(SNAPSHOT.ranges().ipv6()));
  }

  /** The embedded list with {@code count} more IPv4 /24s. */
  static RangeSnapshot withMore(int count) {
    List<Cidr> many = new ArrayList<>(SNAPSHOT.ranges().all());
    for (int i = 0; i < count; i++) {
      many.add(Cidr.parse((11 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + ".0/24"));
    }
    return SNAPSHOT.withRanges(RangeSet.of(many));
  }

  @Test
  void anInstallOfMoreEntriesThanAReloadTakesLoadsItsIpsetsEmptyAndFillsThemAfter()
      throws Exception {
    RangeSnapshot large = withMore(FirewalldApplier.FILLED_AFTER_RELOAD);
    String v4 = SET_ENTRIES + "runtime cloudflare-v4 " + (30 + large.ranges().ipv4().size() / 500);

    Sync.apply(TARGET, large, context(), Guards.defaults());

    assertThat(modifying())
        .containsExactly(
            "firewall-cmd --permanent --new-ipset=cloudflare-v4 --type=hash:net"
                + " --option=family=inet",
            "firewall-cmd --permanent --new-ipset=cloudflare-v6 --type=hash:net"
                + " --option=family=inet6",
            "firewall-cmd --permanent --new-zone=cloudflare",
            "firewall-cmd --permanent --zone=cloudflare --add-port=80/tcp --add-port=443/tcp",
            "firewall-cmd --permanent --zone=cloudflare --add-source=ipset:cloudflare-v4"
                + " --add-source=ipset:cloudflare-v6",
            RELOAD,
            v4.replace("runtime", "--permanent"),
            SET_ENTRIES + "--permanent cloudflare-v6 30",
            v4,
            SET_ENTRIES + "runtime cloudflare-v6 30");
    for (boolean permanent : new boolean[] {false, true}) {
      assertThat(firewalld.entries("cloudflare-v4", permanent))
          .containsExactlyInAnyOrderElementsOf(strings(large.ranges().ipv4()));
    }
    runner.clear();
    assertThat(Sync.plan(TARGET, large, context()).hasChanges()).isFalse();
  }

  @Test
  void aFillThatFailsAfterTheReloadPutsBackTheStateBeforeTheInstall() {
    RangeSnapshot large = withMore(FirewalldApplier.FILLED_AFTER_RELOAD);
    String before = firewalld.state();
    faults.fault(c -> c.display().startsWith(SET_ENTRIES + "runtime cloudflare-v4"), Fault.FAIL);

    TargetResult result = Sync.sync(TARGET, large, context(), Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(modifying()).contains(RELOAD);
    assertThat(firewalld.state()).isEqualTo(before);
  }

  @Test
  void anInstallOfAsManyEntriesAsAReloadTakesLoadsThemWithTheReload() {
    RangeSnapshot large = withMore(FirewalldApplier.FILLED_AFTER_RELOAD - SNAPSHOT.ranges().size());

    Sync.apply(TARGET, large, context(), Guards.defaults());

    // The reload loads the 10,000 entries: 30 s and 1 s per 500.
    assertThat(modifying()).last().isEqualTo("python3 -I -c <firewalld reload> 50");
    assertThat(firewalld.entries("cloudflare-v4", false))
        .containsExactlyInAnyOrderElementsOf(strings(large.ranges().ipv4()));
  }

  @Test
  void changedListReplacesEachIpsetInOneCallRuntimeFirstWithoutReload() {
    installed(SNAPSHOT);

    Plan plan = Sync.apply(TARGET, CHANGED, context(), Guards.defaults());

    assertThat(plan.added(io.github.cfallowlist.IpFamily.IPV4))
        .containsExactly(Cidr.parse("45.64.64.0/22"));
    assertThat(modifying()).containsExactly(RT_SET_V4, PERM_SET_V4);
    assertThat(runner.modifyingCommands())
        .allSatisfy(
            c ->
                assertThat(c.stdin().orElseThrow())
                    .contains("45.64.64.0/22\n")
                    .doesNotContain("131.0.72.0/22"));
    assertThat(firewalld.entries("cloudflare-v4", false))
        .containsExactlyInAnyOrderElementsOf(strings(CHANGED.ranges().ipv4()));
  }

  @Test
  void secondApplyRunsOnlyReads() {
    installed(SNAPSHOT);

    Plan plan = Sync.apply(TARGET, SNAPSHOT, context(), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands()).isNotEmpty();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void inSyncRunReadsBothConfigurationsInOneCall() {
    installed(SNAPSHOT);

    Plan plan = Sync.apply(TARGET, SNAPSHOT, context(), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.display())
                    .isEqualTo(
                        "python3 -I -c <firewalld read-state>"
                            + " runtime --info-zone=cloudflare"
                            + " runtime --info-ipset=cloudflare-v4"
                            + " runtime --info-ipset=cloudflare-v6"
                            + " permanent --info-zone=cloudflare"
                            + " permanent --info-ipset=cloudflare-v4"
                            + " permanent --info-ipset=cloudflare-v6"));
  }

  @Test
  void overlappingReplacementGoesInOneCallSoNoRangeIsEverMissing() {
    installed(changedV4(List.of("104.16.0.0/13", "104.24.0.0/14"), List.of("104.16.0.0/12")));

    Sync.apply(TARGET, SNAPSHOT, context(), Guards.defaults());

    // firewalld refuses to hold 104.16.0.0/12 with 104.16.0.0/13: entry by entry, the old range
    // would have to leave before the new pair could enter.
    assertThat(modifying()).containsExactly(RT_SET_V4, PERM_SET_V4);
    assertThat(runner.modifyingCommands().get(0).stdin().orElseThrow())
        .contains("104.16.0.0/13\n", "104.24.0.0/14\n")
        .doesNotContain("104.16.0.0/12");
    assertThat(firewalld.entries("cloudflare-v4", true))
        .containsExactlyInAnyOrderElementsOf(strings(SNAPSHOT.ranges().ipv4()));
  }

  @Test
  void entryDiffSwapsOnlyOverlappingRangesAndAddsEverythingElseFirst() {
    Map<String, String> have =
        Map.of("104.16.0.0/12", "104.16.0.0/12", "131.0.72.0/22", "131.0.72.0/22");
    Map<String, String> want = new java.util.LinkedHashMap<>();
    for (String c : List.of("104.16.0.0/13", "104.24.0.0/14", "173.245.48.0/20")) {
      want.put(c, c);
    }

    FirewalldApplier.EntryDiff d = FirewalldApplier.EntryDiff.of(want, have);

    assertThat(d.addFirst()).containsExactly("173.245.48.0/20");
    assertThat(d.swapOut()).containsExactly("104.16.0.0/12");
    assertThat(d.swapIn()).containsExactly("104.16.0.0/13", "104.24.0.0/14");
    assertThat(d.removeLast()).containsExactly("131.0.72.0/22");
  }

  @Test
  void largeListsGoInOneCallWithATimeLimitThatGrowsWithTheList() {
    List<Cidr> many = new ArrayList<>();
    for (int i = 0; i < 4500; i++) {
      many.add(Cidr.parse("20." + (i / 256) + "." + (i % 256) + ".0/24"));
    }
    RangeSnapshot big = SNAPSHOT.withRanges(new RangeSet(many, SNAPSHOT.ranges().ipv6()));

    Sync.apply(TARGET, big, context(), Guards.defaults());

    List<Command> sets =
        runner.modifyingCommands().stream()
            .filter(is(SET_ENTRIES + "--permanent cloudflare-v4 39"))
            .toList();
    assertThat(sets).hasSize(1);
    // Every entry, then the end line that tells a whole list from one cut short.
    assertThat(sets.get(0).stdin().orElseThrow().lines().count()).isEqualTo(4501);
    assertThat(sets.get(0).stdin().orElseThrow()).endsWith("\nend\n");
    assertThat(sets.get(0).timeout()).isEqualTo(java.time.Duration.ofSeconds(49));
    assertThat(firewalld.entries("cloudflare-v4", false)).hasSize(4500);
  }

  @Test
  void offlineLargeListsGoInBatches() {
    List<Cidr> many = new ArrayList<>();
    for (int i = 0; i < 4500; i++) {
      many.add(Cidr.parse("20." + (i / 256) + "." + (i % 256) + ".0/24"));
    }
    RangeSnapshot big = SNAPSHOT.withRanges(new RangeSet(many, SNAPSHOT.ranges().ipv6()));

    Sync.apply(TARGET, big, context(OPTIONS.withSetting("offline", "true")), Guards.defaults());

    List<Command> adds =
        runner.modifyingCommands().stream()
            .filter(
                is("firewall-offline-cmd --ipset=cloudflare-v4 --add-entries-from-file=/dev/stdin"))
            .toList();
    assertThat(adds).hasSize(3);
    assertThat(adds)
        .allSatisfy(
            c ->
                assertThat(c.stdin().orElseThrow().lines().count())
                    .isLessThanOrEqualTo(FirewalldApplier.BATCH));
    assertThat(firewalld.entries("cloudflare-v4", true)).hasSize(4500);
  }

  @Test
  void runtimeOnlyRemovalIsPutBackInTheRuntimeOnly() {
    installed(SNAPSHOT);
    firewalld.runtime.ipsets.get("cloudflare-v4").entries.remove("173.245.48.0/20");

    Plan plan = Sync.apply(TARGET, SNAPSHOT, context(), Guards.defaults());

    assertThat(plan.diff()).contains(FirewalldXml.DRIFT);
    assertThat(modifying()).containsExactly(RT_SET_V4);
    assertThat(firewalld.entries("cloudflare-v4", false))
        .containsExactlyInAnyOrderElementsOf(strings(SNAPSHOT.ranges().ipv4()));
  }

  @Test
  void droppedFamilyIsALeftoverThatApplyDeletes() throws Exception {
    installed(SNAPSHOT);
    TargetOptions v4only = OPTIONS.withFamilies(Families.IPV4);
    RangeSnapshot v4 = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(Families.IPV4));

    assertThat(TARGET.leftovers(context(v4only))).containsExactly("ipset cloudflare-v6");
    Plan plan = Sync.plan(TARGET, v4, context(v4only));
    assertThat(plan.leftovers()).containsExactly("ipset cloudflare-v6");
    assertThat(plan.diff()).contains("# remove leftover: ipset cloudflare-v6");

    Sync.apply(TARGET, v4, context(v4only), Guards.defaults());

    assertThat(firewalld.runtime.ipsets).containsOnlyKeys("cloudflare-v4");
    assertThat(firewalld.permanent.ipsets).containsOnlyKeys("cloudflare-v4");
    assertThat(firewalld.runtime.zones.get("cloudflare").list("sources"))
        .containsExactly("ipset:cloudflare-v4");
    assertThat(TARGET.leftovers(context(v4only))).isEmpty();
    assertThat(Sync.plan(TARGET, v4, context(v4only)).hasChanges()).isFalse();
  }

  @Test
  void uninstallDeletesOnlyOwnObjects() {
    firewalld.ipset("mine", "hash:ip", List.of(), List.of("192.0.2.1"));
    String before = firewalld.state();
    installed(SNAPSHOT);

    assertThat(Sync.uninstall(TARGET, context())).isTrue();

    assertThat(firewalld.state()).isEqualTo(before);
    assertThat(modifying())
        .containsExactly(
            "firewall-cmd --permanent --delete-zone=cloudflare",
            "firewall-cmd --permanent --delete-ipset=cloudflare-v4",
            "firewall-cmd --permanent --delete-ipset=cloudflare-v6",
            RELOAD);
    assertThat(Sync.uninstall(TARGET, context())).isFalse();
  }

  @Test
  void offlineSettingChangesOnlyThePermanentConfigurationWithFirewallOfflineCmd() {
    TargetContext offline = context(OPTIONS.withSetting("offline", "true"));

    Sync.apply(TARGET, SNAPSHOT, offline, Guards.defaults());

    assertThat(runner.commands()).allMatch(c -> c.argv().get(0).equals("firewall-offline-cmd"));
    assertThat(runner.commands()).noneMatch(c -> c.argv().contains("--permanent"));
    assertThat(runner.commands()).noneMatch(c -> c.argv().contains("--reload"));
    assertThat(firewalld.entries("cloudflare-v4", true)).hasSize(15);
    assertThat(firewalld.runtime.ipsets).isEmpty();
  }

  @Test
  void stoppedFirewalldIsReportedInOneSentenceNamingTheOfflineSetting() {
    firewalld.stopped();

    assertThatThrownBy(() -> Sync.plan(TARGET, SNAPSHOT, context()))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageStartingWith("firewalld is not running")
        .hasMessageContaining("offline=true");
  }

  // ---- failures: the outcome comes from reading firewalld again

  @Test
  void failedCommandIsUndoneFromAFreshReadingAndReportedRestored() throws Exception {
    installed(SNAPSHOT);
    String before = firewalld.state();
    faults.fault(is(PERM_SET_V4), Fault.FAIL);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining(PERM_SET_V4).hasMessageContaining("injected failure");
    assertThat(firewalld.state()).isEqualTo(before);
    List<Command> afterFailure = after(PERM_SET_V4);
    // read both configurations, change back what the reading showed, read both again
    assertThat(afterFailure.get(0).display())
        .startsWith("python3 -I -c <firewalld read-state> runtime --info-zone=cloudflare");
    assertThat(afterFailure.stream().filter(Command::modifies).map(Command::display))
        .containsExactly(RT_SET_V4);
    assertThat(afterFailure.get(afterFailure.size() - 1).modifies()).isFalse();
  }

  @Test
  void failureOfTheFirstCommandIsReportedUnchangedWithoutAnyUndo() throws Exception {
    installed(SNAPSHOT);
    String before = firewalld.state();
    faults.fault(is(RT_SET_V4), Fault.FAIL);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(firewalld.state()).isEqualTo(before);
    assertThat(modifying()).containsExactly(RT_SET_V4);
  }

  @Test
  void timeoutBeforeTheChangeTookEffectIsReportedUnchanged() throws Exception {
    installed(SNAPSHOT);
    faults.fault(is(RT_SET_V4), Fault.LOSE_REPLY_BEFORE);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e).hasMessageContaining("did not finish within");
    assertThat(firewalld.changes()).doesNotContain(RT_SET_V4);
  }

  @Test
  void lostReplyAfterTheChangeTookEffectIsUndoneBecauseTheReadingShowsIt() throws Exception {
    installed(SNAPSHOT);
    String before = firewalld.state();
    faults.fault(is(RT_SET_V4), Fault.LOSE_REPLY_AFTER);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(firewalld.state()).isEqualTo(before);
    // The command whose reply was lost is undone: only a reading can know it took effect.
    List<Command> undo = after(RT_SET_V4).stream().filter(Command::modifies).toList();
    assertThat(undo).extracting(Command::display).containsExactly(RT_SET_V4);
    assertThat(undo.get(0).stdin().orElseThrow())
        .contains("131.0.72.0/22\n")
        .doesNotContain("45.64.64.0/22");
  }

  @Test
  void lostReplyAndFailedUndoAreStateUnknownNamingTheDifference() throws Exception {
    installed(SNAPSHOT);
    faults.fault(is(RT_SET_V4), Fault.LOSE_REPLY_AFTER).fault(Command::modifies, Fault.FAIL);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e)
        .hasMessageContaining("putting the previous configuration back failed")
        .hasMessageContaining("runtime ipset cloudflare-v4 entries +45.64.64.0/22");
    assertThat(firewalld.entries("cloudflare-v4", false)).contains("45.64.64.0/22");
    assertThat(firewalld.entries("cloudflare-v4", true)).doesNotContain("45.64.64.0/22");
  }

  @Test
  void failedReadingAfterAFailureIsStateUnknown() throws Exception {
    installed(SNAPSHOT);
    faults.fault(is(RT_SET_V4), Fault.FAIL).fault(c -> !c.modifies(), Fault.LOSE_REPLY_BEFORE);

    ApplyFailedException e = failedApply(CHANGED);

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e).hasMessageContaining("reading firewalld again also failed");
  }

  @Test
  void failedInstallLeavesNothingBehindWithoutReloading() throws Exception {
    faults.fault(c -> c.display().contains("--add-source"), Fault.FAIL);

    ApplyFailedException e = failedApply(SNAPSHOT);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(firewalld.runtime.ipsets).isEmpty();
    assertThat(firewalld.permanent.ipsets).isEmpty();
    assertThat(firewalld.permanent.zones).isEmpty();
    assertThat(modifying()).doesNotContain(RELOAD);
  }

  @Test
  void failedUninstallPutsDeletedObjectsBackWithTheirEntries() {
    installed(SNAPSHOT);
    String before = firewalld.state();
    faults.fault(c -> c.display().contains("--delete-ipset=cloudflare-v6"), Fault.FAIL);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> TARGET.uninstall(context()));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(firewalld.state()).isEqualTo(before);
  }

  @Test
  void engineReportsTheTypedOutcomeOfAFailedApply() {
    installed(SNAPSHOT);
    String before = firewalld.state();
    faults.fault(is(PERM_SET_V4), Fault.FAIL);

    TargetResult result = Sync.sync(TARGET, CHANGED, context(), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(firewalld.state()).isEqualTo(before);
    assertThatThrownBy(
            () -> {
              faults.fault(is(PERM_SET_V4), Fault.FAIL);
              Sync.apply(TARGET, CHANGED, context(), Guards.defaults());
            })
        .isInstanceOfSatisfying(
            ApplyFailedException.class,
            ex -> assertThat(ex.outcome()).isEqualTo(Outcome.FAILED_RESTORED));
  }

  private static List<String> strings(List<Cidr> cidrs) {
    return cidrs.stream().map(Cidr::toString).toList();
  }
}
