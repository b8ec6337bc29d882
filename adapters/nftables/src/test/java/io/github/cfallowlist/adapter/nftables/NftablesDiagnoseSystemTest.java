package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code nftables rules} on the real kernel's ruleset, after a real apply in restrict mode. */
class NftablesDiagnoseSystemTest {
  private final NftablesTarget target = new NftablesTarget();
  private final RangeSnapshot embedded = Fixtures.embedded();
  private final TargetOptions options = TargetOptions.defaults().withPorts(List.of(443));

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft");
  }

  @Test
  void foreignRulesThatRefuseCloudflareFailAndThoseThatDoNotStayOk() throws Exception {
    try (Netns ns = Netns.create("cfnftd-")) {
      TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(ns.name()));
      Sync.apply(target, embedded, context, Guards.defaults());
      assertThat(diagnose(context).status()).as("only our own table").isEqualTo(Status.OK);

      foreign(ns, "tcp dport 443 drop");
      Finding dropAll = diagnose(context);
      assertThat(dropAll.status()).isEqualTo(Status.FAIL);
      assertThat(dropAll.found())
          .containsPattern("rule handle \\d+ in chain inet filter input refuses port 443")
          .contains("for all of Cloudflare's ranges");
      assertThat(dropAll.remedy())
          .containsPattern("'nft delete rule inet filter input handle \\d+'");

      ns.execChecked("nft", "delete", "table", "inet", "filter");
      assertThat(diagnose(context).status()).as("foreign table removed").isEqualTo(Status.OK);

      foreign(ns, "ip saddr 10.0.0.0/8 tcp dport 443 drop");
      assertThat(diagnose(context).status()).as("a drop of 10.0.0.0/8").isEqualTo(Status.OK);

      foreign(ns, "ip saddr 173.245.48.0/24 tcp dport 443 drop");
      Finding partial = diagnose(context);
      assertThat(partial.status()).as("a drop of 173.245.48.0/24").isEqualTo(Status.FAIL);
      assertThat(partial.found()).contains("refuses port 443 for 173.245.48.0/20");

      foreign(ns, "tcp dport 443 accept\n\t\ttcp dport 443 drop");
      assertThat(diagnose(context).status()).as("an accept for 443 first").isEqualTo(Status.OK);

      foreign(ns, "tcp dport 22 accept", "drop");
      Finding policy = diagnose(context);
      assertThat(policy.status()).as("policy drop").isEqualTo(Status.FAIL);
      assertThat(policy.found()).contains("the drop policy of chain inet filter input");
    }
  }

  /** Replaces {@code table inet filter} with one input chain holding {@code rules}. */
  private static void foreign(Netns ns, String rules) {
    foreign(ns, rules, "accept");
  }

  private static void foreign(Netns ns, String rules, String policy) {
    ns.exec("nft", "delete", "table", "inet", "filter");
    ns.execChecked(
        "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy "
            + policy
            + ";\n\t\t"
            + rules
            + "\n\t}\n}\n",
        List.of("nft", "-f", "-"));
  }

  private Finding diagnose(TargetContext context) throws Exception {
    List<Finding> findings = target.diagnose(new Diagnosis(embedded, List.of(443), context));
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).check()).isEqualTo("nftables rules");
    return findings.get(0);
  }
}
