package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Each target holds the current list (the same plan {@code status} makes), then whatever the target
 * itself can tell ({@link Target#diagnose}): foreign rules that refuse Cloudflare first, a
 * configuration that does not use its file.
 */
final class TargetsCheck implements Check {
  static final String NAME = "targets";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) {
    if (c.targets().isEmpty()) {
      return List.of(
          Finding.fail(
              NAME,
              "no target holds Cloudflare's ranges on this host, so nothing admits Cloudflare by"
                  + " name",
              "run 'cf-allowlist apply --target T' for your firewall (nftables, iptables or"
                  + " firewalld), or pass --target to check one"));
    }
    List<Finding> findings = new ArrayList<>();
    for (Target t : c.targets()) {
      TargetContext context = c.targetContext(t);
      findings.add(sync(t, c, context));
      findings.addAll(diagnose(t, c, context));
    }
    return findings;
  }

  private static Finding sync(Target t, DoctorContext c, TargetContext context) {
    String name = t.name() + " sync";
    TargetResult r;
    try {
      r = Sync.sync(t, c.ranges(), context, c.guards(), true);
    } catch (RuntimeException e) {
      return Finding.fail(name, Printable.message(e), "fix the setting and run doctor again");
    }
    String apply = "run 'cf-allowlist apply --target " + t.name() + "'";
    if (r.outcome() == Outcome.IN_SYNC) {
      return Finding.ok(name, t.name() + " holds the current list: " + r.message());
    }
    if (r.outcome() == Outcome.WOULD_CHANGE) {
      return Finding.fail(
          name,
          t.name() + " does not hold the current list: " + r.message(),
          apply + " (and check that its timer runs: 'systemctl status cf-allowlist.timer')");
    }
    return Finding.fail(
        name,
        t.name() + " cannot be brought in sync: " + r.message(),
        apply + " and follow its message");
  }

  private static List<Finding> diagnose(Target t, DoctorContext c, TargetContext context) {
    try {
      return t.diagnose(new Diagnosis(c.ranges(), c.origin().ports(), context));
    } catch (IOException | RuntimeException e) {
      return List.of(
          Finding.warn(
              t.name() + " rules",
              "could not be checked: " + Printable.message(e),
              "run doctor with --verbose and check by hand"));
    }
  }
}
