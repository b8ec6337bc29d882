package io.github.cfallowlist;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;

/**
 * The engine for one target: plans against the live system, checks the shrink guard, applies, reads
 * back and verifies, and after any failure reads the live state again to report what is really
 * there (putting the previous state back when it is neither old nor new). {@link Run} drives it for
 * a whole run; it is public for callers that hold a snapshot already.
 */
public final class Sync {
  /** The logger, looked up when a record is logged (see {@link SystemCommandRunner}). */
  private static System.Logger logger() {
    return System.getLogger(Sync.class.getName());
  }

  private Sync() {}

  /**
   * The plan from what {@code target} holds on the live system to {@code snapshot}, leftovers
   * included. Runs only read commands.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value
   */
  public static Plan plan(Target target, RangeSnapshot snapshot, TargetContext context)
      throws IOException {
    given(target, "target", snapshot, "snapshot", context, "context");
    requireLive(target);
    checkSettings(target, context.options());
    Live live = read(target, context);
    return Plan.fromLive(target, snapshot, context.options(), live.current(), live.leftovers());
  }

  /** What a target holds on the live system, read at one time: its configuration and leftovers. */
  record Live(Optional<Rendered> current, List<String> leftovers) {}

  /** Reads what {@code target} holds; runs only read commands. */
  static Live read(Target target, TargetContext context) throws IOException {
    try {
      Optional<Rendered> current = target.readLive(context);
      return new Live(current, target.leftovers(context));
    } catch (ToolNotFoundException e) {
      throw missingTool(target, e);
    }
  }

  /**
   * Makes {@code target} hold {@code snapshot}'s ranges, or with {@code dryRun} only says whether
   * it would. Never throws for a failure of the target: the result's outcome says what happened.
   * The snapshot passes {@code guards} first, as a fetched list does ({@link Guards#check}): a
   * range they refuse makes the outcome {@link Outcome#REFUSED}, with nothing read or changed.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value (nothing read)
   */
  public static TargetResult sync(
      Target target, RangeSnapshot snapshot, TargetContext context, Guards guards, boolean dryRun) {
    given(target, "target", snapshot, "snapshot", context, "context", guards, "guards");
    requireLive(target);
    checkSettings(target, context.options());
    RangeSnapshot checked;
    try {
      checked = guards.withFamilies(context.options().families()).check(snapshot);
    } catch (RejectedRangesException e) {
      return refused(target, e);
    }
    return syncChecked(target, checked, context, guards, dryRun);
  }

  /** {@link #sync} of a snapshot that has passed the guards already. */
  static TargetResult syncChecked(
      Target target, RangeSnapshot snapshot, TargetContext context, Guards guards, boolean dryRun) {
    requireLive(target);
    checkSettings(target, context.options());
    Plan plan;
    try {
      plan = plan(target, snapshot, context);
    } catch (IOException | RuntimeException e) {
      return TargetResult.failed(target, nothingChanged(Printable.message(e)));
    }
    return act(target, plan, context, guards, dryRun);
  }

  /**
   * {@link #sync}, given the reading of the live state that the run started while its list loaded;
   * the configuration is rendered while that reading runs. The reading is used only when it ended
   * at most {@link ReadAhead#MAX_AGE} before the target was planned, and then only to find the
   * target in sync (or to report its failure): a change is planned, guarded and applied from a
   * fresh reading. It is over, whatever became of it, when this returns.
   */
  static TargetResult sync(
      Target target,
      RangeSnapshot snapshot,
      TargetContext context,
      Guards guards,
      boolean dryRun,
      ReadAhead early) {
    long planning = early.now();
    requireLive(target);
    checkSettings(target, context.options());
    Plan plan;
    try {
      Rendered desired = null;
      RuntimeException unrendered = null;
      try {
        desired =
            target.render(snapshot.restrictTo(context.options().families()), context.options());
      } catch (RuntimeException e) {
        unrendered = e;
      }
      // Waited for even when rendering failed: its failure comes first, as when a target is read
      // before it is rendered, and its command is over before anything else runs.
      Optional<Live> recent = early.recent(planning);
      if (unrendered != null) {
        throw unrendered;
      }
      plan = planned(target, snapshot, context, recent, desired);
      if (recent.isPresent() && plan.hasChanges()) {
        plan = planned(target, snapshot, context, Optional.empty(), desired);
      }
    } catch (IOException | RuntimeException e) {
      return TargetResult.failed(target, nothingChanged(Printable.message(e)));
    }
    return act(target, plan, context, guards, dryRun);
  }

