package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.OPTIONS;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.SNAPSHOT;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.TARGET;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.changedV4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failures, option changes, foreign settings and uninstall against a real firewalld in a sandbox,
 * after an install done once for the class. As in {@link FirewalldLiveTest}, the tests run in
 * order, each from the state the previous one left, because every firewall-cmd costs a Python
 * start-up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewalldChangeTest {
  @RegisterExtension static final LiveFirewalld firewalld = new LiveFirewalld();

  @BeforeAll
  static void install() throws IOException {
    firewalld.apply(SNAPSHOT);
  }

  @Test
  @Order(9)
  void failedRemovalPutsTheAddedEntriesBackOut() throws Exception {
    Optional<Rendered> before = TARGET.readLive(firewalld.context());
    RangeSnapshot changed = changedV4(List.of("131.0.72.0/22"), List.of("45.64.64.0/22"));
    AtomicBoolean failed = new AtomicBoolean();
    RecordingCommandRunner failing =
        firewalld
            .recorder()
            .failing(
                c ->
                    c.display().contains("--permanent --ipset=cloudflare-v4 --remove-entries")
                        && !failed.getAndSet(true));

    assertThatThrownBy(
            () ->
                Sync.apply(TARGET, changed, firewalld.context(OPTIONS, failing), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("--remove-entries-from-file")
        .hasMessageContaining("injected failure")
        .hasMessageContaining("the previous configuration was put back");

    assertThat(TARGET.readLive(firewalld.context())).isEqualTo(before);
    firewalld.assertEntries(SNAPSHOT.ranges());
  }

  @Test
  @Order(10)
  void otherPortsShowAsAChangeAndApplyMovesThem() throws Exception {
    TargetOptions other = OPTIONS.withPorts(List.of(443, 8443));
    assertThat(Sync.plan(TARGET, SNAPSHOT, firewalld.context(other)).hasChanges()).isTrue();

    Sync.apply(TARGET, SNAPSHOT, firewalld.context(other), Guards.defaults());

    assertThat(firewalld.firewallCmd("--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
    assertThat(firewalld.firewallCmd("--permanent", "--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
  }

  @Test
  @Order(11)
  void droppingAFamilyDeletesItsIpsetAndSource() throws Exception {
    TargetOptions v4only = OPTIONS.withFamilies(Families.IPV4);
    RangeSnapshot v4snapshot = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(Families.IPV4));
    // Dropping a family is the caller's choice: the shrink guard does not count it.
    Guards guards = Guards.defaults();

    Sync.apply(TARGET, v4snapshot, firewalld.context(v4only), guards);

    assertThat(firewalld.firewallCmd("--get-ipsets").strip()).isEqualTo("cloudflare-v4 mine");
    assertThat(firewalld.firewallCmd("--permanent", "--get-ipsets").strip())
        .isEqualTo("cloudflare-v4 mine");
    assertThat(firewalld.firewallCmd("--zone=cloudflare", "--list-sources").strip())
        .isEqualTo("ipset:cloudflare-v4");
    assertThat(Sync.plan(TARGET, v4snapshot, firewalld.context(v4only)).hasChanges()).isFalse();
  }

  @Test
  @Order(12)
  void foreignSettingInTheZoneIsRefusedNamingTheLine() throws Exception {
    firewalld.firewallCmd("--zone=cloudflare", "--add-service=ssh");
    try {
      assertThatThrownBy(() -> Sync.plan(TARGET, SNAPSHOT, firewalld.context()))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("zones/cloudflare.xml line")
          .hasMessageContaining("<service name=\"ssh\"/>");
    } finally {
      firewalld.firewallCmd("--zone=cloudflare", "--remove-service=ssh");
    }
  }

  @Test
  @Order(13)
  void uninstallRemovesOnlyOwnObjectsAndRestoresTheConfigurationFiles() throws Exception {
    assertThat(Sync.uninstall(TARGET, firewalld.context())).isTrue();

    assertThat(firewalld.configFiles().keySet()).isEqualTo(firewalld.beforeInstall().keySet());
    assertThat(firewalld.configFiles()).isEqualTo(firewalld.beforeInstall());
    assertThat(firewalld.firewallCmd("--get-ipsets").strip()).isEqualTo("mine");
    assertThat(firewalld.firewallCmd("--get-zones")).doesNotContain("cloudflare");
    assertThat(firewalld.firewallCmd("--zone=public", "--list-ports").strip())
        .isEqualTo("2222/tcp");
    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    assertThat(Sync.uninstall(TARGET, firewalld.context())).isFalse();
  }

  @Test
  @Order(14)
  void failedInstallLeavesNothingBehind() throws Exception {
    RecordingCommandRunner failing =
        firewalld.recorder().failing(c -> c.display().contains("--add-source"));

    assertThatThrownBy(
            () ->
                Sync.apply(
                    TARGET, SNAPSHOT, firewalld.context(OPTIONS, failing), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("--add-source")
        .hasMessageContaining("the previous configuration was put back");

    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    assertThat(firewalld.configFiles()).isEqualTo(firewalld.beforeInstall());
  }

  @Test
  @Order(15)
  void stoppedFirewalldIsReportedInOneSentence() {
    try (FirewalldSandbox noDaemon = FirewalldSandbox.startWithoutFirewalld()) {
      TargetContext ctx = new TargetContext(OPTIONS, noDaemon.runner());

      assertThatThrownBy(() -> Sync.plan(TARGET, SNAPSHOT, ctx))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageStartingWith("firewalld is not running")
          .hasMessageContaining("offline=true");
    }
  }
}
