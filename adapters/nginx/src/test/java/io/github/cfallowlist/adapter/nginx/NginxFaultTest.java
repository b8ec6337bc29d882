package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.PORT;
import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.VISITOR;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.ORIGIN_V4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FaultKit.Fault;
import io.github.cfallowlist.testing.FaultKit.FaultRunner;
import io.github.cfallowlist.testing.FaultKit.Live;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault suite for nginx: a real nginx in a network namespace (private prefix), changed by the
 * real engine from the embedded list to {@link FaultKit#newList()} while its test or reload command
 * fails, hangs after reloading or is missing, and while a child JVM doing the change is killed at
 * random moments. Each case checks the files byte for byte and what nginx really serves: a request
 * from {@value #NEW_ONLY}, inside 104.28.0.0/14 which only the new list covers (its 104.16.0.0/12
 * replaces 104.16.0.0/13 and 104.24.0.0/14), has its {@code CF-Connecting-IP} trusted exactly when
 * nginx loaded the new list. Each case appends a row to {@code target/reliability-nginx.tsv}.
 */
class NginxFaultTest {
  private static final String NAME = "nginx";
  private static final int KILL_TRIALS = 12;
  private static final int MAX_DELAY_MS = 1500;

  /** A source address only the new list trusts. */
  private static final String NEW_ONLY = "104.28.0.5";

  private static final Duration SETTLE = Duration.ofSeconds(10);

  private final NginxTarget target = new NginxTarget();
  private final RangeSnapshot oldList = FaultKit.oldList();
  private final RangeSnapshot newList = FaultKit.newList();
  private final AtomicInteger requests = new AtomicInteger();

  @BeforeAll
  static void startMatrix() {
    FaultKit.resetTsv(NAME);
  }

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools(
        "ip", "nginx", "curl", "ss", "unshare", "mount", "sh", "sleep", "kill");
  }

  /** One fault of a command nginx's change runs. */
  enum Case {
    TEST_FAILS("nginx -t", Fault.FAIL_BEFORE_COMMIT, "nginx -t fails (exit 1)"),
    RELOAD_FAILS("nginx -s reload", Fault.FAIL_BEFORE_COMMIT, "nginx -s reload fails (exit 1)"),
    RELOAD_THEN_FAILS(
        "nginx -s reload", Fault.COMMIT_THEN_FAIL, "nginx -s reload reloads, then exits 1"),
    RELOAD_HANGS(
        "nginx -s reload",
        Fault.COMMIT_THEN_HANG,
        "nginx -s reload reloads, then hangs past the timeout"),
    TEST_MISSING("nginx -t", Fault.MISSING, "nginx -t is not installed (hidden at apply time)");

    final String command;
    final Fault fault;
    final String label;

    Case(String command, Fault fault, String label) {
      this.command = command;
      this.fault = fault;
      this.label = label;
    }

    boolean onTest() {
      return command.equals("nginx -t");
    }
  }

  /** The files on disk and what nginx serves, each as the old or the new list (or neither). */
  record State(Live files, Live served) {
    Live live() {
      if (files == served) {
        return files;
      }
      return files == Live.NEITHER || served == Live.NEITHER ? Live.NEITHER : Live.MIXED;
    }
  }

  /** Both files as the old and as the new list wrote them. */
  record Files2(String realIp, String allow) {}

  @ParameterizedTest(name = "{0}")
  @EnumSource(Case.class)
  void faultLeavesTheOldOrTheNewFilesAndLoadedListAndTheOutcomeSaysWhich(
      Case fault, @TempDir Path dir) throws Exception {
    try (NginxInOrigin nginx = start()) {
      TargetOptions options = nginx.prefix().options(io.github.cfallowlist.Families.BOTH);
      TargetContext clean = new TargetContext(options, nginx.runner());
      Files2[] refs = references(nginx, clean);
      FaultRunner faults = new FaultRunner(nginx.origin().name(), "nginx", fault.fault, dir);
      CommandRunner runner = fault.onTest() ? onTestCommand(nginx, faults) : faults;
      Set<Long> workers = nginx.workers();
      long reloads = nginx.reconfigurations();

      TargetResult result =
          Sync.sync(target, newList, new TargetContext(options, runner), FaultKit.guards(), false);

      settle(nginx, reloads, workers);
      State state = state(nginx, refs);
      // A reload that keeps failing may have loaded the files the first time: nginx's own state
      // cannot be read, so the outcome must say it is unknown.
      String verdict =
          fault == Case.RELOAD_FAILS
              ? FaultKit.verdictUnknown(result)
              : FaultKit.verdict(state.live(), result);
      FaultKit.appendRow(
          NAME,
          fault.label,
          NAME,
          fault.command,
          "files " + state.files().label() + ", nginx serves " + state.served().label(),
          result.outcome().name(),
          verdict,
          // The private prefix's random name would change the matrix on every run.
          result.message().replace(nginx.prefix().dir().toString(), "PREFIX"));
      // A failed reload is followed by one with the old files, and nothing runs either again.
      assertThat(faults.faultedCommands())
          .as("%s ran under the fault", fault.command)
          .isEqualTo(fault.onTest() ? 1 : 2);
      assertThat(verdict).as("%s: %s", result.outcome(), result.message()).isEqualTo("ok");
      assertThat(state.files()).isIn(Live.OLD, Live.NEW);
      assertThat(nginx.reconfigurations() - reloads)
          .as("nginx reloaded the new files and then the old ones, or never")
          .isEqualTo(fault == Case.RELOAD_HANGS || fault == Case.RELOAD_THEN_FAILS ? 2 : 0);
      if (fault != Case.RELOAD_FAILS) {
        assertNoLeftovers(nginx.prefix()); // else the record stays for the next run to clear
      }

      recover(nginx, clean, refs, "after " + fault);
    }
  }

  @Test
  void sigkillAtRandomMomentsNeverLooksInSyncUnlessItIsAndTheNextRunFinishes(@TempDir Path tmp)
      throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Map<String, Integer> states = new TreeMap<>();
    Map<String, Integer> next = new TreeMap<>();
    Map<Live, Integer> before = new EnumMap<>(Live.class);
    int midRun = 0;
    try (NginxInOrigin nginx = start()) {
      NginxPrefix prefix = nginx.prefix();
      Map<String, String> settings = slowSettings(prefix);
      TargetOptions options = NginxFaultChild.options(settings);
      TargetContext clean = new TargetContext(options, nginx.runner());
      Files2[] refs = references(nginx, clean);
      Path log = tmp.resolve("child.log");
      NginxFaultChild child = NginxFaultChild.start(nginx.origin().name(), settings, log);
      for (int trial = 0; trial < KILL_TRIALS; trial++) {
        String what = "trial " + trial + " of seed " + seed;
        Set<Long> workers = nginx.workers();
        long reloads = nginx.reconfigurations();
        TargetResult reset = Sync.sync(target, oldList, clean, FaultKit.guards(), false);
        assertThat(reset.outcome()).as(what).isIn(Outcome.APPLIED, Outcome.IN_SYNC);
        settle(nginx, reloads, workers);
        assertThat(state(nginx, refs)).as(what).isEqualTo(new State(Live.OLD, Live.OLD));

        workers = nginx.workers();
        reloads = nginx.reconfigurations();
        // Spread over 0-1500 ms, one random moment in each slice, so every phase is hit.
        int slice = (MAX_DELAY_MS + 1) / KILL_TRIALS;
        int delay = trial * slice + random.nextInt(slice);
        child.go();
        Thread.sleep(delay);
        boolean running = child.kill(trial % 2 == 1);
        midRun += running ? 1 : 0;
        String printed = child.printed();
        assertThat(printed)
            .as("%s: a run that finished applied", what)
            .matches(running ? "(APPLIED .*)?" : "APPLIED .*");
        child = NginxFaultChild.start(nginx.origin().name(), settings, log);
        settle(nginx, reloads, workers);

        State state = state(nginx, refs);
        String where = what + ", killed after " + delay + " ms (" + printed + "): " + state;
        for (Live which : List.of(Live.OLD, Live.NEW)) {
          RangeSnapshot list = which == Live.OLD ? oldList : newList;
          if (!Sync.plan(target, list, clean).hasChanges()) {
            assertThat(state)
                .as("%s: a plan for the %s list is in sync", where, which.label())
                .isEqualTo(new State(which, which));
          }
        }
        states.merge(
            "files " + state.files().label() + "/nginx " + state.served().label(), 1, Integer::sum);
        before.merge(state.live(), 1, Integer::sum);

        String after = recover(nginx, clean, refs, where);
        next.merge(after, 1, Integer::sum);
      }
      child.discard();
    }
    FaultKit.appendRow(
        NAME,
        "SIGKILL at a random moment ("
            + KILL_TRIALS
            + " trials, 0-"
            + MAX_DELAY_MS
            + " ms, slowed nginx -t)",
        NAME,
        "the whole run",
        states.toString().replaceAll("[{}]", "").replace('=', ' '),
        "next run: " + next.toString().replaceAll("[{}]", "").replace('=', ' '),
        "ok",
        String.format(
            Locale.ROOT,
            "%d killed while running (every other one with its commands); before the next run no"
                + " plan was in sync unless files and nginx agreed (%d old, %d new, %d mixed); the"
                + " next run applied or found in sync, and nginx served the new list",
            midRun,
            before.getOrDefault(Live.OLD, 0),
            before.getOrDefault(Live.NEW, 0),
            before.getOrDefault(Live.MIXED, 0) + before.getOrDefault(Live.NEITHER, 0)));
    assertThat(midRun).as("trials killed while the run was still going").isPositive();
  }

  // ---- helpers

  private static NginxInOrigin start() {
    NginxInOrigin nginx = NginxInOrigin.start();
    nginx.origin().execChecked("ip", "-4", "addr", "add", NEW_ONLY + "/32", "dev", "lo");
    return nginx;
  }

  /**
   * Settings whose test command sleeps 0.5 s first and whose reload command sleeps 0.2 s after
   * signalling nginx, so random kills land before, during and after each step.
   */
  private static Map<String, String> slowSettings(NginxPrefix prefix) throws IOException {
    String nginx = realNginx();
    Path test = prefix.dir().resolve("slow-test.sh");
    Files.writeString(
        test,
        "sleep 0.5\nexec " + nginx + " -t -p " + prefix.dir() + " -c " + prefix.conf() + "\n");
    Path reload = prefix.dir().resolve("slow-reload.sh");
    Files.writeString(
        reload,
        nginx
            + " -p "
            + prefix.dir()
            + " -c "
            + prefix.conf()
            + " -s reload || exit 1\nsleep 0.2\n");
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("nginx-file", prefix.realIpFile().toString());
    settings.put("nginx-allow-file", prefix.allowFile().toString());
    settings.put("nginx-test-command", "/bin/sh " + test);
    settings.put("nginx-reload-command", "/bin/sh " + reload);
    return settings;
  }

  private static String realNginx() {
    return Stream.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
        .map(d -> Path.of(d, "nginx"))
        .filter(Files::isExecutable)
        .findFirst()
        .map(Path::toString)
        .orElseThrow(() -> new AssertionError("nginx is not installed"));
  }

  /**
   * A runner that puts the test command (a read) through {@code faults}, and every other command in
   * the namespace with its own timeout.
   */
  private static CommandRunner onTestCommand(NginxInOrigin nginx, FaultRunner faults) {
    List<String> test = nginx.prefix().testCommand();
    CommandRunner plain = NetnsCommandRunner.inside(nginx.origin().name());
    return c -> {
      if (c.argv().equals(test)) {
        return faults.run(new Command(c.argv(), c.stdin(), true, c.timeout()));
      }
      return plain.run(c);
    };
  }

  /**
   * Installs the new list, then the old one, and returns the files each wrote: {@code [old, new]}.
   */
  private Files2[] references(NginxInOrigin nginx, TargetContext clean) {
    Files2 neu = install(nginx, clean, newList);
    assertThat(served(nginx)).as("the new list is loaded").isEqualTo(Live.NEW);
    Files2 old = install(nginx, clean, oldList);
    assertThat(served(nginx)).as("the old list is loaded").isEqualTo(Live.OLD);
    assertThat(old).isNotEqualTo(neu);
    assertThat(neu.realIp()).contains("104.16.0.0/12", "2a10:50c0::/29");
    assertThat(old.realIp()).contains("104.24.0.0/14").doesNotContain("104.16.0.0/12");
    assertThat(neu.allow()).contains("104.16.0.0/12");
    return new Files2[] {old, neu};
  }

  private Files2 install(NginxInOrigin nginx, TargetContext clean, RangeSnapshot list) {
    Set<Long> workers = nginx.workers();
    assertThat(Sync.sync(target, list, clean, FaultKit.guards(), false).outcome())
        .isEqualTo(Outcome.APPLIED);
    nginx.awaitReloadFrom(workers);
    settle(nginx, nginx.reconfigurations(), nginx.workers());
    return files(nginx.prefix());
  }

  /**
   * Runs the next run in process; it must apply or find in sync, and afterwards the files and nginx
   * hold the new list, with nothing pending.
   *
   * @return the next run's outcome
   */
  private String recover(NginxInOrigin nginx, TargetContext clean, Files2[] refs, String what)
      throws IOException {
    Set<Long> workers = nginx.workers();
    long reloads = nginx.reconfigurations();
    TargetResult after = Sync.sync(target, newList, clean, FaultKit.guards(), false);
    assertThat(after.outcome())
        .as("%s, the next run: %s", what, after.message())
        .isIn(Outcome.APPLIED, Outcome.IN_SYNC);
    if (after.outcome() == Outcome.APPLIED) {
      nginx.awaitReloadFrom(workers);
    }
    settle(nginx, reloads, workers);
    assertThat(state(nginx, refs))
        .as("%s, after the next run (%s)", what, after.outcome())
        .isEqualTo(new State(Live.NEW, Live.NEW));
    assertThat(Sync.plan(target, newList, clean).hasChanges()).as(what).isFalse();
    assertNoLeftovers(nginx.prefix());
    return after.outcome().name();
  }

  private static void assertNoLeftovers(NginxPrefix prefix) {
    for (Path dir : List.of(prefix.realIpFile().getParent(), prefix.allowFile().getParent())) {
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files)
            .as("no record or temporary file left in %s", dir)
            .allMatch(p -> p.equals(prefix.realIpFile()) || p.equals(prefix.allowFile()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Waits until a reload nginx was signalled for since {@code reloads} has finished: one worker,
   * none of {@code workers} unless nginx did not reconfigure, and nothing changing for a moment.
   */
  private static void settle(NginxInOrigin nginx, long reloads, Set<Long> workers) {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    pause(300);
    while (true) {
      long count = nginx.reconfigurations();
      Set<Long> now = nginx.workers();
      boolean replaced = count == reloads || now.stream().noneMatch(workers::contains);
      // Long enough for a loaded machine's master to take a signal it was just sent.
      pause(500);
      if (replaced
          && now.size() == 1
          && now.equals(nginx.workers())
          && count == nginx.reconfigurations()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("nginx did not settle: workers " + now + ", before " + workers);
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static Files2 files(NginxPrefix prefix) {
    return new Files2(read(prefix.realIpFile()), read(prefix.allowFile()));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "(no file)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private State state(NginxInOrigin nginx, Files2[] refs) {
    Files2 now = files(nginx.prefix());
    Live realIp = Live.of(now.realIp(), refs[0].realIp(), refs[1].realIp());
    Live allow = Live.of(now.allow(), refs[0].allow(), refs[1].allow());
    Live files;
    if (realIp == allow) {
      files = realIp;
    } else {
      files = realIp == Live.NEITHER || allow == Live.NEITHER ? Live.NEITHER : Live.MIXED;
    }
    return new State(files, served(nginx));
  }

  /**
   * Which list nginx serves: a request from {@value #NEW_ONLY} has its {@code CF-Connecting-IP}
   * trusted only under the new list; one from the edge's 173.245.48.5, in both lists, must be
   * trusted either way (the real-IP include is loaded).
   */
  private Live served(NginxInOrigin nginx) {
    assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
        .as("a range in both lists is trusted")
        .isEqualTo(VISITOR);
    String path = "/f" + requests.incrementAndGet();
    Netns.Result r =
        nginx
            .origin()
            .exec(
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--interface",
                NEW_ONLY,
                "--connect-timeout",
                "2",
                "-m",
                "15",
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + ORIGIN_V4 + ":" + PORT + path);
    assertThat(r.stdout()).as("request from %s: %s", NEW_ONLY, r.stderr()).isEqualTo("200");
    String addr = nginx.remoteAddr(new NginxInOrigin.Response(200, path));
    if (addr.equals(VISITOR)) {
      return Live.NEW;
    }
    assertThat(addr).isEqualTo(NEW_ONLY);
    return Live.OLD;
  }
}
