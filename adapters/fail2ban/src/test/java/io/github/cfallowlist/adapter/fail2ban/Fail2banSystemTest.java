package io.github.cfallowlist.adapter.fail2ban;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.testing.Logged;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target against a real fail2ban server started once for the class with its own configuration
 * directory, socket, pid file, in-memory database and watched log file in a temporary directory.
 * Its jails ban on one failure line and their only action does nothing, so no firewall is touched.
 * Jail {@code web} has no ignoreip of its own (it inherits {@code [DEFAULT]}'s); jail {@code own}
 * sets its own.
 */
class Fail2banSystemTest {
  static final String EDGE = "173.245.48.5";
  static final String OUTSIDER = "192.0.2.9";
  static final String USERS = "198.51.100.7";

  @TempDir static Path dir;
  static Path socket;
  static Path watched;

  private final Fail2banTarget target = new Fail2banTarget();
  private final RangeSnapshot full = Fail2banConfigTest.embedded(Families.BOTH);

  @BeforeAll
  static void startFail2ban() throws IOException {
    SystemTests.requireTools("fail2ban-server", "fail2ban-client");
    socket = dir.resolve("f2b.sock");
    watched = dir.resolve("auth.log");
    Files.writeString(watched, "");
    Files.createDirectories(dir.resolve("jail.d"));
    Files.createDirectories(dir.resolve("filter.d"));
    Files.createDirectories(dir.resolve("action.d"));
    Files.writeString(
        dir.resolve("fail2ban.conf"),
        "[Definition]\nloglevel = INFO\nlogtarget = "
            + dir.resolve("fail2ban.log")
            + "\nsyslogsocket = auto\nsocket = "
            + socket
            + "\npidfile = "
            + dir.resolve("f2b.pid")
            + "\ndbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n");
    Files.writeString(
        dir.resolve("filter.d/probe.conf"), "[Definition]\nfailregex = ^fail from <HOST>$\n");
    Files.writeString(
        dir.resolve("action.d/noop.conf"), "[Definition]\nactionban =\nactionunban =\n");
    String jail =
        "enabled = true\nbackend = polling\nfilter = probe\naction = noop\nmaxretry = 1\n"
            + "findtime = 1h\nbantime = 1h\nlogpath = "
            + watched
            + "\n";
    Files.writeString(
        dir.resolve("jail.conf"),
        "[DEFAULT]\nignoreip = 127.0.0.1/8\n\n[web]\n"
            + jail
            + "\n[own]\n"
            + jail
            + "ignoreip = "
            + USERS
            + "\n");
    client("-c", dir.toString(), "-x", "start");
  }

  @AfterAll
  static void stopFail2ban() {
    if (socket != null) {
      Netns.run(
          List.of("fail2ban-client", "-s", socket.toString(), "stop"), null, Netns.DEFAULT_TIMEOUT);
    }
  }

  @AfterEach
  void cleanUp() throws IOException {
    Files.deleteIfExists(file());
    client("-c", dir.toString(), "-s", socket.toString(), "reload");
    client("-s", socket.toString(), "unban", "--all");
  }

  private static String client(String... args) {
    List<String> argv = new ArrayList<>(List.of("fail2ban-client"));
    argv.addAll(List.of(args));
    Netns.Result r = Netns.run(argv, null, Netns.DEFAULT_TIMEOUT);
    assertThat(r.ok()).as(String.join(" ", argv) + ": " + r.stderr()).isTrue();
    return r.stdout();
  }

  private static Path file() {
    return dir.resolve("jail.d/cloudflare-ignoreip.local");
  }

  private TargetContext context(String testCommand) {
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting("fail2ban-file", file().toString())
            .withSetting("fail2ban-jails", "web,own")
            .withSetting("fail2ban-socket", socket.toString())
            .withSetting("fail2ban-test-command", testCommand)
            .withSetting(
                "fail2ban-reload-command",
                "fail2ban-client -c " + dir + " -s " + socket + " reload");
    return new TargetContext(options, CommandRunner.system());
  }

  private TargetContext context() {
    return context("fail2ban-client -c " + dir + " -t");
  }

  private static String banned() {
    return client("-s", socket.toString(), "banned");
  }

  /**
   * Writes one failure line per address and waits until {@code banned} shows each of {@code
   * awaited}: each jail polls the file on its own thread, so one jail's ban says nothing of the
   * other's.
   */
  private static void failures(List<String> awaited, String... addresses) throws Exception {
    StringBuilder lines = new StringBuilder();
    for (String a : addresses) {
      lines.append("fail from ").append(a).append('\n');
    }
    // Written again until every awaited ban shows: a polling jail that has just (re)started may
    // miss lines appended in its first second.
    for (int round = 0; round < 10 && !showsAll(awaited); round++) {
      Files.writeString(watched, lines, StandardOpenOption.APPEND);
      for (int i = 0; i < 20 && !showsAll(awaited); i++) {
        Thread.sleep(100);
      }
    }
  }

  private static boolean showsAll(List<String> awaited) {
    String banned = banned();
    return awaited.stream().allMatch(banned::contains);
  }

  @Test
  void afterApplyACloudflareAddressTriggersNoBanWhileAnOutsiderIsBanned() throws Exception {
    TargetResult applied = Sync.sync(target, full, context(), Guards.defaults(), false);
    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.APPLIED);

    failures(
        List.of("{'web': ['" + OUTSIDER + "']}", "{'own': ['" + OUTSIDER + "']}"), EDGE, OUTSIDER);

    String banned = banned();
    assertThat(banned).contains("{'web': ['" + OUTSIDER + "']}");
    assertThat(banned).contains("{'own': ['" + OUTSIDER + "']}");
    assertThat(banned).doesNotContain(EDGE);
  }

  @Test
  void eachJailKeepsItsOwnIgnoreipAndGetsCloudflaresRanges() throws Exception {
    Sync.apply(target, full, context(), Guards.defaults());

    String own = client("-s", socket.toString(), "get", "own", "ignoreip");
    String web = client("-s", socket.toString(), "get", "web", "ignoreip");
    assertThat(own).contains(USERS).contains("173.245.48.0/20").contains("2400:cb00::/32");
    assertThat(web).contains("127.0.0.0/8").contains("173.245.48.0/20");

    failures(List.of("{'own': ['192.0.2.10']}"), USERS, "192.0.2.10");
    assertThat(banned()).contains("{'own': ['192.0.2.10']}");
    assertThat(banned()).doesNotContain("'own': ['" + USERS);
  }

  @Test
  void anExistingBanOfACloudflareAddressIsLiftedByApplyAndNamedByAddressAndJail() throws Exception {
    Sync.apply(target, full, context(), Guards.defaults());
    client("-s", socket.toString(), "set", "own", "banip", EDGE, OUTSIDER);

    Plan plan = Sync.plan(target, full, context());
    assertThat(plan.hasChanges()).isTrue();
    assertThat(target.readLive(context()).orElseThrow().text())
        .contains(Fail2banConfig.BANNED + EDGE + " in jail own");

    Logged<TargetResult> logging =
        Logged.by(
            Fail2banTarget.class,
            () -> Sync.sync(target, full, context(), Guards.defaults(), false));
    TargetResult applied = logging.value();
    List<String> logged = logging.messages();

    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.APPLIED);
    assertThat(logged)
        .contains(
            "fail2ban: lifted the ban of "
                + EDGE
                + " in jail own: it is inside Cloudflare's ranges");
    assertThat(banned()).contains("{'own': ['" + OUTSIDER + "']}").doesNotContain(EDGE);
    assertThat(Sync.plan(target, full, context()).hasChanges()).isFalse();
  }

  @Test
  void inSyncRunsNoReload() throws Exception {
    Sync.apply(target, full, context(), Guards.defaults());
    TargetOptions noReload = context().options().withSetting("fail2ban-reload-command", "false");

    TargetResult again =
        Sync.sync(
            target,
            full,
            new TargetContext(noReload, CommandRunner.system()),
            Guards.defaults(),
            false);

    assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
  }

  @Test
  void aFailingTestCommandLeavesTheOldFile() throws Exception {
    RangeSnapshot fewer =
        full.withRanges(
            RangeSet.of(
                full.ranges().all().stream()
                    .filter(c -> !c.toString().equals("173.245.48.0/20"))
                    .toList()));
    Sync.apply(target, fewer, context(), Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    // The test command reads a configuration that fail2ban refuses.
    Files.writeString(dir.resolve("jail.d/broken.local"), "[web]\nmaxretry = %(nosuch)s\n");
    try {
      TargetResult failed = Sync.sync(target, full, context(), Guards.defaults(), false);
      assertThat(failed.outcome()).as(failed.message()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(failed.message()).contains("rejected");
    } finally {
      Files.delete(dir.resolve("jail.d/broken.local"));
    }
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
  }

  @Test
  void aBanThatCannotBeLiftedEndsInTheOldDropInWithTheBanAsBeforeAndIsReportedRestored()
      throws Exception {
    RangeSnapshot fewer =
        full.withRanges(
            RangeSet.of(
                full.ranges().all().stream()
                    .filter(c -> !c.toString().equals("104.16.0.0/13"))
                    .toList()));
    Sync.apply(target, fewer, context(), Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    client("-s", socket.toString(), "set", "own", "banip", EDGE);
    // The server stops answering between the reading of its bans and the lifting of one: the
    // one fault here that a real server cannot be made to show on cue.
    CommandRunner system = CommandRunner.system();
    CommandRunner noUnban =
        command ->
            command.argv().contains("unbanip")
                ? new CommandResult(255, "", "Failed to access socket path: " + socket)
                : system.run(command);

    TargetResult result =
        Sync.sync(
            target,
            full,
            new TargetContext(context().options(), noUnban),
            Guards.defaults(),
            false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message())
        .contains("a ban inside Cloudflare's ranges could not be lifted")
        .contains("the previous state was put back (verified by reading back");
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
    assertThat(banned()).contains("{'own': ['" + EDGE + "']}");
    assertThat(client("-s", socket.toString(), "get", "web", "ignoreip"))
        .contains("173.245.48.0/20")
        .doesNotContain("104.16.0.0/13");
  }

  @Test
  void aStoppedServerGetsTheTestedDropInWithoutAReloadAndReadsItWhenItStarts() throws Exception {
    // A server that is not running: nothing at the socket these settings name.
    Path none = dir.resolve("stopped.sock");
    TargetOptions stopped =
        context()
            .options()
            .withSetting("fail2ban-socket", none.toString())
            .withSetting(
                "fail2ban-reload-command", "fail2ban-client -c " + dir + " -s " + none + " reload");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(CommandRunner.system());
    Logged<TargetResult> logging =
        Logged.by(
            FileApplier.class,
            () ->
                Sync.sync(
                    target, full, new TargetContext(stopped, runner), Guards.defaults(), false));
    TargetResult result = logging.value();
    List<String> warnings = logging.messages();

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(file()).content().contains("173.245.48.0/20");
    assertThat(runner.commands())
        .extracting(c -> String.join(" ", c.argv()))
        .as("tested, never reloaded")
        .contains("fail2ban-client -c " + dir + " -t")
        .noneMatch(c -> c.endsWith(" reload"));
    assertThat(warnings)
        .containsExactly(
            "fail2ban is not running (there is no "
                + none
                + "), so it was not reloaded; it reads the new configuration when it starts");
  }

  @Test
  void aServerWhoseSocketOnlyItsOwnConfigurationNamesIsStillReloaded() throws Exception {
    // fail2ban-socket names nothing, but the reload's fail2ban-client finds the server through
    // the socket fail2ban.conf sets: it runs, and must be reloaded.
    TargetOptions elsewhere =
        context()
            .options()
            .withSetting("fail2ban-socket", dir.resolve("stopped.sock").toString())
            .withSetting("fail2ban-reload-command", "fail2ban-client -c " + dir + " reload");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(CommandRunner.system());

    TargetResult result =
        Sync.sync(target, full, new TargetContext(elsewhere, runner), Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(runner.commands())
        .extracting(c -> String.join(" ", c.argv()))
        .contains("fail2ban-client -c " + dir + " ping", "fail2ban-client -c " + dir + " reload");
    assertThat(client("-s", socket.toString(), "get", "web", "ignoreip"))
        .contains("173.245.48.0/20");
  }

  @Test
  void withoutAnIgnoreipInDefaultTheTestRejectsTheFileSayingWhatToAdd() throws Exception {
    // Debian's jail.conf leaves [DEFAULT] ignoreip commented out: the same jails without it.
    Path stock = dir.resolve("stock");
    Files.createDirectories(stock);
    for (String name : List.of("fail2ban.conf", "filter.d", "action.d", "jail.d")) {
      Files.createSymbolicLink(stock.resolve(name), dir.resolve(name));
    }
    Files.writeString(
        stock.resolve("jail.conf"),
        Files.readString(dir.resolve("jail.conf")).replace("ignoreip = 127.0.0.1/8\n", ""));

    TargetResult failed =
        Sync.sync(
            target, full, context("fail2ban-client -c " + stock + " -t"), Guards.defaults(), false);

    assertThat(failed.outcome()).as(failed.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(failed.message())
        .contains("add 'ignoreip = 127.0.0.1/8 ::1' under [DEFAULT] in jail.local");
    assertThat(file()).doesNotExist();
  }

  @Test
  void uninstallRemovesOnlyItsFileAndReloads() throws Exception {
    Sync.apply(target, full, context(), Guards.defaults());
    Path mine = dir.resolve("jail.d/users.local");
    Files.writeString(mine, "[web]\nmaxretry = 1\n");
    try {
      TargetResult removed = Sync.remove(target, context(), false);
      assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
      assertThat(file()).doesNotExist();
      assertThat(mine).exists();
      assertThat(client("-s", socket.toString(), "get", "own", "ignoreip"))
          .contains(USERS)
          .doesNotContain("173.245.48.0/20");
    } finally {
      Files.delete(mine);
    }
  }

  /** What {@code body} logs through the target's logger, formatted. */
  private static List<String> logged(Callable<?> body) throws Exception {
    return Logged.by(Fail2banTarget.class, body).messages();
  }

  private List<Finding> diagnose(TargetContext context) throws IOException {
    return target.diagnose(new Diagnosis(full, List.of(443), context));
  }

  private TargetContext onlyWeb() {
    return new TargetContext(
        context().options().withSetting("fail2ban-jails", "web"), CommandRunner.system());
  }

  @Test
  void aRunningJailOutsideFail2banJailsIsWarnedOnceByPlanAndApplyAndByDoctor() throws Exception {
    List<String> planned = logged(() -> Sync.plan(target, full, onlyWeb()));
    String warning =
        "fail2ban: jail own runs but fail2ban-jails does not name it, so it can still ban"
            + " Cloudflare's addresses: set fail2ban-jails=web,own and apply again";
    assertThat(planned).containsExactly(warning);

    Fail2banTarget fresh = new Fail2banTarget();
    List<String> applied =
        logged(() -> Sync.sync(fresh, full, onlyWeb(), Guards.defaults(), false));
    assertThat(applied).as("plan and the re-read after apply warn once").containsExactly(warning);

    assertThat(diagnose(onlyWeb()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found())
                  .isEqualTo(
                      "fail2ban runs jail own, which fail2ban-jails does not name: it can still"
                          + " ban Cloudflare's edges");
              assertThat(f.remedy()).contains("--set fail2ban-jails=web,own");
            });

    assertThat(logged(() -> Sync.apply(new Fail2banTarget(), full, context(), Guards.defaults())))
        .isEmpty();
    assertThat(diagnose(context()))
        .singleElement()
        .extracting(Finding::status)
        .isEqualTo(Status.OK);
  }

  @Test
  void doctorFailsAJailWhoseRunningIgnoreListLacksCloudflareAndPassesOnceApplied()
      throws Exception {
    List<Finding> before = diagnose(context());

    assertThat(before).hasSize(2).allSatisfy(f -> assertThat(f.status()).isEqualTo(Status.FAIL));
    assertThat(before.get(0).found())
        .startsWith(
            "the ignore list of jail web in the running fail2ban lacks 22 of Cloudflare's 22")
        .contains(file() + " does not exist");
    assertThat(before.get(1).found()).startsWith("the ignore list of jail own");
    assertThat(before.get(0).remedy()).contains("cf-allowlist apply --target fail2ban");

    Sync.apply(target, full, context(), Guards.defaults());

    assertThat(diagnose(context()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found())
                  .contains("fail2ban runs jails ")
                  .contains("each jail of fail2ban-jails ignores Cloudflare's 22 ranges")
                  .contains(dir + " has the ignoreip that " + file() + " extends");
            });
  }

  @Test
  void doctorFailsWithoutAnIgnoreipInDefaultAndPassesWithIt() throws Exception {
    Sync.apply(target, full, context(), Guards.defaults());
    Path stock = dir.resolve("stock-doctor");
    Files.createDirectories(stock.resolve("jail.d"));
    Files.writeString(
        stock.resolve("jail.conf"),
        Files.readString(dir.resolve("jail.conf")).replace("ignoreip = 127.0.0.1/8\n", ""));
    Files.writeString(stock.resolve("jail.d/cloudflare-ignoreip.local"), Files.readString(file()));
    TargetContext inStock =
        new TargetContext(
            context()
                .options()
                .withSetting(
                    "fail2ban-file", stock.resolve("jail.d/cloudflare-ignoreip.local").toString()),
            CommandRunner.system());

    assertThat(diagnose(inStock))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found()).startsWith("no ignoreip under [DEFAULT] in " + stock);
              assertThat(f.remedy())
                  .startsWith(
                      "add 'ignoreip = 127.0.0.1/8 ::1' under [DEFAULT] in "
                          + stock.resolve("jail.local"));
            });

    Files.writeString(stock.resolve("jail.local"), "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1\n");

    assertThat(diagnose(inStock)).singleElement().extracting(Finding::status).isEqualTo(Status.OK);
  }
}
