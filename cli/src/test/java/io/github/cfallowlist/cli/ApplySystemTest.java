package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.RunLock;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.testing.FullFileSystem;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.OwnMounts;
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
 * The command line end to end against the real kernel: each test runs the CLI in a child JVM inside
 * a network namespace it creates, so the host's firewall is never touched.
 */
class ApplySystemTest {
  /** How an apply line names the embedded list. */
  private static final String EMBEDDED =
      "source embedded snapshot recorded 2026-10-02T00:00:00Z, etag"
          + " 38f79d050aa027e3be3865e495dcc9bc";

  @TempDir Path dir;
  private Netns ns;

  @BeforeEach
  void createNamespace() {
    SystemTests.requireTools("ip", "nft", "iptables-restore", "ip6tables-restore");
    ns = Netns.create("cfcli");
  }

  @AfterEach
  void deleteNamespace() {
    if (ns != null) {
      ns.close();
    }
  }

  /** Runs the CLI as cron would: an empty environment with {@code PATH=/usr/bin:/bin}. */
  private Netns.Result cli(String... args) {
    return ns.exec(
        null, CronCli.argv(List.of(), dir.resolve("state"), args), Duration.ofSeconds(90));
  }

  /**
   * The start of a command line that runs the rest of it with {@code nft} found as a script that
   * runs {@code first} (shell lines) and then the real nft, in a mount namespace of its own.
   */
  private List<String> withNft(String first) throws java.io.IOException {
    Path wrappers = Files.createDirectories(dir.resolve("wrappers"));
    Path nft = wrappers.resolve("nft");
    Files.writeString(nft, "#!/bin/sh\n" + first + "exec /usr/sbin/nft \"$@\"\n");
    Files.setPosixFilePermissions(
        nft, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    return new ArrayList<>(
        OwnMounts.shell("mount --bind " + wrappers + " /usr/local/sbin && exec \"$@\"", "sh"));
  }

  private String ruleset() {
    return ns.execChecked("nft", "list", "ruleset").stdout();
  }

  private Path rangesFile(String... dropped) throws Exception {
    List<String> lines =
        new ArrayList<>(cli("fetch", "--source", "embedded").stdout().lines().toList());
    lines.removeAll(List.of(dropped));
    Path file = dir.resolve("ranges-" + dropped.length + ".txt");
    Files.write(file, lines);
    return file;
  }

  @Test
  void applyThenStatusAndASecondApplyChangeNothing() {
    Netns.Result first = cli("apply", "--source", "embedded", "--target", "nftables");
    assertThat(first.exitCode()).as(first.stderr()).isZero();
    assertThat(first.stdout())
        .isEqualTo(
            "nftables: applied (+22 -0): added 103.21.244.0/22, 103.22.200.0/22, 103.31.4.0/22,"
                + " 104.16.0.0/13, 104.24.0.0/14 and 17 more; "
                + EMBEDDED
                + "\n");
    String after = ruleset();
    assertThat(after).contains("table inet cf_allowlist").contains("173.245.48.0/20");

    Netns.Result status = cli("status", "--source", "embedded", "--target", "nftables");
    assertThat(status.exitCode()).isZero();
    assertThat(status.stdout()).isEqualTo("nftables: in sync (22 ranges)\n");

    Netns.Result second = cli("apply", "--source", "embedded", "--target", "nftables");
    assertThat(second.exitCode()).isZero();
    assertThat(second.stdout()).isEqualTo("nftables: in sync (22 ranges): " + EMBEDDED + "\n");
    assertThat(ruleset()).isEqualTo(after);
  }

  @Test
  void aHandAddedRuleThatAdmitsEveryoneIsRemovedWithoutTheShrinkGuardStandingInTheWay() {
    assertThat(cli("apply", "--source", "embedded", "--target", "iptables").exitCode()).isZero();
    // Someone "fixes" a 521 by hand: two /1 rules admit every IPv4 address.
    ns.execChecked("iptables", "-I", "CF-ALLOWLIST", "-s", "0.0.0.0/1", "-j", "ACCEPT");
    ns.execChecked("iptables", "-I", "CF-ALLOWLIST", "-s", "128.0.0.0/1", "-j", "ACCEPT");

    Netns.Result plan = cli("plan", "--source", "embedded", "--target", "iptables");
    Netns.Result apply = cli("apply", "--source", "embedded", "--target", "iptables");

    assertThat(plan.exitCode()).as(plan.stderr()).isEqualTo(2);
    assertThat(plan.stdout()).contains("-A CF-ALLOWLIST -s 0.0.0.0/1 -j ACCEPT");
    assertThat(apply.exitCode()).as(apply.stderr()).isZero();
    assertThat(apply.stdout()).startsWith("iptables: applied (+15 -2)");
    String rules = ns.execChecked("iptables-save").stdout();
    assertThat(rules).doesNotContain("0.0.0.0/1", "128.0.0.0/1").contains("173.245.48.0/20");
    assertThat(cli("status", "--source", "embedded", "--target", "iptables").stdout())
        .isEqualTo("iptables: in sync (22 ranges)\n");
  }

  @Test
  void anInSyncApplyReadsTheKernelWithoutAskingForALoggerUnlessVerbose() throws Exception {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    Path classes = dir.resolve("classes.txt");

    Netns.Result quiet =
        ns.exec(
            null,
            CronCli.argv(
                List.of("-Xlog:class+load=info:file=" + classes),
                dir.resolve("state"),
                "apply",
                "--source",
                "embedded",
                "--target",
                "nftables"),
            Duration.ofSeconds(90));

    assertThat(quiet.exitCode()).as(quiet.stderr()).isZero();
    assertThat(quiet.stdout()).isEqualTo("nftables: in sync (22 ranges): " + EMBEDDED + "\n");
    assertThat(quiet.stderr()).isEmpty();
    // nft ran and its listing was read, yet nothing asked the JDK for a logger (a cold JVM's first
    // lookup searches for a logger finder and reads the security properties).
    assertThat(Files.readString(classes))
        .contains("io.github.cfallowlist.adapter.nftables.LiveJson ")
        .doesNotContain("java.lang.System$LoggerFinder ");

    Netns.Result verbose =
        cli("apply", "--source", "embedded", "--target", "nftables", "--verbose");
    assertThat(verbose.exitCode()).as(verbose.stderr()).isZero();
    assertThat(verbose.stderr())
        .containsPattern("(?m)^cf-allowlist: DEBUG: ran '\\S*nft -j list [^']*': exit 0, \\d+ ms$");
  }

  @Test
  void driftShowsInStatusPlanAndDryRunWithExitTwo() throws Exception {
    Path older = rangesFile("198.41.128.0/17");
    assertThat(cli("apply", "--source", "file:" + older, "--target", "nftables").exitCode())
        .isZero();
    String before = ruleset();

    Netns.Result status = cli("status", "--source", "embedded", "--target", "nftables");
    assertThat(status.exitCode()).isEqualTo(2);
    assertThat(status.stdout()).isEqualTo("nftables: would change (+1 -0)\n");
    Netns.Result plan = cli("plan", "--source", "embedded", "--target", "nftables");
    assertThat(plan.exitCode()).isEqualTo(2);
    assertThat(plan.stdout()).contains("+\t198.41.128.0/17,");
    Netns.Result dry = cli("apply", "--dry-run", "--source", "embedded", "--target", "nftables");
    assertThat(dry.exitCode()).isEqualTo(2);
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void aRejectedListLeavesTheFirewallAsItWas() throws Exception {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    String before = ruleset();
    Path html = dir.resolve("challenge.txt");
    Files.writeString(html, "<!DOCTYPE html><html><title>Just a moment...</title></html>\n");

    Netns.Result run = cli("apply", "--source", "file:" + html, "--target", "nftables");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr()).contains("nothing was applied").doesNotContain("\tat ");
    assertThat(run.stderr().lines().count()).isEqualTo(1);
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void removingMoreThanAQuarterNeedsAllowShrink() throws Exception {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    String before = ruleset();
    Path smaller =
        rangesFile(
            "103.21.244.0/22",
            "103.22.200.0/22",
            "103.31.4.0/22",
            "104.16.0.0/13",
            "104.24.0.0/14");

    Netns.Result refused = cli("apply", "--source", "file:" + smaller, "--target", "nftables");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderr()).contains("remove 5 of 15 IPv4 ranges").contains("--allow-shrink");
    assertThat(ruleset()).isEqualTo(before);
    // plan, status and the dry run judge exactly as apply: same sentence, exit 1, diff shown.
    for (String[] command :
        List.of(
            new String[] {"plan"}, new String[] {"status"}, new String[] {"apply", "--dry-run"})) {
      List<String> args = new ArrayList<>(List.of(command));
      args.addAll(List.of("--source", "file:" + smaller, "--target", "nftables"));
      Netns.Result judged = cli(args.toArray(String[]::new));
      assertThat(judged.exitCode()).as(String.join(" ", command)).isEqualTo(1);
      assertThat(judged.stderr()).isEqualTo(refused.stderr());
      if (!command[0].equals("status")) {
        assertThat(judged.stdout()).contains("--- current/").contains("104.16.0.0/13");
      }
    }
    assertThat(ruleset()).isEqualTo(before);

    Netns.Result allowed =
        cli("apply", "--source", "file:" + smaller, "--target", "nftables", "--allow-shrink");
    assertThat(allowed.exitCode()).isZero();
    assertThat(ruleset()).doesNotContain("104.16.0.0/13");
  }

  @Test
  void aSecondRunWithAnotherStateDirWaitsForTheHostLockThenExitsOneNamingTheHolder()
      throws Exception {
    // The lock is one per host: a run holding it with any state dir keeps this one out.
    Path hostLock = RunLock.defaultLocation(StateDir.at(dir.resolve("elsewhere")));
    assertThat(hostLock).isEqualTo(Path.of("/run/cf-allowlist.lock"));
    try (RunLock held = RunLock.acquire(hostLock, Duration.ZERO)) {
      Netns.Result run =
          cli("apply", "--source", "embedded", "--target", "nftables", "--lock-timeout", "1");
      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.stderr())
          .contains("pid " + ProcessHandle.current().pid())
          .contains("holds the lock /run/cf-allowlist.lock");
    }
    assertThat(ruleset()).doesNotContain("cf_allowlist");
  }

