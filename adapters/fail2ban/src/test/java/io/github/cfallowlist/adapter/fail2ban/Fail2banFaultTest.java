package io.github.cfallowlist.adapter.fail2ban;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FaultKit.Live;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults of the reload and the test command against a real fail2ban server (its own configuration,
 * socket and in-memory database in a temporary directory, one jail whose action does nothing), from
 * a list without 173.245.48.0/20 to the embedded one. The drop-in is compared byte for byte and the
 * running jail's ignore list read with {@code fail2ban-client get web ignoreip}. Each case appends
 * a row to {@code target/reliability-fail2ban.tsv}.
 */
class Fail2banFaultTest {
  private static final String NAME = "fail2ban";
  private static final String ONLY_NEW = "173.245.48.0/20";

  @TempDir static Path dir;
  static Path socket;

  private final Fail2banTarget target = new Fail2banTarget();
  private final RangeSnapshot full = Fail2banConfigTest.embedded(Families.BOTH);
  private final RangeSnapshot old =
      full.withRanges(
          RangeSet.of(
              full.ranges().all().stream().filter(c -> !c.toString().equals(ONLY_NEW)).toList()));

  /** A fault, made for real. */
  enum Case {
    RELOAD_FAILS(
        "the reload fails (no server at the socket it names)",
        "fail2ban-client reload",
        "fail2ban-reload-command",
        "fail2ban-client -c DIR -s DIR/none.sock reload"),
    TEST_NOT_INSTALLED(
        "the test command is not installed",
        "fail2ban-client -t",
        "fail2ban-test-command",
        "/nonexistent/fail2ban-client -t"),
    RELOAD_NOT_INSTALLED(
        "the reload command is not installed",
        "fail2ban-client reload",
        "fail2ban-reload-command",
        "/nonexistent/fail2ban-client reload");

    final String label;
    final String command;
    final String setting;
    final String value;

    Case(String label, String command, String setting, String value) {
      this.label = label;
      this.command = command;
      this.setting = setting;
      this.value = value;
    }
  }

  @BeforeAll
  static void startFail2ban() throws IOException {
    SystemTests.requireTools("fail2ban-server", "fail2ban-client");
    FaultKit.resetTsv(NAME);
    socket = dir.resolve("f2b.sock");
    Path watched = dir.resolve("auth.log");
    Files.writeString(watched, "");
    for (String d : List.of("jail.d", "filter.d", "action.d")) {
      Files.createDirectories(dir.resolve(d));
    }
    Files.writeString(
        dir.resolve("fail2ban.conf"),
        "[Definition]\nloglevel = INFO\nlogtarget = "
            + dir.resolve("fail2ban.log")
            + "\nsocket = "
            + socket
            + "\npidfile = "
            + dir.resolve("f2b.pid")
            + "\ndbfile = :memory:\n");
    Files.writeString(
        dir.resolve("filter.d/probe.conf"), "[Definition]\nfailregex = ^fail from <HOST>$\n");
    Files.writeString(
        dir.resolve("action.d/noop.conf"), "[Definition]\nactionban =\nactionunban =\n");
    Files.writeString(
        dir.resolve("jail.conf"),
        "[DEFAULT]\nignoreip = 127.0.0.1/8\n\n[web]\nenabled = true\nbackend = polling\n"
            + "filter = probe\naction = noop\nlogpath = "
            + watched
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

  @BeforeEach
  void installTheOldList() throws IOException {
    TargetResult r =
        Sync.sync(target, old, context(TargetOptions.defaults()), FaultKit.guards(), false);
    assertThat(r.outcome()).as(r.message()).isIn(Outcome.APPLIED, Outcome.IN_SYNC);
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

  private static TargetContext context(TargetOptions base) {
    TargetOptions options =
        base.withSetting("fail2ban-file", file().toString())
            .withSetting("fail2ban-jails", "web")
            .withSetting("fail2ban-socket", socket.toString())
            .withSetting("fail2ban-test-command", "fail2ban-client -c " + dir + " -t")
            .withSetting(
                "fail2ban-reload-command",
                "fail2ban-client -c " + dir + " -s " + socket + " reload");
    for (var e : base.settings().entrySet()) {
      options = options.withSetting(e.getKey(), e.getValue());
    }
    return new TargetContext(options, CommandRunner.system());
  }

  /** Which list the file and the running jail hold. */
  private static String live(byte[] oldFile) throws IOException {
    boolean fileOld = java.util.Arrays.equals(Files.readAllBytes(file()), oldFile);
    boolean serverOld =
        !client("-s", socket.toString(), "get", "web", "ignoreip").contains(ONLY_NEW);
    return "file "
        + (fileOld ? "old" : "new")
        + ", fail2ban ignores "
        + (serverOld ? "old" : "new");
  }

  @ParameterizedTest
  @EnumSource(Case.class)
  void aFailedStepLeavesTheOldDropInAndTheServerAsItWas(Case fault) throws Exception {
    byte[] oldFile = Files.readAllBytes(file());
    assertThat(live(oldFile)).isEqualTo("file old, fail2ban ignores old");

    TargetResult result =
        Sync.sync(
            target,
            full,
            context(
                TargetOptions.defaults()
                    .withSetting(fault.setting, fault.value.replace("DIR", dir.toString()))),
            FaultKit.guards(),
            false);

    String live = live(oldFile);
    // A reload that fails may have loaded the file before it failed, and the one run with the old
    // file fails too: what the server runs cannot be told, and the outcome must say so.
    String verdict =
        fault == Case.RELOAD_FAILS
            ? FaultKit.verdictUnknown(result)
            : FaultKit.verdict(
                Live.of(live, "file old, fail2ban ignores old", "file new, fail2ban ignores new"),
                result);
    FaultKit.appendRow(
        NAME,
        fault.label,
        NAME,
        fault.command,
        live,
        result.outcome().name(),
        verdict,
        result.message().replace(dir.toString(), "DIR"));
    assertThat(verdict).as("%s: %s", result.outcome(), result.message()).isEqualTo("ok");
    assertThat(live).isEqualTo("file old, fail2ban ignores old");
    assertThat(result.outcome())
        .isEqualTo(fault == Case.RELOAD_FAILS ? Outcome.STATE_UNKNOWN : Outcome.FAILED_RESTORED);

    TargetResult clean =
        Sync.sync(target, full, context(TargetOptions.defaults()), FaultKit.guards(), false);
    assertThat(clean.outcome()).as(clean.message()).isEqualTo(Outcome.APPLIED);
    assertThat(live(oldFile)).isEqualTo("file new, fail2ban ignores new");
  }
}
