package io.github.cfallowlist.adapter.firewalld;

import static io.github.cfallowlist.adapter.firewalld.FirewalldFixtures.changedV4;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.OPTIONS;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.SNAPSHOT;
import static io.github.cfallowlist.adapter.firewalld.LiveFirewalld.TARGET;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V6;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.adapter.firewalld.FaultInjectingRunner.Fault;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The target against a real firewalld running in a sandbox (own network namespace, own D-Bus, own
 * scratch {@code /etc/firewalld}), and its files against the real {@code firewall-offline-cmd}.
 *
 * <p>Every firewall-cmd starts Python (a few tenths of a second each), so one firewalld serves the
 * whole class and the tests run in order as one life cycle: error 521 reproduced and fixed,
 * install, no-op, changes, reload, overlapping replacement, drift, failures (each outcome checked
 * against a fresh reading), option changes, leftovers, foreign settings, uninstall. Each test names
 * the behaviour it proves and starts from the state the previous one left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirewalldSystemTest {
  @RegisterExtension static final LiveFirewalld firewalld = new LiveFirewalld();

  private static final int PORT = 8080;
  private static final RangeSnapshot CHANGED =
      changedV4(List.of("131.0.72.0/22"), List.of("45.64.64.0/22"));
  private static final String SET_ENTRIES = "python3 -I -c <firewalld set-entries> ";
  private static final String RT_SET_V4 = SET_ENTRIES + "runtime cloudflare-v4 30";
  private static final String PERM_SET_V4 = SET_ENTRIES + "--permanent cloudflare-v4 30";

  @Test
  @Order(0)
  void onlyCloudflareReachesTheOriginAfterApplyAndNobodyAfterUninstall() {
    var net = firewalld.net();
    net.startHttpServer(PORT);
    // The default zone "block" opens nothing and rejects, so refused probes return at once.
    assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare before apply: the 521").isZero();

    TargetOptions options = OPTIONS.withPorts(List.of(PORT));
    TargetContext context = firewalld.context(options);
    Sync.apply(TARGET, SNAPSHOT, context, Guards.defaults());

    assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare IPv4").isEqualTo(200);
    assertThat(net.probe(EDGE_CF_V6, PORT)).as("Cloudflare IPv6").isEqualTo(200);
    assertThat(net.probe(EDGE_OTHER_V4, PORT)).as("other IPv4").isZero();
    assertThat(net.probe(EDGE_OTHER_V6, PORT)).as("other IPv6").isZero();

    RecordingCommandRunner again = firewalld.recorder();
    Plan noop = Sync.apply(TARGET, SNAPSHOT, firewalld.context(options, again), Guards.defaults());
    assertThat(noop.hasChanges()).isFalse();
    assertThat(again.modifyingCommands()).isEmpty();
    assertThat(net.probe(EDGE_CF_V4, PORT)).isEqualTo(200);

    assertThat(Sync.uninstall(TARGET, context)).isTrue();
    assertThat(firewalld.configFiles()).isEqualTo(firewalld.beforeInstall());
    assertThat(net.probe(EDGE_CF_V4, PORT)).as("Cloudflare after uninstall").isZero();
  }

  @Test
  @Order(1)
  void readLiveIsEmptyBeforeInstall() throws Exception {
    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    assertThat(TARGET.leftovers(firewalld.context(OPTIONS.withFamilies(Families.IPV4)))).isEmpty();
    assertThat(Sync.plan(TARGET, SNAPSHOT, firewalld.context()).isInstall()).isTrue();
  }

  @Test
  @Order(2)
  void installPutsRangesAndPortsInRuntimeAndPermanentConfiguration() {
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
          .isEqualTo(file.content().replace(Xml.DECLARATION, ""));
    }
  }

  @Test
  @Order(4)
  void secondApplyOfTheSameRangesRunsOnlyReads() {
    RecordingCommandRunner runner = firewalld.recorder();

    Plan plan = Sync.apply(TARGET, SNAPSHOT, firewalld.context(OPTIONS, runner), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands()).isNotEmpty();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  @Order(5)
  void changedListReplacesEachIpsetInOneCallWithoutReload() {
    List<Cidr> v6 = new ArrayList<>(SNAPSHOT.ranges().ipv6());
    v6.add(Cidr.parse("2a09:bac0::/29"));
    RangeSnapshot changed = SNAPSHOT.withRanges(new RangeSet(CHANGED.ranges().ipv4(), v6));
    RecordingCommandRunner runner = firewalld.recorder();

    Plan plan = Sync.apply(TARGET, changed, firewalld.context(OPTIONS, runner), Guards.defaults());

    assertThat(plan.added(IpFamily.IPV4)).containsExactly(Cidr.parse("45.64.64.0/22"));
    assertThat(plan.removed(IpFamily.IPV4)).containsExactly(Cidr.parse("131.0.72.0/22"));
    assertThat(plan.added(IpFamily.IPV6)).containsExactly(Cidr.parse("2a09:bac0::/29"));
    assertThat(plan.removed(IpFamily.IPV6)).isEmpty();
    firewalld.assertEntries(changed.ranges());
    List<Command> modifying = runner.modifyingCommands();
    // one call per ipset and configuration, replacing its entries; runtime first; no reload
    assertThat(modifying.stream().map(Command::display))
        .containsExactly(
            RT_SET_V4,
            SET_ENTRIES + "runtime cloudflare-v6 30",
            PERM_SET_V4,
            SET_ENTRIES + "--permanent cloudflare-v6 30");
    assertThat(modifying.get(0).stdin().orElseThrow())
        .contains("45.64.64.0/22\n")
        .doesNotContain("131.0.72.0/22");
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
  void overlappingReplacementGoesInOneCallThatFirewalldAccepts() {
    // Cloudflare's 2021 change: 104.16.0.0/12 became 104.16.0.0/13 + 104.24.0.0/14.
    RangeSnapshot old =
        changedV4(List.of("104.16.0.0/13", "104.24.0.0/14"), List.of("104.16.0.0/12"));
    firewalld.apply(old);
    firewalld.assertEntries(old.ranges());

    RecordingCommandRunner runner = firewalld.recorder();

    Sync.apply(TARGET, SNAPSHOT, firewalld.context(OPTIONS, runner), Guards.defaults());

    firewalld.assertEntries(SNAPSHOT.ranges());
    assertThat(runner.modifyingCommands())
        .extracting(Command::display)
        .containsExactly(RT_SET_V4, PERM_SET_V4);
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

  /** Plans {@code snapshot}, then applies it through {@code faults}, expecting a failure. */
  private static ApplyFailedException failedApply(
      RangeSnapshot snapshot, FaultInjectingRunner faults) throws Exception {
    Plan plan = Sync.plan(TARGET, snapshot, firewalld.context());
    return catchThrowableOfType(
        ApplyFailedException.class, () -> TARGET.apply(plan, firewalld.context(OPTIONS, faults)));
  }

  @Test
  @Order(9)
  void failedPermanentChangeIsUndoneAndReportedRestored() throws Exception {
    firewalld.apply(SNAPSHOT);
    FirewalldLive.Reading before = firewalld.reading();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(c -> c.display().equals(PERM_SET_V4), Fault.FAIL);

    ApplyFailedException e = failedApply(CHANGED, faults);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining(PERM_SET_V4).hasMessageContaining("injected");
    assertThat(firewalld.reading()).isEqualTo(before);
    firewalld.assertEntries(SNAPSHOT.ranges());
  }

  @Test
  @Order(10)
  void lostReplyAfterTheChangeTookEffectIsUndoneFromAFreshReading() throws Exception {
    firewalld.apply(SNAPSHOT);
    FirewalldLive.Reading before = firewalld.reading();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(c -> c.display().equals(RT_SET_V4), Fault.LOSE_REPLY_AFTER);

    ApplyFailedException e = failedApply(CHANGED, faults);

    assertThat(faults.allUsed()).isTrue();
    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(firewalld.reading()).isEqualTo(before);
    assertThat(firewalld.entries("cloudflare-v4", false)).doesNotContain("45.64.64.0/22");
  }

  @Test
  @Order(11)
  void lostReplyAndFailedUndoAreStateUnknownAsAFreshReadingConfirms() throws Exception {
    firewalld.apply(SNAPSHOT);
    FirewalldLive.Reading before = firewalld.reading();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(c -> c.display().equals(RT_SET_V4), Fault.LOSE_REPLY_AFTER)
            .fault(Command::modifies, Fault.FAIL);

    ApplyFailedException e = failedApply(CHANGED, faults);

    assertThat(faults.allUsed()).isTrue();
    FirewalldLive.Reading now = firewalld.reading();
    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(now).isNotEqualTo(before);
    assertThat(now.differences(before))
        .containsExactly("runtime ipset cloudflare-v4 entries +45.64.64.0/22 -131.0.72.0/22");
    assertThat(e)
        .hasMessageEndingWith("firewalld now differs from it: " + now.differences(before).get(0));

    // The next run repairs it.
    firewalld.apply(SNAPSHOT);
    assertThat(firewalld.reading()).isEqualTo(before);
  }

  /**
   * An entry list cut short on its way to firewalld (a run killed while a command started, or a
   * caller's own runner that dropped the end of the input) changes nothing, runtime or permanent,
   * rather than replacing the ipset with the part that arrived.
   */
  @Test
  @Order(11)
  void anEntryListCutShortChangesNeitherConfiguration() throws Exception {
    firewalld.apply(SNAPSHOT);
    FirewalldLive.Reading before = firewalld.reading();
    FirewalldLive live = new FirewalldLive(firewalld.runner(), false);
    List<String> entries = CHANGED.ranges().ipv4().stream().map(Cidr::toString).toList();

    for (boolean permanent : List.of(false, true)) {
      Command whole = live.replaceEntries(permanent, IpFamily.IPV4, entries);
      String input = whole.stdin().orElseThrow();
      for (String cut : List.of("", input.substring(0, input.indexOf('\n') + 1), input.strip())) {
        CommandResult result =
            firewalld
                .runner()
                .run(new Command(whole.argv(), Optional.of(cut), true, whole.timeout()));

        assertThat(result.exitCode()).as("%s", cut).isEqualTo(2);
        assertThat(result.stderr())
            .contains("the entries for cloudflare-v4 ended before their end line");
        assertThat(firewalld.reading()).isEqualTo(before);
      }
    }
  }

  @Test
  @Order(12)
  void otherPortsShowAsAChangeAndApplyMovesThem() {
    TargetOptions other = OPTIONS.withPorts(List.of(443, 8443));
    assertThat(hasChanges(other, SNAPSHOT)).isTrue();

    Sync.apply(TARGET, SNAPSHOT, firewalld.context(other), Guards.defaults());

    assertThat(firewalld.firewallCmd("--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
    assertThat(firewalld.firewallCmd("--permanent", "--zone=cloudflare", "--list-ports").strip())
        .isEqualTo("443/tcp 8443/tcp");
  }

  private static boolean hasChanges(TargetOptions options, RangeSnapshot snapshot) {
    try {
      return Sync.plan(TARGET, snapshot, firewalld.context(options)).hasChanges();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @Order(13)
  void droppedFamilyIsALeftoverThatApplyDeletesWithItsSource() throws Exception {
    TargetOptions v4only = OPTIONS.withFamilies(Families.IPV4);
    RangeSnapshot v4snapshot = SNAPSHOT.withRanges(SNAPSHOT.ranges().restrictTo(Families.IPV4));
    assertThat(TARGET.leftovers(firewalld.context(v4only))).containsExactly("ipset cloudflare-v6");

    Sync.apply(TARGET, v4snapshot, firewalld.context(v4only), Guards.defaults());

    assertThat(firewalld.firewallCmd("--get-ipsets").strip()).isEqualTo("cloudflare-v4 mine");
    assertThat(firewalld.firewallCmd("--permanent", "--get-ipsets").strip())
        .isEqualTo("cloudflare-v4 mine");
    assertThat(firewalld.firewallCmd("--zone=cloudflare", "--list-sources").strip())
        .isEqualTo("ipset:cloudflare-v4");
    assertThat(TARGET.leftovers(firewalld.context(v4only))).isEmpty();
    assertThat(hasChanges(v4only, v4snapshot)).isFalse();
  }

  @Test
  @Order(14)
  void foreignSettingInTheZoneIsRefusedNamingTheLine() {
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
  @Order(15)
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
  @Order(16)
  void failedInstallLeavesNothingBehind() throws Exception {
    FirewalldLive.Reading before = firewalld.reading();
    FaultInjectingRunner faults =
        new FaultInjectingRunner(firewalld.runner())
            .fault(c -> c.display().contains("--add-source"), Fault.FAIL);

    ApplyFailedException e = failedApply(SNAPSHOT, faults);

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining("--add-source");
    assertThat(firewalld.reading()).isEqualTo(before);
    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    assertThat(firewalld.configFiles()).isEqualTo(firewalld.beforeInstall());
  }

  @Test
  @Order(17)
  void stoppedFirewalldIsReportedInOneSentence() {
    try (FirewalldSandbox noDaemon = FirewalldSandbox.startWithoutFirewalld()) {
      TargetContext ctx = new TargetContext(OPTIONS, noDaemon.runner());

      assertThatThrownBy(() -> Sync.plan(TARGET, SNAPSHOT, ctx))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageStartingWith("firewalld is not running")
          .hasMessageContaining("offline=true");
    }
  }

  // ---- the rendered files and the offline setting, against firewall-offline-cmd

  private static String offlineCmd(OfflineConfig config, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("firewall-offline-cmd"));
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
      for (IpFamily family : options.families().members()) {
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
    Path stock = Path.of("/usr/lib/firewalld", file.getKey());
    try {
      return Files.exists(stock) && Files.readString(stock).strip().equals(file.getValue().strip());
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  @Order(18)
  void firewalldAcceptsTheRenderedFilesForBothFamilies() throws Exception {
    assertAccepted(TargetOptions.defaults());
  }

  @Test
  @Order(19)
  void firewalldAcceptsTheRenderedFilesForOneFamilyAndOtherPorts() throws Exception {
    assertAccepted(TargetOptions.defaults().withFamilies(Families.IPV4).withPorts(List.of(8080)));
    assertAccepted(TargetOptions.defaults().withFamilies(Families.IPV6));
  }

  @Test
  @Order(20)
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
      Plan again = Sync.apply(TARGET, CHANGED, ctx, Guards.defaults());
      assertThat(again.hasChanges()).isTrue();
      assertThat(TARGET.parse(TARGET.readLive(ctx).orElseThrow(), options))
          .isEqualTo(CHANGED.ranges());
      runner.clear();
      Plan noop = Sync.apply(TARGET, CHANGED, ctx, Guards.defaults());
      assertThat(noop.hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();

      assertThat(Sync.uninstall(TARGET, ctx)).isTrue();
      Map<String, String> after = new TreeMap<>(config.files());
      // firewall-offline-cmd saves a copy of the stock default zone when it creates a zone; that
      // copy says exactly what the stock file says, so it is not a change of configuration.
      after.entrySet().removeIf(e -> !before.containsKey(e.getKey()) && isStockCopy(e));
      assertThat(after).isEqualTo(before);
    }
  }

  private static final String REJECT_CLOUDFLARE =
      "rule family=\"ipv4\" source address=\"173.245.48.0/20\" reject";

  @Test
  @Order(21)
  void diagnoseFailsOnARichRuleRejectingACloudflareRangeInOurZoneButNotInAnotherZone()
      throws Exception {
    TargetContext context = firewalld.context(OPTIONS.withPorts(List.of(443)));
    Sync.apply(TARGET, SNAPSHOT, context, Guards.defaults());
    assertThat(diagnose(context).status()).isEqualTo(Finding.Status.OK);

    firewalld.firewallCmd("--zone=cloudflare", "--add-rich-rule=" + REJECT_CLOUDFLARE);
    Finding f = diagnose(context);
    assertThat(f.status()).isEqualTo(Finding.Status.FAIL);
    assertThat(f.found())
        .contains(
            "the rich rule '"
                + REJECT_CLOUDFLARE
                + "' in zone cloudflare refuses port 443 for 173.245.48.0/20");
    assertThat(f.remedy()).contains("firewall-cmd --zone=cloudflare --remove-rich-rule=");

    firewalld.firewallCmd("--zone=cloudflare", "--remove-rich-rule=" + REJECT_CLOUDFLARE);
    // The public zone never sees Cloudflare's traffic: our zone's sources dispatch it first.
    firewalld.firewallCmd("--zone=public", "--add-rich-rule=" + REJECT_CLOUDFLARE);
    assertThat(diagnose(context).status()).isEqualTo(Finding.Status.OK);
    firewalld.firewallCmd("--zone=public", "--remove-rich-rule=" + REJECT_CLOUDFLARE);
    Sync.uninstall(TARGET, context);
  }

  @Test
  @Order(22)
  void readStatePrintsWhatFirewallCmdPrintsForEverySettingOfAZoneAndAnIpset() throws Exception {
    String zone = "--zone=readcheck";
    List<String> permanentOnly =
        List.of(
            "--permanent --new-zone=readcheck",
            "--permanent --new-ipset=readcheck-v4 --type=hash:net --option=family=inet"
                + " --option=maxelem=4096 --option=hashsize=2048",
            "--permanent --new-ipset=readcheck-v6 --type=hash:net --option=family=inet6",
            "--permanent --new-ipset=readcheck-port --type=hash:ip,port",
            "--permanent --ipset=readcheck-v4 --add-entry=192.0.2.0/24",
            "--permanent --ipset=readcheck-v4 --add-entry=198.51.100.7",
            "--permanent --ipset=readcheck-v6 --add-entry=2001:db8::/32",
            "--permanent --ipset=readcheck-port --add-entry=192.0.2.1,tcp:443",
            "--permanent " + zone + " --set-target=DROP",
            "--reload");
    List<String> both =
        List.of(
            zone + " --add-interface=cfcheck1",
            zone + " --add-interface=cfcheck0",
            zone + " --add-source=203.0.113.0/24",
            zone + " --add-source=ipset:readcheck-v6",
            zone + " --add-service=ssh",
            zone + " --add-service=http",
            zone + " --add-port=8443/tcp",
            zone + " --add-port=60000-61000/udp",
            zone + " --add-protocol=gre",
            zone + " --add-source-port=53/udp",
            zone + " --add-icmp-block=echo-request",
            zone + " --add-icmp-block-inversion",
            zone + " --add-masquerade",
            zone + " --add-forward",
            zone + " --add-forward-port=port=2222:proto=tcp:toport=22",
            zone + " --add-forward-port=port=8080:proto=tcp:toport=80:toaddr=192.0.2.9",
            zone
                + " --add-rich-rule=rule priority=\"5\" family=\"ipv4\" source"
                + " address=\"192.0.2.0/24\" accept",
            zone + " --add-rich-rule=rule family=\"ipv6\" source address=\"2001:db8::/32\" drop",
            zone + " --add-rich-rule=rule priority=\"-3\" service name=\"ftp\" reject");
    try {
      for (String change : permanentOnly) {
        firewalld.firewallCmd(change.split(" (?=--)", -1));
      }
      for (String change : both) {
        firewalld.firewallCmd(change.split(" (?=--)", -1));
        firewalld.firewallCmd(("--permanent " + change).split(" (?=--)", -1));
      }
      // The runtime differs from the permanent configuration in one setting.
      firewalld.firewallCmd(zone, "--remove-service=http");

      List<String> queries = new ArrayList<>();
      for (String where : List.of("runtime", "permanent")) {
        for (String what :
            List.of(
                "--info-zone=readcheck",
                "--info-zone=public",
                "--info-zone=block",
                "--info-ipset=readcheck-v4",
                "--info-ipset=readcheck-v6",
                "--info-ipset=readcheck-port")) {
          queries.add(where + " " + what);
        }
      }
      List<String> argv = new ArrayList<>(List.of("python3", "-I", "-c", readStateScript()));
      argv.addAll(queries);
      argv.add("runtime --info-zone=nosuchzone");
      argv.add("permanent --info-ipset=nosuchipset");
      String printed = firewalld.runner().runChecked(Command.read(argv)).stdout();

      StringBuilder expected = new StringBuilder();
      for (String query : queries) {
        String[] parts = query.split(" ", 2);
        String answer =
            parts[0].equals("permanent")
                ? firewalld.firewallCmd("--permanent", parts[1])
                : firewalld.firewallCmd(parts[1]);
        expected.append("@@ ").append(query).append('\n').append(answer);
      }
      expected.append("@@ runtime --info-zone=nosuchzone missing\n");
      expected.append("@@ permanent --info-ipset=nosuchipset missing\n");
      assertThat(printed).isEqualTo(expected.toString());
      assertThat(printed)
          .as("every setting was set, so the comparison covers each line's shape")
          .contains("readcheck (active)", "target: DROP", "icmp-block-inversion: yes")
          .contains("\n\tport=2222:proto=tcp:toport=22:toaddr=\n")
          .contains("rich rules: \n\trule priority=\"-3\"")
          .contains("options: family=inet maxelem=4096 hashsize=2048")
          .contains("entries: 192.0.2.1,tcp:443");
    } finally {
      firewalld.firewallCmd("--permanent", "--delete-zone=readcheck");
      for (String ipset : List.of("readcheck-v4", "readcheck-v6", "readcheck-port")) {
        firewalld.firewallCmd("--permanent", "--delete-ipset=" + ipset);
      }
      firewalld.firewallCmd("--reload");
    }
  }

  private static String readStateScript() throws IOException {
    try (InputStream in = FirewalldLive.class.getResourceAsStream("read-state.py")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Finding diagnose(TargetContext context) throws Exception {
    List<Finding> findings = TARGET.diagnose(new Diagnosis(SNAPSHOT, List.of(443), context));
    assertThat(findings).singleElement().extracting(Finding::check).isEqualTo("firewalld rules");
    return findings.get(0);
  }

  @Test
  @Order(23)
  void oneHundredThousandRangesInstallAndTakeASecondFamilyThoughEachReloadOutlastsFirewallCmd()
      throws Exception {
    // firewalld takes longer to load this many entries than firewall-cmd waits for a reload.
    RangeSnapshot large = FirewalldApplyTest.withMore(100_000);
    TargetContext ipv4 = firewalld.context(OPTIONS.withFamilies(Families.IPV4));
    assertThat(TARGET.readLive(firewalld.context())).isEmpty();
    try {
      // New ipsets: created empty, reloaded, then filled.
      RangeSnapshot largeV4 = large.withRanges(large.ranges().restrictTo(Families.IPV4));
      TargetResult installed = Sync.sync(TARGET, largeV4, ipv4, Guards.defaults(), false);

      assertThat(installed.outcome()).as(installed.message()).isEqualTo(Outcome.APPLIED);
      // A family added beside the large ipset: the reload loads its 100,000 entries.
      TargetResult both = Sync.sync(TARGET, large, firewalld.context(), Guards.defaults(), false);

      assertThat(both.outcome()).as(both.message()).isEqualTo(Outcome.APPLIED);
      FirewalldLive.Reading reading = firewalld.reading();
      for (FirewalldLive.State state : List.of(reading.runtime(), reading.permanent())) {
        assertThat(state.ipsets().get(IpFamily.IPV4).entries())
            .hasSize(large.ranges().ipv4().size());
        assertThat(state.ipsets().get(IpFamily.IPV6).entries())
            .hasSize(large.ranges().ipv6().size());
      }
    } finally {
      Sync.uninstall(TARGET, firewalld.context());
    }
  }
}
