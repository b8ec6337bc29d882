package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Header;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One run keeps a firewall, a web server, fail2ban and HAProxy in step: the CLI in a child JVM in a
 * network namespace, with nftables there, Debian's haproxy and a real fail2ban server each on their
 * own configuration in the temporary directory, and nginx's file tested and reloaded with {@code
 * true}.
 */
class FourTargetsSystemTest {
  @TempDir Path dir;
  private Netns ns;
  private Process haproxy;
  private Path fail2banSocket;

  @BeforeEach
  void start() throws Exception {
    SystemTests.requireTools("ip", "nft", "haproxy", "fail2ban-server", "fail2ban-client");
    ns = Netns.create("cf4");
    startHaproxy();
    startFail2ban();
  }

  @AfterEach
  void stop() {
    if (fail2banSocket != null) {
      Netns.run(
          List.of("fail2ban-client", "-s", fail2banSocket.toString(), "stop"),
          null,
          Netns.DEFAULT_TIMEOUT);
    }
    if (haproxy != null) {
      haproxy.destroy();
    }
    if (ns != null) {
      ns.close();
    }
  }

  private void startHaproxy() throws Exception {
    Files.writeString(dir.resolve("cloudflare.acl"), "# " + Header.MARKER + "\n");
    Files.writeString(
        dir.resolve("haproxy.cfg"),
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
    haproxy =
        ns.start(List.of("haproxy", "-db", "-f", dir.resolve("haproxy.cfg").toString()), null);
    for (int i = 0; !Files.exists(dir.resolve("admin.sock")); i++) {
      assertThat(haproxy.isAlive() && i < 500).as("haproxy started").isTrue();
      Thread.sleep(20);
    }
  }

  private void startFail2ban() throws Exception {
    Path conf = dir.resolve("fail2ban");
    Files.createDirectories(conf.resolve("jail.d"));
    Files.createDirectories(conf.resolve("filter.d"));
    Files.createDirectories(conf.resolve("action.d"));
    fail2banSocket = conf.resolve("f2b.sock");
    Files.writeString(
        conf.resolve("fail2ban.conf"),
        "[Definition]\nloglevel = INFO\nlogtarget = "
            + conf.resolve("fail2ban.log")
            + "\nsyslogsocket = auto\nsocket = "
            + fail2banSocket
            + "\npidfile = "
            + conf.resolve("f2b.pid")
            + "\ndbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n");
    Files.writeString(
        conf.resolve("filter.d/probe.conf"), "[Definition]\nfailregex = ^fail from <HOST>$\n");
    Files.writeString(
        conf.resolve("action.d/noop.conf"), "[Definition]\nactionban =\nactionunban =\n");
    Files.writeString(dir.resolve("auth.log"), "");
    Files.writeString(
        conf.resolve("jail.conf"),
        "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1\n\n[sshd]\nenabled = true\nbackend = polling\nfilter = probe\naction = noop\nlogpath = "
            + dir.resolve("auth.log")
            + "\n");
    ns.execChecked("fail2ban-client", "-c", conf.toString(), "-x", "start");
    // A ban of a Cloudflare edge, which the run lifts.
    ns.execChecked(
        "fail2ban-client", "-s", fail2banSocket.toString(), "set", "sshd", "banip", "173.245.48.5");
  }

  private Netns.Result cli(String... args) {
    Path conf = dir.resolve("fail2ban");
    List<String> argv = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin:/usr/sbin:/sbin"));
    argv.add(ProcessHandle.current().info().command().orElseThrow());
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(Main.class.getName());
    argv.addAll(List.of(args));
    argv.addAll(
        List.of(
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--target",
            "nginx",
            "--target",
            "fail2ban",
            "--target",
            "haproxy",
            "--nginx-file",
            dir.resolve("cloudflare-real-ip.conf").toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--haproxy-file",
            dir.resolve("cloudflare.acl").toString(),
            "--haproxy-socket",
            dir.resolve("admin.sock").toString(),
            "--set",
            "haproxy-check-command=haproxy -c -f " + dir.resolve("haproxy.cfg"),
            "--set",
            "fail2ban-file=" + conf.resolve("jail.d/cloudflare-ignoreip.local"),
            "--set",
            "fail2ban-socket=" + fail2banSocket,
            "--set",
            "fail2ban-test-command=fail2ban-client -c " + conf + " -t",
            "--set",
            "fail2ban-reload-command=fail2ban-client -c "
                + conf
                + " -s "
                + fail2banSocket
                + " reload",
            "--state-dir",
            dir.resolve("state").toString()));
    return ns.exec(null, argv, Duration.ofSeconds(90));
  }

  @Test
  void oneRunKeepsNftablesNginxFail2banAndHaproxyInStepAndASecondChangesNothing() {
    Netns.Result first = cli("apply");

    assertThat(first.exitCode()).as(first.stderr()).isZero();
    assertThat(first.stdout())
        .contains("nftables: applied (+22 -0)")
        .contains("\nnginx: applied (+22 -0)")
        .contains("\nfail2ban: applied (+22 -0)")
        .contains("\nhaproxy: applied (+22 -0)");
    assertThat(first.stderr()).contains("fail2ban: lifted the ban of 173.245.48.5 in jail sshd");
    assertThat(ns.execChecked("nft", "list", "ruleset").stdout()).contains("173.245.48.0/20");
    assertThat(dir.resolve("cloudflare-real-ip.conf")).content().contains("173.245.48.0/20");
    assertThat(
            ns.execChecked(
                    "fail2ban-client", "-s", fail2banSocket.toString(), "get", "sshd", "ignoreip")
                .stdout())
        .contains("173.245.48.0/20");
    assertThat(
            ns.execChecked("fail2ban-client", "-s", fail2banSocket.toString(), "banned").stdout())
        .doesNotContain("173.245.48.5");

    Netns.Result second = cli("apply");
    assertThat(second.exitCode()).as(second.stderr()).isZero();
    assertThat(second.stdout().lines())
        .hasSize(4)
        .allSatisfy(l -> assertThat(l).contains(": in sync (22 ranges)"));
    Netns.Result status = cli("status");
    assertThat(status.exitCode()).as(status.stdout()).isZero();
  }
}
