package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.OPTIONS;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.SNAPSHOT;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.TARGET;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code firewalld rules} against a real firewalld in its sandbox, after a real apply. */
class FirewalldDiagnoseSystemTest {
  @RegisterExtension static final LiveFirewalld firewalld = new LiveFirewalld();

  private static final String REJECT =
      "rule family=\"ipv4\" source address=\"173.245.48.0/20\" reject";

  @Test
  void aRichRuleRejectingACloudflareRangeInOurZoneFailsAndOneInAnotherZoneDoesNot()
      throws Exception {
    TargetContext context = firewalld.context(OPTIONS.withPorts(List.of(443)));
    Sync.apply(TARGET, SNAPSHOT, context, Guards.defaults());
    assertThat(diagnose(context).status()).isEqualTo(Status.OK);

    firewalld.firewallCmd("--zone=cloudflare", "--add-rich-rule=" + REJECT);
    Finding f = diagnose(context);
    assertThat(f.status()).isEqualTo(Status.FAIL);
    assertThat(f.found())
        .contains(
            "the rich rule '"
                + REJECT
                + "' in zone cloudflare refuses port 443 for"
                + " 173.245.48.0/20");
    assertThat(f.remedy()).contains("firewall-cmd --zone=cloudflare --remove-rich-rule=");

    firewalld.firewallCmd("--zone=cloudflare", "--remove-rich-rule=" + REJECT);
    // The public zone never sees Cloudflare's traffic: its sources dispatch it to ours.
    firewalld.firewallCmd("--zone=public", "--add-rich-rule=" + REJECT);
    assertThat(diagnose(context).status()).isEqualTo(Status.OK);
    firewalld.firewallCmd("--zone=public", "--remove-rich-rule=" + REJECT);
  }

  private static Finding diagnose(TargetContext context) throws Exception {
    List<Finding> findings = TARGET.diagnose(new Diagnosis(SNAPSHOT, List.of(443), context));
    assertThat(findings).singleElement().extracting(Finding::check).isEqualTo("firewalld rules");
    return findings.get(0);
  }
}
