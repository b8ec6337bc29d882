package io.github.cfallowlist.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.Netns.Result;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
  @Order(3)
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
  @Order(4)
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
        .contains("unknown directive \"not_a_directive\"");
    assertThat(origin("origin2", "cat", NGINX_FILE)).isEqualTo(before.get("origin2 nginx"));
    assertThat(origin("origin2", "sh", "-c", "kill -0 \"$(cat /run/nginx.pid)\" && echo alive"))
        .as("origin2's nginx still runs")
        .isEqualTo("alive\n");
    // The third batch never started.
    assertThat(applied).doesNotContainKey("origin3");
    assertThat(hostsSeen(rollout)).doesNotContain("origin3");
    assertThat(state("origin3")).isEqualTo(stateOf(before, "origin3"));
  }

  @Test
  @Order(5)
  void theSnapshotPlaybookFetchesOnceAndEveryOriginAppliesTheSameList() throws IOException {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("cf_allowlist_controller_executable", CLI_TARGET.resolve("cf-allowlist").toString());
    vars.put("cf_allowlist_fetch_source", "file:" + dir.resolve("controller-list.txt"));
    vars.put("cf_allowlist_snapshot_targets", List.of("nftables", "nginx"));
    Map<String, Object> run = playbook("snapshot", vars);
    assertThat(stats(run, "failures")).as(failures(run)).containsOnly(0);

    Map<String, Map<String, Object>> fetched =
        results(run, "Fetch and check the list once, on the controller");
    assertThat(fetched).as("one fetch for the fleet").hasSize(1);
    Map<String, Map<String, Object>> applied = results(run, "Apply the snapshot");
    assertThat(applied.keySet()).containsExactlyInAnyOrderElementsOf(HOSTS);
    String snapshot = origin("origin1", "cat", "/var/lib/cf-allowlist/fleet-snapshot.txt");
    String ruleset = origin("origin1", "nft", "list", "table", "inet", "cf_allowlist");
    String nginx = origin("origin1", "cat", NGINX_FILE);
    assertThat(nginx).contains("# etag: " + SNAPSHOT_ETAG, "45.64.64.0/22");
    for (String host : HOSTS) {
      Map<String, Object> r = applied.get(host);
      assertThat(r.get("changed")).as(host).isEqualTo(true);
      assertThat(((Map<?, ?>) r.get("source")).get("etag")).as(host).isEqualTo(SNAPSHOT_ETAG);
      assertThat(origin(host, "cat", "/var/lib/cf-allowlist/fleet-snapshot.txt"))
          .isEqualTo(snapshot);
      assertThat(origin(host, "nft", "list", "table", "inet", "cf_allowlist")).isEqualTo(ruleset);
      assertThat(origin(host, "cat", NGINX_FILE)).isEqualTo(nginx);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** The role's variables for the fleet: the package, the embedded list, nftables and nginx. */
  private Map<String, Object> fleetVars(Map<String, Object> config) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("source", "embedded");
    settings.putAll(config);
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("cf_allowlist_deb", deb.toString());
    vars.put("cf_allowlist_config", settings);
    vars.put("cf_allowlist_targets", Map.of("nftables", Map.of(), "nginx", Map.of()));
    vars.put("cf_allowlist_batch", "100%");
    return vars;
  }

  /** Runs the collection's playbook from the control namespace; returns its record. */
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
                "cfallowlist.cloudflare." + name,
                "-e",
                "@" + varsFile));
    argv.addAll(List.of(options));
    Result r = Netns.run(argv, null, PLAYBOOK_TIMEOUT);
    Path log = dir.resolve(varsFile.getFileName() + ".log");
    Files.writeString(log, r.stdout() + r.stderr());
    assertThat(record).as("ansible-playbook ran to its recap: " + r.stdout() + r.stderr()).exists();
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