  /** The plan from {@code live}, or from a fresh reading when it is empty, to {@code desired}. */
  private static Plan planned(
      Target target,
      RangeSnapshot snapshot,
      TargetContext context,
      Optional<Live> live,
      Rendered desired)
      throws IOException {
    Live now = live.isPresent() ? live.get() : read(target, context);
    return Plan.fromLive(
        target, snapshot, context.options(), now.current(), now.leftovers(), desired);
  }

  /** Judges {@code plan} and, unless {@code dryRun}, applies and verifies a change it allows. */
  private static TargetResult act(
      Target target, Plan plan, TargetContext context, Guards guards, boolean dryRun) {
    TargetResult judged = judge(target, plan, context.options(), guards);
    if (judged.outcome() != Outcome.WOULD_CHANGE) {
      return judged;
    }
    Optional<String> obstacle;
    try {
      obstacle = target.obstacle(context);
    } catch (IOException | RuntimeException e) {
      return TargetResult.of(
          target, Outcome.FAILED_UNCHANGED, plan, nothingChanged(Printable.message(e)));
    }
    if (obstacle.isPresent()) {
      return TargetResult.of(
          target, Outcome.FAILED_UNCHANGED, plan, nothingChanged(obstacle.get()));
    }
    if (dryRun) {
      return judged;
    }
    return applyAndVerify(target, plan, context, () -> target.apply(plan, context));
  }

  /**
   * What applying {@code snapshot} over {@code current} (a configuration the target rendered, for
   * example a file under review; empty for none) would do, without touching the live system: {@link
   * Outcome#IN_SYNC}, {@link Outcome#WOULD_CHANGE} or {@link Outcome#REFUSED} by the shrink guard,
   * exactly as {@link #sync} would judge it.
   *
   * @throws ConfigParseException when {@code current} is not something the target wrote
   */
  public static TargetResult review(
      Target target,
      RangeSnapshot snapshot,
      TargetOptions options,
      Guards guards,
      Optional<Rendered> current) {
    given(target, "target", snapshot, "snapshot", options, "options", guards, "guards");
    given(current, "current");
    checkSettings(target, options);
    RangeSnapshot checked;
    try {
      checked = guards.withFamilies(options.families()).check(snapshot);
    } catch (RejectedRangesException e) {
      return refused(target, e);
    }
    return judge(target, Plan.compute(target, checked, options, current), options, guards);
  }

  /** The result for a snapshot the guards refused: nothing was read or changed. */
  private static TargetResult refused(Target target, RejectedRangesException e) {
    return new TargetResult(
        target.name(),
        Outcome.REFUSED,
        Optional.empty(),
        nothingChanged(e.getMessage()),
        Optional.empty());
  }

  private static TargetResult judge(
      Target target, Plan plan, TargetOptions options, Guards guards) {
    if (!plan.hasChanges()) {
      return TargetResult.of(target, Outcome.IN_SYNC, plan, "in sync, " + plan.summary());
    }
    try {
      guards.withFamilies(options.families()).checkShrink(plan);
    } catch (RejectedRangesException e) {
      return TargetResult.of(target, Outcome.REFUSED, plan, nothingChanged(e.getMessage()));
    }
    return TargetResult.of(target, Outcome.WOULD_CHANGE, plan, "would change " + plan.summary());
  }

  /**
   * Removes everything {@code target} owns (leftovers included), or with {@code dryRun} only says
   * what would be removed. The result's outcome is {@link Outcome#IN_SYNC} when nothing was there.
   */
  public static TargetResult remove(Target target, TargetContext context, boolean dryRun) {
    given(target, "target", context, "context");
    requireLive(target);
    checkSettings(target, context.options());
    Plan plan;
    try {
      plan = removalPlan(target, context);
    } catch (IOException | RuntimeException e) {
      return TargetResult.failed(target, nothingChanged(Printable.message(e)));
    }
    if (!plan.hasChanges()) {
      return TargetResult.of(target, Outcome.IN_SYNC, plan, "nothing to remove");
    }
    if (dryRun) {
      return TargetResult.of(target, Outcome.WOULD_CHANGE, plan, "would remove " + describe(plan));
    }
    return applyAndVerify(target, plan, context, () -> target.uninstall(context));
  }

