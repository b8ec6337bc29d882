package io.github.cfallowlist;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One whole run, as the CLI does it and a library caller can: take the run lock, load the ranges
 * (fetch, validate, save the last good snapshot), plan every target with the guards, apply them one
 * after the other, verify each by reading back, and return one {@link TargetResult} per target. A
 * target that fails does not stop the others.
 *
 * <pre>{@code
 * RunResult result =
 *     Run.builder()
 *         .source(RangeSource.cloudflare())
 *         .target(Targets.byName("nftables"))
 *         .build()
 *         .execute();
 * for (TargetResult t : result.targets()) {
 *   switch (t.outcome()) { ... }
 * }
 * }</pre>
 *
 * <p>While the list loads, the first target's live state is read on a thread of the run's own (the
 * {@link CommandRunner} is called from that thread, never at the same time as from the caller's):
 * at 100,000 ranges, loading the list and reading the kernel each take a good part of a second.
 * That reading is used when it ended at most 1 s before the target was planned, and only to find
 * the target in sync or to report that it could not be read: any change is planned, guarded and
 * applied from a fresh reading, and so is the choice of a fallback list. The reading is over before
 * a second target starts, and a reading the run does not use is stopped, its command killed, before
 * {@link #execute} returns. A {@link Target} may so be read on that thread while it renders on the
 * caller's.
 *
 * <p>When the source fails and a target holds none of cf-allowlist's objects (a first install, or a
 * reboot emptied the ruleset), the {@link Fallback} list is installed there and a warning names its
 * date; a target that holds a list is left as it is.
 */
public final class Run {
  /** The logger, looked up when a record is logged (see {@link SystemCommandRunner}). */
  private static System.Logger logger() {
    return System.getLogger(Run.class.getName());
  }

  /** An embedded list older than this is named as such when a run falls back to it. */
  public static final Duration EMBEDDED_MAX_AGE = Duration.ofDays(90);

  /** What a run does. */
  public enum Action {
    /** Make every target hold the ranges. */
    APPLY,
    /** Plan every target exactly as {@link #APPLY} would, guards included; change nothing. */
    DRY_RUN,
    /** Remove everything every target owns. */
    UNINSTALL,
    /** Plan the removal; change nothing. */
    UNINSTALL_DRY_RUN;

    boolean changes() {
      return this == APPLY || this == UNINSTALL;
    }

    boolean dryRun() {
      return this == DRY_RUN || this == UNINSTALL_DRY_RUN;
    }
  }

  private final RangeSource source;
  private final List<Target> targets;
  private final TargetOptions options;
  private final Guards guards;
  private final StateDir state;
  private final Action action;
  private final Fallback fallback;
  private final Duration lockTimeout;
  private final CommandRunner runner;
  private final Optional<Path> lockFile;
  private final BooleanSupplier stopRequested;
  private final Clock clock;
  private final LongSupplier ticker;
  private final Optional<OriginCheck> originCheck;

  private Run(Builder b) {
    this.clock = b.clock;
    this.ticker = b.ticker;
    this.originCheck = b.originCheck;
    this.lockFile = b.lockFile;
    this.stopRequested = b.stopRequested;
    // The default is made only when no source was given: it loads the HTTP client.
    this.source = b.source != null ? b.source : RangeSource.cloudflare();
    this.targets = List.copyOf(b.targets);
    this.options = b.options;
    // The families a run manages are its options': the list is checked for those.
    this.guards = b.guards.withFamilies(b.options.families());
    this.state = b.state;
    this.action = b.action;
    this.fallback = b.fallback;
    this.lockTimeout = b.lockTimeout;
    this.runner = b.runner;
  }

  /** A builder with the defaults: the Cloudflare API, default options and guards, apply. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs. Failures of a target are in its result; this throws only for what stops the whole run.
   *
   * @throws IllegalArgumentException for a setting no target declares or a malformed value
   * @throws CfAllowlistException when another run holds the lock past the timeout
   * @throws IOException when the lock or state directory cannot be used
   */
  public RunResult execute() throws IOException {
    checkSettings(targets, options);
    for (Target t : targets) {
      Sync.requireLive(t);
    }
    if (!action.changes()) {
      // A dry run takes no lock and creates nothing, but fails where the run would.
      state.checkSafe();
      return executeLocked();
    }
    state.ensureSafe();
    try (RunLock lock =
        RunLock.acquire(lockFile.orElse(RunLock.defaultLocation(state)), lockTimeout)) {
      return executeLocked();
    }
  }

  private RunResult executeLocked() {
    List<String> warnings = new ArrayList<>();
    if (action == Action.UNINSTALL || action == Action.UNINSTALL_DRY_RUN) {
      List<TargetResult> results = new ArrayList<>();
      for (Target t : targets) {
        results.add(stopping() ? notStarted(t) : Sync.remove(t, context(t), action.dryRun()));
      }
      return new RunResult(Optional.empty(), warnings, results);
    }
    Target first = targets.get(0);
    Sync.checkSettings(first, context(first).options());
    try (ReadAhead early = ReadAhead.start(first, context(first), ticker)) {
      return load(Optional.of(early), warnings);
    }
  }

  /**
   * Loads the list and syncs every target with it; {@code early} is the first target's live state,
   * read while the list loads.
   */
  private RunResult load(Optional<ReadAhead> early, List<String> warnings) {
    List<TargetResult> results = new ArrayList<>();
    RangeSnapshot snapshot;
    try {
      snapshot = guards.validate(source.fetch());
    } catch (IOException | RuntimeException e) {
      // Speed no longer matters: whether a target holds a list is read afresh.
      early.ifPresent(ReadAhead::close);
      return withoutSource(Printable.message(e), warnings);
    }
    if (originCheck.isPresent()) {
      try {
        warnings.addAll(
            originCheck.get().verify(snapshot.ranges(), state, clock, action == Action.APPLY));
      } catch (RuntimeException e) {
        // The list itself is in doubt: no target gets it, and no fallback list either.
        Outcome outcome =
            e instanceof RejectedRangesException ? Outcome.REFUSED : Outcome.FAILED_UNCHANGED;
        String message =
            Printable.message(e) + "; nothing was applied and the current rules stay in place";
        for (Target t : targets) {
          results.add(
              new TargetResult(t.name(), outcome, Optional.empty(), message, Optional.empty()));
        }
        return new RunResult(Optional.of(snapshot), warnings, results);
      }
    }
    if (action == Action.APPLY && source.isRemote()) {
      try {
        state.saveLastGood(snapshot);
      } catch (IOException | RuntimeException e) {
        // The list is good and the firewall matters more than the cache of it.
        warnings.add(
            "the last good list could not be saved in "
                + state.path()
                + ": "
                + Printable.message(e));
      }
    }
    for (int i = 0; i < targets.size(); i++) {
      Target t = targets.get(i);
      if (stopping()) {
        results.add(notStarted(t));
      } else if (i == 0 && early.isPresent()) {
        results.add(Sync.sync(t, snapshot, context(t), guards, action.dryRun(), early.get()));
      } else {
        results.add(Sync.syncChecked(t, snapshot, context(t), guards, action.dryRun()));
      }
      if (i == 0) {
        // Whatever became of it, the early reading is over before another target starts.
        early.ifPresent(ReadAhead::close);
      }
    }
    return new RunResult(Optional.of(snapshot), warnings, results);
  }

  private boolean stopping() {
    return stopRequested.getAsBoolean();
  }

  private static TargetResult notStarted(Target t) {
    return TargetResult.failed(t, "not started: the run was asked to stop; nothing was changed");
  }

  /** The source failed: only targets holding nothing of ours get the fallback list. */
  private RunResult withoutSource(String failure, List<String> warnings) {
    List<TargetResult> results = new ArrayList<>();
    Optional<RangeSnapshot> saved = Optional.empty();
    String unchanged = failure + "; nothing was applied and the current rules stay in place";
    for (Target t : targets) {
      if (stopping()) {
        results.add(notStarted(t));
        continue;
      }
      if (fallback == Fallback.NONE || !holdsNothing(t)) {
        results.add(TargetResult.failed(t, unchanged));
        continue;
      }
      if (saved.isEmpty()) {
        saved = fallbackSnapshot(warnings);
      }
      if (saved.isEmpty()) {
        results.add(TargetResult.failed(t, unchanged));
        continue;
      }
      RangeSnapshot list = saved.get();
      String what = describe(list);
      warnings.add(
          t.name()
              + ": the source failed ("
              + failure
              + ") and "
              + t.name()
              + " holds no list, so "
              + (action.dryRun() ? "a run would install " : "installing ")
              + "the "
              + what);
      results.add(
          Sync.syncChecked(t, list, context(t), guards, action.dryRun()).withFallback(what));
    }
    return new RunResult(saved, warnings, results);
  }

  /** Whether {@code t} holds none of cf-allowlist's objects. */
  private boolean holdsNothing(Target t) {
    if (!t.supportsLive()) {
      return false;
    }
    try {
      Sync.Live live = Sync.read(t, context(t));
      return live.current().isEmpty() && live.leftovers().isEmpty();
    } catch (IOException | RuntimeException e) {
      logger().log(Level.DEBUG, "{0}: cannot read the live state: {1}", t.name(), e.getMessage());
      return false;
    }
  }

  private Optional<RangeSnapshot> fallbackSnapshot(List<String> warnings) {
    if (fallback == Fallback.LAST_GOOD) {
      try {
        return Optional.of(guards.validate(RangeSource.lastGood(state).fetch()));
      } catch (IOException | RuntimeException e) {
        logger().log(Level.DEBUG, "no usable last good list: {0}", e.getMessage());
      }
    }
    try {
      RangeSnapshot embedded = guards.validate(RangeSource.embedded().fetch());
      warnIfOld(embedded, warnings);
      return Optional.of(embedded);
    } catch (IOException | RuntimeException e) {
      warnings.add("the embedded list cannot be used either: " + Printable.message(e));
      return Optional.empty();
    }
  }

  private void warnIfOld(RangeSnapshot embedded, List<String> warnings) {
    Duration age = Duration.between(embedded.fetchedAt(), clock.instant());
    if (age.compareTo(EMBEDDED_MAX_AGE) > 0) {
      warnings.add(
          "the embedded list was recorded "
              + embedded.fetchedAt().atOffset(ZoneOffset.UTC).toLocalDate()
              + ", "
              + age.toDays()
              + " days ago (more than "
              + EMBEDDED_MAX_AGE.toDays()
              + "): Cloudflare may have changed its ranges since; let a run reach the network"
              + " or install a newer cf-allowlist");
    }
  }

  private static String describe(RangeSnapshot list) {
    String date = list.fetchedAt().atOffset(ZoneOffset.UTC).toLocalDate().toString();
    return (list.source().startsWith("embedded")
            ? "embedded list recorded "
            : "last good list from ")
        + date
        + " ("
        + list.ranges().size()
        + " ranges)";
  }

  private TargetContext context(Target t) {
    return new TargetContext(options.forTarget(t), runner);
  }

  /**
   * Refuses a setting none of {@code targets} declares, naming the one it was probably meant to be,
   * and malformed values.
   *
   * @throws IllegalArgumentException naming the key or value
   */
  public static void checkSettings(List<Target> targets, TargetOptions options) {
    List<Setting<?>> all = new ArrayList<>();
    targets.forEach(t -> all.addAll(t.settings()));
    List<String> names = targets.stream().map(Target::name).toList();
    Setting.check(String.join(", ", names), all, options);
  }

  /** Builds a {@link Run}; every part has a default. */
  public static final class Builder {
    private RangeSource source; // default: RangeSource.cloudflare(), made by the Run
    private final List<Target> targets = new ArrayList<>();
    private TargetOptions options = TargetOptions.defaults();
    private Guards guards = Guards.defaults();
    private StateDir state = StateDir.at(StateDir.defaultLocation());
    private Action action = Action.APPLY;
    private Fallback fallback = Fallback.LAST_GOOD;
    private Duration lockTimeout = Duration.ofSeconds(30);
    private CommandRunner runner = CommandRunner.system();
    private Optional<Path> lockFile = Optional.empty();
    private BooleanSupplier stopRequested = () -> false;
    private Clock clock = Clock.systemUTC();
    private LongSupplier ticker = System::nanoTime;
    private Optional<OriginCheck> originCheck = Optional.empty();

    private Builder() {}

    /**
     * Checks the fetched list against the route objects of an AS before anything is planned
     * (default: no check). A list the check refuses reaches no target; see {@link OriginCheck}.
     */
    public Builder originCheck(OriginCheck value) {
      this.originCheck = Optional.of(require(value, "originCheck"));
      return this;
    }

    /** The clock that dates the embedded list's age (default: the system clock). */
    public Builder clock(Clock value) {
      this.clock = require(value, "clock");
      return this;
    }

    /**
     * The nanosecond ticker that ages the reading taken while the list loads (default: {@link
     * System#nanoTime()}); tests freeze it.
     */
    Builder ticker(LongSupplier value) {
      this.ticker = require(value, "ticker");
      return this;
    }

    /**
     * Asked before each target: once it answers true (a SIGTERM arrived), the target being changed
     * is finished and verified, and the rest are not started, so every target ends old or new.
     */
    public Builder stopWhen(BooleanSupplier value) {
      this.stopRequested = require(value, "stopWhen");
      return this;
    }

    /**
     * The lock file that keeps runs apart (default: {@link RunLock#defaultLocation}, one per host
     * for root whatever the state directory).
     */
    public Builder lockFile(Path value) {
      this.lockFile = Optional.of(require(value, "lockFile"));
      return this;
    }

    /** Where the ranges come from (default: Cloudflare's JSON API). */
    public Builder source(RangeSource value) {
      this.source = require(value, "source");
      return this;
    }

    /** Adds a target; targets are applied in the order added, each once. */
    public Builder target(Target value) {
      require(value, "target");
      if (targets.stream().noneMatch(t -> t.name().equals(value.name()))) {
        targets.add(value);
      }
      return this;
    }

    /** Adds targets. */
    public Builder targets(List<Target> values) {
      require(values, "targets").forEach(this::target);
      return this;
    }

    /** Ports, mode, families and target settings (default: {@link TargetOptions#defaults()}). */
    public Builder options(TargetOptions value) {
      this.options = require(value, "options");
      return this;
    }

    /**
     * The guards the list and the plans must pass (default: {@link Guards#defaults()}). Their
     * families are the options' ({@link TargetOptions#families()}): a run checks the list for the
     * families its targets manage.
     */
    public Builder guards(Guards value) {
      this.guards = require(value, "guards");
      return this;
    }

    /** The state directory (default: {@link StateDir#defaultLocation()}). */
    public Builder stateDir(StateDir value) {
      this.state = require(value, "stateDir");
      return this;
    }

    /** What to do (default: {@link Action#APPLY}). */
    public Builder action(Action value) {
      this.action = require(value, "action");
      return this;
    }

    /** What to install when the source fails on an empty target (default: last good). */
    public Builder fallback(Fallback value) {
      this.fallback = require(value, "fallback");
      return this;
    }

    /** How long to wait for another run to release the lock (default: 30 s). */
    public Builder lockTimeout(Duration value) {
      require(value, "lockTimeout");
      if (value.isNegative()) {
        throw new IllegalArgumentException("lock timeout " + value.toSeconds() + " s is negative");
      }
      this.lockTimeout = value;
      return this;
    }

    /** Runs the targets' commands (default: {@link CommandRunner#system()}). */
    public Builder runner(CommandRunner value) {
      this.runner = require(value, "runner");
      return this;
    }

    /**
     * The run.
     *
     * @throws IllegalArgumentException when no target was added
     */
    public Run build() {
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("no target: add at least one");
      }
      return new Run(this);
    }

    private static <T> T require(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " == null");
      }
      return value;
    }
  }
}
