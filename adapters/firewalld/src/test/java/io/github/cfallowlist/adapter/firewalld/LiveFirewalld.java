package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link FirewalldSandbox} for a test class of {@link FirewalldLiveTest}'s kind, registered as
 * a static {@code @RegisterExtension} field: started with objects of the user's own in it before
 * the class's first test (and its {@code @BeforeAll} methods), stopped after its last. Offers the
 * helpers those classes share: contexts that record what runs, apply, and the entries of the
 * target's ipsets in the runtime and permanent configuration.
 */
final class LiveFirewalld implements BeforeAllCallback, AfterAllCallback {
  static final FirewalldTarget TARGET = new FirewalldTarget();
  static final TargetOptions OPTIONS = TargetOptions.defaults();
  static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();

  private FirewalldSandbox sandbox;
  private Map<String, String> beforeInstall;

  /**
   * Starts firewalld in a sandbox of its own and adds an ipset and a port of the user's own, which
   * uninstall must leave alone.
   */
  @Override
  public void beforeAll(ExtensionContext context) {
    SystemTests.requireTools(
        "ip", "nsenter", "unshare", "dbus-daemon", "firewalld", "firewall-cmd");
    sandbox = FirewalldSandbox.start();
    sandbox.firewallCmd("--permanent", "--new-ipset=mine", "--type=hash:ip");
    sandbox.firewallCmd("--permanent", "--zone=public", "--add-port=2222/tcp");
    sandbox.firewallCmd("--reload");
    beforeInstall = sandbox.configFiles();
  }

  /** Stops firewalld and deletes the sandbox. */
  @Override
  public void afterAll(ExtensionContext context) {
    if (sandbox != null) {
      sandbox.close();
      sandbox = null;
    }
  }

  /** The sandbox's configuration files as {@link #beforeAll} left them, before any install. */
  Map<String, String> beforeInstall() {
    return beforeInstall;
  }

  /** See {@link FirewalldSandbox#firewallCmd}. */
  String firewallCmd(String... args) {
    return sandbox.firewallCmd(args);
  }

  /** See {@link FirewalldSandbox#configFiles()}. */
  Map<String, String> configFiles() {
    return sandbox.configFiles();
  }

  /** See {@link FirewalldSandbox#configDir}. */
  Path configDir() {
    return sandbox.configDir();
  }

  /** A runner into the sandbox that records the commands it runs. */
  RecordingCommandRunner recorder() {
    return RecordingCommandRunner.wrapping(sandbox.runner());
  }

  TargetContext context(TargetOptions options, RecordingCommandRunner runner) {
    return new TargetContext(options, runner);
  }

  /** A context with {@code options} and a fresh {@link #recorder()}. */
  TargetContext context(TargetOptions options) {
    return context(options, recorder());
  }

  /** A context with the default options and a fresh {@link #recorder()}. */
  TargetContext context() {
    return context(OPTIONS);
  }

  /** Applies {@code snapshot} with the default options and guards. */
  void apply(RangeSnapshot snapshot) throws IOException {
    Sync.apply(TARGET, snapshot, context(), Guards.defaults());
  }

  /** The entries of {@code ipset}, sorted, in the permanent or the runtime configuration. */
  List<String> entries(String ipset, boolean permanent) {
    List<String> args = new ArrayList<>();
    if (permanent) {
      args.add("--permanent");
    }
    args.add("--ipset=" + ipset);
    args.add("--get-entries");
    return sandbox.firewallCmd(args.toArray(String[]::new)).lines().sorted().toList();
  }

  /** Asserts that both ipsets hold exactly {@code ranges}, at runtime and permanently. */
  void assertEntries(RangeSet ranges) {
    for (boolean permanent : List.of(false, true)) {
      assertThat(entries("cloudflare-v4", permanent)).isEqualTo(sorted(ranges.ipv4()));
      assertThat(entries("cloudflare-v6", permanent)).isEqualTo(sorted(ranges.ipv6()));
    }
  }

  private static List<String> sorted(List<Cidr> cidrs) {
    return cidrs.stream().map(Cidr::toString).sorted().toList();
  }

  /** {@link #SNAPSHOT} with the IPv4 ranges {@code remove} taken out and {@code add} put in. */
  static RangeSnapshot changedV4(List<String> remove, List<String> add) {
    List<Cidr> v4 = new ArrayList<>(SNAPSHOT.ranges().ipv4());
    remove.forEach(r -> v4.remove(Cidr.parse(r)));
    add.forEach(a -> v4.add(Cidr.parse(a)));
    return SNAPSHOT.withRanges(new RangeSet(v4, SNAPSHOT.ranges().ipv6()));
  }
}
