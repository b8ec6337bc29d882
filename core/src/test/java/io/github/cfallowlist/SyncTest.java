package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SyncTest {
  /**
   * A target that keeps its "live" configuration in memory: one line per range. It can be told to
   * drop a range while applying (a kernel that silently loses an element) or to fail outright.
   */
  static class FakeTarget implements Target {
    Optional<Rendered> live = Optional.empty();
    Optional<String> loseOnApply = Optional.empty();
    boolean failApply;
    boolean failAfterCommit;
    int failAppliesFrom = Integer.MAX_VALUE;
    boolean applyByDiff;
    Optional<Outcome> claim = Optional.empty();
    Optional<String> recordOnFailure = Optional.empty();
    boolean claimPutBack;
    List<String> leftovers = new ArrayList<>();
    int applies;
    final List<String> calls = new ArrayList<>();

    @Override
    public List<Setting<?>> settings() {
      return List.of(FANCY);
    }

    @Override
    public List<String> leftovers(TargetContext context) {
      return List.copyOf(leftovers);
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
      String body =
          snapshot.ranges().all().stream().map(c -> c + "\n").collect(Collectors.joining());
      return Rendered.single("fake.conf", Header.commented(snapshot, "# ") + body);
    }

    @Override
    public RangeSet parse(Rendered config, TargetOptions options) {
      return RangeSet.of(
          config.text().lines().filter(l -> !l.startsWith("#")).map(Cidr::parse).toList());
    }

    @Override
    public boolean supportsLive() {
      return true;
    }

    @Override
    public Optional<Rendered> readLive(TargetContext context) throws IOException {
      calls.add("read");
      return live;
    }

    @Override
    public void apply(Plan plan, TargetContext context) throws IOException {
      calls.add("apply");
      applies++;
      if (failApply || applies >= failAppliesFrom) {
        // Like a file target whose reload failed: the record of the change stays for the next run.
        recordOnFailure.ifPresent(leftovers::add);
        if (claimPutBack) {
          throw ApplyFailedException.unknownAfterPutBack("fake refused the change", null);
        }
        if (claim.isPresent()) {
          throw new ApplyFailedException("fake refused the change", claim.get());
        }
        throw new IOException("fake refused the change");
      }
      String text;
      if (applyByDiff) {
        // Like firewalld: only the plan's additions and removals are sent.
        List<Cidr> now = new ArrayList<>(live.map(l -> parse(l, null).all()).orElse(List.of()));
        for (IpFamily f : IpFamily.values()) {
          now.removeAll(plan.removed(f));
          now.addAll(plan.added(f));
        }
        text = render(plan.snapshot().withRanges(RangeSet.of(now)), null).text();
      } else {
        text = plan.desiredConfig().text();
      }
      if (loseOnApply.isPresent()) {
        text = text.replace(loseOnApply.get() + "\n", "");
        loseOnApply = Optional.empty();
      }
      leftovers.clear();
      live = Optional.of(Rendered.single("fake.conf", text));
      if (failAfterCommit) {
        failAfterCommit = false;
        if (claim.isPresent()) {
          throw new ApplyFailedException("fake lost its reply", claim.get());
        }
        throw new IOException("'fake' did not finish within 60 s and was stopped");
      }
    }

    @Override
    public void uninstall(TargetContext context) {
      calls.add("uninstall");
      leftovers.clear();
      live = Optional.empty();
    }
  }

  static final Setting<Boolean> FANCY = Setting.flag("fancy-mode", "A setting the fake declares.");

  private final FakeTarget target = new FakeTarget();
  private final RangeSnapshot embedded = TestSnapshots.embedded();
  private final TargetContext context =
      new TargetContext(
          TargetOptions.defaults(), RecordingCommandRunner.wrapping(CommandRunner.system()));

  @Test
  void aProgramThatIsNotInstalledIsNamedWithWhereItWasLookedForAndItsPackage() {
    FakeTarget withoutTool =
        new FakeTarget() {
          @Override
          public Map<String, String> packages() {
            return Map.of("fakectl", "fake-tools");
          }

          @Override
          public Optional<Rendered> readLive(TargetContext context) throws IOException {
            throw new ToolNotFoundException("fakectl", "/usr/sbin:/usr/bin");
          }
        };

    TargetResult result = Sync.sync(withoutTool, embedded, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.message())
        .isEqualTo(
            "fake needs 'fakectl', which is not installed (looked in /usr/sbin:/usr/bin);"
                + " install the Debian package fake-tools; nothing was changed");
  }

  @Test
  void applyInstallsThenASecondRunOnlyReads() throws Exception {
    Plan first = Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(first.isInstall()).isTrue();
    assertThat(target.calls).containsExactly("read", "apply", "read");

    target.calls.clear();
    Plan second = Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(second.hasChanges()).isFalse();
    assertThat(target.calls).containsExactly("read");
  }

  @Test
  void aPlanForOneFamilyWantsOnlyThatFamilysRangesOfTheSnapshot() throws Exception {
    TargetContext v4 =
        new TargetContext(TargetOptions.defaults().withFamilies(Families.IPV4), context.runner());
    assertThat(embedded.ranges().get(IpFamily.IPV6)).isNotEmpty();

    TargetResult applied = Sync.sync(target, embedded, v4, Guards.defaults(), false);

    assertThat(applied.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(applied.plan().orElseThrow().desired().get(IpFamily.IPV6)).isEmpty();
    assertThat(target.parse(target.live.orElseThrow(), v4.options()))
        .isEqualTo(embedded.ranges().restrictTo(Families.IPV4));
    assertThat(Sync.plan(target, embedded, v4).hasChanges()).isFalse();
  }

  @Test
  void aSnapshotBuiltByHandPassesTheGuardsBeforeAnythingIsReadOrChanged() {
    RangeSnapshot everyone =
        new RangeSnapshot(
            RangeSet.of(
                List.of(
                    Cidr.parse("0.0.0.0/1"),
                    Cidr.parse("128.0.0.0/1"),
                    Cidr.parse("2400:cb00::/32"))),
            "hand-made",
            Optional.empty(),
            java.time.Instant.EPOCH);

    TargetResult synced = Sync.sync(target, everyone, context, Guards.defaults(), false);
    TargetResult reviewed =
        Sync.review(target, everyone, context.options(), Guards.defaults(), Optional.empty());

    assertThat(synced.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(synced.message())
        .isEqualTo(
            "'0.0.0.0/1' in IPv4 ranges from hand-made overlaps 0.0.0.0/8, \"this network\" (RFC"
                + " 791), which is never a Cloudflare range; nothing was changed");
    assertThat(reviewed.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(target.calls).isEmpty();
    assertThat(target.live).isEmpty();
  }

  @Test
  void aRangeOfAFamilyTheOptionsDoNotManageIsNeitherCheckedNorApplied() {
    RangeSnapshot withPrivateV6 =
        embedded.withRanges(
            RangeSet.of(
                java.util.stream.Stream.concat(
                        embedded.ranges().all().stream(),
                        java.util.stream.Stream.of(Cidr.parse("fc00::/7")))
                    .toList()));
    TargetContext v4 =
        new TargetContext(TargetOptions.defaults().withFamilies(Families.IPV4), context.runner());

    TargetResult synced = Sync.sync(target, withPrivateV6, v4, Guards.defaults(), false);
    TargetResult both = Sync.sync(target, withPrivateV6, context, Guards.defaults(), true);

    assertThat(synced.outcome()).as(synced.message()).isEqualTo(Outcome.APPLIED);
    assertThat(both.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(both.message()).contains("'fc00::/7'");
  }

  @Test
  void readBackThatDiffersFromThePlanPutsThePreviousStateBack() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();
    RangeSnapshot changed =
        embedded.withRanges(
            RangeSet.of(
                embedded.ranges().all().stream()
                    .filter(c -> !c.toString().equals("198.41.128.0/17"))
                    .toList()));
    target.loseOnApply = Optional.of("173.245.48.0/20");

    assertThatThrownBy(() -> Sync.apply(target, changed, context, Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("did not match the plan")
        .hasMessageContaining("the previous state was put back");
    assertThat(target.live.orElseThrow().text()).isEqualTo(before.text());
  }

  @Test
  void readBackMismatchOnAnInstallUninstallsAgain() {
    target.loseOnApply = Optional.of("173.245.48.0/20");
    TargetResult result = Sync.sync(target, embedded, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(target.live).isEmpty();
    assertThat(target.calls).containsSubsequence("apply", "read", "uninstall", "read");
  }

  @Test
  void failedApplyIsReportedWithTheTargetsMessage() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();
    target.failApply = true;
    RangeSnapshot changed =
        embedded.withRanges(RangeSet.of(embedded.ranges().all().stream().skip(1).toList()));

    assertThatThrownBy(() -> Sync.apply(target, changed, context, Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("fake refused the change")
        .hasMessageContaining("nothing was changed")
        .satisfies(
            e ->
                assertThat(((ApplyFailedException) e).outcome())
                    .isEqualTo(Outcome.FAILED_UNCHANGED));
    assertThat(target.live).contains(before);
  }

  @Test
  void shrinkGuardRefusesBeforeAnythingIsApplied() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.calls.clear();
    RangeSnapshot halved =
        embedded.withRanges(
            new RangeSet(embedded.ranges().ipv4().subList(0, 7), embedded.ranges().ipv6()));

    assertThatThrownBy(() -> Sync.apply(target, halved, context, Guards.defaults()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("--allow-shrink");
    assertThat(target.calls).containsExactly("read");
  }

  @Test
  void uninstallReportsWhetherAnythingWasThere() throws Exception {
    assertThat(Sync.uninstall(target, context)).isFalse();
    Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(Sync.uninstall(target, context)).isTrue();
    assertThat(target.live).isEmpty();
  }

  @Test
  void targetWithoutLiveSupportSaysSoInOneSentence() {
    Target renderOnly =
        new Target() {
          @Override
          public String name() {
            return "render-only";
          }

          @Override
          public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
            return target.render(snapshot, options);
          }

          @Override
          public RangeSet parse(Rendered config, TargetOptions options) {
            return target.parse(config, options);
          }
        };
    assertThatThrownBy(() -> Sync.plan(renderOnly, embedded, context))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage("target render-only cannot read the live system yet; use --current FILE");
  }

  @Test
  void aCommandThatCommittedBeforeFailingIsReportedAsAppliedBecauseTheReadBackSaysSo() {
    target.failAfterCommit = true;
    TargetResult result = Sync.sync(target, embedded, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(result.message()).contains("verified by reading back").contains("did not finish");
    assertThat(target.live).isPresent();
  }

  @Test
  void aFailureThatLeftAHalfChangeIsPutBackFromTheLiveStateAndVerified() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();
    target.applyByDiff = true;
    target.loseOnApply = Optional.of("173.245.48.0/20");
    target.failAfterCommit = true;
    RangeSnapshot changed = withoutRange(embedded, "198.41.128.0/17");

    TargetResult result = Sync.sync(target, changed, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(target.live.orElseThrow().text()).isEqualTo(before.text());
  }

  @Test
  void anAdapterThatSaysRestoredIsNotBelievedWhenTheLiveStateDiffers() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.applyByDiff = true;
    // It loses a range, claims the previous state is back, and every later apply fails too.
    target.loseOnApply = Optional.of("173.245.48.0/20");
    target.failAfterCommit = true;
    target.failAppliesFrom = target.applies + 2;
    target.claim = Optional.of(Outcome.FAILED_RESTORED);

    TargetResult result =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(result.message())
        .contains("; putting it back reported: fake refused the change")
        .contains("putting the previous state back did not take");
  }

  @Test
  void aPutBackThatFailsAfterItsWriteIsReportedRestoredBecauseTheReadBackSaysSo() throws Exception {
    FakeTarget failsAfterEachChange =
        new FakeTarget() {
          @Override
          public void apply(Plan plan, TargetContext context) throws IOException {
            boolean installed = live.isPresent();
            super.apply(plan, context);
            if (installed) {
              throw new IOException("'fake' lost its reply");
            }
          }
        };
    Sync.apply(failsAfterEachChange, embedded, context, Guards.defaults());
    Rendered before = failsAfterEachChange.live.orElseThrow();
    failsAfterEachChange.loseOnApply = Optional.of("173.245.48.0/20");

    TargetResult result =
        Sync.sync(
            failsAfterEachChange,
            withoutRange(embedded, "198.41.128.0/17"),
            context,
            Guards.defaults(),
            false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message())
        .endsWith(
            "the previous state was put back (verified by reading back, although putting it"
                + " back reported: 'fake' lost its reply)");
    assertThat(failsAfterEachChange.live.orElseThrow().text()).isEqualTo(before.text());
  }

  /**
   * A target whose reads fail while this thread is interrupted, as {@link SystemCommandRunner}'s
   * commands do, and whose next change is cut short by an interrupt after half of it.
   */
  static class InterruptedHalfway extends FakeTarget {
    boolean interruptNext;

    @Override
    public Optional<Rendered> readLive(TargetContext context) throws IOException {
      if (Thread.currentThread().isInterrupted()) {
        throw new IOException("interrupted while running 'fake list'");
      }
      return super.readLive(context);
    }

    @Override
    public void apply(Plan plan, TargetContext context) throws IOException {
      if (interruptNext) {
        interruptNext = false;
        loseOnApply = Optional.of("173.245.48.0/20"); // half of the change is made
        super.apply(plan, context);
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running 'fake load'");
      }
      super.apply(plan, context);
    }
  }

  @Test
  void anInterruptDuringTheChangeLeavesTheOldStateVerifiedAndIsKeptForTheCaller() throws Exception {
    InterruptedHalfway halfway = new InterruptedHalfway();
    Sync.apply(halfway, embedded, context, Guards.defaults());
    Rendered before = halfway.live.orElseThrow();
    halfway.interruptNext = true;

    TargetResult result;
    boolean stillInterrupted;
    try {
      result =
          Sync.sync(
              halfway,
              withoutRange(embedded, "198.41.128.0/17"),
              context,
              Guards.defaults(),
              false);
    } finally {
      stillInterrupted = Thread.interrupted();
    }

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message())
        .startsWith("interrupted while running 'fake load'")
        .contains("the previous state was put back (verified by reading back");
    assertThat(halfway.live.orElseThrow().text()).isEqualTo(before.text());
    assertThat(stillInterrupted).as("the interrupt is kept for the caller").isTrue();
  }

  /** A target whose next changes stop halfway with a class missing from its jar. */
  static class MissingClassHalfway extends FakeTarget {
    int failing;

    @Override
    public void apply(Plan plan, TargetContext context) throws IOException {
      if (failing > 0) {
        failing--;
        loseOnApply = Optional.of("173.245.48.0/20"); // half of the change is made
        super.apply(plan, context);
        throw new NoClassDefFoundError("io/example/Missing");
      }
      super.apply(plan, context);
    }
  }

  @Test
  void anErrorThrownByATargetHalfwayIsAFailedChangeThatIsPutBack() throws Exception {
    MissingClassHalfway broken = new MissingClassHalfway();
    Sync.apply(broken, embedded, context, Guards.defaults());
    Rendered before = broken.live.orElseThrow();
    broken.failing = 1;

    TargetResult result =
        Sync.sync(
            broken, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message()).startsWith("io/example/Missing");
    assertThat(broken.live.orElseThrow().text()).isEqualTo(before.text());
  }

  @Test
  void anErrorThatTheTargetThrowsAgainWhenPuttingBackIsAResultNotAnEscape() throws Exception {
    MissingClassHalfway broken = new MissingClassHalfway();
    Sync.apply(broken, embedded, context, Guards.defaults());
    broken.failing = Integer.MAX_VALUE;

    TargetResult result =
        Sync.sync(
            broken, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(result.message())
        .startsWith("io/example/Missing; putting it back reported: io/example/Missing")
        .contains("did not take");
  }

  @Test
  void aPutBackThatSaysItCannotKnowTheStateIsBelieved() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.applyByDiff = true;
    target.loseOnApply = Optional.of("173.245.48.0/20");
    target.failAfterCommit = true;
    target.failAppliesFrom = target.applies + 2;
    target.claim = Optional.of(Outcome.STATE_UNKNOWN);

    TargetResult result =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(result.message()).contains("putting the previous state back also failed");
  }

  @Test
  void aFailureThatChangedNothingIsReportedUnchangedUnlessTheTargetKnowsBetter() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.failApply = true;
    target.claim = Optional.of(Outcome.STATE_UNKNOWN);
    // A target that cannot see everything (what a daemon loaded) keeps its "unknown".
    assertThat(
            Sync.sync(
                    target,
                    withoutRange(embedded, "198.41.128.0/17"),
                    context,
                    Guards.defaults(),
                    false)
                .outcome())
        .isEqualTo(Outcome.STATE_UNKNOWN);
    // A plain I/O failure is judged by the re-read alone.
    target.claim = Optional.empty();
    TargetResult result =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
  }

  @Test
  void aTargetThatCannotKnowAndKeepsARecordForTheNextRunIsBelievedWithoutAPutBack()
      throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.failApply = true;
    target.claimPutBack = true;
    target.recordOnFailure = Optional.of("unfinished change fake.conf");
    int before = target.applies;

    TargetResult result =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    // The files read as before and the record names the change: a put-back would only run the
    // failing change again, so the target's own word stands, said once.
    assertThat(result.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(result.message()).isEqualTo("fake refused the change");
    assertThat(target.applies - before).isEqualTo(1);
    assertThat(target.calls).doesNotContain("uninstall");
  }

  @Test
  void aTargetThatCannotKnowAndAddedALeftoverWithoutPuttingBackIsPutBackByTheEngine()
      throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.failApply = true;
    target.claim = Optional.of(Outcome.STATE_UNKNOWN);
    target.recordOnFailure = Optional.of("unfinished change fake.conf");
    int before = target.applies;

    TargetResult result =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), false);

    // A file whose put-back failed may still hold the new list under the record: the engine
    // tries the put-back again (here it fails too, and says so).
    assertThat(target.applies - before).isEqualTo(2);
    assertThat(result.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(result.message()).contains("putting the previous state back also failed");
  }

  @Test
  void dryRunRunsTheShrinkGuardAndNeverApplies() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.calls.clear();
    RangeSnapshot halved =
        embedded.withRanges(
            new RangeSet(embedded.ranges().ipv4().subList(0, 7), embedded.ranges().ipv6()));

    TargetResult refused = Sync.sync(target, halved, context, Guards.defaults(), true);
    TargetResult pending =
        Sync.sync(
            target, withoutRange(embedded, "198.41.128.0/17"), context, Guards.defaults(), true);

    assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(refused.message()).contains("--allow-shrink");
    assertThat(refused.plan().orElseThrow().diff()).contains("-173.245.48.0/20");
    assertThat(pending.outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(target.calls).doesNotContain("apply", "uninstall");
  }

  @Test
  void uninstallDryRunPreviewsTheRemovalAndChangesNothing() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();

    TargetResult preview = Sync.remove(target, context, true);

    assertThat(preview.outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(preview.plan().orElseThrow().diff()).contains("-173.245.48.0/20");
    assertThat(target.live).contains(before);
    assertThat(target.calls).doesNotContain("uninstall");
    assertThat(Sync.remove(target, context, false).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(Sync.remove(target, context, true).outcome()).isEqualTo(Outcome.IN_SYNC);
  }

  @Test
  void leftoversMakeAChangeAndApplyRemovesThem() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.leftovers.add("table inet old_layout");

    Plan plan = Sync.plan(target, embedded, context);
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.summary()).contains("removes leftover table inet old_layout");
    assertThat(plan.diff()).contains("# remove leftover: table inet old_layout");

    assertThat(Sync.sync(target, embedded, context, Guards.defaults(), false).outcome())
        .isEqualTo(Outcome.APPLIED);
    assertThat(target.leftovers).isEmpty();
    assertThat(Sync.plan(target, embedded, context).hasChanges()).isFalse();
  }

  @Test
  void aMisspelledSettingIsRefusedNamingTheOneMeantBeforeAnythingIsRead() {
    TargetContext typo =
        new TargetContext(
            TargetOptions.defaults().withSetting("fancy_mode", "true"), context.runner());
    assertThatThrownBy(() -> Sync.sync(target, embedded, typo, Guards.defaults(), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown setting 'fancy_mode' for fake; did you mean 'fancy-mode'?");
    TargetContext malformed =
        new TargetContext(
            TargetOptions.defaults().withSetting("fancy-mode", "TRUE"), context.runner());
    assertThatThrownBy(() -> Sync.plan(target, embedded, malformed))
        .hasMessage("setting fancy-mode value 'TRUE' is not true or false");
    assertThat(target.calls).isEmpty();
  }

  private static RangeSnapshot withoutRange(RangeSnapshot snapshot, String cidr) {
    return snapshot.withRanges(
        RangeSet.of(
            snapshot.ranges().all().stream().filter(c -> !c.toString().equals(cidr)).toList()));
  }

  @Test
  void aFailureThatAlreadyNamesTheTargetAndSaysNothingChangedSaysEachOnce() {
    FakeTarget failing =
        new FakeTarget() {
          @Override
          public Optional<Rendered> readLive(TargetContext context) {
            throw new CfAllowlistException("fake: the table is locked; nothing was changed");
          }
        };
    TargetResult result = Sync.sync(failing, embedded, context, Guards.defaults(), true);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.message()).isEqualTo("the table is locked; nothing was changed");
  }
}
