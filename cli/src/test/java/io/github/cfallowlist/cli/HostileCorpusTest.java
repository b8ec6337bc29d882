package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Header;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.RunResult;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.Targets;
import io.github.cfallowlist.adapter.firewalld.KillableFirewalld;
import io.github.cfallowlist.testing.Bodies;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every body of the hostile corpus against every live target, through the run API: a target that
 * holds a list is left byte for byte as it was, and one that holds nothing gets the last good list,
 * never the hostile one. The firewall targets run in a network namespace of their own, firewalld
 * with a private D-Bus ({@link KillableFirewalld}).
 */
class HostileCorpusTest {
  @TempDir Path dir;
  @StartStop private final MockWebServer server = new MockWebServer();
  private Netns ns;
  private KillableFirewalld firewalld;

  @BeforeEach
  void createNamespace() {
    SystemTests.requireTools("ip", "nft", "iptables-restore", "ip6tables-restore", "ipset");
    ns = Netns.create("cfhostile");
  }

  @AfterEach
  void deleteNamespace() {
    if (ns != null) {
      ns.close();
    }
    if (firewalld != null) {
      firewalld.close();
    }
  }

  /** A private firewalld for the firewalld variant, started on first use. */
  private KillableFirewalld firewalld() {
    if (firewalld == null) {
      SystemTests.requireTools("nsenter", "unshare", "dbus-daemon", "firewalld", "firewall-cmd");
      firewalld = KillableFirewalld.start();
    }
    return firewalld;
  }

