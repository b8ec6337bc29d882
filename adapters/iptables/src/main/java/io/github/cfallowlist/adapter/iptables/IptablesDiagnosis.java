package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The {@code iptables rules} finding, from one save per family in use. */
final class IptablesDiagnosis {
  static final String CHECK = "iptables rules";

  private IptablesDiagnosis() {}

  static Finding finding(Diagnosis diagnosis) throws IOException {
    IptablesSettings settings = IptablesSettings.of(diagnosis.context().options());
    List<String> saves = new ArrayList<>();
    List<IpFamily> families = List.copyOf(settings.families().members());
    for (IpFamily family : families) {
      Command save = Command.read(IptablesLive.saveCommand(family), "-t", "filter");
      CommandResult result = diagnosis.context().runner().run(save);
      if (!result.ok() && result.stderr().contains("Table does not exist")) {
        saves.add(""); // never loaded: no rule at all
      } else if (!result.ok()) {
        throw result.failure(save);
      } else {
        saves.add(result.stdout());
      }
    }
    return finding(families, saves, settings.parentChain(), diagnosis);
  }

  /** The finding for the saved outputs, one per family in {@code families}. */
  static Finding finding(
      List<IpFamily> families, List<String> saves, String parent, Diagnosis diagnosis) {
    List<Integer> ports = diagnosis.ports();
    String onPorts = ports.size() == 1 ? "port " + ports.get(0) : "ports " + join(ports);
    List<String> refused = new ArrayList<>();
    List<String> unjudged = new ArrayList<>();
    String remedy = null;
    for (int i = 0; i < families.size(); i++) {
      IpFamily family = families.get(i);
      List<Cidr> ranges = diagnosis.ranges().ranges().get(family);
      ForeignRules.Result r = ForeignRules.judge(saves.get(i), parent, ranges, ports);
      String tool = ForeignRules.tool(family);
      for (ForeignRules.Refusal refusal : r.refusals().values()) {
        String what =
            refusal.rule() == null
                ? "the DROP policy of "
                    + tool
                    + " "
                    + parent
                    + " (no jump to "
                    + Rules.CHAIN
                    + " in it)"
                : tool
                    + " rule "
                    + refusal.rule().position()
                    + " of "
                    + refusal.rule().chain()
                    + " '"
                    + Printable.of(refusal.rule().line())
                    + "'";
        refused.add(what + " refuses " + describe(refusal, ranges));
        if (remedy == null) {
          String spec =
              refusal.rule() == null
                  ? ""
                  : Printable.withoutControls(refusal.rule().line().substring(3));
          remedy =
              refusal.rule() == null
                  ? "run 'cf-allowlist apply --target iptables' to put the jump to "
                      + Rules.CHAIN
                      + " back into "
                      + parent
                  // By the whole rule, never cut and never by number: a number goes stale as soon
                  // as a rule is inserted above (fail2ban does at start), and would delete another.
                  : "delete it ('"
                      + tool
                      + " -D "
                      + spec
                      + "'), or, to keep it for other sources, add it again below the jump to "
                      + Rules.CHAIN
                      + " ('"
                      + tool
                      + " -A "
                      + spec
                      + "')";
        }
      }
      r.unjudged()
          .forEach(
              (rule, why) -> unjudged.add(tool + " '" + Printable.of(rule) + "' (" + why + ")"));
    }
    if (!refused.isEmpty()) {
      return Finding.fail(
          CHECK,
          "a rule ahead of cf-allowlist's chain refuses Cloudflare: "
              + String.join("; ", refused)
              + (unjudged.isEmpty() ? "" : "; not judged: " + String.join("; ", unjudged)),
          remedy);
    }
    if (!unjudged.isEmpty()) {
      return Finding.warn(
          CHECK,
          "could not judge whether these rules refuse Cloudflare on "
              + onPorts
              + ": "
              + String.join("; ", unjudged),
          "check them by hand with 'iptables -L "
              + parent
              + " -n --line-numbers': a DROP or REJECT ahead of the jump to "
              + Rules.CHAIN
              + " that Cloudflare's ranges reach refuses them");
    }
    return Finding.ok(
        CHECK,
        "no rule in " + parent + " ahead of cf-allowlist's chain refuses Cloudflare on " + onPorts);
  }

  private static String describe(ForeignRules.Refusal r, List<Cidr> all) {
    String ports = (r.ports().size() == 1 ? "port " : "ports ") + join(List.copyOf(r.ports()));
    if (r.ranges().size() == all.size()) {
      return ports + " for all of Cloudflare's ranges";
    }
    List<String> shown = new ArrayList<>();
    for (Cidr c : r.ranges()) {
      if (shown.size() == 3) {
        shown.add("and " + (r.ranges().size() - 3) + " more");
        break;
      }
      shown.add(c.toString());
    }
    return ports + " for " + String.join(", ", shown);
  }

  private static String join(List<Integer> ports) {
    return String.join(", ", ports.stream().map(String::valueOf).toList());
  }
}
