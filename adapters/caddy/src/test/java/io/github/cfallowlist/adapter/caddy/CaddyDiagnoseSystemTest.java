package io.github.cfallowlist.adapter.caddy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Doctor's caddy check against the real Caddy (Debian's caddy) with its own Caddyfile in a network
 * namespace: it reads the configuration as {@code caddy adapt} gives it.
 */
class CaddyDiagnoseSystemTest {
  private final CaddyTarget target = new CaddyTarget();
  private final RangeSnapshot full = CaddyConfigTest.embedded(Families.BOTH);

  private List<Finding> diagnose(CaddyInOrigin caddy) throws IOException {
    TargetContext context = new TargetContext(caddy.options(), caddy.runner());
    return target.diagnose(new Diagnosis(full, List.of(CaddyInOrigin.PORT), context));
  }

  @Test
  void failsUntilTheSiteImportsTheSnippetAndAgainWhenAProxyTrustsMoreThanCloudflare()
      throws IOException {
    SystemTests.requireTools("ip", "caddy", "curl", "ss", "env");
    try (CaddyInOrigin caddy = CaddyInOrigin.start()) {
      List<Finding> before = diagnose(caddy);
      assertThat(before).extracting(Finding::status).containsExactly(Status.FAIL);
      assertThat(before.get(0).found()).contains("no site").contains(caddy.snippet().toString());

      Sync.apply(
          target, full, new TargetContext(caddy.options(), caddy.runner()), Guards.defaults());
      List<Finding> applied = diagnose(caddy);
      assertThat(applied).extracting(Finding::status).containsExactly(Status.OK);
      assertThat(applied.get(0).found()).contains("imports " + caddy.snippet());

      // Another snippet of the site trusts forwarded addresses from everyone.
      Path foreign = caddy.dir().resolve("sites/zz-proxy.caddy");
      Files.writeString(
          foreign, "reverse_proxy /api/* 127.0.0.1:9 {\n\ttrusted_proxies 0.0.0.0/0\n}\n");
      List<Finding> broader = diagnose(caddy);
      assertThat(broader).extracting(Finding::status).containsExactly(Status.FAIL);
      assertThat(broader.get(0).found())
          .contains("trusted_proxies 0.0.0.0/0")
          .contains("(reverse_proxy)")
          .contains("broader than Cloudflare's ranges");
    }
  }
}