  /** Applies nftables, iptables and nginx in one run; nginx is "tested" with {@code test}. */
  private Netns.Result applyThreeTargets(Path nginxFile, String test) {
    return cli(
        "apply",
        "--source",
        "embedded",
        "--target",
        "nftables",
        "--target",
        "iptables",
        "--target",
        "nginx",
        "--nginx-file",
        nginxFile.toString(),
        "--nginx-test-command",
        test,
        "--nginx-reload-command",
        "true");
  }

  @Test
  void severalTargetsAreAppliedInTurnAndAFailureIsReported() throws Exception {
    Path nginxFile = dir.resolve("cloudflare-real-ip.conf");
    Netns.Result run = applyThreeTargets(nginxFile, "false");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stdout())
        .startsWith("nftables: applied (+22 -0): added ")
        .contains("\niptables: applied (+22 -0): added ");
    assertThat(run.stderr()).startsWith("cf-allowlist: nginx: failed (").contains("false");
    assertThat(run.stderr().lines().count()).isEqualTo(1);
    assertThat(nginxFile).doesNotExist();
    assertThat(ns.execChecked("iptables-save").stdout())
        .contains("-A CF-ALLOWLIST -s 173.245.48.0/20 -j ACCEPT");

    Netns.Result fixed = applyThreeTargets(nginxFile, "true");
    assertThat(fixed.exitCode()).as(fixed.stderr()).isZero();
    assertThat(fixed.stdout())
        .startsWith("nftables: in sync (22 ranges): " + EMBEDDED + "\n")
        .contains("\niptables: in sync (22 ranges): " + EMBEDDED + "\n")
        .contains("\nnginx: applied (+22 -0): added ");
    assertThat(nginxFile).content().contains("real_ip_header CF-Connecting-IP;");
  }

  @Test
  void uninstallRemovesWhatTheToolOwnedAndOnlyThat() {
    ns.execChecked(
        "table inet userfw {\n chain c {\n  type filter hook input priority 0;\n"
            + "  tcp dport 22 accept\n }\n}\n",
        List.of("nft", "-f", "-"));
    String before = ruleset();
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    Netns.Result run = cli("apply", "--uninstall", "--target", "nftables");
    assertThat(run.exitCode()).isZero();
    assertThat(run.stdout())
        .isEqualTo(
            "nftables: applied (+0 -22): uninstalled; removed 103.21.244.0/22, 103.22.200.0/22,"
                + " 103.31.4.0/22, 104.16.0.0/13, 104.24.0.0/14 and 17 more\n");
    assertThat(ruleset()).isEqualTo(before);
    Netns.Result again = cli("apply", "--uninstall", "--target", "nftables");
    assertThat(again.exitCode()).isZero();
    assertThat(again.stdout()).isEqualTo("nftables: not installed\n");
  }

  @Test
  void uninstallDryRunShowsTheRemovalExitsTwoAndChangesNothing() {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    String before = ruleset();
    Netns.Result preview = cli("apply", "--uninstall", "--dry-run", "--target", "nftables");
    assertThat(preview.exitCode()).as(preview.stderr()).isEqualTo(2);
    assertThat(preview.stdout())
        .contains("-table inet cf_allowlist {")
        .endsWith("nftables: would change (+0 -22): uninstall\n");
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void afterARebootWithoutNetworkTheLastGoodListIsPutBackAndNamed() throws Exception {
    // The list saved by an earlier run with a network source: the embedded list but one range.
    Path older = rangesFile("198.41.128.0/17");
    io.github.cfallowlist.RangeSnapshot saved =
        io.github.cfallowlist.Guards.defaults()
            .validate(io.github.cfallowlist.RangeSource.file(older).fetch());
    StateDir.at(dir.resolve("state"))
        .saveLastGood(
            new io.github.cfallowlist.RangeSnapshot(
                saved.ranges(),
                "Cloudflare API",
                java.util.Optional.of("feed"),
                java.time.Instant.parse("2026-11-20T08:00:00Z")));
    String unreachable = "http://127.0.0.1:9/client/v4/ips";

    Netns.Result boot = cli("apply", "--api-url", unreachable, "--target", "nftables");

    assertThat(boot.exitCode()).as(boot.stderr()).isZero();
    assertThat(boot.stderr())
        .startsWith("cf-allowlist: warning: nftables: the source failed (")
        .contains("last good list from 2026-11-20 (21 ranges)");
    assertThat(boot.stdout())
        .startsWith("nftables: applied (+21 -0): added ")
        .endsWith(
            "; source Cloudflare API, etag feed; from the last good list from 2026-11-20"
                + " (21 ranges)\n");
    assertThat(ruleset()).contains("173.245.48.0/20").doesNotContain("198.41.128.0/17");

    // With a list in place, an unreachable source changes nothing.
    String before = ruleset();
    Netns.Result later = cli("apply", "--api-url", unreachable, "--target", "nftables");
    assertThat(later.exitCode()).isEqualTo(1);
    assertThat(later.stderr()).contains("nothing was applied and the current rules stay in place");
    assertThat(ruleset()).isEqualTo(before);

    // After a reboot (ruleset flushed) with the policy "none", nothing is installed.
    ns.execChecked("nft", "flush", "ruleset");
    Netns.Result none =
        cli("apply", "--api-url", unreachable, "--target", "nftables", "--fallback", "none");
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(ruleset()).doesNotContain("cf_allowlist");
  }

  @Test
  void aMisspelledSettingIsRefusedBeforeAnythingIsReadOrChanged() {
    Netns.Result run =
        cli("apply", "--source", "embedded", "--target", "nftables", "--set", "nft_table=inet x");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr())
        .isEqualTo(
            "cf-allowlist: unknown setting 'nft_table' for nftables; did you mean 'nft-table'?\n");
    assertThat(ruleset()).doesNotContain("cf_allowlist");
  }

  @Test
  void sigtermDuringAnApplyFinishesThatTargetStartsNoOtherAndPrintsEveryOutcome() throws Exception {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    Path changed = rangesFile("198.41.128.0/17");
    // An nft that takes five seconds to load a script: the signal lands while it runs.
    Path started = dir.resolve("nft-started");
    List<String> argv = withNft("if [ \"$1\" = -f ]; then touch " + started + "; sleep 5; fi\n");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path log = dir.resolve("sigterm.log");
    List<String> javaArgv =
        CronCli.argv(
            List.of("-Djava.io.tmpdir=" + tmp),
            dir.resolve("state"),
            "apply",
            "--source",
            "file:" + changed,
            "--target",
            "nftables",
            "--target",
            "iptables");
    argv.addAll(javaArgv);

    Process child = ns.start(argv, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(started) && System.nanoTime() < deadline && child.isAlive()) {
      Thread.sleep(20);
    }
    assertThat(started).as(Files.exists(log) ? Files.readString(log) : "no output").exists();
    child.destroy(); // SIGTERM, as systemd sends on stop
    assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    String output = Files.readString(log);
    assertThat(child.exitValue()).as(output).isNotZero();
    assertThat(output)
        .contains("nftables: applied (+0 -1): removed 198.41.128.0/17; source file " + changed)
        .contains(
            "cf-allowlist: iptables: failed (nothing changed): not started: the run was asked to"
                + " stop\n");
    assertThat(ruleset()).doesNotContain("198.41.128.0/17").contains("173.245.48.0/20");
    assertThat(ns.execChecked("iptables-save").stdout()).doesNotContain("CF-ALLOWLIST");
    try (var left = Files.list(tmp)) {
      assertThat(left).as("temporary files left behind").isEmpty();
    }
  }

  @Test
  void aReadingThatHangsWhileTheListFailsIsKilledAndTheRulesStayAsTheyWere() throws Exception {
    assertThat(cli("apply", "--source", "embedded", "--target", "nftables").exitCode()).isZero();
    String before = ruleset();
    // A list long enough to take a while to read, refused at its last line: by then the run has
    // started reading nft, which hangs (its own timeout is 60 s).
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      list.append(11 + i / 65536).append('.').append(i / 256 % 256).append('.');
      list.append(i % 256).append(".0/24\n");
    }
    Path file = dir.resolve("list.txt");
    Files.writeString(file, list + "not-an-address\n");
    Path pid = dir.resolve("nft-pid");
    List<String> argv =
        withNft("if [ \"$1\" = -j ]; then echo $$ > " + pid + "; exec sleep 120; fi\n");
    argv.addAll(
        CronCli.argv(
            List.of(),
            dir.resolve("state"),
            "apply",
            "--source",
            "file:" + file,
            "--target",
            "nftables",
            "--fallback",
            "none"));

    long start = System.nanoTime();
    Netns.Result run = ns.exec(null, argv, Duration.ofSeconds(90));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(run.exitCode()).as(run.stderr()).isEqualTo(1);
    assertThat(run.stderr())
        .contains("nftables: failed (nothing changed)")
        .contains("nothing was applied and the current rules stay in place");
    assertThat(pid).as("the run had started reading nft").exists();
    long hung = Long.parseLong(Files.readString(pid).strip());
    assertThat(ProcessHandle.of(hung).filter(ProcessHandle::isAlive)).as("the hung nft").isEmpty();
    // Not waited out: the hung reading was stopped, not left to nft's 60 s timeout.
    assertThat(took).isLessThan(Duration.ofSeconds(45));
    assertThat(ruleset()).isEqualTo(before);
  }

  @Test
  void aFullStateFileSystemDoesNotBlockAGoodApply() throws Exception {
    // The lists, served over loopback http inside the namespace.
    Path www = Files.createDirectories(dir.resolve("www"));
    Files.writeString(www.resolve("ips.json"), io.github.cfallowlist.testing.Bodies.api());
    ns.start(
        List.of(
            "python3",
            "-m",
            "http.server",
            "8088",
            "--bind",
            "127.0.0.1",
            "--directory",
            www.toString()),
        null);
    Path state = Files.createDirectories(dir.resolve("full-state"));
    List<String> argv = new ArrayList<>(FullFileSystem.over(state));
    argv.addAll(
        CronCli.argv(
            List.of(),
            state,
            "apply",
            "--api-url",
            "http://127.0.0.1:8088/ips.json",
            "--target",
            "nftables",
            "--fallback",
            "none"));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!ns.exec("curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:8088/ips.json").ok()) {
      assertThat(System.nanoTime()).as("the http server listens within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    Netns.Result run = ns.exec(null, argv, Duration.ofSeconds(90));
    assertThat(run.exitCode()).as(run.stderr()).isZero();
    assertThat(run.stdout())
        .isEqualTo(
            "nftables: applied (+22 -0): added 103.21.244.0/22, 103.22.200.0/22, 103.31.4.0/22,"
                + " 104.16.0.0/13, 104.24.0.0/14 and 17 more; source Cloudflare API"
                + " http://127.0.0.1:8088/ips.json, etag 38f79d050aa027e3be3865e495dcc9bc\n");
    assertThat(run.stderr())
        .startsWith("cf-allowlist: warning: the last good list could not be saved in " + state);
    assertThat(ruleset()).contains("173.245.48.0/20");
  }
}
