package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule evaluation on {@code iptables-save -t filter} outputs recorded from iptables 1.8.9. */
class ForeignRulesTest {
  private static final String MARK_ACCEPT = "-A INPUT -m mark --mark 0x1 -j ACCEPT\n";

  @Test
  void aDropAfterOurJumpWithADropPolicyIsFineInRestrictMode() throws IOException {
    Finding f = judge(save("jump-then-drop"), 443);
    assertThat(f.status()).isEqualTo(Status.OK);
    assertThat(f.check()).isEqualTo("iptables rules");
  }

  @Test
  void aDropOfThePortAheadOfOurJumpFailsNamingTheRuleAndHowToDeleteIt() throws IOException {
    Finding f = judge(save("drop-before-jump").replace(MARK_ACCEPT, ""), 443);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found())
        .contains(
            "iptables rule 2 of INPUT '-A INPUT -p tcp -m tcp --dport 443 -j DROP' refuses port"
                + " 443 for all of Cloudflare's ranges")
        .doesNotContain("10.0.0.0/8");
    assertThat(f.remedy()).contains("'iptables -D INPUT -p tcp -m tcp --dport 443 -j DROP'");
  }

  @Test
  void aDropPastAnAcceptItCannotJudgeIsNotJudgedNeverOk() throws IOException {
    Finding f = judge(save("drop-before-jump"), 443);
    assertThat(f.status()).isEqualTo(Status.WARN);
    assertThat(f.found())
        .contains("'-A INPUT -p tcp -m tcp --dport 443 -j DROP' (a DROP reached past")
        .contains("an accept that matches --mark");
  }

  @Test
  void withoutOurJumpAUserChainDropAndTheDropPolicyBothRefuse() throws IOException {
    Finding f = judge(save("no-jump-chain-drop"), 443);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found())
        .contains(
            "iptables rule 1 of web '-A web -s 173.245.48.0/24 -j DROP' refuses port 443 for"
                + " 173.245.48.0/20")
        .contains("the DROP policy of iptables INPUT (no jump to CF-ALLOWLIST in it)");
    assertThat(judge(save("no-jump-chain-drop"), 2000).found())
        .doesNotContain("rule 1 of web")
        .contains("the DROP policy");
  }

  @Test
  void quotedCommentsStayOneWord() {
    assertThat(
            ForeignRules.tokens("-A web -m comment --comment \"say \\\"hi\\\" there\" -j RETURN"))
        .containsExactly(
            "-A", "web", "-m", "comment", "--comment", "say \"hi\" there", "-j", "RETURN");
  }

  private static Finding judge(String saved, int port) {
    Diagnosis d =
        new Diagnosis(
            TestSnapshots.embedded(),
            List.of(port),
            new TargetContext(
                TargetOptions.defaults().withFamilies(Families.IPV4),
                c -> {
                  throw new AssertionError("no command expected: " + c.display());
                }));
    return IptablesDiagnosis.finding(List.of(IpFamily.IPV4), List.of(saved), "INPUT", d);
  }

  private static String save(String name) throws IOException {
    try (InputStream in = ForeignRulesTest.class.getResourceAsStream("/saves/" + name + ".v4")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
