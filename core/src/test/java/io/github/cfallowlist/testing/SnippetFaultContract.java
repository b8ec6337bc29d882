package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.Targets;
import io.github.cfallowlist.testing.FaultKit.Fault;
import io.github.cfallowlist.testing.FaultKit.FaultRunner;
import io.github.cfallowlist.testing.FaultKit.Live;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite of a snippet target (one file, a test command, a reload command), against the
 * real daemon in a network namespace: changed from {@link FaultKit#oldList()} to {@link
 * FaultKit#newList()} while its test command fails, hangs or is missing, while its reload command
 * fails or hangs after reloading, and while a child JVM doing the change is killed at random
 * moments. Each case checks the file byte for byte and what the daemon really does: whether a
 * request from {@value #NEW_ONLY}, inside 104.28.0.0/14 which only the new list covers, has its
 * {@code CF-Connecting-IP} trusted. Each case appends a row to {@code target/reliability-NAME.tsv}.
 * A target's test extends this and starts its daemon.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SnippetFaultContract {
  /** A source address only the new list trusts; the daemon's namespace must have it. */
  public static final String NEW_ONLY = "104.28.0.5";

  private static final int KILL_TRIALS = 6;
  private static final int MAX_DELAY_MS = 1500;

  /** The daemon under test, started afresh for each test. */
  public interface Daemon extends AutoCloseable {
    /** The network namespace it runs in. */
    String namespace();

    /** Options pointing the target at the daemon's snippet and real commands. */
    TargetOptions options();

    /** The snippet. */
    Path snippet();

    /** The test command, as the options give it. */
    List<String> testCommand();

    /** The reload command, as the options give it. */
    List<String> reloadCommand();

    /** Whether a request from {@value #NEW_ONLY} has its {@code CF-Connecting-IP} trusted. */
    boolean trustsNewOnly();

    /** How many configurations the daemon has loaded since it started. */
    long loads();

    /** Waits until a reload the daemon was told to do has finished. */
    void settle();

    @Override
    void close();
  }

  /** One fault of a command the change runs. */
  enum Case {
    TEST_FAILS(true, Fault.FAIL_BEFORE_COMMIT, "fails (exit 1)"),
    TEST_HANGS(true, Fault.HANG_BEFORE_COMMIT, "hangs past the timeout"),
    TEST_MISSING(true, Fault.MISSING, "is not installed"),
    RELOAD_FAILS(false, Fault.FAIL_BEFORE_COMMIT, "fails (exit 1)"),
    RELOAD_THEN_FAILS(false, Fault.COMMIT_THEN_FAIL, "reloads, then exits 1"),
    RELOAD_MISSING(false, Fault.MISSING, "is not installed"),
    RELOAD_HANGS(false, Fault.COMMIT_THEN_HANG, "reloads, then hangs past the timeout");

    final boolean onTest;
    final Fault fault;
    final String what;

    Case(boolean onTest, Fault fault, String what) {
      this.onTest = onTest;
      this.fault = fault;
      this.what = what;
    }
  }

  /** The file on disk and what the daemon does, each as the old or the new list (or neither). */
  record State(Live file, Live served) {
    Live live() {
      if (file == served) {
        return file;
      }
      return file == Live.NEITHER || served == Live.NEITHER ? Live.NEITHER : Live.MIXED;
    }

    @Override
    public String toString() {
      return "file " + file.label() + ", daemon " + served.label();
    }
  }

  /** The target under test. */
  protected abstract Target target();

  /** Starts the daemon in a fresh namespace that has {@value #NEW_ONLY} on its loopback. */
  protected abstract Daemon start();

  /** The programs the test and reload commands run, as the matrix names them. */
  protected abstract String testLabel();

  /** The reload command as the matrix names it. */
  protected abstract String reloadLabel();

  /** The tools the daemon needs besides the fault kit's. */
  protected abstract List<String> tools();

  @BeforeAll
  void startMatrix() {
    FaultKit.resetTsv(target().name());
  }

  private void requireTools() {
    List<String> all =
        new ArrayList<>(List.of("ip", "curl", "ss", "unshare", "mount", "sh", "sleep", "kill"));
    all.addAll(tools());
    SystemTests.requireTools(all.toArray(String[]::new));
  }

  @Test
  void eachFaultLeavesTheOldOrTheNewFileAndLoadedListAndTheOutcomeSaysWhich(@TempDir Path dir)
      throws Exception {
    requireTools();
    String name = target().name();
    try (Daemon daemon = start()) {
      TargetContext clean = new TargetContext(daemon.options(), plain(daemon));
      String[] refs = references(daemon, clean);
      for (Case fault : Case.values()) {
        String label = (fault.onTest ? testLabel() : reloadLabel()) + " " + fault.what;
        TargetOptions options = daemon.options();
        CommandRunner runner;
        FaultRunner faults = null;
        if (fault.fault == Fault.MISSING) {
          // A missing program: the command names one that is not installed anywhere.
          List<String> missing =
              new ArrayList<>(fault.onTest ? daemon.testCommand() : daemon.reloadCommand());
          missing.set(0, "/nonexistent/" + Path.of(missing.get(0)).getFileName());
          options =
              options.withSetting(
                  name + (fault.onTest ? "-test-command" : "-reload-command"),
                  String.join(" ", missing));
          runner = plain(daemon);
        } else {
          Path where = Files.createDirectories(dir.resolve(fault.name()));
          String program = (fault.onTest ? daemon.testCommand() : daemon.reloadCommand()).get(0);
          faults = new FaultRunner(daemon.namespace(), program, fault.fault, where);
          runner = fault.onTest ? onTestCommand(daemon, faults) : faults;
        }
        long loads = daemon.loads();

        TargetResult result =
            Sync.sync(
                target(),
                FaultKit.newList(),
                new TargetContext(options, runner),
                FaultKit.guards(),
                false);

        daemon.settle();
        State state = state(daemon, refs);
        // A reload that keeps failing may have loaded the files the first time: the daemon's own
        // state cannot be read, so the outcome must say it is unknown.
        String verdict =
            fault == Case.RELOAD_FAILS
                ? FaultKit.verdictUnknown(result)
                : FaultKit.verdict(state.live(), result);
        FaultKit.appendRow(
            name,
            label,
            name,
            fault.onTest ? testLabel() : reloadLabel(),
            state.toString(),
            result.outcome().name(),
            verdict,
            result.message().replace(daemon.snippet().getParent().getParent().toString(), "DIR"));
        if (faults != null) {
          // A failed reload is followed by one with the old files, and nothing runs either again.
          assertThat(faults.faultedCommands())
              .as("%s ran under the fault", label)
              .isEqualTo(fault.onTest ? 1 : 2);
        }
        assertThat(verdict)
            .as("%s: %s: %s", label, result.outcome(), result.message())
            .isEqualTo("ok");
        assertThat(state).as(label).isEqualTo(new State(Live.OLD, Live.OLD));
        assertThat(daemon.loads() - loads)
            .as("%s: the daemon loaded the new file and then the old one, or neither", label)
            .isEqualTo(fault == Case.RELOAD_HANGS || fault == Case.RELOAD_THEN_FAILS ? 2 : 0);
        if (fault != Case.RELOAD_FAILS) {
          assertNoLeftovers(daemon); // else the record stays for the next run, which clears it
        }
        recover(daemon, clean, refs, label);
        install(daemon, clean, FaultKit.oldList());
      }
    }
  }

  @Test
  void sigkillAtRandomMomentsNeverLooksInSyncUnlessItIsAndTheNextRunFinishes(@TempDir Path tmp)
      throws Exception {
    requireTools();
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Map<String, Integer> states = new TreeMap<>();
    Map<String, Integer> next = new TreeMap<>();
    int midRun = 0;
    String name = target().name();
    try (Daemon daemon = start()) {
      Map<String, String> settings = slowSettings(daemon, tmp);
      TargetOptions options = options(settings);
      TargetContext clean = new TargetContext(options, plain(daemon));
      String[] refs = references(daemon, clean);
      Child child = Child.start(name, daemon.namespace(), settings, tmp.resolve("child.log"));
      for (int trial = 0; trial < KILL_TRIALS; trial++) {
        String what = "trial " + trial + " of seed " + seed;
        install(daemon, clean, FaultKit.oldList());
        assertThat(state(daemon, refs)).as(what).isEqualTo(new State(Live.OLD, Live.OLD));
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
        child = Child.start(name, daemon.namespace(), settings, tmp.resolve("child.log"));
        daemon.settle();

        State state = state(daemon, refs);
        String where = what + ", killed after " + delay + " ms (" + printed + "): " + state;
        for (Live which : List.of(Live.OLD, Live.NEW)) {
          RangeSnapshot list = which == Live.OLD ? FaultKit.oldList() : FaultKit.newList();
          if (!Sync.plan(target(), list, clean).hasChanges()) {
            assertThat(state)
                .as("%s: a plan for the %s list is in sync", where, which.label())
                .isEqualTo(new State(which, which));
          }
        }
        states.merge(
            "file " + state.file().label() + "/daemon " + state.served().label(), 1, Integer::sum);
        next.merge(recover(daemon, clean, refs, where), 1, Integer::sum);
      }
      child.discard();
    }
    FaultKit.appendRow(
        name,
        "SIGKILL at a random moment ("
            + KILL_TRIALS
            + " trials, 0-"
            + MAX_DELAY_MS
            + " ms, slowed "
            + testLabel()
            + ")",
        name,
        "the whole run",
        states.toString().replaceAll("[{}]", "").replace('=', ' '),
        "next run: " + next.toString().replaceAll("[{}]", "").replace('=', ' '),
        "ok",
        String.format(
            Locale.ROOT,
            "%d killed while running (every other one with its commands); before the next run no"
                + " plan was in sync unless the file and the daemon agreed; the next run applied or"
                + " found in sync, and the daemon trusted the new list",
            midRun));
    assertThat(midRun).as("trials killed while the run was still going").isPositive();
  }

  // ---- helpers

  private static CommandRunner plain(Daemon daemon) {
    return NetnsCommandRunner.inside(daemon.namespace());
  }

  /** The options of both this JVM and the child: every setting from {@code settings}. */
  static TargetOptions options(Map<String, String> settings) {
    TargetOptions options = TargetOptions.defaults();
    for (Map.Entry<String, String> s : settings.entrySet()) {
      options = options.withSetting(s.getKey(), s.getValue());
    }
    return options;
  }

  /**
   * Settings whose test command sleeps 0.5 s first and whose reload command sleeps 0.2 s after
   * reloading, so random kills land before, during and after each step.
   */
  private Map<String, String> slowSettings(Daemon daemon, Path tmp) throws IOException {
    String name = target().name();
    Path test = tmp.resolve("slow-test.sh");
    Files.writeString(test, "sleep 0.5\nexec " + shell(daemon.testCommand()) + "\n");
    Path reload = tmp.resolve("slow-reload.sh");
    Files.writeString(reload, shell(daemon.reloadCommand()) + " || exit 1\nsleep 0.2\n");
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(name + "-file", daemon.snippet().toString());
    settings.put(name + "-test-command", "/bin/sh " + test);
    settings.put(name + "-reload-command", "/bin/sh " + reload);
    return settings;
  }

  private static String shell(List<String> argv) {
    List<String> out = new ArrayList<>(argv);
    out.set(0, FaultKit.realPath(argv.get(0)));
    return String.join(" ", out);
  }

  /**
   * A runner that puts the test command (a read) through {@code faults}, and every other command in
   * the namespace with its own timeout.
   */
  private static CommandRunner onTestCommand(Daemon daemon, FaultRunner faults) {
    List<String> test = daemon.testCommand();
    CommandRunner plain = plain(daemon);
    return c -> {
      if (c.argv().equals(test)) {
        return faults.run(new Command(c.argv(), c.stdin(), true, c.timeout()));
      }
      return plain.run(c);
    };
  }

  /**
   * Installs the new list, then the old one, and returns the file each wrote: {@code [old, new]}.
   */
  private String[] references(Daemon daemon, TargetContext clean) {
    String neu = install(daemon, clean, FaultKit.newList());
    assertThat(daemon.trustsNewOnly()).as("the new list is loaded").isTrue();
    String old = install(daemon, clean, FaultKit.oldList());
    assertThat(daemon.trustsNewOnly()).as("the old list is loaded").isFalse();
    assertThat(neu).contains("104.16.0.0/12").contains("2a10:50c0::/29");
    assertThat(old).contains("104.24.0.0/14").doesNotContain("104.16.0.0/12");
    return new String[] {old, neu};
  }

  private String install(Daemon daemon, TargetContext clean, RangeSnapshot list) {
    TargetResult r = Sync.sync(target(), list, clean, FaultKit.guards(), false);
    assertThat(r.outcome()).as(r.message()).isIn(Outcome.APPLIED, Outcome.IN_SYNC);
    daemon.settle();
    return read(daemon.snippet());
  }

  /**
   * Runs the next run in process; it must apply or find in sync, and afterwards the file and the
   * daemon hold the new list, with nothing pending.
   *
   * @return the next run's outcome
   */
  private String recover(Daemon daemon, TargetContext clean, String[] refs, String what) {
    TargetResult after = Sync.sync(target(), FaultKit.newList(), clean, FaultKit.guards(), false);
    assertThat(after.outcome())
        .as("%s, the next run: %s", what, after.message())
        .isIn(Outcome.APPLIED, Outcome.IN_SYNC);
    daemon.settle();
    assertThat(state(daemon, refs))
        .as("%s, after the next run (%s)", what, after.outcome())
        .isEqualTo(new State(Live.NEW, Live.NEW));
    assertNoLeftovers(daemon);
    return after.outcome().name();
  }

  private static void assertNoLeftovers(Daemon daemon) {
    try (Stream<Path> files = Files.list(daemon.snippet().getParent())) {
      assertThat(files)
          .as("no record or temporary file left next to %s", daemon.snippet())
          .allMatch(p -> p.equals(daemon.snippet()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "(no file)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static State state(Daemon daemon, String[] refs) {
    Live file = Live.of(read(daemon.snippet()), refs[0], refs[1]);
    return new State(file, daemon.trustsNewOnly() ? Live.NEW : Live.OLD);
  }

  /**
   * A child JVM for the SIGKILL trials: it loads everything, says {@code ready}, waits for {@code
   * go}, then applies {@link FaultKit#newList()} once with the real command runner in the daemon's
   * namespace, as the CLI would, and is killed at a random moment.
   */
  public static final class Child {
    private static final String DONE = "child.outcome";
    private final Process process;
    private final OutputStream stdin;
    private final BufferedReader out;
    private final Path log;

    private Child(Process process, Path log) {
      this.process = process;
      this.stdin = process.getOutputStream();
      this.out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.log = log;
    }

    static Child start(String target, String namespace, Map<String, String> settings, Path log)
        throws IOException {
      List<String> argv =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:TieredStopAtLevel=1",
                  "-XX:+UseSerialGC",
                  "-Xshare:auto",
                  "-cp",
                  System.getProperty("java.class.path"),
                  Child.class.getName(),
                  target,
                  log.resolveSibling(DONE).toString(),
                  namespace));
      settings.forEach((k, v) -> argv.add(k + "=" + v));
      ProcessBuilder pb = new ProcessBuilder(argv);
      pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
      return new Child(pb.start(), log);
    }

    void go() throws IOException {
      String line = out.readLine();
      if (!"ready".equals(line)) {
        process.destroyForcibly();
        throw new AssertionError("the child JVM did not get ready (" + line + "); see " + log);
      }
      stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    boolean kill(boolean tree) throws IOException, InterruptedException {
      return FaultKit.kill(process, tree);
    }

    /** What a killed child wrote: its outcome when it finished, else empty. */
    String printed() throws IOException {
      Path done = log.resolveSibling(DONE);
      String text = Files.exists(done) ? Files.readString(done, StandardCharsets.UTF_8) : "";
      Files.deleteIfExists(done);
      return text.strip();
    }

    void discard() {
      process.destroyForcibly();
    }

    /** {@code TARGET OUTCOME-FILE NAMESPACE NAME=VALUE...}. */
    public static void main(String[] args) throws IOException {
      Map<String, String> settings = new LinkedHashMap<>();
      for (String arg : List.of(args).subList(3, args.length)) {
        int eq = arg.indexOf('=');
        settings.put(arg.substring(0, eq), arg.substring(eq + 1));
      }
      Target target = Targets.byName(args[0]);
      TargetOptions options = options(settings);
      TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(args[2]));
      RangeSnapshot wanted = FaultKit.newList();
      // Load what the apply needs, so the kill lands in the apply and not in class loading.
      target.parse(target.render(wanted, options), options);
      Sync.plan(target, wanted, context);
      System.out.println("ready");
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      if (!"go".equals(in.readLine())) {
        return;
      }
      TargetResult result = Sync.sync(target, wanted, context, FaultKit.guards(), false);
      Files.writeString(Path.of(args[1]), result.outcome() + " " + result.message());
    }
  }
}
