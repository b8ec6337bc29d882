package io.github.cfallowlist;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * The sync engine: plans against the live system, applies, reads back and verifies, and puts the
 * previous state back when verification fails.
 */
public final class Sync {
  private static final System.Logger LOG = System.getLogger(Sync.class.getName());

  private Sync() {}

  /**
   * The plan from what {@code target} holds on the live system to {@code snapshot}. Runs only read
   * commands.
   */
  public static Plan plan(Target target, RangeSnapshot snapshot, TargetContext context)
      throws IOException {
    requireLive(target);
    Optional<Rendered> current = target.readLive(context);
    return Plan.compute(target, snapshot, context.options(), current);
  }

  /**
   * Makes {@code target} hold {@code snapshot}'s ranges. When the live system is already in sync,
   * runs only reads and returns the empty plan. Otherwise checks the shrink guard, applies, reads
   * back and verifies.
   *
   * @return the plan that was applied (or found to need nothing)
   * @throws RejectedRangesException when the shrink guard refuses the plan (nothing changed)
   * @throws ApplyFailedException when the apply or its verification failed; the message says
   *     whether the previous state was put back
   */
  public static Plan apply(
      Target target, RangeSnapshot snapshot, TargetContext context, Guards guards)
      throws IOException {
    Plan plan = plan(target, snapshot, context);
    if (!plan.hasChanges()) {
      return plan;
    }
    guards.withFamilies(context.options().families()).checkShrink(plan);
    try {
      target.apply(plan, context);
    } catch (ApplyFailedException e) {
      throw e;
    } catch (IOException | CfAllowlistException e) {
      throw new ApplyFailedException(failureMessage(target, e), e);
    }
    Plan after = plan(target, snapshot, context);
    if (after.hasChanges()) {
      LOG.log(Level.WARNING, "{0}: read-back differs from the plan, restoring", target.name());
      String restored = restore(target, plan, context);
      throw new ApplyFailedException(
          target.name()
              + ": the live state read back after apply did not match the plan ("
              + after.summary()
              + "); "
              + restored);
    }
    return plan;
  }

  private static String failureMessage(Target target, Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (message.contains("put back")
        || message.contains("left in place")
        || message.contains("nothing was changed")) {
      return message;
    }
    return target.name() + " apply failed and the previous state was left in place: " + message;
  }

  private static String restore(Target target, Plan applied, TargetContext context) {
    try {
      if (applied.currentConfig().isEmpty()) {
        target.uninstall(context);
      } else {
        Rendered previous = applied.currentConfig().get();
        RangeSet ranges = target.parse(previous, context.options());
        Plan back =
            new Plan(
                target.name(),
                target.readLive(context),
                ranges,
                applied.snapshot().withRanges(ranges),
                previous);
        target.apply(back, context);
      }
      return "the previous state was put back";
    } catch (IOException | RuntimeException e) {
      return "putting the previous state back also failed: " + e.getMessage();
    }
  }

  /**
   * Removes everything {@code target} owns.
   *
   * @return whether anything was there to remove
   */
  public static boolean uninstall(Target target, TargetContext context) throws IOException {
    requireLive(target);
    if (target.readLive(context).isEmpty()) {
      return false;
    }
    target.uninstall(context);
    return true;
  }

  private static void requireLive(Target target) {
    if (!target.supportsLive()) {
      throw new CfAllowlistException(
          "target " + target.name() + " cannot read the live system yet; use --current FILE");
    }
  }
}
