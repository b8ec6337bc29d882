package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code iptables rules} on the real kernel's rules, after a real apply in restrict mode. */
class IptablesDiagnoseSystemTest {
  private final IptablesTarget target = new IptablesTarget();
  private final RangeSnapshot embedded = Fixtures.embedded();

  @Test
  void aDropAheadOfOurJumpFailsAndOneAfterItIsFine() throws Exception {
    SystemTests.requireTools(
        "ip",
        "iptables",
        "ip6tables",
        "iptables-save",
        "ip6tables-save",
        "iptables-restore",
        "ip6tables-restore");
    try (Netns ns = Netns.create("cfiptd-")) {
      TargetOptions options =
          TargetOptions.defaults().withPorts(List.of(443)).withMode(Mode.RESTRICT);
      TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      ns.execChecked("iptables", "-P", "INPUT", "DROP");
      Sync.apply(target, embedded, context, Guards.defaults());
      assertThat(diagnose(context).status())
          .as("a DROP policy behind our jump")
          .isEqualTo(Status.OK);

      ns.execChecked("iptables", "-I", "INPUT", "1", "-p", "tcp", "--dport", "443", "-j", "DROP");
      Finding ahead = diagnose(context);
      assertThat(ahead.status()).isEqualTo(Status.FAIL);
      assertThat(ahead.found())
          .contains("iptables rule 1 of INPUT '-A INPUT -p tcp -m tcp --dport 443 -j DROP'")
          .contains("for all of Cloudflare's ranges");
      assertThat(ahead.remedy()).contains("'iptables -D INPUT -p tcp -m tcp --dport 443 -j DROP'");

      ns.execChecked("iptables", "-D", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP");
      ns.execChecked("iptables", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP");
      assertThat(diagnose(context).status())
          .as("the drop appended after our jump")
          .isEqualTo(Status.OK);

      ns.execChecked("ip6tables", "-I", "INPUT", "1", "-s", "2400:cb00::/32", "-j", "REJECT");
      Finding v6 = diagnose(context);
      assertThat(v6.status()).isEqualTo(Status.FAIL);
      assertThat(v6.found()).contains("ip6tables rule 1 of INPUT").contains("for 2400:cb00::/32");
    }
  }

  @Test
  void theRemedyForALongRuleIsACompleteCommandThatDeletesIt() throws Exception {
    SystemTests.requireTools(
        "ip",
        "iptables",
        "ip6tables",
        "iptables-save",
        "ip6tables-save",
        "iptables-restore",
        "ip6tables-restore");
    try (Netns ns = Netns.create("cfiptl-")) {
      TargetOptions options =
          TargetOptions.defaults().withPorts(List.of(443)).withMode(Mode.RESTRICT);
      TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      Sync.apply(target, embedded, context, Guards.defaults());
      ns.execChecked(
          "iptables",
          "-I",
          "INPUT",
          "1",
          "-p",
          "tcp",
          "-m",
          "multiport",
          "--dports",
          "80,443",
          "-j",
          "REJECT",
          "--reject-with",
          "icmp-port-unreachable");
      Finding ahead = diagnose(context);
      assertThat(ahead.status()).isEqualTo(Status.FAIL);

      String remedy = ahead.remedy();
      int start = remedy.indexOf("'iptables -D ");
      String command = remedy.substring(start + 1, remedy.indexOf('\'', start + 1));
      assertThat(command)
          .isEqualTo(
              "iptables -D INPUT -p tcp -m multiport --dports 80,443 -j REJECT --reject-with"
                  + " icmp-port-unreachable");
      // A rule inserted above it since (as fail2ban does) does not change what the command deletes.
      ns.execChecked("iptables", "-I", "INPUT", "1", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
      ns.execChecked(command.split(" "));
      assertThat(diagnose(context).status()).as("after the remedy").isEqualTo(Status.OK);
      assertThat(ns.execChecked("iptables-save").stdout()).contains("--dport 22 -j ACCEPT");
    }
  }

  private Finding diagnose(TargetContext context) throws Exception {
    List<Finding> findings = target.diagnose(new Diagnosis(embedded, List.of(443), context));
    assertThat(findings).singleElement().extracting(Finding::check).isEqualTo("iptables rules");
    return findings.get(0);
  }
}
