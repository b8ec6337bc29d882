package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.ALLOW_PORT;
import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.PORT;
import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.VISITOR;
import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real nginx in a network namespace, an edge client with a Cloudflare address (173.245.48.5) and
 * one outside Cloudflare (203.0.113.7), both sending {@code CF-Connecting-IP: 192.0.2.44}.
 */
class NginxLiveTest {
  private final NginxTarget target = new NginxTarget();
  private final RangeSnapshot full = embedded();

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nginx", "curl", "ss");
  }

  /** The embedded snapshot without 173.245.48.0/20, the range holding the edge's address. */
  private RangeSnapshot withoutEdgeRange() {
    return full.withRanges(
        RangeSet.of(
            full.ranges().all().stream()
                .filter(c -> !c.toString().equals("173.245.48.0/20"))
                .toList()));
  }

  private static TargetContext context(NginxInOrigin nginx) {
    return new TargetContext(nginx.prefix().options(Families.BOTH), nginx.runner());
  }

  @Test
  void applyTrustsCfConnectingIpOnlyFromCloudflareAndANoOpApplyDoesNotReload() throws IOException {
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
          .as("before apply nothing is trusted")
          .isEqualTo(EDGE_CF_V4);
      Set<Long> workers = nginx.workers();

      Plan plan = Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(workers);

      assertThat(plan.isInstall()).isTrue();
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(VISITOR);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_OTHER_V4, PORT))).isEqualTo(EDGE_OTHER_V4);
      // The allow file guards a server without real-IP: Cloudflare gets in, no one else does.
      assertThat(nginx.request(EDGE_CF_V4, ALLOW_PORT).status()).isEqualTo(200);
      assertThat(nginx.request(EDGE_OTHER_V4, ALLOW_PORT).status()).isEqualTo(403);

      byte[] realIp = Files.readAllBytes(nginx.prefix().realIpFile());
      Set<Long> reloaded = nginx.workers();
      nginx.runner().clear();

      Plan again = Sync.apply(target, full, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(nginx.runner().modifyingCommands()).isEmpty();
      assertThat(nginx.runner().commands()).as("the files are read directly").isEmpty();
      assertThat(nginx.workers()).isEqualTo(reloaded);
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      assertThat(Files.readAllBytes(nginx.prefix().realIpFile())).isEqualTo(realIp);
    }
  }

  @Test
  void changedListReloadsNginxAndTrustsTheNewRange() throws IOException {
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(EDGE_CF_V4);
      assertThat(nginx.request(EDGE_CF_V4, ALLOW_PORT).status()).isEqualTo(403);
      Set<Long> before = nginx.workers();

      Plan plan = Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(before);

      assertThat(plan.summary()).isEqualTo("+1 -0 ranges (IPv4 +1)");
      assertThat(nginx.reconfigurations()).isEqualTo(2);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(VISITOR);
      assertThat(nginx.request(EDGE_CF_V4, ALLOW_PORT).status()).isEqualTo(200);
    }
  }

  @Test
  void applyRejectedByNginxKeepsTheOldFilesAndNginxServingWithoutReload() throws IOException {
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      byte[] realIp = Files.readAllBytes(nginx.prefix().realIpFile());
      byte[] allow = Files.readAllBytes(nginx.prefix().allowFile());
      Set<Long> workers = nginx.workers();
      // Someone breaks nginx.conf while nginx keeps running the good configuration.
      Files.writeString(nginx.prefix().conf(), "bogus_directive on;\n", StandardOpenOption.APPEND);
      nginx.runner().clear();

      assertThatThrownBy(() -> Sync.apply(target, full, context, Guards.defaults()))
          .isInstanceOf(ApplyFailedException.class)
          .hasMessageContaining(
              "rejected the new configuration: nginx: [emerg] unknown directive"
                  + " \"bogus_directive\" in "
                  + nginx.prefix().conf())
          .hasMessageContaining("the previous " + nginx.prefix().realIpFile() + " was put back")
          .hasMessageContaining("nginx was not reloaded");

      assertThat(Files.readAllBytes(nginx.prefix().realIpFile())).isEqualTo(realIp);
      assertThat(Files.readAllBytes(nginx.prefix().allowFile())).isEqualTo(allow);
      assertThat(nginx.runner().modifyingCommands()).isEmpty();
      assertThat(nginx.workers()).isEqualTo(workers);
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      NginxInOrigin.Response still = nginx.request(EDGE_CF_V4, PORT);
      assertThat(still.status()).isEqualTo(200);
      assertThat(nginx.remoteAddr(still)).as("old list still in force").isEqualTo(EDGE_CF_V4);
      try (var left = Files.list(nginx.prefix().realIpFile().getParent())) {
        assertThat(left).as("no temporary file left").containsExactly(nginx.prefix().realIpFile());
      }
    }
  }

  @Test
  void uninstallRemovesOnlyOurFilesAndReloadsAfterRefusingAForeignOne() throws IOException {
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Path foreign = nginx.prefix().realIpFile().resolveSibling("zz-foreign.conf");
      String foreignText = "add_header X-Foreign kept;\n";
      Files.writeString(foreign, foreignText);
      Set<Long> first = nginx.workers();
      Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      Set<Long> installed = nginx.workers();
      nginx.runner().clear();

      // Pointed at a file it did not write, uninstall refuses and changes nothing.
      TargetContext wrong =
          new TargetContext(
              context.options().withSetting("nginx-file", foreign.toString()), nginx.runner());
      assertThatThrownBy(() -> Sync.uninstall(target, wrong))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("will not remove " + foreign);
      assertThat(foreign).hasContent(foreignText.strip());
      assertThat(nginx.prefix().allowFile()).exists();
      assertThat(nginx.runner().commands()).isEmpty();

      assertThat(Sync.uninstall(target, context)).isTrue();
      nginx.awaitReloadFrom(installed);

      assertThat(nginx.prefix().realIpFile()).doesNotExist();
      assertThat(nginx.prefix().allowFile()).doesNotExist();
      assertThat(Files.readString(foreign)).isEqualTo(foreignText);
      assertThat(nginx.reconfigurations()).isEqualTo(2);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(EDGE_CF_V4);
      assertThat(nginx.request(EDGE_OTHER_V4, ALLOW_PORT).status()).isEqualTo(200);
      assertThat(target.readLive(context)).isEmpty();
    }
  }
}