  /**
   * Debian's haproxy in the namespace, loading an ACL file in the temporary directory (which must
   * exist for it to start: a header alone) and answering on an admin socket there.
   */
  private void startHaproxy() throws Exception {
    SystemTests.requireTools("haproxy");
    Files.writeString(dir.resolve("cloudflare.acl"), "# " + Header.MARKER + "\n");
    Path config = dir.resolve("haproxy.cfg");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global",
            "  stats socket " + dir.resolve("admin.sock") + " level admin",
            "defaults",
            "  mode http",
            "  timeout client 5s",
            "  timeout server 5s",
            "  timeout connect 5s",
            "frontend www",
            "  bind 127.0.0.1:8080",
            "  acl from_cloudflare src -f " + dir.resolve("cloudflare.acl"),
            "  http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare",
            "  http-request return status 200",
            ""));
    Process p = ns.start(List.of("haproxy", "-db", "-f", config.toString()), null);
    for (int i = 0; !Files.exists(dir.resolve("admin.sock")); i++) {
      assertThat(p.isAlive() && i < 500).as("haproxy started").isTrue();
      Thread.sleep(20);
    }
  }

  private TargetOptions options(String variant) {
    TargetOptions o = TargetOptions.defaults();
    return switch (variant) {
      case "iptables-ipset" -> o.withSetting("ipset", "true");
      case "nginx" ->
          o.withSetting("nginx-file", dir.resolve("cloudflare-real-ip.conf").toString())
              .withSetting("nginx-allow-file", dir.resolve("cloudflare-allow.conf").toString())
              .withSetting("nginx-test-command", "true")
              .withSetting("nginx-reload-command", "true");
      case "haproxy" ->
          o.withSetting("haproxy-file", dir.resolve("cloudflare.acl").toString())
              .withSetting("haproxy-socket", dir.resolve("admin.sock").toString())
              // The file may go: the configuration is this test's own.
              .withSetting("haproxy-check-command", "true");
      case "apache" ->
          o.withSetting("apache-file", dir.resolve("cloudflare-remoteip.conf").toString())
              .withSetting("apache-test-command", "true")
              .withSetting("apache-reload-command", "true");
      case "caddy" ->
          o.withSetting("caddy-file", dir.resolve("cloudflare-trusted-proxies.caddy").toString())
              .withSetting("caddy-test-command", "true")
              .withSetting("caddy-reload-command", "true");
      case "fail2ban" ->
          // A .conf name, so the live state below lists it; no server runs at the socket.
          o.withSetting("fail2ban-file", dir.resolve("cloudflare-ignoreip.conf").toString())
              .withSetting("fail2ban-socket", dir.resolve("fail2ban.sock").toString())
              .withSetting("fail2ban-test-command", "true")
              .withSetting("fail2ban-reload-command", "true");
      case "crowdsec" ->
          o.withSetting("crowdsec-file", dir.resolve("cloudflare-whitelist.yaml").toString())
              .withSetting("crowdsec-test-command", "true")
              .withSetting("crowdsec-reload-command", "true");
      default -> o;
    };
  }

  private RunResult run(String variant, Run.Action action) throws Exception {
    String name = variant.startsWith("iptables") ? "iptables" : variant;
    return Run.builder()
        .source(
            RangeSource.cloudflare(
                server.url("/client/v4/ips").toString(),
                false,
                io.github.cfallowlist.HttpOptions.defaults().withRetries(1, Duration.ZERO)))
        .target(Targets.byName(name))
        .options(options(variant))
        .stateDir(StateDir.at(dir.resolve("state")))
        .lockFile(dir.resolve("run.lock"))
        .lockTimeout(Duration.ZERO)
        .action(action)
        .runner(
            variant.equals("firewalld")
                ? firewalld().runner()
                : NetnsCommandRunner.inside(ns.name()))
        .build()
        .execute();
  }

  /** The live state read with the real tools, not through the adapter. */
  private Supplier<String> liveState(String variant) {
    return switch (variant) {
      case "nftables" -> () -> ns.execChecked("nft", "list", "ruleset").stdout();
      case "firewalld" ->
          () ->
              firewalld()
                  .sh(
                      "for p in '' --permanent; do for o in --info-ipset=cloudflare-v4"
                          + " --info-ipset=cloudflare-v6 --info-zone=cloudflare; do"
                          + " firewall-cmd $p $o 2>&1 || echo \"exit $?\"; done; done");
      case "nginx", "apache", "caddy", "fail2ban", "crowdsec" ->
          () -> {
            try (var files = Files.list(dir)) {
              StringBuilder out = new StringBuilder();
              for (Path p :
                  files
                      .filter(
                          f ->
                              f.getFileName().toString().endsWith(".conf")
                                  || f.getFileName().toString().endsWith(".caddy")
                                  || f.getFileName().toString().endsWith(".yaml"))
                      .sorted()
                      .toList()) {
                out.append(p).append('\n').append(Files.readString(p));
              }
              return out.toString();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          };
      case "haproxy" ->
          () -> {
            Path acl = dir.resolve("cloudflare.acl");
            try {
              String file = Files.exists(acl) ? Files.readString(acl) : "(no file)\n";
              // The running ACL's patterns, without each entry's address in memory.
              String running =
                  ns.execChecked(
                          "python3",
                          "-c",
                          "import socket,sys; s=socket.socket(socket.AF_UNIX);"
                              + " s.connect(sys.argv[1]); s.sendall(b'show acl '"
                              + " + sys.argv[2].encode() + b'\\n');"
                              + " print(s.makefile().read())",
                          dir.resolve("admin.sock").toString(),
                          acl.toString())
                      .stdout()
                      .replaceAll("(?m)^0x[0-9a-f]+ ", "");
              return file + running;
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          };
      default ->
          () ->
              ns.execChecked("iptables-save").stdout().replaceAll("(?m)^#.*\n", "")
                  + ns.execChecked("ip6tables-save").stdout().replaceAll("(?m)^#.*\n", "")
                  // A hash set's seed and order are its own; its members are what matter.
                  + ns.execChecked("ipset", "save")
                      .stdout()
                      .replaceAll(" initval 0x[0-9a-f]+", "")
                      .lines()
                      .sorted()
                      .toList();
    };
  }

  private void serve(String body) {
    server.enqueue(new MockResponse.Builder().code(200).body(body).build());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "nftables",
        "iptables",
        "iptables-ipset",
        "firewalld",
        "nginx",
        "apache",
        "caddy",
        "haproxy",
        "fail2ban",
        "crowdsec"
      })
  void noHostileBodyEverChangesATargetOrIsInstalledOnAnEmptyOne(String variant) throws Exception {
    if (variant.equals("haproxy")) {
      startHaproxy();
    }
    serve(Bodies.api());
    assertThat(run(variant, Run.Action.APPLY).targets().get(0).outcome())
        .isEqualTo(Outcome.APPLIED);
    Supplier<String> live = liveState(variant);
    String good = live.get();
    byte[] lastGood = Files.readAllBytes(dir.resolve("state/last-good.json"));
    List<Object[]> corpus = FetchAndCheckTest.rejectedBodies();
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(12);

    for (Object[] hostile : corpus) {
      serve((String) hostile[1]);
      TargetResult result = run(variant, Run.Action.APPLY).targets().get(0);
      assertThat(result.outcome())
          .as("%s: %s", hostile[0], result.message())
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(result.message()).as((String) hostile[0]).contains((String) hostile[2]);
      assertThat(live.get()).as("%s left the live state as it was", hostile[0]).isEqualTo(good);
      assertThat(Files.readAllBytes(dir.resolve("state/last-good.json"))).isEqualTo(lastGood);
    }

    // With nothing installed (a reboot), a hostile body still never reaches the target: the last
    // good list does.
    assertThat(run(variant, Run.Action.UNINSTALL).targets().get(0).outcome())
        .isEqualTo(Outcome.APPLIED);
    serve((String) corpus.get(0)[1]);
    TargetResult fallback = run(variant, Run.Action.APPLY).targets().get(0);
    assertThat(fallback.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(fallback.fallback())
        .hasValueSatisfying(f -> assertThat(f).startsWith("last good list"));
    assertThat(live.get()).isEqualTo(good);
  }
}