  private static Plan removalPlan(Target target, TargetContext context) throws IOException {
    try {
      return Plan.removalFromLive(
          target, context.options(), target.readLive(context), target.leftovers(context));
    } catch (ToolNotFoundException e) {
      throw missingTool(target, e);
    }
  }

  private static String describe(Plan removal) {
    int ranges = removal.current().size();
    return "everything cf-allowlist owned ("
        + ranges
        + (ranges == 1 ? " range" : " ranges")
        + (removal.leftovers().isEmpty() ? "" : ", " + String.join(", ", removal.leftovers()))
        + ")";
  }

  /** A change to the live system. */
  private interface Change {
    void run() throws IOException;
  }

  /**
   * Makes {@code change}, then reads the live state and reports what it shows. An interrupt of this
   * thread while the change runs (a {@code Future.cancel(true)}) stops the command it is in; the
   * reading and any put-back still run, and the interrupt is set again for the caller. A {@link
   * LinkageError} from the target (a class missing from its jar) is a failed change too; other
   * errors (an assertion, the JVM's own) go through as they are.
   */
  private static TargetResult applyAndVerify(
      Target target, Plan plan, TargetContext context, Change change) {
    Throwable failure = null;
    try {
      change.run();
    } catch (IOException | RuntimeException | LinkageError e) {
      failure = e;
    }
    boolean interrupted = Thread.interrupted();
    try {
      return failure == null
          ? verify(target, plan, context)
          : failed(target, plan, context, failure);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static TargetResult failed(Target target, Plan plan, TargetContext context, Throwable e) {
    // What the target says it left behind: believed only as far as the re-read allows.
    Optional<ApplyFailedException> claim =
        e instanceof ApplyFailedException a ? Optional.of(a) : Optional.empty();
    // A step on the way to the result, which says what the re-read showed.
    logger()
        .log(
            Level.DEBUG,
            "{0}: apply failed ({1}), reading the live state again",
            target.name(),
            claim.map(ApplyFailedException::outcome).orElse(Outcome.STATE_UNKNOWN));
    return settle(target, plan, context, Printable.message(e), claim);
  }

  private static TargetResult verify(Target target, Plan plan, TargetContext context) {
    Plan after;
    try {
      after =
          plan.isRemoval() ? removalPlan(target, context) : plan(target, plan.snapshot(), context);
    } catch (IOException | RuntimeException | LinkageError e) {
      return TargetResult.of(
          target,
          Outcome.STATE_UNKNOWN,
          plan,
          "the change was made but reading it back failed: " + Printable.message(e));
    }
    if (!after.hasChanges()) {
      return TargetResult.of(
          target,
          Outcome.APPLIED,
          plan,
          plan.isRemoval() ? "removed " + describe(plan) : "applied " + plan.summary());
    }
    logger().log(Level.WARNING, "{0}: read-back differs from the plan, restoring", target.name());
    return restore(
        target,
        plan,
        context,
        "the live state read back after the change did not match the plan ("
            + after.summary()
            + ")");
  }

  /**
   * After a failed change: reads the live state and reports it as it is. Old state: unchanged (or
   * restored, when the target says it put it back; unknown, when the target says it cannot know,
   * also with a leftover of its own added for the next run when it says it {@linkplain
   * ApplyFailedException#putBack put back} all a reading shows). New state: applied. Anything else:
   * the previous state is put back and verified.
   */
  private static TargetResult settle(
      Target target,
      Plan plan,
      TargetContext context,
      String error,
      Optional<ApplyFailedException> claim) {
    Optional<Rendered> now;
    List<String> leftoversNow;
    try {
      now = target.readLive(context);
      leftoversNow = target.leftovers(context);
    } catch (IOException | RuntimeException | LinkageError e) {
      return TargetResult.of(
          target,
          Outcome.STATE_UNKNOWN,
          plan,
          error
              + "; reading the live state again also failed, so its state is unknown: "
              + Printable.message(e));
    }
    TargetOptions options = context.options();
    Plan fromNow =
        plan.isRemoval()
            ? Plan.removalFromLive(target, options, now, leftoversNow)
            : Plan.fromLive(target, plan.snapshot(), options, now, leftoversNow);
    if (!fromNow.hasChanges()) {
      return TargetResult.of(
          target,
          Outcome.APPLIED,
          plan,
          (plan.isRemoval() ? "removed " + describe(plan) : "applied " + plan.summary())
              + " (verified by reading back, although it reported: "
              + error
              + ")");
    }
    boolean readsAsBefore = now.equals(plan.currentConfig());
    boolean sameLeftovers = leftoversNow.equals(plan.leftovers());
    Outcome claimed = claim.map(ApplyFailedException::outcome).orElse(Outcome.STATE_UNKNOWN);
    boolean putBack = claim.map(ApplyFailedException::putBack).orElse(false);
    if (readsAsBefore
        && claim.isPresent()
        && claimed == Outcome.STATE_UNKNOWN
        && (sameLeftovers || (putBack && leftoversNow.containsAll(plan.leftovers())))) {
      // The target knows of state a read cannot see (what a daemon has loaded): keep its word.
      // After it put everything back, a leftover it added is its record of the change for the
      // next run; putting back from here would only run the failing change again.
      return TargetResult.of(target, Outcome.STATE_UNKNOWN, plan, error);
    }
    if (readsAsBefore && sameLeftovers) {
      return claimed == Outcome.FAILED_RESTORED
          ? TargetResult.of(
              target,
              Outcome.FAILED_RESTORED,
              plan,
              error + "; the previous state was put back (verified by reading back)")
          : TargetResult.of(
              target,
              Outcome.FAILED_UNCHANGED,
              plan,
              error + "; nothing was changed (verified by reading back)");
    }
    return restore(target, plan, context, error);
  }

  /**
   * Puts the state before {@code applied} back, computed from the live state, and verifies it by
   * reading it again, also when putting it back reported a failure: a target whose put-back did
   * what it should and then failed (a lost reply, a step after the write) is restored if the
   * re-read says so. Only a target that says it cannot know ({@link Outcome#STATE_UNKNOWN}) is
   * believed without a read.
   */
  private static TargetResult restore(
      Target target, Plan applied, TargetContext context, String error) {
    TargetOptions options = context.options();
    Optional<RangeSnapshot> previous;
    try {
      previous =
          applied
              .currentConfig()
              .map(c -> applied.snapshot().withRanges(target.parseLive(c, options)));
    } catch (RuntimeException e) {
      return putBackFailed(target, applied, error, e);
    }
    String reported = "";
    try {
      if (previous.isEmpty()) {
        target.uninstall(context);
      } else {
        Plan back =
            Plan.fromLive(
                target,
                previous.get(),
                options,
                target.readLive(context),
                target.leftovers(context));
        if (back.hasChanges()) {
          target.apply(back, context);
        }
      }
    } catch (IOException | RuntimeException | LinkageError e) {
      if (e instanceof ApplyFailedException a && a.outcome() == Outcome.STATE_UNKNOWN) {
        return putBackFailed(target, applied, error, e);
      }
      reported = "; putting it back reported: " + Printable.message(e);
    }
    try {
      Optional<Rendered> now = target.readLive(context);
      if (previous.isEmpty()) {
        Plan check = Plan.removalFromLive(target, options, now, List.of());
        return check.hasChanges()
            ? didNotTake(target, applied, error + reported, check)
            : restored(target, applied, error, reported);
      }
      if (now.isPresent() && now.get().sameBodies(applied.currentConfig().get())) {
        // Exactly the state before, with what a run cannot change (a ban that stays) included.
        return restored(target, applied, error, reported);
      }
      Plan check = Plan.fromLive(target, previous.get(), options, now, List.of());
      if (!check.hasChanges()) {
        // The previous ranges as this run's options render them, which is not the state
        // before the change: that had other ports, mode or rules, or an edit made by hand.
        return TargetResult.of(
            target,
            Outcome.STATE_UNKNOWN,
            applied,
            error
                + reported
                + "; the previous ranges were put back but not the previous configuration,"
                + " which differs from what these options render (other ports, mode or rules,"
                + " or an edit made by hand), so the live state is neither the old nor the new"
                + " one");
      }
      return didNotTake(target, applied, error + reported, check);
    } catch (IOException | RuntimeException | LinkageError e) {
      return TargetResult.of(
          target,
          Outcome.STATE_UNKNOWN,
          applied,
          error
              + reported
              + "; reading the live state after putting it back failed, so the state is unknown: "
              + Printable.message(e));
    }
  }

  private static TargetResult restored(Target target, Plan applied, String error, String reported) {
    return TargetResult.of(
        target,
        Outcome.FAILED_RESTORED,
        applied,
        error
            + "; the previous state was put back (verified by reading back"
            + (reported.isEmpty() ? "" : ", although" + reported.substring(1))
            + ")");
  }

  private static TargetResult didNotTake(Target target, Plan applied, String error, Plan check) {
    return TargetResult.of(
        target,
        Outcome.STATE_UNKNOWN,
        applied,
        error
            + "; putting the previous state back did not take, the live state differs from it ("
            + check.summary()
            + ")");
  }

  private static TargetResult putBackFailed(
      Target target, Plan applied, String error, Throwable e) {
    return TargetResult.of(
        target,
        Outcome.STATE_UNKNOWN,
        applied,
        error
            + "; putting the previous state back also failed, so the state is unknown: "
            + Printable.message(e));
  }

  /**
   * Makes {@code target} hold {@code snapshot}'s ranges and returns the plan; the throwing form of
   * {@link #sync}.
   *
   * @throws RejectedRangesException when the shrink guard refuses the plan (nothing changed)
   * @throws ApplyFailedException when the apply failed; its outcome says what was left behind
   */
  public static Plan apply(
      Target target, RangeSnapshot snapshot, TargetContext context, Guards guards) {
    return orThrow(sync(target, snapshot, context, guards, false));
  }

  /**
   * Removes everything {@code target} owns; the throwing form of {@link #remove}.
   *
   * @return whether anything was there to remove
   * @throws ApplyFailedException when the removal failed; its outcome says what was left behind
   */
  public static boolean uninstall(Target target, TargetContext context) {
    return orThrow(remove(target, context, false)).hasChanges();
  }

  private static Plan orThrow(TargetResult result) {
    return switch (result.outcome()) {
      case IN_SYNC, APPLIED, WOULD_CHANGE -> result.plan().orElseThrow();
      case REFUSED -> throw new RejectedRangesException(result.target() + ": " + result.message());
      default ->
          throw new ApplyFailedException(
              result.target() + ": " + result.message(), result.outcome());
    };
  }

  /**
   * Refuses settings {@code target} does not declare and malformed values.
   *
   * @throws IllegalArgumentException naming the key or value
   */
  public static void checkSettings(Target target, TargetOptions options) {
    Setting.check(target.name(), target.settings(), options);
  }

  private static IOException missingTool(Target target, ToolNotFoundException e) {
    String pkg = target.packages().get(e.program());
    return new IOException(
        target.name()
            + " needs '"
            + Printable.of(e.program())
            + "', which is not installed (looked in "
            + e.searchPath()
            + ")"
            + (pkg == null ? "" : "; install the Debian package " + pkg),
        e);
  }

  /**
   * Refuses a null argument by name, as a malformed one is refused: {@code values} alternate an
   * argument and its name.
   */
  private static void given(Object... values) {
    for (int i = 0; i < values.length; i += 2) {
      if (values[i] == null) {
        throw new IllegalArgumentException(values[i + 1] + " == null");
      }
    }
  }

  static void requireLive(Target target) {
    if (!target.supportsLive()) {
      throw new CfAllowlistException(
          "target " + target.name() + " cannot read the live system yet; use --current FILE");
    }
  }

  /** {@code message} ending with "nothing was changed", said once. */
  private static String nothingChanged(String message) {
    return message.endsWith("nothing was changed") ? message : message + "; nothing was changed";
  }
}
