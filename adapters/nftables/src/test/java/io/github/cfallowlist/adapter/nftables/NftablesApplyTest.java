package io.github.cfallowlist.adapter.nftables;

import static io.github.cfallowlist.adapter.nftables.FakeNft.Ending.COMMITTED;
import static io.github.cfallowlist.adapter.nftables.FakeNft.Ending.LOST;
import static io.github.cfallowlist.adapter.nftables.FakeNft.Ending.LOST_UNREADABLE;
import static io.github.cfallowlist.adapter.nftables.FakeNft.Ending.REFUSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.ToolNotFoundException;
import io.github.cfallowlist.adapter.nftables.FakeNft.Ruleset;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Apply, uninstall and the outcomes they report, against a scripted {@code nft} (no root): the
 * exact script of each transaction, a refused script, and a run whose outcome is unknown (a
 * timeout), after which the ruleset is read again before anything is reported.
 */
class NftablesApplyTest {
  private static final Layout FILTER = Layout.userTable("inet", "filter");

  // A clock that stands still: a plan's reading is always recent, however slow the machine.
  private final NftablesTarget target = new NftablesTarget(() -> 0L);
  private final RangeSnapshot embedded = Fixtures.embedded();

  /** The embedded list with one IPv4 range removed and one added: within the shrink guard. */
  private final RangeSnapshot changed =
      embedded.withRanges(
          RangeSet.of(
              Stream.concat(
                      embedded.ranges().all().stream()
                          .filter(c -> !c.toString().equals("198.41.128.0/17")),
                      RangeSet.parse("45.64.64.0/22").all().stream())
                  .toList()));

  private final TargetOptions options = TargetOptions.defaults();
  private final TargetOptions inFilter = options.withSetting("nft-table", "inet filter");

  private NftablesConfig own(RangeSnapshot snapshot) {
    return NftablesConfig.desired(snapshot, options, Layout.OWN);
  }

  private NftablesConfig filter(RangeSnapshot snapshot) {
    return NftablesConfig.desired(snapshot, inFilter, FILTER);
  }

  private static Ruleset with(NftablesConfig... configs) {
    Ruleset r = Ruleset.empty();
    for (NftablesConfig c : configs) {
      r = r.with(c);
    }
    return r;
  }

