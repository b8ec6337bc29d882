package io.github.cfallowlist.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.Netns.Result;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The collection {@code cfallowlist.cloudflare} driven by Debian's ansible-core over real SSH
 * against three origins: network namespaces on a bridge, each with its own sshd, nginx and root
 * (see {@code src/test/sh/origins}), and the package built by the cli module installed on each by
 * the role. The tests run in order, each starting from the fleet the one before left.
 */
@TestInstance(Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class FleetSystemTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path COLLECTION = MODULE.resolve("ansible");
  private static final Path ORIGINS = MODULE.resolve("src/test/sh/origins");
  private static final Path CLI_TARGET = MODULE.resolve("../cli/target").normalize();
  private static final List<String> HOSTS = List.of("origin1", "origin2", "origin3");
  private static final String MODULE_TASK = "Keep the targets in step with Cloudflare's ranges";
  private static final String NGINX_FILE = "/etc/nginx/conf.d/cloudflare-real-ip.conf";
  private static final Duration PLAYBOOK_TIMEOUT = Duration.ofMinutes(5);

  /** The range the next list drops and the one it adds, against the embedded list. */
  private static final String DROPPED = "131.0.72.0/22";

  private static final String ADDED = "104.32.0.0/16";

  /** The etag of the list the snapshot playbook fetches on the controller. */
  private static final String SNAPSHOT_ETAG = "5a1e0c2b9d7f4e3a8b6c1d0e2f3a4b5c";

  private static final String SNAPSHOT = "/var/lib/cf-allowlist/fleet-snapshot.txt";

  /** A proxy's password: no log, record, diff or command line may ever show it. */
  private static final String PASSWORD = "hunter2-fleet";

  /**
   * A proxy with that password, on the control namespace's bridge address where nothing listens: a
   * fetch through it fails at once, naming the proxy.
   */
  private static final String PROXY = "http://fleet:" + PASSWORD + "@10.231.7.1:9";

  private Path dir;
  private Path deb;
  private String control;
  private boolean up;

  @BeforeAll
  void startOrigins() throws IOException {
    SystemTests.requireTools(
        "ip",
        "unshare",
        "chroot",
        "nsenter",
        "sshd",
        "ssh",
        "ssh-keygen",
        "nginx",
        "nft",
        "dpkg",
        "ansible-playbook",
        "ansible-galaxy",
        "ansible-lint");
    deb = debPackage();
    Files.createDirectories(MODULE.resolve("target"));
    dir = Files.createTempDirectory(MODULE.resolve("target"), "fleet-");
    up = true; // down stops whatever a failed up started
    run(List.of("bash", ORIGINS.toString(), "up", dir.toString(), "3"), Duration.ofMinutes(2));
    control = Files.readString(dir.resolve("control")).strip();
    writeLists();
    Files.writeString(
        dir.resolve("ansible.cfg"),
        String.join(
            "\n",
            "[defaults]",
            "inventory = " + dir.resolve("inventory.ini"),
            "collections_path = " + dir.resolve("collections"),
            "forks = 5",
            "timeout = 30",
            "retry_files_enabled = false",
            "callback_plugins = " + MODULE.resolve("src/test/ansible/callback_plugins"),
            "callbacks_enabled = fleet_record",
            "[ssh_connection]",
            "pipelining = true",
            ""));
  }

  @AfterAll
  void stopOrigins() {
    if (up) {
      run(List.of("bash", ORIGINS.toString(), "down", dir.toString()), Duration.ofMinutes(1));
    }
  }

  /** The .deb `mvn package` built in the cli module; a missing one fails in CI, else skips. */
  private static Path debPackage() throws IOException {
    List<Path> debs;
    try (Stream<Path> files = Files.list(CLI_TARGET)) {
      debs = files.filter(p -> p.getFileName().toString().endsWith("_all.deb")).toList();
    } catch (IOException e) {
      debs = List.of();
    }
    if (debs.size() != 1) {
      SystemTests.requireTools(CLI_TARGET.resolve("cf-allowlist_VERSION_all.deb").toString());
    }
    return debs.get(0);
  }

  /** The next list (one range dropped, one added) and the list the controller fetches. */
  private void writeLists() throws IOException {
    List<String> embedded =
        List.of(
            "173.245.48.0/20",
            "103.21.244.0/22",
            "103.22.200.0/22",
            "103.31.4.0/22",
            "141.101.64.0/18",
            "108.162.192.0/18",
            "190.93.240.0/20",
            "188.114.96.0/20",
            "197.234.240.0/22",
            "198.41.128.0/17",
            "162.158.0.0/15",
            "104.16.0.0/13",
            "104.24.0.0/14",
            "172.64.0.0/13",
            "131.0.72.0/22",
            "2400:cb00::/32",
            "2606:4700::/32",
            "2803:f800::/32",
            "2405:b500::/32",
            "2405:8100::/32",
            "2a06:98c0::/29",
            "2c0f:f248::/32");
    List<String> next = new ArrayList<>(embedded);
    next.remove(DROPPED);
    next.add(ADDED);
    Files.writeString(dir.resolve("next.txt"), String.join("\n", next) + "\n");
    List<String> snapshot = new ArrayList<>(embedded);
    snapshot.remove("190.93.240.0/20");
    snapshot.add("45.64.64.0/22");
    Files.writeString(
        dir.resolve("controller-list.txt"),
        "# etag: " + SNAPSHOT_ETAG + "\n" + String.join("\n", snapshot) + "\n");
  }

  @Test
  @Order(1)
  void theCollectionBuildsInstallsAndPassesAnsibleLint() throws IOException {
    run(
        List.of(
            "ansible-galaxy",
            "collection",
            "build",
            COLLECTION.toString(),
            "--output-path",
            dir.toString()),
        Duration.ofMinutes(2));
    Path tarball = dir.resolve("cfallowlist-cloudflare-0.1.0.tar.gz");
    assertThat(tarball).isRegularFile();
    run(
        List.of(
            "ansible-galaxy",
            "collection",
            "install",
            "--offline",
            tarball.toString(),
            "-p",
            dir.resolve("collections").toString()),
        Duration.ofMinutes(2));
    assertThat(
            dir.resolve("collections/ansible_collections/cfallowlist/cloudflare/plugins/modules")
                .resolve("cf_allowlist.py"))
        .isRegularFile();

    Result lint =
        Netns.run(
            List.of(
                "bash",
                "-c",
                "cd \"$1\" && ANSIBLE_COLLECTIONS_PATH=\"$2\" ansible-lint --nocolor",
                "lint",
                COLLECTION.toString(),
                dir.resolve("collections").toString()),
            null,
            Duration.ofMinutes(3));
    assertThat(lint.exitCode()).as(lint.stdout() + lint.stderr()).isZero();
    assertThat(lint.stdout() + lint.stderr()).contains("Passed with production profile");
  }

  @Test
  @Order(2)
  void checkModeOnOriginsWithoutThePackageReportsTheInstallAndChangesNothing() throws IOException {
    Map<String, Object> check = playbook("rolling", fleetVars(Map.of()), "--check", "--diff");
    assertThat(stats(check, "failures")).as(failures(check)).containsOnly(0);
    Map<String, Map<String, Object>> install =
        results(check, "Report the package the copy would install (check mode)");
    assertThat(install.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    for (String host : HOSTS) {
      assertThat(install.get(host).get("changed")).as(host).isEqualTo(true);
      assertThat(origin(host, "dpkg", "-s", "cf-allowlist")).as(host).startsWith("exit ");
      assertThat(origin(host, "ls", "/etc/cf-allowlist", "/var/cache/cf-allowlist.deb"))
          .as(host)
          .startsWith("exit ");
    }
  }

  @Test
  @Order(3)
  void theFirstRunInstallsAndChangesEveryOriginAndTheSecondChangesNone() throws IOException {
    Map<String, Object> first = playbook("rolling", fleetVars(Map.of()));
    assertThat(stats(first, "failures")).as(failures(first)).containsOnly(0);
    Map<String, Map<String, Object>> applied = results(first, MODULE_TASK);
    assertThat(applied.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    for (String host : HOSTS) {
      assertThat(applied.get(host).get("changed")).as(host).isEqualTo(true);
      assertThat(outcomes(applied.get(host))).as(host).containsOnly("applied");
      assertThat(origin(host, "nft", "list", "table", "inet", "cf_allowlist"))
          .contains("cloudflare_v4", "173.245.48.0/20");
      assertThat(origin(host, "cat", NGINX_FILE)).contains("set_real_ip_from 173.245.48.0/20;");
      assertThat(origin(host, "cat", "/etc/cf-allowlist/cf-allowlist.toml"))
          .contains("source = \"embedded\"", "[targets.nftables]", "[targets.nginx]");
      // It holds the proxy's password: root's alone.
      assertThat(origin(host, "stat", "-c", "%a %U", "/etc/cf-allowlist/cf-allowlist.toml"))
          .isEqualTo("600 root\n");
    }

    Map<String, Object> second = playbook("rolling", fleetVars(Map.of()));
    assertThat(stats(second, "failures")).as(failures(second)).containsOnly(0);
    // Nothing at all changed: not the package, the configuration, the timer or a target.
    assertThat(stats(second, "changed")).as((String) second.get("stdout")).containsOnly(0);
    for (Map<String, Object> r : results(second, MODULE_TASK).values()) {
      assertThat(outcomes(r)).containsOnly("in_sync");
    }
  }

  @Test
  @Order(4)
  void checkModeReportsThePendingChangeWithItsDiffAndTouchesNothing() throws IOException {
    Map<String, String> before = fleetState();
    Map<String, Object> check =
        playbook(
            "rolling",
            fleetVars(Map.of("source", "file:" + dir.resolve("next.txt"))),
            "--check",
            "--diff");
    assertThat(stats(check, "failures")).as(failures(check)).containsOnly(0);
    Map<String, Map<String, Object>> planned = results(check, MODULE_TASK);
    assertThat(planned.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    for (String host : HOSTS) {
      Map<String, Object> r = planned.get(host);
      assertThat(r.get("changed")).as(host).isEqualTo(true);
      assertThat(r.get("command")).isEqualTo("plan");
      assertThat(outcomes(r)).containsOnly("would_change");
      String diff = prepared(r);
      assertThat(diff).as(host).containsPattern(removed(DROPPED)).containsPattern(added(ADDED));
    }
    assertThat(fleetState()).isEqualTo(before);
  }

  @Test
  @Order(5)
  void aBrokenNginxFailsItsOriginWithNginxsMessageAndStopsTheRolloutBeforeTheNextBatch()
      throws IOException {
    origin("origin2", "sh", "-c", "echo 'not_a_directive on;' > /etc/nginx/conf.d/broken.conf");
    try {
      rollOutToABrokenNginx();
    } finally {
      origin("origin2", "rm", "/etc/nginx/conf.d/broken.conf");
    }
  }

  private void rollOutToABrokenNginx() throws IOException {
    Map<String, String> before = fleetState();
    Map<String, Object> vars = fleetVars(Map.of("source", "file:" + dir.resolve("next.txt")));
    vars.put("cf_allowlist_batch", 1);
    Map<String, Object> rollout = playbook("rolling", vars, "--diff");

    Map<String, Map<String, Object>> applied = results(rollout, MODULE_TASK);
    // The first batch changed and showed the change.
    assertThat(applied.get("origin1").get("changed")).isEqualTo(true);
    assertThat(prepared(applied.get("origin1")))
        .containsPattern(removed(DROPPED))
        .containsPattern(added(ADDED));
    assertThat(origin("origin1", "cat", NGINX_FILE)).contains(ADDED).doesNotContain(DROPPED);
    // The second failed with nginx's own message, its nginx file as it was.
    Map<String, Object> failed = applied.get("origin2");
    assertThat(failed.get("failed")).isEqualTo(true);
    assertThat((String) failed.get("msg"))
        .contains("nginx: failed (previous state put back)")
        .contains("unknown directive \"not_a_directive\"")
        .contains("(applied in the same run: nftables)");
    assertThat(origin("origin2", "cat", NGINX_FILE)).isEqualTo(before.get("origin2 nginx"));
    // Its nftables target applied before nginx failed: the task and the recap say it changed.
    assertThat(origin("origin2", "nft", "list", "table", "inet", "cf_allowlist")).contains(ADDED);
    assertThat(failed.get("changed")).isEqualTo(true);
    assertThat(stat(rollout, "origin2", "changed")).as(failures(rollout)).isPositive();
    assertThat(stat(rollout, "origin2", "failures")).isEqualTo(1);
    // Its diff is that of the target that changed, not of nginx, which was put back.
    assertThat(prepared(applied.get("origin1"))).contains("set_real_ip_from");
    assertThat(prepared(failed)).containsPattern(added(ADDED)).doesNotContain("set_real_ip_from");
    assertThat(origin("origin2", "sh", "-c", "kill -0 \"$(cat /run/nginx.pid)\" && echo alive"))
        .as("origin2's nginx still runs")
        .isEqualTo("alive\n");
    // The third batch never started.
    assertThat(applied).doesNotContainKey("origin3");
    assertThat(hostsSeen(rollout)).doesNotContain("origin3");
    assertThat(state("origin3")).isEqualTo(stateOf(before, "origin3"));
  }

  @Test
  @Order(6)
  void anUnreachableHostStopsTheRolloutBeforeTheNextBatch() throws IOException {
    // A host nothing answers for (the bridge's own address, a closed port), first in the order.
    Path ghost = dir.resolve("ghost.yml");
    Files.writeString(
        ghost,
        String.join(
            "\n",
            "all:",
            "  hosts:",
            "    ghost:",
            "      ansible_host: 10.231.7.1",
            "      ansible_port: 1",
            "      ansible_user: root",
            "      ansible_ssh_common_args: -F " + dir.resolve("ssh_config"),
            ""));
    Map<String, Object> vars = fleetVars(Map.of());
    vars.put("cf_allowlist_hosts", "ghost:origin1:origin2:origin3");
    vars.put("cf_allowlist_batch", 2);
    Map<String, Object> rollout =
        playbook(
            "rolling", vars, "-i", dir.resolve("inventory.ini").toString(), "-i", ghost.toString());
    assertThat(stat(rollout, "ghost", "unreachable")).as(failures(rollout)).isEqualTo(1);
    // The first batch was ghost and origin1; the second stopped before it touched a host.
    Map<String, Map<String, Object>> stopped =
        results(
            rollout, "Stop when a host of an earlier batch did not finish (unreachable or failed)");
    assertThat(stopped).as(failures(rollout)).containsKey("origin2");
    assertThat(stopped.get("origin2").get("msg"))
        .isEqualTo(
            "the rollout stops: ghost, origin1 did not finish in an earlier batch (unreachable or"
                + " failed)");
    assertThat(results(rollout, "Gather the facts the role needs").keySet())
        .containsExactlyInAnyOrder("ghost", "origin1");
    assertThat(results(rollout, "Install the package")).isEmpty();
  }

  @Test
  @Order(7)
  void aConfigurationTheCommandRefusesFailsTheRoleWithTheCommandsSentence() throws IOException {
    String config = origin("origin1", "cat", "/etc/cf-allowlist/cf-allowlist.toml");
    Map<String, Object> vars = fleetVars(Map.of("max-shrinkk", 25));
    vars.put("cf_allowlist_hosts", "origin1");
    Map<String, Object> run = playbook("rolling", vars);
    Map<String, Map<String, Object>> refused =
        results(run, "Stop with the reason the configuration was refused");
    assertThat(refused.keySet()).as(failures(run)).containsExactly("origin1");
    assertThat((String) refused.get("origin1").get("msg"))
        .matches("/etc/cf-allowlist/cf-allowlist\\.toml:\\d+: unknown key 'max-shrinkk'.*");
    assertThat(origin("origin1", "cat", "/etc/cf-allowlist/cf-allowlist.toml")).isEqualTo(config);
  }

  @Test
  @Order(8)
  void theModuleNeverShowsTheProxysPasswordAndPassesItOutsideTheCommandLine() throws IOException {
    Map<String, Map<String, Object>> silent =
        moduleResults("A proxy, a command that prints nothing");
    assertThat(silent.get("origin1").get("failed")).isEqualTo(true);
    Map<String, Object> fetched = moduleResults("A proxy, a fetch through it").get("origin1");
    // The command got the proxy: its sentence names it (without the credentials).
    assertThat((String) fetched.get("msg")).contains("http://10.231.7.1:9");
    String argv = origin("origin1", "cat", "/root/cf-allowlist-argv");
    assertThat(argv).contains("plan").doesNotContain(PASSWORD).doesNotContain("--proxy");
    // -vvv, the record of every result (invocation and all) and the log: no password anywhere.
    assertThat(Files.readString(Path.of((String) moduleRun().get("log"))))
        .contains("module_args")
        .doesNotContain(PASSWORD);
    assertThat(JSON.std.asString(moduleRun().get("results"))).doesNotContain(PASSWORD);
  }

  @Test
  @Order(9)
  void theModuleRefusesASettingThatIsNotAStringABooleanOrAnInteger() throws IOException {
    Map<String, Object> r = moduleResults("A null setting").get("origin1");
    assertThat(r.get("failed")).isEqualTo(true);
    assertThat(r.get("msg"))
        .isEqualTo("setting nginx-file must be a string, true or false, or an integer, not null");
    Map<String, Object> list = moduleResults("A list as a setting").get("origin1");
    assertThat(list.get("msg"))
        .isEqualTo("setting nft-table must be a string, true or false, or an integer, not a list");
  }

  @Test
  @Order(10)
  void checkModeRefusesAMetricsFileTheRunWouldRefuseAndWritesNone() throws IOException {
    assertThat(moduleResults("Metrics in a directory, in check mode").get("origin1").get("msg"))
        .isEqualTo("--metrics-file /etc is a directory; give the path of a file");
    assertThat(moduleResults("Metrics over another file, in check mode").get("origin1").get("msg"))
        .isEqualTo(
            "apply will not overwrite --metrics-file /etc/hostname: it is not a metrics file"
                + " cf-allowlist wrote (move it away or choose another path)");
    Map<String, Object> fresh =
        moduleResults("Metrics in a new file, in check mode").get("origin1");
    assertThat(fresh.get("failed")).as(fresh.toString()).isEqualTo(false);
    assertThat(fresh.get("command")).isEqualTo("plan");
    assertThat(origin("origin1", "ls", "/root/cf-allowlist.prom")).startsWith("exit ");
  }

  @Test
  @Order(11)
  void aConfigContentTheCommandRefusesIsNamedConfigContent() throws IOException {
    assertThat(moduleResults("An unknown key in config_content").get("origin1").get("msg"))
        .asString()
        .startsWith("config_content:2: unknown key 'bogus'");
  }

  @Test
  @Order(12)
  void theSnapshotPlaybookFetchesOnceAndEveryOriginAppliesTheSameList() throws IOException {
    // The playbook's variables from the inventory's group_vars, which its defaults must not beat.
    Path inventory = dir.resolve("snapshot-vars.yml");
    Files.writeString(
        inventory,
        String.join(
            "\n",
            "all:",
            "  children:",
            "    origins:",
            "      vars:",
            "        cf_allowlist_controller_executable: " + CLI_TARGET.resolve("cf-allowlist"),
            "        cf_allowlist_fetch_source: file:" + dir.resolve("controller-list.txt"),
            "        cf_allowlist_snapshot_targets: [nftables, nginx]",
            ""));
    List<String> inventories =
        List.of("-i", dir.resolve("inventory.ini").toString(), "-i", inventory.toString());
    Map<String, Object> run = playbook("snapshot", Map.of(), inventories.toArray(String[]::new));
    assertThat(stats(run, "failures")).as(failures(run)).containsOnly(0);

    Map<String, Map<String, Object>> fetched =
        results(run, "Fetch and check the list once, on the controller");
    assertThat(fetched).as("one fetch for the fleet").hasSize(1);
    Map<String, Map<String, Object>> applied = results(run, "Apply the snapshot");
    assertThat(applied.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    String snapshot = origin("origin1", "cat", SNAPSHOT);
    String ruleset = origin("origin1", "nft", "list", "table", "inet", "cf_allowlist");
    String nginx = origin("origin1", "cat", NGINX_FILE);
    assertThat(nginx).contains("# etag: " + SNAPSHOT_ETAG, "45.64.64.0/22");
    for (String host : HOSTS) {
      Map<String, Object> r = applied.get(host);
      assertThat(r.get("changed")).as(host).isEqualTo(true);
      assertThat(((Map<?, ?>) r.get("source")).get("etag")).as(host).isEqualTo(SNAPSHOT_ETAG);
      assertThat(origin(host, "cat", SNAPSHOT)).isEqualTo(snapshot);
      assertThat(origin(host, "nft", "list", "table", "inet", "cf_allowlist")).isEqualTo(ruleset);
      assertThat(origin(host, "cat", NGINX_FILE)).isEqualTo(nginx);
    }

    // The same list fetched again later: nothing changes anywhere.
    Path list = dir.resolve("controller-list.txt");
    Files.setLastModifiedTime(
        list, FileTime.from(Files.getLastModifiedTime(list).toInstant().plusSeconds(3600)));
    Map<String, Object> again = playbook("snapshot", Map.of(), inventories.toArray(String[]::new));
    assertThat(stats(again, "failures")).as(failures(again)).containsOnly(0);
    assertThat(stats(again, "changed")).as((String) again.get("stdout")).containsOnly(0);

    // A new list, and an origin that lost its snapshot: check mode plans against the new list.
    Files.writeString(list, Files.readString(list) + "64.68.192.0/22\n");
    origin("origin3", "rm", SNAPSHOT);
    Map<String, String> before = fleetState();
    List<String> checkMode = new ArrayList<>(inventories);
    checkMode.addAll(List.of("--check", "--diff"));
    Map<String, Object> check = playbook("snapshot", Map.of(), checkMode.toArray(String[]::new));
    assertThat(stats(check, "failures")).as(failures(check)).containsOnly(0);
    Map<String, Map<String, Object>> planned = results(check, "Apply the snapshot");
    assertThat(planned.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    for (String host : HOSTS) {
      Map<String, Object> r = planned.get(host);
      assertThat(r.get("changed")).as(host).isEqualTo(true);
      assertThat(outcomes(r)).as(host).containsOnly("would_change");
      assertThat(prepared(r)).as(host).containsPattern(added("64.68.192.0/22"));
      assertThat(origin(host, "sh", "-c", "ls /tmp | grep cf-allowlist-snapshot || true"))
          .as("no temporary file left on " + host)
          .isEmpty();
    }
    assertThat(fleetState()).isEqualTo(before);
    assertThat(origin("origin1", "cat", SNAPSHOT)).isEqualTo(snapshot);
    assertThat(origin("origin3", "ls", SNAPSHOT)).startsWith("exit ");
  }

  @Test
  @Order(13)
  void aFailedFetchOnTheControllerStopsTheSnapshotWithTheCommandsSentence() throws IOException {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("cf_allowlist_controller_executable", CLI_TARGET.resolve("cf-allowlist").toString());
    vars.put("cf_allowlist_fetch_source", "file:/nonexistent/list.txt");
    Map<String, Object> run = playbook("snapshot", vars);
    Map<String, Map<String, Object>> stopped =
        results(run, "Stop when the controller could not fetch or check the list");
    assertThat(stopped).as(failures(run)).isNotEmpty();
    assertThat(stopped.values().iterator().next().get("msg"))
        .isEqualTo("the source file /nonexistent/list.txt does not exist");
    assertThat(results(run, "Apply the snapshot")).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The role's variables for the fleet: the package, the embedded list (which needs no proxy, so
   * the proxy's password only has to stay hidden), nftables and nginx.
   */
  private Map<String, Object> fleetVars(Map<String, Object> config) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("source", "embedded");
    settings.put("proxy", PROXY);
    settings.putAll(config);
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("cf_allowlist_deb", deb.toString());
    vars.put("cf_allowlist_config", settings);
    vars.put("cf_allowlist_targets", Map.of("nftables", Map.of(), "nginx", Map.of()));
    vars.put("cf_allowlist_batch", "100%");
    return vars;
  }

  /** The module's behaviours on origin1, from one playbook run (see {@link #moduleRun}). */
  private Map<String, Object> moduleRun;

  /**
   * One run of a playbook of module tasks on origin1, each ignoring its failure so the next runs;
   * at -vvv, which shows every task's invocation. The command is a wrapper that records its
   * arguments in /root/cf-allowlist-argv before it runs the real one.
   */
  private Map<String, Object> moduleRun() throws IOException {
    if (moduleRun != null) {
      return moduleRun;
    }
    String wrapper =
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > /root/cf-allowlist-argv\n"
            + "exec /usr/bin/cf-allowlist \"$@\"\n";
    origin(
        "origin1",
        "sh",
        "-c",
        "printf '%s' \"$1\" > /usr/local/bin/cf-allowlist-argv"
            + " && chmod 755 /usr/local/bin/cf-allowlist-argv",
        "sh",
        wrapper);
    assertThat(origin("origin1", "cat", "/usr/local/bin/cf-allowlist-argv")).isEqualTo(wrapper);
    String m = "cfallowlist.cloudflare.cf_allowlist";
    List<String> play =
        List.of(
            "- name: The module's behaviours",
            "  hosts: origin1",
            "  gather_facts: false",
            "  vars:",
            "    proxy: \"" + PROXY + "\"",
            "  tasks:",
            "    - name: A proxy, a command that prints nothing",
            "      " + m + ": {executable: /bin/false, source: cloudflare, proxy: \"{{ proxy }}\"}",
            "      ignore_errors: true",
            "    - name: A proxy, a fetch through it",
            "      " + m + ":",
            "        executable: /usr/local/bin/cf-allowlist-argv",
            "        source: cloudflare",
            "        target: [nftables]",
            "        proxy: \"{{ proxy }}\"",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: A null setting",
            "      " + m + ": {target: [nginx], settings: {nginx-file: null}}",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: A list as a setting",
            "      " + m + ": {target: [nftables], settings: {nft-table: [inet, filter]}}",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: Metrics in a directory, in check mode",
            "      " + m + ": {source: embedded, target: [nftables], metrics_file: /etc}",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: Metrics over another file, in check mode",
            "      " + m + ": {source: embedded, target: [nftables], metrics_file: /etc/hostname}",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: Metrics in a new file, in check mode",
            "      " + m + ":",
            "        source: embedded",
            "        target: [nftables]",
            "        metrics_file: /root/cf-allowlist.prom",
            "      check_mode: true",
            "      ignore_errors: true",
            "    - name: An unknown key in config_content",
            "      " + m + ":",
            "        config_content: \"source = \\\"embedded\\\"\\nbogus = 1\\n\"",
            "        target: [nftables]",
            "      check_mode: true",
            "      ignore_errors: true",
            "");
    Path file = dir.resolve("module.yml");
    Files.writeString(file, String.join("\n", play));
    moduleRun = playbook(file.toString(), Map.of(), "-vvv");
    return moduleRun;
  }

  private Map<String, Map<String, Object>> moduleResults(String task) throws IOException {
    Map<String, Map<String, Object>> r = results(moduleRun(), task);
    assertThat(r).as(task + ": " + failures(moduleRun())).containsKey("origin1");
    return r;
  }

  /**
   * Runs the collection's playbook (or the playbook file {@code name}, a path) from the control
   * namespace; returns its record. Neither the log nor the record may show the proxy's password.
   */
  private Map<String, Object> playbook(String name, Map<String, Object> vars, String... options)
      throws IOException {
    Path varsFile = Files.createTempFile(dir, "vars-", ".json");
    Path record = dir.resolve(varsFile.getFileName() + ".record");
    Files.writeString(varsFile, JSON.std.asString(vars));
    List<String> argv =
        new ArrayList<>(
            List.of(
                "env",
                "ANSIBLE_CONFIG=" + dir.resolve("ansible.cfg"),
                "FLEET_RECORD=" + record,
                "ANSIBLE_NOCOLOR=1",
                "ip",
                "netns",
                "exec",
                control,
                "ansible-playbook",
                name.contains("/") ? name : "cfallowlist.cloudflare." + name,
                "-e",
                "@" + varsFile));
    argv.addAll(List.of(options));
    Result r = Netns.run(argv, null, PLAYBOOK_TIMEOUT);
    Path log = dir.resolve(varsFile.getFileName() + ".log");
    Files.writeString(log, r.stdout() + r.stderr());
    assertThat(record).as("ansible-playbook ran to its recap: " + r.stdout() + r.stderr()).exists();
    assertThat(r.stdout() + r.stderr()).as("the log of " + log).doesNotContain(PASSWORD);
    assertThat(Files.readString(record)).as("the record of " + log).doesNotContain(PASSWORD);
    Map<String, Object> run = new LinkedHashMap<>(JSON.std.mapFrom(Files.readString(record)));
    run.put("log", log.toString());
    run.put("stdout", r.stdout());
    return run;
  }

  /** One task's result on every host it ran on, over all plays (one per batch). */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> results(Map<String, Object> run, String task) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Object o : (List<Object>) run.get("results")) {
      Map<String, Object> record = (Map<String, Object>) o;
      if (((String) record.get("task")).endsWith(task)) {
        out.put((String) record.get("host"), (Map<String, Object>) record.get("result"));
      }
    }
    return out;
  }

  /** Every host any task ran on. */
  @SuppressWarnings("unchecked")
  private static List<String> hostsSeen(Map<String, Object> run) {
    List<String> hosts = new ArrayList<>();
    for (Object o : (List<Object>) run.get("results")) {
      hosts.add((String) ((Map<String, Object>) o).get("host"));
    }
    return hosts;
  }

  /** One counter of the play recap for every host. */
  @SuppressWarnings("unchecked")
  private static List<Integer> stats(Map<String, Object> run, String counter) {
    return ((Map<String, Object>) run.get("stats"))
        .values().stream()
            .map(s -> ((Number) ((Map<String, Object>) s).get(counter)).intValue())
            .toList();
  }

  /** One counter of the play recap for one host. */
  @SuppressWarnings("unchecked")
  private static int stat(Map<String, Object> run, String host, String counter) {
    Map<String, Object> s =
        (Map<String, Object>) ((Map<String, Object>) run.get("stats")).get(host);
    assertThat(s).as("the recap has " + host + ": " + run.get("stats")).isNotNull();
    return ((Number) s.get(counter)).intValue();
  }

  /** The failed tasks and the run's log, for an assertion's description. */
  @SuppressWarnings("unchecked")
  private static String failures(Map<String, Object> run) {
    StringBuilder sb = new StringBuilder("log: " + run.get("log") + "\n");
    for (Object o : (List<Object>) run.get("results")) {
      Map<String, Object> record = (Map<String, Object>) o;
      if (!"ok".equals(record.get("status")) && !"skipped".equals(record.get("status"))) {
        sb.append(record).append('\n');
      }
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> outcomes(Map<String, Object> result) {
    return ((List<Object>) result.get("targets"))
        .stream().map(t -> ((Map<String, Object>) t).get("outcome")).toList();
  }

  /** A diff line that removes {@code cidr}. */
  private static String removed(String cidr) {
    return "(?m)^-.*" + Pattern.quote(cidr);
  }

  /** A diff line that adds {@code cidr}. */
  private static String added(String cidr) {
    return "(?m)^\\+.*" + Pattern.quote(cidr);
  }

  @SuppressWarnings("unchecked")
  private static String prepared(Map<String, Object> result) {
    Map<String, Object> diff = (Map<String, Object>) result.get("diff");
    assertThat(diff).as("the task returned a diff: " + result).isNotNull();
    return (String) diff.get("prepared");
  }

  /** What check mode and a stopped rollout must leave alone on every origin. */
  private Map<String, String> fleetState() {
    Map<String, String> state = new LinkedHashMap<>();
    for (String host : HOSTS) {
      state.putAll(state(host));
    }
    return state;
  }

  private Map<String, String> state(String host) {
    Map<String, String> state = new LinkedHashMap<>();
    state.put(host + " ruleset", origin(host, "nft", "list", "ruleset"));
    state.put(host + " nginx", origin(host, "cat", NGINX_FILE));
    state.put(host + " config", origin(host, "cat", "/etc/cf-allowlist/cf-allowlist.toml"));
    return state;
  }

  private static Map<String, String> stateOf(Map<String, String> fleet, String host) {
    Map<String, String> state = new LinkedHashMap<>();
    fleet.forEach(
        (k, v) -> {
          if (k.startsWith(host + " ")) {
            state.put(k, v);
          }
        });
    return state;
  }

  /** Runs a command inside an origin (its network, mounts and root); returns its stdout. */
  private String origin(String host, String... argv) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "bash",
                ORIGINS.toString(),
                "exec",
                dir.toString(),
                host.substring("origin".length())));
    command.addAll(List.of(argv));
    Result r = Netns.run(command, null, Netns.DEFAULT_TIMEOUT);
    return r.exitCode() == 0 ? r.stdout() : "exit " + r.exitCode() + ": " + r.stderr();
  }

  private static void run(List<String> argv, Duration timeout) {
    Result r = Netns.run(argv, null, timeout);
    assertThat(r.exitCode()).as(String.join(" ", argv) + "\n" + r.stdout() + r.stderr()).isZero();
  }
}
