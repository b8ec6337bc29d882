package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rendered files fed to the real firewalld tooling ({@code firewall-offline-cmd}, which reads
 * them exactly as firewalld does at start-up), and the {@code offline=true} setting, all against a
 * scratch configuration in a private mount namespace.
 */
class FirewalldOfflineTest {
  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final RangeSnapshot SNAPSHOT = FirewalldRenderTest.SNAPSHOT;

  @BeforeEach
  void tools() {
    SystemTests.requireTools("unshare", "firewall-offline-cmd");
  }

  private static String offlineCmd(OfflineConfig config, String... args) throws Exception {
    List<String> argv = new java.util.ArrayList<>(List.of("firewall-offline-cmd"));
    argv.addAll(List.of(args));
    CommandResult r = config.runner().run(Command.read(argv));
    assertThat(r.exitCode()).as(String.join(" ", argv) + ": " + r.stderr()).isZero();
    // firewalld only warns about an entry it cannot read, and drops it: no warning is allowed.
    assertThat(r.stderr())
        .as(String.join(" ", argv))
        .doesNotContain("WARNING")
        .doesNotContain("ERROR");
    return r.stdout();
  }

  private static void assertAccepted(TargetOptions options) throws Exception {
    RangeSnapshot snapshot = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(options.families()));
    Rendered rendered = TARGET.render(snapshot, options);
    try (OfflineConfig config = new OfflineConfig()) {
      for (Rendered.File f : rendered.files()) {
        config.write(f.name(), f.content());
      }

      offlineCmd(config, "--check-config");
      for (var family : options.families().members()) {
        String info = offlineCmd(config, "--info-ipset=" + Names.ipset(family));
        String entries =
            String.join(" ", snapshot.ranges().get(family).stream().map(Object::toString).toList());
        assertThat(info)
            .contains("type: hash:net")
            .contains("options: family=" + Names.ipsetFamily(family))
            .contains("entries: " + entries + "\n");
      }
      String zone = offlineCmd(config, "--info-zone=cloudflare");
      assertThat(zone)
          .contains("target: default")
          .contains(
              "ports: "
                  + String.join(" ", options.ports().stream().map(p -> p + "/tcp").toList())
                  + "\n");
      String sources =
          String.join(
              " ",
              options.families().members().stream().map(f -> "ipset:" + Names.ipset(f)).toList());
      assertThat(zone).contains("sources: " + sources + "\n");
    }
  }

  private static boolean isStockCopy(Map.Entry<String, String> file) {
    java.nio.file.Path stock = java.nio.file.Path.of("/usr/lib/firewalld", file.getKey());
    try {
      return java.nio.file.Files.exists(stock)
          && java.nio.file.Files.readString(stock).strip().equals(file.getValue().strip());
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void firewalldAcceptsTheRenderedFilesForBothFamilies() throws Exception {
    assertAccepted(TargetOptions.defaults());
  }

  @Test
  void firewalldAcceptsTheRenderedFilesForOneFamilyAndOtherPorts() throws Exception {
    assertAccepted(TargetOptions.defaults().withFamilies(Families.IPV4).withPorts(List.of(8080)));
    assertAccepted(TargetOptions.defaults().withFamilies(Families.IPV6));
  }

  @Test
  void offlineSettingInstallsUpdatesAndUninstallsThePermanentConfiguration() throws Exception {
    TargetOptions options = TargetOptions.defaults().withSetting("offline", "true");
    try (OfflineConfig config = new OfflineConfig()) {
      Map<String, String> before = config.files();
      RecordingCommandRunner runner = RecordingCommandRunner.wrapping(config.runner());
      TargetContext ctx = new TargetContext(options, runner);

      Sync.apply(TARGET, SNAPSHOT, ctx, Guards.defaults());

      assertThat(runner.commands()).allMatch(c -> c.argv().get(0).equals("firewall-offline-cmd"));
      assertThat(runner.commands()).noneMatch(c -> c.argv().contains("--permanent"));
      assertThat(TARGET.parse(TARGET.readLive(ctx).orElseThrow(), options))
          .isEqualTo(SNAPSHOT.ranges());
      String ipsetFile = config.files().get("ipsets/cloudflare-v4.xml");
      assertThat(ipsetFile).contains("<entry>173.245.48.0/20</entry>");

      runner.clear();
      Plan again = Sync.apply(TARGET, SNAPSHOT, ctx, Guards.defaults());
      assertThat(again.hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();

      assertThat(Sync.uninstall(TARGET, ctx)).isTrue();
      Map<String, String> after = new java.util.TreeMap<>(config.files());
      // firewall-offline-cmd saves a copy of the stock default zone when it creates a zone; that
      // copy says exactly what the stock file says, so it is not a change of configuration.
      after.entrySet().removeIf(e -> !before.containsKey(e.getKey()) && isStockCopy(e));
      assertThat(after).isEqualTo(before);
    }
  }
}
