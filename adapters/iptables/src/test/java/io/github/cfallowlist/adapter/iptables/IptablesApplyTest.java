package io.github.cfallowlist.adapter.iptables;

import static io.github.cfallowlist.adapter.iptables.FakeIptables.program;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Apply, rollback and uninstall against {@link FakeIptables}, a recording in-memory iptables and
 * ipset (no root): the restore inputs sent, and the outcome reported for a refused step, a refused
 * step after another committed, a failed rollback, and a command that threw (timed out, killed)
 * before or after committing.
 */
class IptablesApplyTest {
  private static final String JUMP =
      "! -i lo -p tcp -m multiport --dports 80,443 -m comment --comment cf-allowlist -j"
          + " CF-ALLOWLIST";

  private final Target target = new IptablesTarget();
  private final FakeIptables fake = new FakeIptables();
  private final TargetOptions options = TargetOptions.defaults();
  private final TargetContext context = new TargetContext(options, fake);
  private final RangeSnapshot first = Fixtures.embedded();

  /** One range replaced in each family. */
  private final RangeSnapshot second =
      first.withRanges(
          replaced(
              replaced(first.ranges(), "103.21.244.0/22", "45.8.104.0/22"),
              "2c0f:f248::/32",
              "2a10:50c0::/29"));

  private static RangeSet replaced(RangeSet ranges, String removed, String added) {
    List<Cidr> all = new ArrayList<>(ranges.all());
    assertThat(all.remove(Cidr.parse(removed))).isTrue();
    all.add(Cidr.parse(added));
    return RangeSet.of(all);
  }

  private Plan plan(RangeSnapshot snapshot, TargetContext ctx) throws IOException {
    return Sync.plan(target, snapshot, ctx);
  }

  private void install(RangeSnapshot snapshot, TargetContext ctx) throws IOException {
    target.apply(plan(snapshot, ctx), ctx);
    assertThat(plan(snapshot, ctx).hasChanges()).isFalse();
    fake.clear();
  }

