package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V6;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V6;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Error 521 reproduced and fixed: firewalld in the origin's namespace, its default zone refusing
 * port 8080 as a restrictive setup would, and the target admitting exactly Cloudflare's ranges.
 */
class FirewalldSystemTest {
  private static final int PORT = 8080;
  private static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();

  @Test
  void onlyCloudflareReachesTheOriginAfterApplyAndNobodyAfterUninstall() throws Exception {
    SystemTests.requireTools(
        "ip", "nsenter", "unshare", "dbus-daemon", "firewalld", "firewall-cmd", "curl");
    try (EdgeAndOrigin net = EdgeAndOrigin.create();
        FirewalldSandbox firewalld = FirewalldSandbox.startIn(net.origin())) {
      net.startHttpServer(PORT);
      // The restriction for everyone else comes from the default zone, here one that opens
      // nothing ("block" rejects, so refused probes return at once).
      firewalld.firewallCmd("--set-default-zone=block");
      Map<String, String> beforeInstall = firewalld.configFiles();
      assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare before apply: the 521").isZero();

      TargetOptions options = TargetOptions.defaults().withPorts(List.of(PORT));
      TargetContext context =
          new TargetContext(options, RecordingCommandRunner.wrapping(firewalld.runner()));
      Sync.apply(new FirewalldTarget(), SNAPSHOT, context, Guards.defaults());

      assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare IPv4").isEqualTo(200);
      assertThat(net.probe(EDGE_CF_V6, PORT)).as("Cloudflare IPv6").isEqualTo(200);
      assertThat(net.probe(EDGE_OTHER_V4, PORT)).as("other IPv4").isZero();
      assertThat(net.probe(EDGE_OTHER_V6, PORT)).as("other IPv6").isZero();

      RecordingCommandRunner again = RecordingCommandRunner.wrapping(firewalld.runner());
      Plan noop =
          Sync.apply(
              new FirewalldTarget(),
              SNAPSHOT,
              new TargetContext(options, again),
              Guards.defaults());
      assertThat(noop.hasChanges()).isFalse();
      assertThat(again.modifyingCommands()).isEmpty();
      assertThat(net.probe(EDGE_CF_V4, PORT)).isEqualTo(200);

      assertThat(Sync.uninstall(new FirewalldTarget(), context)).isTrue();
      assertThat(firewalld.configFiles()).isEqualTo(beforeInstall);
      assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare after uninstall").isZero();
    }
  }
}
