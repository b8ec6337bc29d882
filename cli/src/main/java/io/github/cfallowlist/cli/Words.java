package io.github.cfallowlist.cli;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The words every command uses for how a target ended, mapped from the engine's {@link
 * io.github.cfallowlist.Outcome}: {@code in sync}, {@code would change (+a -r)}, {@code applied (+a
 * -r)}, {@code not installed}, {@code refused: why}, {@code failed (what was left): what}. {@code
 * plan}, {@code status}, {@code apply} and their JSON all take their lines from here.
 */
final class Words {
  /** How many CIDRs an apply line names before it counts the rest. */
  static final int CIDRS_SHOWN = 5;

  private Words() {}

  /**
   * The head word of {@code r}: {@code in sync}, {@code would change}, {@code applied}, {@code not
   * installed}, {@code refused} or {@code failed}.
   */
  static String status(TargetResult r) {
    Optional<Plan> plan = r.plan();
    return switch (r.outcome()) {
      case IN_SYNC -> plan.isPresent() && plan.get().isRemoval() ? "not installed" : "in sync";
      case WOULD_CHANGE ->
          plan.isPresent() && plan.get().isInstall() ? "not installed" : "would change";
      case APPLIED -> "applied";
      case REFUSED -> "refused";
      case FAILED_UNCHANGED, FAILED_RESTORED, STATE_UNKNOWN -> "failed";
    };
  }

  /** What a failure left behind, in the words of a {@code failed (...)} line; empty otherwise. */
  static Optional<String> left(TargetResult r) {
    return switch (r.outcome()) {
      case FAILED_UNCHANGED -> Optional.of("nothing changed");
      case FAILED_RESTORED -> Optional.of("previous state put back");
      case STATE_UNKNOWN -> Optional.of("state unknown");
      default -> Optional.empty();
    };
  }

  private static final String VERIFIED = " (verified by reading back)";

  /** How the engine's messages end when they say what a failure left (before {@link #VERIFIED}). */
  private static Optional<String> saidLeft(TargetResult r) {
    return switch (r.outcome()) {
      case FAILED_UNCHANGED -> Optional.of("nothing was changed");
      case FAILED_RESTORED -> Optional.of("the previous state was put back");
      default -> Optional.empty();
    };
  }

  /**
   * The line for {@code r}, without the target's name. {@code applyLine}: the line of a real apply,
   * which names the CIDRs added and removed and the source and its etag.
   */
  static String line(TargetResult r, boolean applyLine) {
    Plan plan = r.plan().orElse(null);
    List<String> details = new ArrayList<>();
    String head =
        switch (r.outcome()) {
          case IN_SYNC -> {
            if (plan == null || plan.isRemoval()) {
              yield "not installed";
            }
            if (applyLine) {
              details.add(source(plan.snapshot()));
            }
            yield "in sync (" + ranges(plan.desired().size()) + ")";
          }
          case WOULD_CHANGE -> {
            notes(plan, details, false);
            yield (plan != null && plan.isInstall()
                    ? "not installed, would change"
                    : "would change")
                + counts(plan);
          }
          case APPLIED -> {
            if (plan != null) {
              if (plan.isRemoval()) {
                details.add("uninstalled");
              }
              cidrs(details, "added", added(plan));
              cidrs(details, "removed", removed(plan));
              notes(plan, details, true);
              if (!plan.isRemoval()) {
                details.add(source(plan.snapshot()));
              }
            }
            yield "applied" + counts(plan);
          }
          case REFUSED -> {
            details.add(r.message());
            yield "refused";
          }
          case FAILED_UNCHANGED, FAILED_RESTORED, STATE_UNKNOWN -> {
            String message = r.message();
            // The head already says what was left: a message ending the same way says it once.
            String said = saidLeft(r).map(w -> "; " + w).orElse(null);
            if (said != null && message.endsWith(said + VERIFIED)) {
              message =
                  message.substring(0, message.length() - (said + VERIFIED).length())
                      + "; verified by reading back";
            } else if (said != null && message.endsWith(said)) {
              message = message.substring(0, message.length() - said.length());
            }
            details.add(message);
            yield "failed (" + left(r).orElseThrow() + ")";
          }
        };
    r.fallback().ifPresent(f -> details.add("from the " + f));
    return details.isEmpty() ? head : head + ": " + String.join("; ", details);
  }

  /** {@code " (+2 -1)"}, the ranges a plan adds and removes; empty without a plan. */
  private static String counts(Plan plan) {
    return plan == null ? "" : " (+" + added(plan).size() + " -" + removed(plan).size() + ")";
  }

  /** What a change does besides ranges: an uninstall, leftovers, other configuration. */
  private static void notes(Plan plan, List<String> details, boolean done) {
    if (plan == null) {
      return;
    }
    if (plan.isRemoval() && !done) {
      details.add("uninstall");
    }
    if (!plan.leftovers().isEmpty()) {
      details.add(
          (done ? "removed leftover " : "removes leftover ") + String.join(", ", plan.leftovers()));
    } else if (!plan.isRemoval()
        && !plan.isInstall()
        && added(plan).isEmpty()
        && removed(plan).isEmpty()) {
      // Same ranges, yet a change: the rules around them differ (ports, mode, a hand edit).
      details.add(done ? "configuration changed" : "configuration differs");
    }
  }

  private static void cidrs(List<String> details, String verb, List<Cidr> cidrs) {
    if (cidrs.isEmpty()) {
      return;
    }
    List<String> shown = cidrs.stream().limit(CIDRS_SHOWN).map(Cidr::toString).toList();
    int more = cidrs.size() - shown.size();
    details.add(verb + " " + String.join(", ", shown) + (more > 0 ? " and " + more + " more" : ""));
  }

  /** {@code source NAME, etag TAG}, for people: escaped, one line. */
  static String source(RangeSnapshot snapshot) {
    return "source "
        + Printable.of(snapshot.source())
        + ", "
        + snapshot.etag().map(e -> "etag " + Printable.of(e)).orElse("no etag");
  }

  static List<Cidr> added(Plan plan) {
    List<Cidr> all = new ArrayList<>();
    for (IpFamily f : IpFamily.values()) {
      all.addAll(plan.added(f));
    }
    return all;
  }

  static List<Cidr> removed(Plan plan) {
    List<Cidr> all = new ArrayList<>();
    for (IpFamily f : IpFamily.values()) {
      all.addAll(plan.removed(f));
    }
    return all;
  }

  private static String ranges(int n) {
    return n + (n == 1 ? " range" : " ranges");
  }
}