  private ApplyFailedException applyFails(RangeSnapshot snapshot, TargetContext ctx)
      throws IOException {
    Plan plan = plan(snapshot, ctx);
    fake.clear();
    return catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, ctx));
  }

  private static Predicate<Command> nth(Predicate<Command> which, int n) {
    AtomicInteger seen = new AtomicInteger();
    return c -> which.test(c) && seen.incrementAndGet() == n;
  }

  private static String body(Rendered rendered, String file) {
    return rendered.file(file).orElseThrow().body();
  }

  @Test
  void installSendsOneRestorePerFamilyHoldingExactlyTheRenderedRules() throws IOException {
    Rendered rendered = target.render(first, options);

    target.apply(plan(first, context), context);

    assertThat(fake.inputs())
        .containsExactly(
            "iptables-restore --noflush:\n" + body(rendered, IptablesConfig.RULES_V4),
            "ip6tables-restore --noflush:\n" + body(rendered, IptablesConfig.RULES_V6));
    assertThat(plan(first, context).hasChanges()).isFalse();
    assertThat(fake.save(IpFamily.IPV4).lines().filter(l -> l.startsWith("-A INPUT ")))
        .containsExactly("-A INPUT " + JUMP);
  }

  @Test
  void applyingTheSameListAgainRunsOnlyReads() throws IOException {
    install(first, context);

    Plan again = Sync.apply(target, first, context, Guards.defaults());

    assertThat(again.hasChanges()).isFalse();
    assertThat(fake.modifying()).isEmpty();
  }

  @Test
  void changedListRedeclaresTheChainAndLeavesTheJumpAlone() throws IOException {
    install(first, context);

    Sync.apply(target, second, context, Guards.defaults());

    assertThat(fake.inputs()).hasSize(2);
    assertThat(fake.inputs().get(0))
        .startsWith("iptables-restore --noflush:\n*filter\n:CF-ALLOWLIST - [0:0]\n")
        .contains("-A CF-ALLOWLIST -s 45.8.104.0/22 -j ACCEPT\n")
        .doesNotContain("103.21.244.0/22")
        .doesNotContain("-I INPUT")
        .doesNotContain("-D INPUT");
  }

  @Test
  void refusedFirstRestoreIsFailedUnchangedAndRunsNothingElse() throws IOException {
    String pristine = fake.save(IpFamily.IPV4);
    fake.refusing(program("iptables-restore"));

    ApplyFailedException failure = applyFails(first, context);

    assertThat(failure.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(failure).hasMessageContaining("iptables-restore --noflush");
    assertThat(fake.modifying())
        .extracting(c -> c.argv().get(0))
        .containsExactly("iptables-restore");
    assertThat(fake.save(IpFamily.IPV4)).isEqualTo(pristine);

    TargetResult result = Sync.sync(target, first, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
  }

  @Test
  void ipv6RefusedAfterIpv4PutsIpv4BackAndReportsFailedRestored() throws IOException {
    install(first, context);
    String installedV4 = fake.save(IpFamily.IPV4);
    String installedV6 = fake.save(IpFamily.IPV6);
    fake.refusing(program("ip6tables-restore"));

    ApplyFailedException failure = applyFails(second, context);

    assertThat(failure.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(failure).hasMessageContaining("ip6tables-restore");
    List<String> inputs = fake.inputs();
    assertThat(inputs).hasSize(3);
    assertThat(inputs.get(0)).startsWith("iptables-restore").contains("45.8.104.0/22");
    assertThat(inputs.get(1)).startsWith("ip6tables-restore");
    assertThat(inputs.get(2))
        .startsWith("iptables-restore")
        .contains("-A CF-ALLOWLIST -s 103.21.244.0/22 -j ACCEPT")
        .doesNotContain("45.8.104.0/22");
    assertThat(fake.save(IpFamily.IPV4)).isEqualTo(installedV4);
    assertThat(fake.save(IpFamily.IPV6)).isEqualTo(installedV6);

    TargetResult result = Sync.sync(target, second, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(fake.save(IpFamily.IPV4)).isEqualTo(installedV4);
  }

  @Test
  void failingToPutIpv4BackIsStateUnknown() throws IOException {
    install(first, context);
    Predicate<Command> secondV4Restore = nth(program("iptables-restore"), 2);
    fake.refusing(program("ip6tables-restore").or(secondV4Restore));

    ApplyFailedException failure = applyFails(second, context);

    assertThat(failure.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(failure).hasMessageContaining("putting the previous rules back also failed");
  }

  @Test
  void timeoutBeforeTheFirstRestoreCommittedIsFailedUnchangedAfterAReRead() throws IOException {
    String pristine = fake.save(IpFamily.IPV4);
    fake.throwingBefore(program("iptables-restore"));

    ApplyFailedException failure = applyFails(first, context);

    assertThat(failure.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(failure).hasMessageContaining("did not finish");
    assertThat(commandsAfter("iptables-restore")).contains("iptables-save", "ip6tables-save");
    assertThat(fake.save(IpFamily.IPV4)).isEqualTo(pristine);
  }

  @Test
  void timeoutOfALastRestoreThatCommittedIsTakenAsApplied() throws IOException {
    fake.throwingAfter(program("ip6tables-restore"));

    target.apply(plan(first, context), context);

    assertThat(commandsAfter("ip6tables-restore")).contains("iptables-save", "ip6tables-save");
    fake.healed();
    assertThat(plan(first, context).hasChanges()).isFalse();
  }

  @Test
  void timeoutLeavingOnlyIpv4ChangedIsStateUnknown() throws IOException {
    install(first, context);
    fake.throwingBefore(program("ip6tables-restore"));

    ApplyFailedException failure = applyFails(second, context);

    assertThat(failure.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(fake.save(IpFamily.IPV4)).contains("45.8.104.0/22");
  }

  @Test
  void afterATimeoutLeavingOnlyIpv4ChangedTheEnginePutsThePreviousStateBack() throws IOException {
    install(first, context);
    String installedV4 = fake.save(IpFamily.IPV4);
    fake.throwingBefore(program("ip6tables-restore"));

    TargetResult result = Sync.sync(target, second, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(fake.save(IpFamily.IPV4)).isEqualTo(installedV4);
  }

  @Test
  void reReadFailingAfterATimeoutIsStateUnknown() throws IOException {
    AtomicBoolean restoreSeen = new AtomicBoolean();
    Plan plan = plan(first, context);
    fake.throwingBefore(
        c -> {
          if (c.argv().get(0).equals("iptables-restore")) {
            restoreSeen.set(true);
            return true;
          }
          return restoreSeen.get() && c.argv().get(0).equals("iptables-save");
        });

    assertThatThrownBy(() -> target.apply(plan, context))
        .isInstanceOfSatisfying(
            ApplyFailedException.class,
            e -> assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN))
        .hasMessageContaining("reading the rules again also failed");
  }

  @Test
  void ipv6SetRefusedAfterIpv4SetWasSwappedPutsTheIpv4SetBack() throws IOException {
    TargetContext ipset = new TargetContext(options.withSetting("ipset", "true"), fake);
    install(first, ipset);
    Map<String, List<String>> installed = fake.sets();
    refusingToFillTheIpv6Set();

    ApplyFailedException failure = applyFails(second, ipset);

    assertThat(failure.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(failure).hasMessageContaining("ipset restore");
    assertThat(fake.sets()).isEqualTo(installed);
    assertThat(fake.inputs()).hasSize(3);
    assertThat(fake.inputs().get(2))
        .startsWith("ipset restore")
        .contains("add cf-allowlist-v4-tmp 103.21.244.0/22");
    assertThat(fake.modifying()).noneMatch(c -> c.argv().get(0).endsWith("tables-restore"));
  }

  @Test
  void leftoversFromIpsetAndAnotherParentChainAreReportedAndRemovedByApply() throws IOException {
    install(first, new TargetContext(options.withSetting("ipset", "true"), fake));
    fake.set("cf-allowlist-v4-tmp");
    fake.chain(IpFamily.IPV4, "DOCKER-USER").chain(IpFamily.IPV6, "DOCKER-USER");
    TargetContext moved = new TargetContext(options.withSetting("chain", "DOCKER-USER"), fake);

    assertThat(target.leftovers(moved))
        .containsExactly(
            "jump from INPUT to CF-ALLOWLIST (IPv4)",
            "jump from INPUT to CF-ALLOWLIST (IPv6)",
            "ipset cf-allowlist-v4",
            "ipset cf-allowlist-v6",
            "ipset cf-allowlist-v4-tmp");
    Plan plan = plan(first, moved);
    assertThat(plan.leftovers()).hasSize(5);
    assertThat(plan.diff()).contains("# remove leftover: ipset cf-allowlist-v4\n");
    fake.clear();

    target.apply(plan, moved);

    List<String> inputs = fake.inputs();
    assertThat(inputs).hasSize(5);
    assertThat(inputs.get(0))
        .startsWith("iptables-restore")
        .contains("-D INPUT " + JUMP + "\n")
        .contains("-I DOCKER-USER -p tcp -m conntrack --ctstate DNAT --ctorigdstport 443");
    assertThat(inputs.get(1)).startsWith("ip6tables-restore").contains("-D INPUT ");
    assertThat(inputs.subList(2, 5))
        .containsExactly(
            "ipset destroy cf-allowlist-v4:\n",
            "ipset destroy cf-allowlist-v6:\n",
            "ipset destroy cf-allowlist-v4-tmp:\n");
    assertThat(target.leftovers(moved)).isEmpty();
    assertThat(fake.sets()).isEmpty();
    assertThat(plan(first, moved).hasChanges()).isFalse();
  }

  @Test
  void uninstallRemovesLeftoversToo() throws IOException {
    install(first, new TargetContext(options.withSetting("ipset", "true"), fake));
    fake.set("cf-allowlist-v6-tmp");
    fake.chain(IpFamily.IPV4, "DOCKER-USER").chain(IpFamily.IPV6, "DOCKER-USER");
    TargetContext moved = new TargetContext(options.withSetting("chain", "DOCKER-USER"), fake);

    target.uninstall(moved);

    assertThat(fake.sets()).isEmpty();
    assertThat(fake.save(IpFamily.IPV4)).doesNotContain("CF-ALLOWLIST");
    assertThat(fake.save(IpFamily.IPV6)).doesNotContain("CF-ALLOWLIST");
    assertThat(target.readLive(moved)).isEmpty();
    assertThat(target.leftovers(moved)).isEmpty();
  }

  @Test
  void foreignRuleInOurChainIsAChangeAndIsReplacedInTheSameCommit() throws IOException {
    install(first, context);
    fake.rule(IpFamily.IPV4, "-I CF-ALLOWLIST -j ACCEPT");

    Plan drifted = plan(first, context);

    assertThat(drifted.hasChanges()).isTrue();
    assertThat(drifted.diff()).contains("-" + IptablesConfig.DRIFT + "-A CF-ALLOWLIST -j ACCEPT");
    fake.clear();

    target.apply(drifted, context);

    assertThat(fake.inputs()).hasSize(1);
    assertThat(fake.inputs().get(0))
        .startsWith("iptables-restore --noflush:\n*filter\n:CF-ALLOWLIST - [0:0]\n")
        .doesNotContain("-A CF-ALLOWLIST -j ACCEPT");
    assertThat(plan(first, context).hasChanges()).isFalse();
    assertThat(fake.save(IpFamily.IPV4)).doesNotContain("-A CF-ALLOWLIST -j ACCEPT");
  }

  @Test
  void duplicatedTaggedJumpIsAChangeAndOneCopyIsDeleted() throws IOException {
    install(first, context);
    fake.rule(IpFamily.IPV4, "-I INPUT " + JUMP);

    Plan drifted = plan(first, context);
    assertThat(drifted.hasChanges()).isTrue();
    fake.clear();

    target.apply(drifted, context);

    assertThat(fake.inputs()).hasSize(1);
    assertThat(fake.inputs().get(0)).contains("-D INPUT " + JUMP).doesNotContain("-I INPUT");
    assertThat(fake.save(IpFamily.IPV4).lines().filter(l -> l.contains("-j CF-ALLOWLIST")))
        .hasSize(1);
    assertThat(plan(first, context).hasChanges()).isFalse();
  }

  @Test
  void aSetEntryThatIsNoCidrIsPutBackVerbatimWhenALaterSetIsRefused() throws IOException {
    TargetContext ipset = new TargetContext(options.withSetting("ipset", "true"), fake);
    install(first, ipset);
    fake.setEntry("cf-allowlist-v4", "192.0.2.1-192.0.2.9");
    Map<String, List<String>> before = fake.sets();
    refusingToFillTheIpv6Set();

    ApplyFailedException failure = applyFails(second, ipset);

    assertThat(failure.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(fake.sets()).isEqualTo(before);
    assertThat(fake.sets().get("cf-allowlist-v4")).contains("192.0.2.1-192.0.2.9");
    assertThat(fake.inputs().get(2))
        .startsWith("ipset restore")
        .contains("add cf-allowlist-v4-tmp 192.0.2.1-192.0.2.9\n");
  }

  @Test
  void aPlanRunsEachReadCommandOnceAndReadsTheRangesItWouldParse() throws IOException {
    TargetContext ipset = new TargetContext(options.withSetting("ipset", "true"), fake);
    install(first, ipset);
    fake.rule(IpFamily.IPV4, "-I CF-ALLOWLIST -j ACCEPT");

    Plan drifted = plan(first, ipset);

    assertThat(fake.commands())
        .extracting(c -> String.join(" ", c.argv()))
        .containsExactly(
            "iptables-save -t filter",
            "ip6tables-save -t filter",
            "ipset list -n",
            "ipset save cf-allowlist-v4",
            "ipset save cf-allowlist-v6");
    assertThat(drifted.hasChanges()).isTrue();
    Rendered live = target.readLive(ipset).orElseThrow();
    assertThat(target.parseLive(live, ipset.options()))
        .isEqualTo(target.parse(live, ipset.options()))
        .isEqualTo(first.ranges());
    // A leftovers call with another context, or a second one, reads again.
    fake.clear();
    assertThat(target.leftovers(new TargetContext(ipset.options(), fake))).isEmpty();
    assertThat(target.leftovers(ipset)).isEmpty();
    assertThat(fake.commands()).filteredOn(c -> c.argv().get(0).equals("ipset")).hasSize(6);
  }

  /** Makes the fake refuse the {@code ipset restore} that fills the IPv6 set. */
  private void refusingToFillTheIpv6Set() {
    fake.refusing(
        c ->
            c.argv().equals(List.of("ipset", "restore"))
                && c.stdin().orElse("").contains("cf-allowlist-v6"));
  }

  /** The programs run after the first command of {@code program}. */
  private List<String> commandsAfter(String program) {
    List<String> after = new ArrayList<>();
    boolean seen = false;
    for (Command c : fake.commands()) {
      if (seen) {
        after.add(c.argv().get(0));
      }
      seen |= c.argv().get(0).equals(program);
    }
    return after;
  }
}
