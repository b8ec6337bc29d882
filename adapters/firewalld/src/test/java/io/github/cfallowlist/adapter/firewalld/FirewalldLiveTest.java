package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.OPTIONS;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.SNAPSHOT;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.TARGET;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.changedV4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The target against a real firewalld running in a sandbox (own network namespace, own D-Bus, own
 * scratch {@code /etc/firewalld}).
 *
 * <p>Every firewall-cmd starts Python (a few tenths of a second each), so one firewalld serves the
 * whole class and the tests run in order as one life cycle: install, no-op, changes, reload,
 * overlapping replacement, drift ({@link FirewalldChangeTest} goes on with failures and uninstall).
 * Each test names the behaviour it proves and starts from the state the previous one left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewalldLiveTest {
  @RegisterExtension static final LiveFirewalld firewalld = new LiveFirewalld();

  @Test
  @Order(1)
  void readLiveIsEmptyBeforeInstall() throws Exception {
    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    assertThat(Sync.plan(TARGET, SNAPSHOT, firewalld.context()).isInstall()).isTrue();
  }

  @Test
  @Order(2)
  void installPutsRangesAndPortsInRuntimeAndPermanentConfiguration() throws Exception {
    firewalld.apply(SNAPSHOT);

    firewalld.assertEntries(SNAPSHOT.ranges());
    assertThat(firewalld.firewallCmd("--info-zone=cloudflare"))
        .contains("sources: ipset:cloudflare-v4 ipset:cloudflare-v6")
        .contains("ports: 80/tcp 443/tcp");
    assertThat(firewalld.firewallCmd("--permanent", "--info-zone=cloudflare"))
        .contains("sources: ipset:cloudflare-v4 ipset:cloudflare-v6")
        .contains("ports: 80/tcp 443/tcp");
  }

  @Test
  @Order(3)
  void filesFirewalldWroteHaveTheRenderedShapeAndParse() throws Exception {
    List<Rendered.File> files = new ArrayList<>();
    for (String name :
        List.of("ipsets/cloudflare-v4.xml", "ipsets/cloudflare-v6.xml", "zones/cloudflare.xml")) {
      files.add(new Rendered.File(name, Files.readString(firewalld.configDir().resolve(name))));
    }
    Rendered written = new Rendered(files);
    Rendered rendered = TARGET.render(SNAPSHOT, OPTIONS);

    assertThat(TARGET.parse(written, OPTIONS)).isEqualTo(SNAPSHOT.ranges());
    for (Rendered.File file : written.files()) {
      // firewalld writes no header; below it the bytes are ours
      assertThat(rendered.file(file.name()).orElseThrow().body())
          .isEqualTo(file.content().replace(Xml.DECLARATION, "-->\n"));
    }
  }

  @Test
  @Order(4)
  void secondApplyOfTheSameRangesRunsOnlyReads() throws Exception {
    RecordingCommandRunner runner = firewalld.recorder();

    Plan plan = Sync.apply(TARGET, SNAPSHOT, firewalld.context(OPTIONS, runner), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands()).isNotEmpty();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  @Order(5)
  void changedListAddsAndRemovesExactlyThePlannedEntriesWithoutReload() throws Exception {
    List<Cidr> v6 = new ArrayList<>(SNAPSHOT.ranges().ipv6());
    v6.add(Cidr.parse("2a09:bac0::/29"));
    List<Cidr> v4 = changedV4(List.of("131.0.72.0/22"), List.of("45.64.64.0/22")).ranges().ipv4();
    RangeSnapshot changed = SNAPSHOT.withRanges(new RangeSet(v4, v6));
    RecordingCommandRunner runner = firewalld.recorder();

    Plan plan = Sync.apply(TARGET, changed, firewalld.context(OPTIONS, runner), Guards.defaults());

    assertThat(plan.added(IpFamily.IPV4)).containsExactly(Cidr.parse("45.64.64.0/22"));
    assertThat(plan.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("131.0.72.0/22"));
    assertThat(plan.added(IpFamily.IPV6)).containsExactly(Cidr.parse("2a09:bac0::/29"));
    assertThat(plan.removed(IpFamily.IPV6)).isEmpty();
    firewalld.assertEntries(changed.ranges());
    List<Command> modifying = runner.modifyingCommands();
    // one bulk command per ipset, direction and configuration; additions before removals;
    // runtime first; no reload
    assertThat(modifying.stream().map(Command::display))
        .containsExactly(
            "firewall-cmd --ipset=cloudflare-v4 --add-entries-from-file=/dev/stdin",
            "firewall-cmd --ipset=cloudflare-v6 --add-entries-from-file=/dev/stdin",
            "firewall-cmd --ipset=cloudflare-v4 --remove-entries-from-file=/dev/stdin",
            "firewall-cmd --permanent --ipset=cloudflare-v4 --add-entries-from-file=/dev/stdin",
            "firewall-cmd --permanent --ipset=cloudflare-v6 --add-entries-from-file=/dev/stdin",
            "firewall-cmd --permanent --ipset=cloudflare-v4 --remove-entries-from-file=/dev/stdin");
    assertThat(modifying.get(0).stdin()).contains("45.64.64.0/22\n");
    assertThat(modifying.get(2).stdin()).contains("131.0.72.0/22\n");
  }

  @Test
  @Order(6)
  void runtimeAndPermanentAgreeAfterReload() throws Exception {
    Optional<Rendered> before = TARGET.readLive(firewalld.context());

    firewalld.firewallCmd("--reload");

    assertThat(TARGET.readLive(firewalld.context())).isEqualTo(before);
    assertThat(before.orElseThrow().text()).doesNotContain(FirewalldXml.DRIFT);
  }

  @Test
  @Order(7)
  void overlappingReplacementIsSwappedBecauseFirewalldRefusesOverlaps() throws Exception {
    // Cloudflare's 2021 change: 104.16.0.0/12 became 104.16.0.0/13 + 104.24.0.0/14.
    RangeSnapshot old =
        changedV4(List.of("104.16.0.0/13", "104.24.0.0/14"), List.of("104.16.0.0/12"));
    firewalld.apply(old);
    firewalld.assertEntries(old.ranges());

    firewalld.apply(SNAPSHOT);

    firewalld.assertEntries(SNAPSHOT.ranges());
  }

  @Test
  @Order(8)
  void runtimeOnlyRemovalShowsAsChangeAndApplyPutsItBack() throws Exception {
    firewalld.firewallCmd("--ipset=cloudflare-v4", "--remove-entry=173.245.48.0/20");

    Plan plan = Sync.plan(TARGET, SNAPSHOT, firewalld.context());
    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.added(IpFamily.IPV4)).containsExactly(Cidr.parse("173.245.48.0/20"));
    assertThat(plan.diff()).contains(FirewalldXml.DRIFT);

    firewalld.apply(SNAPSHOT);
    firewalld.assertEntries(SNAPSHOT.ranges());
    assertThat(Sync.plan(TARGET, SNAPSHOT, firewalld.context()).hasChanges()).isFalse();
  }
}
