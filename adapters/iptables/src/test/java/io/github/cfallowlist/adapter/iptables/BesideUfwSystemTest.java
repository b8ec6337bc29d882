package io.github.cfallowlist.adapter.iptables;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The restrict layout beside an enabled ufw (Debian's, driving the same iptables as this target):
 * ufw runs in the origin's namespace against a private copy of its configuration ({@code --rootdir}
 * and {@code --datadir}), so the host's {@code /etc/ufw} is never read or written.
 */
class BesideUfwSystemTest {
  private static final int PORT = 443;

  private final IptablesTarget target = new IptablesTarget();
  private final RangeSnapshot embedded = Fixtures.embedded();

  @ParameterizedTest(name = "ipset={0}")
  @ValueSource(booleans = {false, true})
  void restrictAdmitsOnlyCloudflareWhateverUfwAllowsThroughReloadRestartAndRuleChanges(
      boolean ipset, @TempDir Path dir) throws Exception {
    SystemTests.requireTools(
        "ip", "curl", "ufw", "iptables", "ip6tables", "iptables-save", "ip6tables-save");
    if (ipset) {
      SystemTests.requireTools("ipset");
    }
    TargetOptions options = TargetOptions.defaults().withPorts(List.of(PORT));
    if (ipset) {
      options = options.withSetting("ipset", "true");
    }
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      Ufw ufw = Ufw.privateCopy(net.origin(), dir.resolve("ufw"));
      net.startHttpServer(PORT);
      TargetContext context =
          new TargetContext(options, NetnsCommandRunner.inside(net.origin().name()));
      ufw.run("default", "deny", "incoming");
      ufw.run("--force", "enable");
      assertThat(saved(net.origin())).contains(":ufw-user-input", ":ufw6-user-input");

      Sync.apply(target, embedded, context, Guards.defaults());

      // Our ACCEPT ends the traversal of INPUT in the filter table: ufw's deny comes later.
      assertThat(net.probeAll(PORT, EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6))
          .as("ufw denying the port")
          .containsExactly(200, 200, 0, 0);

      ufw.run("allow", PORT + "/tcp");

      assertThat(net.probeAll(PORT, EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6))
          .as("ufw allowing the port")
          .containsExactly(200, 200, 0, 0);
      String own = ownRules(net.origin());

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
                List.of("delete", "allow", PORT + "/tcp"),
                List.of("allow", PORT + "/tcp"));
        for (List<String> change : changes) {
          ufw.run(change.toArray(String[]::new));
          assertThat(Sync.plan(target, embedded, context).hasChanges())
              .as("in sync after ufw %s", change)
              .isFalse();
          assertThat(ownRules(net.origin())).as("after ufw %s", change).isEqualTo(own);
        }
        churning.set(false);

        for (Map.Entry<String, Future<List<EdgeAndOrigin.Probe>>> e : probing.entrySet()) {
          List<Integer> codes = e.getValue().get().stream().map(EdgeAndOrigin.Probe::code).toList();
          boolean cloudflare = e.getKey().equals(EDGE_CF_V4) || e.getKey().equals(EDGE_CF_V6);
          assertThat(codes).as("probes from %s", e.getKey()).hasSizeGreaterThanOrEqualTo(5);
          assertThat(codes)
              .as("probes from %s during the ufw changes", e.getKey())
              .containsOnly(cloudflare ? 200 : 0);
        }
      } finally {
        churning.set(false);
        pool.shutdownNow();
      }
      assertThat(ufw.run("status").stdout()).contains("Status: active", PORT + "/tcp");
    }
  }

  private static String saved(Netns ns) {
    return ns.execChecked("iptables-save", "-t", "filter").stdout()
        + ns.execChecked("ip6tables-save", "-t", "filter").stdout();
  }

  /**
   * Our chain, our jumps and their place (the first rule of INPUT, ahead of ufw's), and our sets'
   * members: everything ufw must leave alone.
   */
  private static String ownRules(Netns ns) {
    StringBuilder out = new StringBuilder();
    for (String tool : List.of("iptables-save", "ip6tables-save")) {
      List<String> lines = ns.execChecked(tool, "-t", "filter").stdout().lines().toList();
      List<String> input = lines.stream().filter(l -> l.startsWith("-A INPUT ")).toList();
      assertThat(input).as("%s INPUT", tool).isNotEmpty();
      assertThat(input.get(0)).as("%s: the first rule of INPUT", tool).contains("-j CF-ALLOWLIST");
      out.append(
          lines.stream()
              .filter(l -> l.contains("CF-ALLOWLIST"))
              .collect(Collectors.joining("\n", "", "\n")));
    }
    if (ns.execChecked("ipset", "list", "-n").stdout().contains("cf-allowlist")) {
      out.append(ns.execChecked("ipset", "save").stdout());
    }
    return out.toString();
  }
}
