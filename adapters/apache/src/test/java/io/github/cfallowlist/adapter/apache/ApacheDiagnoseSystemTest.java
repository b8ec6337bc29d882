package io.github.cfallowlist.adapter.apache;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Doctor's apache check against the real Apache (Debian's apache2) with its own ServerRoot in a
 * network namespace: it reads what {@code apache2 -t -D DUMP_INCLUDES} lists, as Apache would load
 * it.
 */
class ApacheDiagnoseSystemTest {
  private final ApacheTarget target = new ApacheTarget();
  private final RangeSnapshot full = ApacheConfigTest.embedded(Families.BOTH);

  private List<Finding> diagnose(ApacheInOrigin apache) throws IOException {
    TargetContext context = new TargetContext(apache.options(), apache.runner());
    return target.diagnose(new Diagnosis(full, List.of(ApacheInOrigin.PORT), context));
  }

  @Test
  void failsUntilTheSnippetIsIncludedAndAgainWhenAnotherFileTrustsMoreThanCloudflare()
      throws IOException {
    SystemTests.requireTools("ip", "apache2", "curl", "ss");
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      List<Finding> before = diagnose(apache);
      assertThat(before).extracting(Finding::status).containsExactly(Status.FAIL);
      assertThat(before.get(0).found()).contains(apache.snippet() + " is not included");

      Sync.apply(
          target, full, new TargetContext(apache.options(), apache.runner()), Guards.defaults());
      apache.awaitGeneration(2);
      List<Finding> applied = diagnose(apache);
      assertThat(applied).extracting(Finding::status).containsExactly(Status.OK);
      assertThat(applied.get(0).found()).contains("includes " + apache.snippet());

      // Another file trusts all of 104.0.0.0/8: a client at 104.1.2.3 could pose as anyone.
      Path foreign = apache.dir().resolve("conf.d/zz-proxies.conf");
      Files.writeString(
          foreign,
          "<VirtualHost "
              + EdgeAndOrigin.ORIGIN_V4
              + ":8080>\n"
              + "  RemoteIPInternalProxy 104.0.0.0/8\n</VirtualHost>\n");
      List<Finding> broader = diagnose(apache);
      assertThat(broader).extracting(Finding::status).containsExactly(Status.FAIL);
      assertThat(broader.get(0).found())
          .contains("RemoteIPInternalProxy 104.0.0.0/8 in " + foreign)
          .contains("broader than Cloudflare's ranges");
      assertThat(broader.get(0).remedy()).contains("remove that line from " + foreign);
    }
  }

  @Test
  void aConfigurationApacheRejectsFailsWithApachesError() throws IOException {
    SystemTests.requireTools("ip", "apache2", "curl", "ss");
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      Files.writeString(apache.dir().resolve("conf.d/zz-broken.conf"), "NoSuchDirective on\n");
      List<Finding> findings = diagnose(apache);
      assertThat(findings).extracting(Finding::status).containsExactly(Status.FAIL);
      assertThat(findings.get(0).found()).contains("cannot load").contains("NoSuchDirective");
    }
  }
}
