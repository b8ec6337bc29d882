package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.TestSnapshots;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rich-rule evaluation on firewall-cmd 1.3 listings. */
class FirewalldDiagnosisTest {
  private static final List<Cidr> CLOUDFLARE = TestSnapshots.embedded().ranges().all();
  private static final String OURS =
      "cloudflare (active)\n  target: default\n  sources: ipset:cloudflare-v4 ipset:cloudflare-v6\n"
          + "  ports: 443/tcp\n  rich rules: \n";

  @Test
  void rejectsOfACloudflareRangeOrOfThePortFailAndOthersDoNot() {
    assertThat(refuses("rule family=\"ipv4\" source address=\"173.245.48.0/20\" reject"))
        .contains("port 443 for 173.245.48.0/20");
    assertThat(refuses("rule port port=\"443\" protocol=\"tcp\" drop"))
        .contains("for all of Cloudflare's ranges");
    assertThat(refuses("rule service name=\"https\" reject")).isNotEmpty();
    assertThat(refuses("rule family=\"ipv4\" source address=\"10.0.0.0/8\" drop")).isEmpty();
    assertThat(refuses("rule port port=\"22\" protocol=\"tcp\" drop")).isEmpty();
    assertThat(refuses("rule priority=\"10\" port port=\"443\" protocol=\"tcp\" drop")).isEmpty();
    assertThat(refuses("rule family=\"ipv4\" source address=\"173.245.48.0/20\" accept")).isEmpty();
  }

  @Test
  void rulesItDoesNotEvaluateAreNotJudged() {
    FirewalldDiagnosis.Verdict v =
        FirewalldDiagnosis.rule(
            "rule family=\"ipv4\" source ipset=\"bans\" drop", CLOUDFLARE, List.of(443));
    assertThat(v.unjudged()).contains("it matches ipset");
  }

  @Test
  void aPolicyAheadOfZonesIsJudgedAndAnotherZonesSourceOverlappingCloudflareIsNotJudged() {
    String policies =
        "early (active)\n  priority: -10\n  target: CONTINUE\n  ingress-zones: ANY\n"
            + "  egress-zones: HOST\n  rich rules: \n"
            + "\trule family=\"ipv6\" source address=\"2400:cb00::/32\" reject\n";
    Finding f =
        FirewalldDiagnosis.judge(
            FirewalldDiagnosis.blocks(OURS),
            FirewalldDiagnosis.blocks(policies),
            CLOUDFLARE,
            List.of(443));
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found()).contains("in policy early refuses port 443 for 2400:cb00::/32");
    assertThat(f.remedy()).contains("firewall-cmd --policy=early --remove-rich-rule=");

    Finding w =
        FirewalldDiagnosis.judge(
            FirewalldDiagnosis.blocks(OURS + "\ntrusted\n  sources: 173.245.48.0/24\n"),
            List.of(),
            CLOUDFLARE,
            List.of(443));
    assertThat(w.status()).isEqualTo(Status.WARN);
    assertThat(w.found()).contains("zone trusted is bound to source 173.245.48.0/24");
  }

  @Test
  void withoutOurZoneNothingAdmitsCloudflare() {
    assertThat(FirewalldDiagnosis.judge(List.of(), List.of(), CLOUDFLARE, List.of(443)).status())
        .isEqualTo(Status.FAIL);
  }

  private static String refuses(String rule) {
    return FirewalldDiagnosis.rule(rule, CLOUDFLARE, List.of(443)).refuses().orElse("");
  }
}
