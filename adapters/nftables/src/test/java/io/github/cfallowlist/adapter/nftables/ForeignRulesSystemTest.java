package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rule evaluation on rulesets the real kernel holds, written with {@code iptables} (as
 * iptables-nft translates it, with {@code xt} expressions) and with verdict maps, in a namespace
 * the test creates. No cf-allowlist table is installed: the rules are judged all the same.
 */
class ForeignRulesSystemTest {
  private static final RangeSet CLOUDFLARE = TestSnapshots.embedded().ranges();

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft", "iptables-nft");
  }

  @Test
  void anIptablesRejectOfThePortFailsNamingTheRuleThoughItIsAnXtTarget() throws IOException {
    try (Netns ns = Netns.create("cfnftx-")) {
      ns.execChecked("iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "REJECT");

      Finding f = judge(ns, 80);

      assertThat(f.status()).isEqualTo(Status.FAIL);
      assertThat(f.found())
          .containsPattern("rule handle \\d+ in chain ip filter INPUT refuses port 80")
          .contains("cf-allowlist has no table or sets in nftables");
      assertThat(f.remedy())
          .containsPattern("'nft delete rule ip filter INPUT handle \\d+'")
          .contains("'cf-allowlist apply --target nftables --nft-table \"ip filter\"'");
      assertThat(judge(ns, 443).status()).as("another port").isEqualTo(Status.OK);
    }
  }

  @Test
  void anIptablesDropWithACommentFailsForTheCommentMatchesEveryPacket() throws IOException {
    try (Netns ns = Netns.create("cfnftx-")) {
      ns.execChecked(
          "iptables-nft",
          "-A",
          "INPUT",
          "-p",
          "tcp",
          "--dport",
          "443",
          "-m",
          "comment",
          "--comment",
          "web",
          "-j",
          "DROP");

      assertThat(judge(ns, 443).status()).isEqualTo(Status.FAIL);
    }
  }

  @Test
  void anIptablesRejectBehindAMultiportMatchIsNotJudgedAndNeverOk() throws IOException {
    try (Netns ns = Netns.create("cfnftm-")) {
      ns.execChecked(
          "iptables-nft",
          "-A",
          "INPUT",
          "-p",
          "tcp",
          "-m",
          "multiport",
          "--dports",
          "80,443",
          "-j",
          "REJECT");

      Finding f = judge(ns, 443);

      assertThat(f.status()).isEqualTo(Status.WARN);
      assertThat(f.found())
          .containsPattern("rule handle \\d+ in chain ip filter INPUT")
          .contains("the iptables match multiport");
    }
  }

  @Test
  void aVerdictMapThatDropsThePortFailsAndOneThatDropsOtherPortsDoesNot() throws IOException {
    try (Netns ns = Netns.create("cfnftv-")) {
      table(ns, "tcp dport vmap { 22 : accept, 80 : drop }");
      Finding drop = judge(ns, 80);
      assertThat(drop.status()).isEqualTo(Status.FAIL);
      assertThat(drop.found())
          .containsPattern("rule handle \\d+ in chain inet filter input refuses port 80")
          .contains("for all of Cloudflare's ranges");
      assertThat(judge(ns, 443).status()).as("a port the map does not hold").isEqualTo(Status.OK);

      table(ns, "ip saddr 173.245.48.0/24 tcp dport vmap { 443 : drop }");
      Finding partial = judge(ns, 443);
      assertThat(partial.status()).isEqualTo(Status.FAIL);
      assertThat(partial.found()).contains("refuses port 443 for 173.245.48.0/20");

      table(ns, "tcp dport vmap { 443 : accept }\n\t\ttcp dport 443 drop");
      assertThat(judge(ns, 443).status()).as("the map accepts first").isEqualTo(Status.OK);
    }
  }

  @Test
  void aVerdictMapKeyedByWhatItCannotJudgeIsNotJudgedAndNeverOk() throws IOException {
    try (Netns ns = Netns.create("cfnftk-")) {
      table(ns, "ip saddr vmap { 173.245.48.0/20 : drop }");

      Finding f = judge(ns, 443);

      assertThat(f.status()).isEqualTo(Status.WARN);
      assertThat(f.found()).contains("a verdict map it cannot read");
    }
  }

  /** Replaces {@code table inet filter} with one input chain holding {@code rules}. */
  private static void table(Netns ns, String rules) {
    ns.exec("nft", "delete", "table", "inet", "filter");
    ns.execChecked(
        "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0;"
            + " policy accept;\n\t\t"
            + rules
            + "\n\t}\n}\n",
        List.of("nft", "-f", "-"));
  }

  private static Finding judge(Netns ns, int port) throws IOException {
    String json = ns.execChecked("nft", "-j", "list", "ruleset").stdout();
    return ForeignRules.judge(json, CLOUDFLARE, List.of(port));
  }
}
