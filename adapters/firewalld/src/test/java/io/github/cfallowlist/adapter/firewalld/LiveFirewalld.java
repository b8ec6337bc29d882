package io.github.cfallowlist.adapter.firewalld;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * One {@link FirewalldSandbox} for a test class, registered as a static {@code @RegisterExtension}
 * field: firewalld started in the origin namespace of an {@link EdgeAndOrigin} pair, with objects
 * of the user's own in it and the default zone {@code block}, before the class's first test, and
 * stopped after its last.
 *
 * <p>When root or a tool is missing, every test of the class is reported skipped with the reason
 * (none vanishes from the count); with {@code CF_ALLOWLIST_SYSTEM_TESTS=required} the class fails
 * instead.
 */
final class LiveFirewalld implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  static final FirewalldTarget TARGET = new FirewalldTarget();
  static final TargetOptions OPTIONS = TargetOptions.defaults();
  static final RangeSnapshot SNAPSHOT = FirewalldFixtures.embedded();

  private String skipped;
  private AssertionError missing;
  private EdgeAndOrigin net;
  private FirewalldSandbox sandbox;
  private Map<String, String> beforeInstall;

  /**
   * Starts firewalld and adds an ipset and a port of the user's own, which uninstall must leave
   * alone; the default zone {@code block} refuses everyone the {@code cloudflare} zone does not
   * admit.
   */
  @Override
  public void beforeAll(ExtensionContext context) {
    try {
      SystemTests.requireTools(
          "ip",
          "nsenter",
          "unshare",
          "dbus-daemon",
          "firewalld",
          "firewall-cmd",
          "firewall-offline-cmd",
          "curl");
    } catch (TestAbortedException e) {
      // Reported on every test by beforeEach, so each shows up as skipped with the reason.
      skipped = e.getMessage();
      return;
    } catch (AssertionError e) {
      // Required but missing: every test fails with the reason.
      missing = e;
      return;
    }
    net = EdgeAndOrigin.create();
    try {
      sandbox = FirewalldSandbox.startIn(net.origin());
    } catch (RuntimeException | Error e) {
      net.close();
      net = null;
      throw e;
    }
    sandbox.firewallCmd("--permanent", "--new-ipset=mine", "--type=hash:ip");
    sandbox.firewallCmd("--permanent", "--zone=public", "--add-port=2222/tcp");
    sandbox.firewallCmd("--set-default-zone=block");
    sandbox.firewallCmd("--reload");
    beforeInstall = sandbox.configFiles();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (missing != null) {
      throw new AssertionError(missing.getMessage(), missing);
    }
    Assumptions.assumeTrue(skipped == null, () -> skipped);
  }

  /** Stops firewalld and deletes the sandbox and the namespaces. */
  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (sandbox != null) {
        sandbox.close();
        sandbox = null;
      }
    } finally {
      if (net != null) {
        net.close();
        net = null;
      }
    }
  }

  /** The edge and origin namespaces; firewalld filters the origin's. */
  EdgeAndOrigin net() {
    return net;
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

  /** The runner into the sandbox. */
  CommandRunner runner() {
    return sandbox.runner();
  }

  /** A runner into the sandbox that records the commands it runs. */
  RecordingCommandRunner recorder() {
    return RecordingCommandRunner.wrapping(sandbox.runner());
  }

  /** A context with {@code options} and {@code runner}. */
  TargetContext context(TargetOptions options, CommandRunner runner) {
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

  /** Both configurations as they are now, read afresh. */
  FirewalldLive.Reading reading() {
    try {
      return new FirewalldLive(sandbox.runner(), false).read();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Applies {@code snapshot} with the default options and guards. */
  void apply(RangeSnapshot snapshot) {
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
}