  @Test
  void installSendsOneCompleteFileThatDeclaresAndFillsTheOwnTable() throws Exception {
    FakeNft nft = new FakeNft(Ruleset.empty()).then(COMMITTED, with(own(embedded)));
    TargetContext context = new TargetContext(options, nft);
    Plan plan = Sync.plan(target, embedded, context);
    assertThat(plan.isInstall()).isTrue();

    target.apply(plan, context);

    assertThat(nft.modifyingCommands())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.argv()).hasSize(3).startsWith("nft", "-f");
              assertThat(Path.of(c.argv().get(2))).doesNotExist();
            });
    assertThat(nft.scripts()).containsExactly(own(embedded).render(""));
    assertThat(nft.scripts().get(0))
        .startsWith("table inet cf_allowlist {\n\tset cloudflare_v4 {\n")
        .contains("flush set inet cf_allowlist cloudflare_v4\nadd element")
        .contains("flush chain inet cf_allowlist input\n")
        .doesNotContain("delete", "# ");
  }

  @Test
  void anUnchangedListRunsOnlyReads() throws Exception {
    FakeNft nft = new FakeNft(with(own(embedded)));

    TargetResult result =
        Sync.sync(target, embedded, new TargetContext(options, nft), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.IN_SYNC);
    assertThat(nft.commands()).isNotEmpty();
    assertThat(nft.modifyingCommands()).isEmpty();
  }

  @Test
  void updateFlushesAndRefillsTheSetsOfACleanTableWithoutDeletingIt() throws Exception {
    FakeNft nft = new FakeNft(with(own(embedded))).then(COMMITTED, with(own(changed)));

    TargetResult result =
        Sync.sync(target, changed, new TargetContext(options, nft), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(nft.scripts()).containsExactly(own(changed).render(""));
    assertThat(nft.scripts().get(0)).contains("\t45.64.64.0/22,\n").doesNotContain("delete");
  }

  @Test
  void aFamilyNoLongerInUseGoesWithTheTableInTheSameTransaction() throws Exception {
    TargetOptions v4 = options.withFamilies(Families.IPV4);
    RangeSnapshot v4Only = embedded.withRanges(embedded.ranges().restrictTo(Families.IPV4));
    FakeNft nft = new FakeNft(with(own(embedded))).then(COMMITTED, Ruleset.empty());
    TargetContext context = new TargetContext(v4, nft);

    target.apply(Sync.plan(target, v4Only, context), context);

    assertThat(nft.scripts())
        .containsExactly(
            "delete table inet cf_allowlist\n"
                + NftablesConfig.desired(v4Only, v4, Layout.OWN).render(""));
    assertThat(nft.scripts().get(0)).doesNotContain("cloudflare_v6");
  }

  @Test
  void leftoverOwnTableIsReportedAndDeletedInTheTransactionThatFillsTheUserTable()
      throws Exception {
    FakeNft nft =
        new FakeNft(with(own(embedded)).withTable("inet", "filter"))
            .then(COMMITTED, with(filter(embedded)));
    TargetContext context = new TargetContext(inFilter, nft);

    Plan plan = Sync.plan(target, embedded, context);
    assertThat(plan.leftovers()).containsExactly("table inet cf_allowlist");
    assertThat(plan.diff()).endsWith("# remove leftover: table inet cf_allowlist\n");
    nft.clear();

    TargetResult result = Sync.sync(target, embedded, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(nft.modifyingCommands()).hasSize(1);
    assertThat(nft.scripts())
        .containsExactly(filter(embedded).render("") + "delete table inet cf_allowlist\n");
    assertThat(nft.scripts().get(0)).startsWith("table inet filter {\n");
    assertThat(nft.ruleset().tables()).containsOnlyKeys("inet filter");
  }

  @Test
  void defaultLayoutCallsNoSetsInOtherTablesLeftoversAndReadsNothingForThem() throws Exception {
    FakeNft nft = new FakeNft(with(filter(embedded)));

    assertThat(target.leftovers(new TargetContext(options, nft))).isEmpty();
    assertThat(nft.commands()).isEmpty();
    assertThat(target.leftovers(new TargetContext(inFilter, nft))).isEmpty();
  }

  @Test
  void missingUserTableFailsUnchangedWithoutRunningAModifyingCommand() throws Exception {
    FakeNft nft = new FakeNft(Ruleset.empty());
    TargetContext context = new TargetContext(inFilter, nft);
    Plan plan = Sync.plan(target, embedded, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e).hasMessageContaining("table inet filter named by --nft-table does not exist");
    assertThat(nft.modifyingCommands()).isEmpty();
    assertThat(Sync.sync(target, embedded, context, Guards.defaults(), false).outcome())
        .isEqualTo(Outcome.FAILED_UNCHANGED);
  }

  @Test
  void aSetOfAFamilyNoLongerInUseIsDeletedFromTheUserTable() throws Exception {
    TargetOptions v4 = inFilter.withFamilies(Families.IPV4);
    RangeSnapshot v4Only = embedded.withRanges(embedded.ranges().restrictTo(Families.IPV4));
    FakeNft nft = new FakeNft(with(filter(embedded))).then(COMMITTED, Ruleset.empty());
    TargetContext context = new TargetContext(v4, nft);

    target.apply(Sync.plan(target, v4Only, context), context);

    assertThat(nft.scripts())
        .containsExactly(
            NftablesConfig.desired(v4Only, v4, FILTER).render("")
                + "delete set inet filter cloudflare_v6\n");
  }

  @Test
  void uninstallDeletesTheOwnTableAndDoesNothingWhenItIsGone() throws Exception {
    FakeNft nft = new FakeNft(with(own(embedded))).then(COMMITTED, Ruleset.empty());
    TargetContext context = new TargetContext(options, nft);

    assertThat(Sync.remove(target, context, false).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(nft.scripts()).containsExactly("delete table inet cf_allowlist\n");

    nft.clear();
    assertThat(Sync.remove(target, context, false).outcome()).isEqualTo(Outcome.IN_SYNC);
    assertThat(nft.modifyingCommands()).isEmpty();
  }

  @Test
  void uninstallWithNftTableDeletesTheSetsAndALeftoverOwnTableInOneTransaction() throws Exception {
    Ruleset userTableOnly = Ruleset.empty().withTable("inet", "filter");
    FakeNft nft = new FakeNft(with(own(embedded), filter(embedded))).then(COMMITTED, userTableOnly);
    TargetContext context = new TargetContext(inFilter, nft);

    TargetResult result = Sync.remove(target, context, false);

    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(result.plan().orElseThrow().leftovers()).containsExactly("table inet cf_allowlist");
    assertThat(nft.modifyingCommands()).hasSize(1);
    assertThat(nft.scripts())
        .containsExactly(
            "delete set inet filter cloudflare_v4\n"
                + "delete set inet filter cloudflare_v6\n"
                + "delete table inet cf_allowlist\n");
  }

  @Test
  void refusedScriptFailsUnchangedWithNftsError() throws Exception {
    Ruleset before = with(own(embedded));
    FakeNft nft = new FakeNft(before).then(REFUSED, before);
    TargetContext context = new TargetContext(options, nft);
    Plan plan = Sync.plan(target, changed, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e)
        .hasMessageStartingWith(
            "nft -f refused the cf_allowlist.nft transaction for table inet" + " cf_allowlist")
        .hasMessageContaining("Error: Could not process rule: Device or resource busy");

    nft.then(REFUSED, before);
    TargetResult result = Sync.sync(target, changed, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(nft.ruleset()).isEqualTo(before);
  }

  @Test
  void refusedUninstallFailsUnchangedWithAHintAtTheUsersRules() throws Exception {
    Ruleset before = with(filter(embedded));
    FakeNft nft = new FakeNft(before).then(REFUSED, before);
    TargetContext context = new TargetContext(inFilter, nft);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.uninstall(context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e)
        .hasMessageContaining("remove your rules using @cloudflare_v4/v6 first")
        .hasMessageContaining("Device or resource busy");
  }

  @Test
  void lostReplyWithTheOldRulesetReadAgainFailsUnchanged() throws Exception {
    Ruleset before = with(own(embedded));
    FakeNft nft = new FakeNft(before).then(LOST, before);
    TargetContext context = new TargetContext(options, nft);
    Plan plan = Sync.plan(target, changed, context);
    nft.clear();

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e).hasMessageContaining("did not finish").hasMessageContaining("as before");
    // The transaction and a read again: the plan's reading, just made, is the state before.
    List<Command> commands = nft.commands();
    assertThat(commands.get(commands.size() - 1).modifies()).isFalse();
    assertThat(commands.stream().filter(c -> !c.modifies()).count()).isEqualTo(1);

    nft.then(LOST, before);
    assertThat(Sync.sync(target, changed, context, Guards.defaults(), false).outcome())
        .isEqualTo(Outcome.FAILED_UNCHANGED);
  }

  @Test
  void lostReplyAfterTheTransactionCommittedIsStateUnknownAndTheEngineFindsItApplied()
      throws Exception {
    FakeNft nft = new FakeNft(with(own(embedded))).then(LOST, with(own(changed)));
    TargetContext context = new TargetContext(options, nft);
    Plan plan = Sync.plan(target, changed, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e).hasMessageContaining("may have committed");

    FakeNft again = new FakeNft(with(own(embedded))).then(LOST, with(own(changed)));
    TargetResult result =
        Sync.sync(target, changed, new TargetContext(options, again), Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
  }

  @Test
  void lostReplyWithTheRulesetUnreadableIsStateUnknown() throws Exception {
    FakeNft nft = new FakeNft(with(own(embedded))).then(LOST_UNREADABLE, with(own(changed)));
    TargetContext context = new TargetContext(options, nft);
    Plan plan = Sync.plan(target, changed, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e).hasMessageContaining("reading the ruleset again failed too");
  }

  @Test
  void halfCommittedStateAfterALostReplyIsPutBackByTheEngineThroughApply() throws Exception {
    // Neither old nor new: the IPv4 set flushed, its elements missing.
    Map<IpFamily, List<Cidr>> sets = new EnumMap<>(IpFamily.class);
    sets.put(IpFamily.IPV4, List.of());
    sets.put(IpFamily.IPV6, embedded.ranges().get(IpFamily.IPV6));
    NftablesConfig half = new NftablesConfig(Layout.OWN, sets, own(embedded).chain(), List.of());
    FakeNft nft =
        new FakeNft(with(own(embedded)))
            .then(LOST, with(half))
            .then(COMMITTED, with(own(embedded)));

    TargetResult result =
        Sync.sync(target, changed, new TargetContext(options, nft), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(nft.scripts()).containsExactly(own(changed).render(""), own(embedded).render(""));
  }

  @Test
  void nftMissingWhenTheTransactionWouldRunFailsUnchanged() throws Exception {
    FakeNft nft = new FakeNft(Ruleset.empty());
    CommandRunner noNft =
        command -> {
          if (command.modifies()) {
            throw new ToolNotFoundException("nft", "/usr/sbin:/sbin");
          }
          return nft.run(command);
        };
    TargetContext context = new TargetContext(options, noNft);
    Plan plan = Sync.plan(target, embedded, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e).hasMessageContaining("'nft' is not installed");
  }
}
