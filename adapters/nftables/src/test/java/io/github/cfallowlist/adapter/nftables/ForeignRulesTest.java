package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule evaluation on rulesets recorded with {@code nft -j list ruleset} (nft 1.0.6). */
class ForeignRulesTest {
  private static final RangeSet CLOUDFLARE = TestSnapshots.embedded().ranges();

  @Test
  void aForeignDropOfThePortForEveryoneFailsNamingTheRuleAndHowToDeleteIt() throws IOException {
    Finding f = judge("dropall443", 443);

    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.check()).isEqualTo("nftables rules");
    assertThat(f.found())
        .contains("rule handle 3 in chain inet filter input refuses port 443")
        .contains("for all of Cloudflare's ranges")
        .doesNotContain("cf_allowlist input");
    assertThat(f.remedy())
        .contains("'nft delete rule inet filter input handle 3'")
        .contains(
            "'nft insert rule inet filter input position 3 tcp dport { 443 } ip saddr"
                + " @cloudflare_v4 accept'");
  }

  @Test
  void anEstablishedAcceptDoesNotAdmitNewConnectionsButOnlyOtherPortsAreUntouched()
      throws IOException {
    assertThat(judge("dropall443", 8443).status()).isEqualTo(Status.OK);
  }

  @Test
  void anEarlierAcceptForThePortInTheSameChainAdmitsCloudflare() throws IOException {
    Finding f = judge("accept-first", 443);
    assertThat(f.status()).isEqualTo(Status.OK);
    assertThat(f.found()).contains("1 foreign base chain(s) judged");
  }

  @Test
  void dropsOfPrivateSourcesOtherPortsAndUdpDoNotTouchCloudflare() throws IOException {
    assertThat(judge("private-only", 443).status()).isEqualTo(Status.OK);
    assertThat(judge("private-only", 22).status()).isEqualTo(Status.FAIL);
  }

  @Test
  void aDropPolicyWithNoAcceptForThePortFails() throws IOException {
    Finding f = judge("policy-drop", 443);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found()).contains("the drop policy of chain inet filter input");
    assertThat(f.remedy()).contains("'nft add rule inet filter input tcp dport { 443 }");
    assertThat(judge("policy-drop", 22).status()).isEqualTo(Status.OK);
  }

  @Test
  void aDropPolicyAfterAcceptsForTheCloudflareSetsInThatTableIsFine() throws IOException {
    assertThat(judge("policy-drop-with-sets", 80, 443).status()).isEqualTo(Status.OK);
    assertThat(judge("policy-drop-with-sets", 8443).status()).isEqualTo(Status.FAIL);
  }

  @Test
  void aDropPastAnAcceptItCannotJudgeIsReportedAsNotJudgedNeverOk() throws IOException {
    Finding f = judge("mark-accept", 443);
    assertThat(f.status()).isEqualTo(Status.WARN);
    assertThat(f.found())
        .contains("rule handle 3 in chain inet filter input")
        .contains(
            "past rule handle 2 in chain inet filter input (an accept that matches meta mark)");
    assertThat(f.remedy()).contains("nft -a list ruleset");
  }

  @Test
  void aRejectInAJumpedToChainFailsForTheRangesItCovers() throws IOException {
    Finding f = judge("jump-drop", 443);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found())
        .contains("rule handle 4 in chain ip6 filter web refuses port 443 for 2400:cb00::/32")
        .doesNotContain("173.245.48.0/20");
    assertThat(judge("jump-drop", 80).status()).isEqualTo(Status.OK);
  }

  @Test
  void partialSetsNamedSetsRangesAndBothFamiliesAreEvaluated() throws IOException {
    Finding f = judge("mixed", 443);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found())
        // @bad holds 173.245.48.0/24, part of Cloudflare's 173.245.48.0/20
        .contains("rule handle 9 in chain inet filter input refuses port 443 for 173.245.48.0/20")
        .contains("rule handle 10 in chain inet filter input refuses port 443 for 2400:cb00::/32")
        .doesNotContain("handle 7 "); // the drop of 10.0.0.0/8
  }

  @Test
  void jsonItCannotReadIsAnErrorNotAVerdict() {
    assertThatThrownBy(() -> ForeignRules.judge("{\"x\":1}", CLOUDFLARE, List.of(443)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("without an \"nftables\" list");
  }

  private static Finding judge(String name, Integer... ports) throws IOException {
    String json;
    try (InputStream in =
        ForeignRulesTest.class.getResourceAsStream("/rulesets/" + name + ".json")) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return ForeignRules.judge(json, CLOUDFLARE, List.of(ports));
  }
}
