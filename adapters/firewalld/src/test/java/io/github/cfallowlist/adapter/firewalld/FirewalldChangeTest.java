package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Failures, option changes, foreign settings and uninstall against a real firewalld in a sandbox,
 * after an install done once for the class. As in {@link FirewalldLiveTest}, the tests run in
 * order, each from the state the previous one left, because every firewall-cmd costs a Python
 * start-up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewalldChangeTest {
  private static final FirewalldTarget TARGET = new FirewalldTarget();
  private static final TargetOptions OPTIONS = TargetOptions.defaults();
  private static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();
  private static FirewalldSandbox sandbox;
  private static Map<String, String> beforeInstall;

  @BeforeAll
  static void startFirewalld() {
    SystemTests.requireTools(
        "ip", "nsenter", "unshare", "dbus-daemon", "firewalld", "firewall-cmd");
    sandbox = FirewalldSandbox.start();
    // Objects of the user's own, which uninstall must leave alone.
    sandbox.firewallCmd("--permanent", "--new-ipset=mine", "--type=hash:ip");
    sandbox.firewallCmd("--permanent", "--zone=public", "--add-port=2222/tcp");
    sandbox.firewallCmd("--reload");
    beforeInstall = sandbox.configFiles();
    try {
      apply(SNAPSHOT);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stopFirewalld() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static RecordingCommandRunner recorder() {
    return RecordingCommandRunner.wrapping(sandbox.runner());
  }

  private static TargetContext context(TargetOptions options, RecordingCommandRunner runner) {
    return new TargetContext(options, runner);
  }

  private static TargetContext context() {
    return context(OPTIONS, recorder());
  }

  private static void apply(RangeSnapshot snapshot) throws IOException {
    Sync.apply(TARGET, snapshot, context(), Guards.defaults());
  }

  private static List<String> entries(String ipset, boolean permanent) {
    List<String> args = new ArrayList<>();
    if (permanent) {
      args.add("--permanent");
    }
    args.add("--ipset=" + ipset);
    args.add("--get-entries");
    return sandbox.firewallCmd(args.toArray(String[]::new)).lines().sorted().toList();
  }

  private static void assertEntries(RangeSet ranges) {
    for (boolean permanent : List.of(false, true)) {
      assertThat(entries("cloudflare-v4", permanent)).isEqualTo(sorted(ranges.ipv4()));
      assertThat(entries("cloudflare-v6", permanent)).isEqualTo(sorted(ranges.ipv6()));
    }
  }

  private static List<String> sorted(List<Cidr> cidrs) {
    return cidrs.stream().map(Cidr::toString).sorted().toList();
  }

  private static RangeSnapshot changedV4(List<String> remove, List<String> add) {
    List<Cidr> v4 = new ArrayList<>(SNAPSHOT.ranges().ipv4());
    remove.forEach(r -> v4.remove(Cidr.parse(r)));
    add.forEach(a -> v4.add(Cidr.parse(a)));
    return SNAPSHOT.withRanges(new RangeSet(v4, SNAPSHOT.ranges().ipv6()));
  }

  @Test
  @Order(9)
  void failedRemovalPutsTheAddedEntriesBackOut() throws Exception {
    Optional<Rendered> before = TARGET.readLive(context());
    RangeSnapshot changed = changedV4(List.of("131.0.72.0/22"), List.of("45.64.64.0/22"));
    AtomicBoolean failed = new AtomicBoolean();
    RecordingCommandRunner failing =
        recorder()
            .failing(
                c ->
                    c.display().contains("--permanent --ipset=cloudflare-v4 --remove-entries")
                        && !failed.getAndSet(true));

    assertThatThrownBy(
            () -> Sync.apply(TARGET, changed, context(OPTIONS, failing), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("--remove-entries-from-file")
        .hasMessageContaining("injected failure")
        .hasMessageContaining("the previous configuration was put back");

    assertThat(TARGET.readLive(context())).isEqualTo(before);
    assertEntries(SNAPSHOT.ranges());
  }

  @Test
  @Order(10)
  void otherPortsShowAsAChangeAndApplyMovesThem() throws Exception {
    TargetOptions other = OPTIONS.withPorts(List.of(443, 8443));
    assertThat(Sync.plan(TARGET, SNAPSHOT, context(other, recorder())).hasChanges()).isTrue();

    Sync.apply(TARGET, SNAPSHOT, context(other, recorder()), Guards.defaults());

    assertThat(sandbox.firewallCmd("--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
    assertThat(sandbox.firewallCmd("--permanent", "--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
  }

  @Test
  @Order(11)
  void droppingAFamilyDeletesItsIpsetAndSource() throws Exception {
    TargetOptions v4only = OPTIONS.withFamilies(Families.IPV4);
    RangeSnapshot v4snapshot = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(Families.IPV4));
    // Dropping a family is the caller's choice: the shrink guard does not count it.
    Guards guards = Guards.defaults();

    Sync.apply(TARGET, v4snapshot, context(v4only, recorder()), guards);

    assertThat(sandbox.firewallCmd("--get-ipsets").strip()).isEqualTo("cloudflare-v4 mine");
    assertThat(sandbox.firewallCmd("--permanent", "--get-ipsets").strip())
        .isEqualTo("cloudflare-v4 mine");
    assertThat(sandbox.firewallCmd("--zone=cloudflare", "--list-sources").strip())
        .isEqualTo("ipset:cloudflare-v4");
    assertThat(Sync.plan(TARGET, v4snapshot, context(v4only, recorder())).hasChanges()).isFalse();
  }

  @Test
  @Order(12)
  void foreignSettingInTheZoneIsRefusedNamingTheLine() throws Exception {
    sandbox.firewallCmd("--zone=cloudflare", "--add-service=ssh");
    try {
      assertThatThrownBy(() -> Sync.plan(TARGET, SNAPSHOT, context()))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("zones/cloudflare.xml line")
          .hasMessageContaining("<service name=\"ssh\"/>");
    } finally {
      sandbox.firewallCmd("--zone=cloudflare", "--remove-service=ssh");
    }
  }

  @Test
  @Order(13)
  void uninstallRemovesOnlyOwnObjectsAndRestoresTheConfigurationFiles() throws Exception {
    assertThat(Sync.uninstall(TARGET, context())).isTrue();

    assertThat(sandbox.configFiles().keySet()).isEqualTo(beforeInstall.keySet());
    assertThat(sandbox.configFiles()).isEqualTo(beforeInstall);
    assertThat(sandbox.firewallCmd("--get-ipsets").strip()).isEqualTo("mine");
    assertThat(sandbox.firewallCmd("--get-zones")).doesNotContain("cloudflare");
    assertThat(sandbox.firewallCmd("--zone=public", "--list-ports").strip()).isEqualTo("2222/tcp");
    assertThat(TARGET.readLive(context())).isEmpty();
    assertThat(Sync.uninstall(TARGET, context())).isFalse();
  }

  @Test
  @Order(14)
  void failedInstallLeavesNothingBehind() throws Exception {
    RecordingCommandRunner failing = recorder().failing(c -> c.display().contains("--add-source"));

    assertThatThrownBy(
            () -> Sync.apply(TARGET, SNAPSHOT, context(OPTIONS, failing), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("--add-source")
        .hasMessageContaining("the previous configuration was put back");

    assertThat(TARGET.readLive(context())).isEmpty();
    assertThat(sandbox.configFiles()).isEqualTo(beforeInstall);
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
