package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.Targets;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Each target holds the current list (the same plan {@code status} makes), then whatever the target
 * itself can tell ({@link Target#diagnose}): foreign rules that refuse Cloudflare first, a
 * configuration that does not use its file.
 */
final class TargetsCheck implements Check {
  static final String NAME = "targets";

  /** The targets whose rules decide whether a connection is refused. */
  private static final Set<String> FIREWALLS = Set.of("nftables", "iptables", "firewalld");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) {
    List<Finding> findings = new ArrayList<>();
    c.unreadable()
        .forEach(
            (target, why) ->
                findings.add(
                    Finding.warn(
                        NAME,
                        "could not read whether "
                            + target
                            + " holds Cloudflare's ranges ("
                            + why
                            + ")",
                        Root.REMEDY)));
    for (Target t : c.targets()) {
      TargetContext context = c.targetContext(t);
      findings.add(sync(t, c, context));
      findings.addAll(diagnose(t, c, context));
    }
    if (c.targets().stream().noneMatch(t -> FIREWALLS.contains(t.name()))) {
      // A drop in any nftables base chain is final, whatever cf-allowlist holds: the live rules
      // are judged even when no firewall target is installed.
      List<Finding> rules = foreignRules(c);
      if (c.targets().isEmpty() && c.unreadable().isEmpty()) {
        findings.add(
            Finding.ok(
                NAME,
                "no cf-allowlist target is installed on this host; Cloudflare needs none when no"
                    + " firewall rule refuses it"
                    + (rules.isEmpty()
                        ? ", and neither nft nor iptables is installed"
                        : " (the rules line below judges that)")));
      }
      findings.addAll(rules);
    }
    return findings;
  }

  /**
   * The foreign-rule findings of the firewall targets, judged on the live rules although none is
   * installed: nftables (which also shows iptables-nft's rules), and iptables when nft is missing
   * or iptables is the legacy one, whose rules nft does not see. Empty when neither tool is there.
   */
  private static List<Finding> foreignRules(DoctorContext c) {
    List<Finding> findings = new ArrayList<>();
    boolean nft = false;
    if (Targets.names().contains("nftables")) {
      nft = foreignRules(Targets.byName("nftables"), c, findings);
    }
    if (Targets.names().contains("iptables") && (!nft || legacyIptables(c))) {
      foreignRules(Targets.byName("iptables"), c, findings);
    }
    return findings;
  }

  /** Adds {@code t}'s rule findings; false when its tool is not installed. */
  private static boolean foreignRules(Target t, DoctorContext c, List<Finding> findings) {
    try {
      findings.addAll(
          t.diagnose(new Diagnosis(c.ranges(), c.origin().ports(), c.targetContext(t))));
      return true;
    } catch (ToolNotFoundException e) {
      return false;
    } catch (IOException | RuntimeException e) {
      findings.add(cannotCheck(t.name() + " rules", e));
      return true;
    }
  }

  /** Whether {@code iptables} is the legacy one, whose rules nftables does not list. */
  private static boolean legacyIptables(DoctorContext c) {
    try {
      CommandResult r = c.runner().run(Command.read("iptables", "-V"));
      return r.ok() && r.stdout().contains("legacy");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Finding cannotCheck(String name, Exception e) {
    if (Root.denied(e)) {
      return Finding.warn(name, "could not be read: " + Printable.message(e), Root.REMEDY);
    }
    return Finding.warn(
        name,
        "could not be checked: " + Printable.message(e),
        "run doctor with --verbose and check by hand");
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
    if (Root.denied(r.message())) {
      return Finding.warn(name, "could not read " + t.name() + ": " + r.message(), Root.REMEDY);
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
      return List.of(cannotCheck(t.name() + " rules", e));
    }
  }
}
