package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunTest {
  @TempDir Path dir;

  private final SyncTest.FakeTarget target = new SyncTest.FakeTarget();
  private final RangeSnapshot embedded = TestSnapshots.embedded();

  /** What a source does while it loads, before it answers. */
  private interface Loading {
    void run() throws IOException;
  }

  /** A network source that answers with the embedded list, or fails like a host without network. */
  private static final class FakeNetwork implements RangeSource {
    boolean down;
    RangeSnapshot serves;
    int fetches;
    Loading loading = () -> {};

    FakeNetwork(RangeSnapshot serves) {
      this.serves = serves;
    }

    @Override
    public String name() {
      return "fake network";
    }

    @Override
    public boolean isRemote() {
      return true;
    }

    @Override
    public RawRanges fetch() throws IOException {
      fetches++;
      loading.run();
      if (down) {
        throw new IOException("cannot reach api.example: network is unreachable");
      }
      return rawOf(serves);
    }
  }

  static RawRanges rawOf(RangeSnapshot s) {
    return new RawRanges(
        java.util.List.of(
            new RawRanges.RawList(
                "v4",
                Optional.of(IpFamily.IPV4),
                s.ranges().ipv4().stream().map(Cidr::toString).toList()),
            new RawRanges.RawList(
                "v6",
                Optional.of(IpFamily.IPV6),
                s.ranges().ipv6().stream().map(Cidr::toString).toList())),
        "fake network",
        Optional.of("etag-1"),
        Instant.parse("2026-11-01T10:00:00Z"));
  }

  /**
   * A fake target that says when its live state is being read, and whose reading can be held up for
   * a while or until it is interrupted.
   */
  private static class WatchedTarget extends SyncTest.FakeTarget {
    volatile CountDownLatch reading = new CountDownLatch(1);

    /** How long a reading is held up; nothing, 30 s (until interrupted) or a moment. */
    volatile Duration hold = Duration.ZERO;

    volatile Optional<String> fail = Optional.empty();
    volatile boolean interrupted;
    volatile boolean readingOver;

    @Override
    public Optional<Rendered> readLive(TargetContext context) throws IOException {
      Optional<Rendered> now = super.readLive(context);
      reading.countDown();
      try {
        Thread.sleep(hold.toMillis());
      } catch (InterruptedException e) {
        interrupted = true;
        throw new IOException("interrupted while reading", e);
      }
      readingOver = true;
      if (fail.isPresent()) {
        throw new IOException(fail.get());
      }
      return now;
    }
  }

  /** A watched target that cannot render the list (as restrict mode refuses a family with none). */
  private static final class Unrenderable extends WatchedTarget {
    static final String WHY = "fake cannot restrict a family that has no range";

    @Override
    public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
      throw new CfAllowlistException(WHY);
    }
  }

  /** Waits until {@code target} is being read; the run fails the test if that never happens. */
  private static void awaitReading(WatchedTarget target) throws IOException {
    try {
      if (!target.reading.await(10, TimeUnit.SECONDS)) {
        throw new IOException("the target was not read while the list loaded");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** A watched target that a first run filled from {@code net}, its calls since then forgotten. */
  private WatchedTarget installed(FakeNetwork net) throws IOException {
    WatchedTarget watched = new WatchedTarget();
    run(net, watched).build().execute();
    watched.calls.clear();
    watched.reading = new CountDownLatch(1);
    return watched;
  }

  private static boolean aReadingThreadIsAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().startsWith("cf-allowlist-read-"));
  }

  private Run.Builder run(RangeSource source) {
    return run(source, target);
  }

  private Run.Builder run(RangeSource source, Target target) {
    return Run.builder()
        .source(source)
        .target(target)
        .stateDir(StateDir.at(dir))
        .lockFile(dir.resolve("run.lock"))
        .lockTimeout(Duration.ZERO);
  }

  @Test
  void aDryRunRefusesAStateDirTheRunWouldRefuseAndCreatesNoMissingOne() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    for (Run.Action dry : List.of(Run.Action.DRY_RUN, Run.Action.UNINSTALL_DRY_RUN)) {
      Run.Builder b = run(net).stateDir(StateDir.at(open)).action(dry);

      assertThatThrownBy(() -> b.build().execute())
          .isInstanceOf(CfAllowlistException.class)
          .hasMessage(
              "state directory "
                  + open
                  + " can be written by other users (rwxrwxrwx); make it rwx------ (chmod 700)"
                  + " or choose another --state-dir");
    }
    assertThat(target.calls).isEmpty();

    Path missing = dir.resolve("missing/state");
    RunResult result =
        run(net).stateDir(StateDir.at(missing)).action(Run.Action.DRY_RUN).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(dir.resolve("missing")).doesNotExist();
  }

  @Test
  void applySavesTheLastGoodListAndADryRunWritesNothing() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    RunResult dry = run(net).action(Run.Action.DRY_RUN).build().execute();
    assertThat(dry.targets())
        .singleElement()
        .extracting(TargetResult::outcome)
        .isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(dry.pending()).isTrue();
    assertThat(Files.exists(dir.resolve("last-good.json"))).isFalse();
    assertThat(target.live).isEmpty();

    RunResult applied = run(net).build().execute();
    assertThat(applied.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(StateDir.at(dir).loadLastGood().orElseThrow().ranges()).isEqualTo(embedded.ranges());
    assertThat(run(net).build().execute().targets().get(0).outcome()).isEqualTo(Outcome.IN_SYNC);
  }

  @Test
  void aSourceFetchedOnceAppliesTheListItsDryRunPlannedWhenTheNetworkServesAnotherSince()
      throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    RangeSource once = RangeSource.fetchedOnce(net);
    assertThat(once.name()).isEqualTo("fake network");
    assertThat(once.isRemote()).isTrue();
    net.down = true;
    assertThatThrownBy(once::fetch).isInstanceOf(IOException.class);
    net.down = false;

    RunResult dry = run(once).action(Run.Action.DRY_RUN).build().execute();
    List<Cidr> shorter = new ArrayList<>(embedded.ranges().all());
    shorter.remove(embedded.ranges().ipv4().get(0));
    net.serves = embedded.withRanges(RangeSet.of(shorter));
    RunResult applied = run(once).build().execute();

    assertThat(dry.targets().get(0).outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(applied.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(applied.targets().get(0).plan().orElseThrow().desired())
        .isEqualTo(dry.targets().get(0).plan().orElseThrow().desired())
        .isEqualTo(embedded.ranges());
    assertThat(net.fetches).isEqualTo(2); // the failed read, then the one kept
    assertThat(StateDir.at(dir).loadLastGood().orElseThrow().ranges()).isEqualTo(embedded.ranges());
    assertThat(run(net).action(Run.Action.DRY_RUN).build().execute().targets().get(0).outcome())
        .as("the network's list now differs")
        .isEqualTo(Outcome.WOULD_CHANGE);
  }

  @Test
  void aSourceFetchedOnceNeedsASource() {
    assertThatThrownBy(() -> RangeSource.fetchedOnce(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("source == null");
  }

  @Test
  void aRunForIpv6AloneChecksAndAppliesTheIpv6ListWithoutFallingBack() throws Exception {
    FakeNetwork net =
        new FakeNetwork(embedded.withRanges(embedded.ranges().restrictTo(Families.IPV6)));
    TargetOptions v6 = TargetOptions.defaults().withFamilies(Families.IPV6);

    RunResult result = run(net).options(v6).build().execute();

    TargetResult t = result.targets().get(0);
    assertThat(t.outcome()).as(t.message()).isEqualTo(Outcome.APPLIED);
    assertThat(t.fallback()).isEmpty();
    assertThat(result.warnings()).isEmpty();
    assertThat(target.parse(target.live.orElseThrow(), v6))
        .isEqualTo(embedded.ranges().restrictTo(Families.IPV6));
  }

  @Test
  void aTargetThatCannotReadTheLiveSystemStopsTheRunBeforeAnyTargetChanges() {
    Target reviewOnly =
        new SyncTest.FakeTarget() {
          @Override
          public boolean supportsLive() {
            return false;
          }

          @Override
          public String name() {
            return "review-only";
          }
        };
    Run run = run(new FakeNetwork(embedded)).target(reviewOnly).build();

    assertThatThrownBy(run::execute)
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("target review-only cannot read the live system");
    assertThat(target.calls).isEmpty();
    assertThat(target.live).isEmpty();
  }

  @Test
  void afterARebootWithoutNetworkTheLastGoodListIsInstalledAndNamed() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    run(net).build().execute();
    target.live = Optional.empty(); // the reboot emptied the ruleset
    net.down = true;

    RunResult result = run(net).build().execute();

    TargetResult t = result.targets().get(0);
    assertThat(t.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(t.fallback()).contains("last good list from 2026-11-01 (22 ranges)");
    assertThat(result.warnings())
        .singleElement()
        .asString()
        .contains("network is unreachable")
        .contains("installing the last good list from 2026-11-01");
    assertThat(target.parse(target.live.orElseThrow(), null)).isEqualTo(embedded.ranges());
  }

  @Test
  void withNoLastGoodListTheEmbeddedOneIsInstalled() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;
    RunResult result = run(net).build().execute();
    assertThat(result.targets().get(0).fallback())
        .hasValueSatisfying(f -> assertThat(f).startsWith("embedded list recorded 2026-10-02"));
    assertThat(target.live).isPresent();
  }

  @Test
  void fallingBackToAnEmbeddedListOlderThan90DaysSaysSo() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;
    Clock day91 = Clock.fixed(Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC);

    RunResult result = run(net).clock(day91).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(result.warnings())
        .contains(
            "the embedded list was recorded 2026-10-02, 91 days ago (more than 90): Cloudflare"
                + " may have changed its ranges since; let a run reach the network or install a"
                + " newer cf-allowlist");
  }

  @Test
  void anEmbeddedListOf90DaysOrLessIsNotCalledOld() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;
    Clock day90 = Clock.fixed(Instant.parse("2026-12-31T00:00:00Z"), ZoneOffset.UTC);

    RunResult result = run(net).clock(day90).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(result.warnings()).singleElement().asString().doesNotContain("days ago");
  }

  @Test
  void aFailedFetchNeverTouchesATargetThatHoldsAList() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    run(net).build().execute();
    Rendered before = target.live.orElseThrow();
    target.calls.clear();
    net.down = true;

    RunResult result = run(net).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).message())
        .contains("network is unreachable")
        .contains("nothing was applied and the current rules stay in place");
    assertThat(result.failed()).isTrue();
    assertThat(target.live).contains(before);
    assertThat(target.calls).doesNotContain("apply", "uninstall");
  }

  @Test
  void fallbackNoneLeavesAnEmptyTargetEmpty() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;
    RunResult result = run(net).fallback(Fallback.NONE).build().execute();
    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(target.live).isEmpty();
  }

  @Test
  void lastGoodSourceUsesTheSavedListOnPurpose() throws Exception {
    run(new FakeNetwork(embedded)).build().execute();
    target.live = Optional.empty();
    RunResult result = run(RangeSource.parse("last-good", StateDir.at(dir))).build().execute();
    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(result.snapshot().orElseThrow().etag()).contains("etag-1");
  }

  @Test
  void anUnsavableLastGoodListIsAWarningNotAFailure() throws Exception {
    // A state dir whose snapshot file cannot be replaced (a directory in its way).
    Files.createDirectories(dir);
    Files.createDirectory(dir.resolve("last-good.json"));
    RunResult second = run(new FakeNetwork(embedded)).build().execute();
    assertThat(second.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(second.warnings()).singleElement().asString().contains("could not be saved");
  }

  @Test
  void uninstallDryRunChangesNothingAndSaysWhatWouldGo() throws Exception {
    run(new FakeNetwork(embedded)).build().execute();
    Rendered before = target.live.orElseThrow();
    RunResult preview =
        run(new FakeNetwork(embedded)).action(Run.Action.UNINSTALL_DRY_RUN).build().execute();
    assertThat(preview.targets().get(0).outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(target.live).contains(before);
  }

  @Test
  void aSettingNoTargetDeclaresIsRefusedBeforeAnythingHappens() {
    FakeNetwork net = new FakeNetwork(embedded);
    Run run = run(net).options(TargetOptions.defaults().withSetting("fancymode", "true")).build();
    assertThatThrownBy(run::execute)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown setting 'fancymode' for fake; did you mean 'fancy-mode'?");
    assertThat(net.fetches).isZero();
    assertThat(target.calls).isEmpty();
  }

  @Test
  void aSecondRunWaitsForTheLockAndNamesTheHolder() throws Exception {
    try (RunLock held = RunLock.acquire(dir.resolve("run.lock"), Duration.ZERO)) {
      assertThatThrownBy(() -> run(new FakeNetwork(embedded)).build().execute())
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("pid " + ProcessHandle.current().pid());
    }
    assertThat(target.calls).isEmpty();
  }

  @Test
  void aStopRequestLeavesTheTargetsNotYetStartedUntouched() throws Exception {
    SyncTest.FakeTarget second =
        new SyncTest.FakeTarget() {
          @Override
          public String name() {
            return "second";
          }
        };
    AtomicInteger asked = new AtomicInteger();
    RunResult result =
        run(new FakeNetwork(embedded))
            .target(second)
            .stopWhen(() -> asked.incrementAndGet() > 1)
            .build()
            .execute();
    assertThat(result.targets())
        .extracting(TargetResult::outcome)
        .containsExactly(Outcome.APPLIED, Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(1).message()).startsWith("not started");
    assertThat(second.live).isEmpty();
  }

  @Test
  void anInSyncRunReadsTheTargetOnceAndWhileTheListLoads() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    WatchedTarget watched = installed(net);
    // The list arrives only once the target is being read: read one after the other, it never
    // would, and the fetch fails after 10 s.
    net.loading = () -> awaitReading(watched);

    // A frozen ticker: a loaded machine's pause before the plan does not age the reading.
    RunResult result = run(net, watched).ticker(() -> 0L).build().execute();

    assertThat(result.targets())
        .singleElement()
        .extracting(TargetResult::outcome)
        .isEqualTo(Outcome.IN_SYNC);
    assertThat(watched.calls).containsExactly("read");
    assertThat(aReadingThreadIsAlive()).isFalse();
  }

  @Test
  void aChangeIsPlannedAgainstAFreshReadingNotTheOneTakenWhileTheListLoaded() throws Exception {
    WatchedTarget watched = new WatchedTarget();
    FakeNetwork net = new FakeNetwork(embedded);
    Cidr missing = embedded.ranges().ipv4().get(0);
    List<Cidr> allButOne = new ArrayList<>(embedded.ranges().all());
    allButOne.remove(missing);
    Rendered other =
        watched.render(embedded.withRanges(RangeSet.of(allButOne)), TargetOptions.defaults());
    // Once the early reading has seen an empty target, something else fills it.
    net.loading =
        () -> {
          awaitReading(watched);
          watched.live = Optional.of(other);
        };

    RunResult result = run(net, watched).action(Run.Action.DRY_RUN).build().execute();

    TargetResult planned = result.targets().get(0);
    assertThat(planned.outcome()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(planned.plan().orElseThrow().currentConfig()).contains(other);
    assertThat(planned.plan().orElseThrow().added(IpFamily.IPV4)).containsExactly(missing);
    assertThat(watched.calls).containsExactly("read", "read");
    assertThat(watched.live).contains(other);
  }

  @Test
  void aReadingTheRunDoesNotUseIsStoppedBeforeTheRunReturns() throws Exception {
    WatchedTarget watched = new WatchedTarget();
    watched.hold = Duration.ofSeconds(30); // the reading hangs, like a command that never ends
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;
    net.loading = () -> awaitReading(watched);

    RunResult result = run(net, watched).fallback(Fallback.NONE).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).message()).contains("network is unreachable");
    assertThat(watched.interrupted).isTrue();
    assertThat(aReadingThreadIsAlive()).isFalse();
  }

  @Test
  void aReadingThatFailsWhileTheListLoadsIsReportedAndNothingIsChanged() throws Exception {
    WatchedTarget watched = new WatchedTarget();
    watched.fail = Optional.of("'nft -j list table inet cf_allowlist' did not finish within 60 s");
    FakeNetwork net = new FakeNetwork(embedded);
    net.loading = () -> awaitReading(watched);

    // Frozen: saving the list (an fsync) between the reading and the plan does not age it.
    RunResult result = run(net, watched).ticker(() -> 0L).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).message())
        .isEqualTo(
            "'nft -j list table inet cf_allowlist' did not finish within 60 s;"
                + " nothing was changed");
    assertThat(watched.calls).containsExactly("read");
  }

  @Test
  void whenTheSourceFailsWhetherATargetHoldsAListIsReadAfresh() throws Exception {
    WatchedTarget watched = new WatchedTarget();
    FakeNetwork net = new FakeNetwork(embedded);
    Rendered other = watched.render(embedded, TargetOptions.defaults());
    net.down = true;
    // The early reading sees an empty target; then something installs a list.
    net.loading =
        () -> {
          awaitReading(watched);
          watched.live = Optional.of(other);
        };

    RunResult result = run(net, watched).fallback(Fallback.EMBEDDED).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).fallback()).isEmpty();
    assertThat(watched.calls).doesNotContain("apply");
    assertThat(watched.live).contains(other);
  }

  @Test
  void aReadingThatEndedLongBeforeTheListArrivedIsReadAgain() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    WatchedTarget watched = installed(net);
    // The list comes slowly; meanwhile something empties the target.
    net.loading =
        () -> {
          awaitReading(watched);
          pause(ReadAhead.MAX_AGE.plusMillis(500));
          watched.live = Optional.empty();
        };

    RunResult result = run(net, watched).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(watched.calls).containsExactly("read", "read", "apply", "read");
    assertThat(watched.live).isPresent();
  }

  @Test
  void theEarlyReadingIsOverBeforeTheNextTargetStartsEvenWhenRenderingFails() throws Exception {
    WatchedTarget first = new Unrenderable();
    first.hold = Duration.ofMillis(300);
    List<Boolean> firstOverWhenSecondRead = new ArrayList<>();
    SyncTest.FakeTarget second =
        new SyncTest.FakeTarget() {
          @Override
          public String name() {
            return "second";
          }

          @Override
          public Optional<Rendered> readLive(TargetContext context) throws IOException {
            firstOverWhenSecondRead.add(first.readingOver);
            return super.readLive(context);
          }
        };

    RunResult result = run(new FakeNetwork(embedded), first).target(second).build().execute();

    assertThat(result.targets())
        .extracting(TargetResult::outcome)
        .containsExactly(Outcome.FAILED_UNCHANGED, Outcome.APPLIED);
    assertThat(result.targets().get(0).message()).startsWith(Unrenderable.WHY);
    assertThat(firstOverWhenSecondRead).isNotEmpty().containsOnly(true);
  }

  @Test
  void aReadingsFailureIsReportedBeforeARenderingsFailure() throws Exception {
    WatchedTarget first = new Unrenderable();
    first.fail = Optional.of("fake needs the program 'fake'; install the Debian package fake");

    RunResult result = run(new FakeNetwork(embedded), first).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).message())
        .startsWith("fake needs the program 'fake'; install the Debian package fake");
  }

  @Test
  void aStopAskedForWhileTheSourceFailsInstallsNoFallback() throws Exception {
    FakeNetwork net = new FakeNetwork(embedded);
    net.down = true;

    RunResult result = run(net).fallback(Fallback.EMBEDDED).stopWhen(() -> true).build().execute();

    assertThat(result.targets().get(0).outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.targets().get(0).message()).startsWith("not started");
    assertThat(target.live).isEmpty();
    assertThat(target.calls).doesNotContain("apply");
  }

  private static void pause(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
