package io.github.cfallowlist.adapter.nftables;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V6;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V6;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import io.github.cfallowlist.testing.Ufw;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restrict layout beside an enabled ufw (Debian's, driving iptables-nft): ufw runs in the
 * origin's namespace against a private copy of its configuration ({@code --rootdir} and {@code
 * --datadir}), so the host's {@code /etc/ufw} is never read or written.
 */
class BesideUfwSystemTest {
  private static final int PORT = 443;

  /** The ufw commands that flush and load its own chains again. */
  private static final Set<String> REBUILDS = Set.of("reload", "disable", "enable");

  private final NftablesTarget target = new NftablesTarget();
  private final RangeSnapshot embedded = Fixtures.embedded();
  private final TargetOptions options = TargetOptions.defaults().withPorts(List.of(PORT));

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft", "curl", "ss", "ufw", "iptables");
  }

  @Test
  void ufwAllowingThePortLetsRestrictAdmitOnlyCloudflareThroughReloadRestartAndRuleChanges(
      @TempDir Path dir) throws Exception {
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      Ufw ufw = Ufw.privateCopy(net.origin(), dir.resolve("ufw"));
      net.startHttpServer(PORT);
      TargetContext context =
          new TargetContext(options, NetnsCommandRunner.inside(net.origin().name()));
      ufw.run("default", "deny", "incoming");
      ufw.run("--force", "enable");
      assertThat(net.origin().execChecked("nft", "list", "tables").stdout())
          .contains("table ip filter", "table ip6 filter");

      Sync.apply(target, embedded, context, Guards.defaults());

      // A drop in ufw's base chain is final whatever ours accepted: ufw must pass the port.
      assertThat(net.probeAll(PORT, EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6))
          .as("ufw denying the port refuses Cloudflare too")
          .containsExactly(0, 0, 0, 0);

      ufw.run("allow", PORT + "/tcp");

      assertThat(net.probeAll(PORT, EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6))
          .containsExactly(200, 200, 0, 0);
      String table = ownTable(net.origin());

      AtomicBoolean churning = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        Map<String, Future<List<EdgeAndOrigin.Probe>>> probing = new LinkedHashMap<>();
        for (String from : List.of(EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6)) {
          probing.put(from, pool.submit(() -> net.probeWhile(from, PORT, churning)));
        }
        List<List<String>> changes =
            List.of(
                List.of("reload"),
                List.of("disable"),
                List.of("--force", "enable"),
                List.of("allow", "22/tcp"),
                List.of("delete", "allow", "22/tcp"));
        // When ufw itself rebuilt its chains: its base chain drops the port for that moment, and
        // a drop there is final whatever our table accepts.
        List<long[]> rebuilding = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
          for (List<String> change : changes) {
            long started = System.nanoTime();
            ufw.run(change.toArray(String[]::new));
            if (REBUILDS.contains(change.get(change.size() - 1))) {
              rebuilding.add(new long[] {started, System.nanoTime()});
            }
            assertThat(List.of(net.probe(EDGE_CF_V4, PORT), net.probe(EDGE_CF_V6, PORT)))
                .as("Cloudflare once ufw %s is done", change)
                .containsOnly(200);
            assertThat(Sync.plan(target, embedded, context).hasChanges())
                .as("in sync after ufw %s", change)
                .isFalse();
            assertThat(ownTable(net.origin())).as("after ufw %s", change).isEqualTo(table);
          }
        }
        churning.set(false);

        for (Map.Entry<String, Future<List<EdgeAndOrigin.Probe>>> e : probing.entrySet()) {
          List<EdgeAndOrigin.Probe> probes = e.getValue().get();
          boolean cloudflare = e.getKey().equals(EDGE_CF_V4) || e.getKey().equals(EDGE_CF_V6);
          assertThat(probes).as("probes from %s", e.getKey()).hasSizeGreaterThanOrEqualTo(5);
          if (cloudflare) {
            assertThat(probes)
                .as("probes from %s refused while ufw was not rebuilding its chains", e.getKey())
                .filteredOn(p -> p.code() != 200)
                .allMatch(p -> rebuilding.stream().anyMatch(w -> p.overlaps(w[0], w[1])));
          } else {
            assertThat(probes)
                .extracting(EdgeAndOrigin.Probe::code)
                .as("probes from %s during the ufw changes", e.getKey())
                .containsOnly(0);
          }
        }
      } finally {
        churning.set(false);
        pool.shutdownNow();
      }
      assertThat(ufw.run("status").stdout()).contains("Status: active", PORT + "/tcp");
    }
  }

  private static String ownTable(Netns ns) {
    return ns.execChecked("nft", "list", "table", "inet", "cf_allowlist").stdout();
  }
}
