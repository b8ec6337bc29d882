package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.OutputReader;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.ReadResult;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.Targets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real faults for the fault suite: wrapper scripts for a target's commands, found first because a
 * private mount namespace puts them over {@code /usr/local/sbin} for each faulted command, and
 * child JVMs that run one apply and are killed at a chosen moment. It lives in core's test-jar,
 * which every adapter's tests have, because it needs project types that the test fixtures may not
 * hold.
 */
public final class FaultKit {
  /** The time a modifying command may run under the fault runner before it is stopped. */
  static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** Where the real programs live, in the order the fixed search path visits them after ours. */
  private static final List<String> REAL_DIRS =
      List.of("/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  /**
   * Mounts the wrapper directory over {@code /usr/local/sbin} (and, to hide the real program, over
   * {@code /usr/sbin} too) in the private mount namespace, then runs the command, which the fixed
   * search path now resolves to the wrapper. {@code $1} is the wrapper directory, {@code $2} says
   * whether to hide ({@code $0} is {@code sh}, as the shell names itself in its errors).
   */
  private static final String MOUNT_AND_EXEC =
      "w=$1; h=$2; shift 2; mount --bind \"$w\" /usr/local/sbin || exit 125; "
          + "if [ \"$h\" = hide ]; then mount --bind \"$w\" /usr/sbin || exit 125; fi; "
          + "exec \"$@\"";

  private FaultKit() {}

  /** A fault of one program, as its wrapper script carries it out. */
  public enum Fault {
    FAIL_BEFORE_COMMIT(
        "fails (exit 1) before committing",
        false,
        "echo \"$name: injected failure before committing\" >&2\nexit 1\n"),
    COMMIT_THEN_FAIL(
        "commits, then exits 1 (reply lost)",
        true,
        "\"$real\" \"$@\"\necho \"$name: injected failure after committing\" >&2\nexit 1\n"),
    COMMIT_THEN_KILLED("commits, then is killed (SIGKILL)", true, "\"$real\" \"$@\"\nkill -9 $$\n"),
    COMMIT_THEN_HANG(
        "commits, then hangs past the timeout", true, "\"$real\" \"$@\"\nexec sleep 30\n"),
    HANG_BEFORE_COMMIT("hangs before committing, past the timeout", true, "exec sleep 30\n"),
    MISSING("is not installed (hidden at apply time)", false, "");

    private final String label;
    private final boolean once;
    private final String body;

    Fault(String label, boolean once, String body) {
      this.label = label;
      this.once = once;
      this.body = body;
    }

    /** What the faulted program does, for the matrix. */
    public String label() {
      return label;
    }

    /**
     * Whether only the first faulted run misbehaves: a lost reply or a hang is a passing event,
     * while a program that refuses or is missing stays so for the whole run.
     */
    boolean once() {
      return once;
    }
  }

  /** The list installed before each fault: the embedded one. */
  public static RangeSnapshot oldList() {
    return TestSnapshots.embedded();
  }

  /**
   * The list each fault applies: the 2021 replacement (104.16.0.0/13 and 104.24.0.0/14 become
   * 104.16.0.0/12) plus one added IPv6 range, so that both families change and a target with one
   * command per family runs both.
   */
  public static RangeSnapshot newList() {
    RangeSnapshot old = oldList();
    List<Cidr> all = new ArrayList<>(old.ranges().all());
    for (String gone : List.of("104.16.0.0/13", "104.24.0.0/14")) {
      if (!all.remove(Cidr.parse(gone))) {
        throw new AssertionError(gone + " is not in the embedded list");
      }
    }
    all.add(Cidr.parse("104.16.0.0/12"));
    all.add(Cidr.parse("2a10:50c0::/29"));
    return old.withRanges(RangeSet.of(all));
  }

  /** Guards for both directions of the change. */
  public static Guards guards() {
    return Guards.defaults().withShrink(0.25, true);
  }

  /**
   * Installs {@link #newList()}, then {@link #oldList()}, through {@code clean}, and returns what
   * {@code show} read after each: the two states a faulted run may leave.
   */
  public static <T> References<T> references(Target target, TargetContext clean, Supplier<T> show) {
    assertThat(Sync.sync(target, newList(), clean, guards(), false).outcome())
        .isEqualTo(Outcome.APPLIED);
    T neu = show.get();
    assertThat(Sync.sync(target, oldList(), clean, guards(), false).outcome())
        .isEqualTo(Outcome.APPLIED);
    T old = show.get();
    return new References<>(old, neu);
  }

  /** Brings the target back to {@link #oldList()} through {@code clean}, as a kill trial starts. */
  public static void installOld(Target target, TargetContext clean, String what) {
    assertThat(Sync.sync(target, oldList(), clean, guards(), false).outcome())
        .as(what)
        .isIn(Outcome.APPLIED, Outcome.IN_SYNC);
  }

  /** What the real tools showed with the old and with the new list installed. */
  public record References<T>(T old, T neu) {}

  /** Which of the two lists a live state is. */
  public enum Live {
    OLD("old"),
    NEW("new"),
    /** Each family is exactly the old or the new one, but not both the same. */
    MIXED("mixed"),
    NEITHER("neither old nor new");

    private final String label;

    Live(String label) {
      this.label = label;
    }

    /** Which of {@code old} and {@code neu} the live state {@code now} is, as the tools show it. */
    public static Live of(String now, String old, String neu) {
      if (now.equals(old)) {
        return OLD;
      }
      return now.equals(neu) ? NEW : NEITHER;
    }

    /** The live state in words, for the matrix. */
    public String label() {
      return label;
    }
  }

  /**
   * Whether {@code result} says what the live state shows: {@code ok}, or what is wrong. Old must
   * be a failure that says nothing was changed or that the previous state was put back (not both);
   * new must be {@link Outcome#APPLIED} and not claim the previous state stayed; anything else is
   * wrong whatever the outcome.
   */
  public static String verdict(Live live, TargetResult result) {
    Outcome outcome = result.outcome();
    String message = result.message();
    return switch (live) {
      case OLD -> verdictOld(outcome, message);
      case NEW -> verdictNew(outcome, message);
      case MIXED, NEITHER -> "the live state is " + live.label() + " (outcome " + outcome + ")";
    };
  }

  /**
   * The verdict on a result where the live state cannot be told (a daemon's own state, after a
   * reload that failed twice): the outcome must say so, once, and the message must claim nothing.
   */
  public static String verdictUnknown(TargetResult result) {
    if (result.outcome() != Outcome.STATE_UNKNOWN) {
      return "the daemon's state cannot be told but the outcome is " + result.outcome();
    }
    if (result.message().startsWith("applied") || !result.message().contains("may have loaded")) {
      return "STATE_UNKNOWN, but the message does not say the daemon may have loaded the files";
    }
    String said = "may have loaded";
    if (result.message().indexOf(said) != result.message().lastIndexOf(said)) {
      return "STATE_UNKNOWN, but the failed change was run again and the message says it twice";
    }
    return "ok";
  }

  private static String verdictOld(Outcome outcome, String message) {
    if (outcome != Outcome.FAILED_UNCHANGED && outcome != Outcome.FAILED_RESTORED) {
      return "the live state is old but the outcome is " + outcome;
    }
    if (message.startsWith("applied")) {
      return "the live state is old but the message says applied";
    }
    if (outcome == Outcome.FAILED_RESTORED && message.contains("nothing was changed")) {
      return "FAILED_RESTORED, but the message also says nothing was changed";
    }
    if (outcome == Outcome.FAILED_UNCHANGED && message.contains("put back")) {
      return "FAILED_UNCHANGED, but the message also says the previous state was put back";
    }
    return "ok";
  }

  private static String verdictNew(Outcome outcome, String message) {
    if (outcome != Outcome.APPLIED) {
      return "the live state is new but the outcome is " + outcome;
    }
    for (String claim : List.of("nothing was changed", "put back", "is as before")) {
      if (message.contains(claim)) {
        return "the live state is new but the message says " + claim;
      }
    }
    return "ok";
  }

  /**
   * Runs commands inside a namespace; the modifying commands of one program go through its wrapper,
   * with {@link #TIMEOUT} while its fault may still fire. Every other command keeps its own
   * timeout, so a loaded machine's slow but healthy command is not taken for a fault.
   */
  public static final class FaultRunner implements CommandRunner {
    private final String namespace;
    private final String program;
    private final Fault fault;
    private final Path wrappers;
    private final Path fired;
    private final CommandRunner plain;
    private final AtomicInteger faulted = new AtomicInteger();

    /**
     * A runner in {@code namespace} that makes {@code program} misbehave as {@code fault} says;
     * {@code dir} holds the wrapper and its state.
     */
    public FaultRunner(String namespace, String program, Fault fault, Path dir) throws IOException {
      this.namespace = namespace;
      this.program = program;
      this.fault = fault;
      this.plain = NetnsCommandRunner.inside(namespace);
      this.wrappers = Files.createDirectories(dir.resolve("wrappers"));
      Path state = Files.createDirectories(dir.resolve("state"));
      this.fired = state.resolve("fired");
      if (fault != Fault.MISSING) {
        String script =
            "#!/bin/sh\n"
                + "# cf-allowlist fault wrapper: "
                + program
                + " "
                + fault.label()
                + "\n"
                + "name="
                + program
                + "\nreal="
                + realPath(program)
                + "\n"
                + (fault.once()
                    ? "if ! mkdir "
                        + fired
                        + " 2>/dev/null; then\n"
                        + "  exec \"$real\" \"$@\"\nfi\n"
                    : "")
                + fault.body;
        Path wrapper = wrappers.resolve(program);
        Files.writeString(wrapper, script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }

    @Override
    public CommandResult run(Command command) throws IOException {
      if (!command.modifies()) {
        return plain.run(command);
      }
      if (!command.argv().get(0).equals(program)) {
        return plain.run(command);
      }
      // A fault that fires once has fired: the wrapper runs the real program, as it is.
      Command limited =
          fault.once() && Files.isDirectory(fired) ? command : command.withTimeout(TIMEOUT);
      faulted.incrementAndGet();
      List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
      argv.addAll(
          OwnMounts.shell(
              MOUNT_AND_EXEC, "sh", wrappers.toString(), fault == Fault.MISSING ? "hide" : "show"));
      argv.addAll(command.argv());
      Command wrapped = new Command(argv, command.stdin(), true, limited.timeout());
      try {
        return CommandRunner.system().run(wrapped);
      } catch (IOException e) {
        // Name the command the target ran, not the namespace plumbing around it.
        String text = String.valueOf(e.getMessage()).replace(wrapped.display(), command.display());
        throw new IOException(text, e);
      }
    }

    /** Reads run as they are, their output handed over as the plain runner hands it. */
    @Override
    public <T> ReadResult<T> run(Command command, OutputReader<T> reader) throws IOException {
      return command.modifies()
          ? CommandRunner.super.run(command, reader)
          : plain.run(command, reader);
    }

    /** How many modifying commands of the faulted program ran. */
    public int faultedCommands() {
      return faulted.get();
    }
  }

  /**
   * Kills a child JVM running one apply with SIGKILL, or with {@code tree} its commands too (as
   * systemd stops a unit's whole control group), then waits until every command it had started has
   * ended, so nothing changes the live state after this returns.
   *
   * @return whether the child was still running when it was killed
   */
  public static boolean kill(Process process, boolean tree)
      throws IOException, InterruptedException {
    // Stopped first, so no command can start between listing its children and the kill.
    new ProcessBuilder("kill", "-STOP", String.valueOf(process.pid())).start().waitFor();
    boolean running = process.isAlive();
    List<ProcessHandle> commands = process.toHandle().descendants().toList();
    process.destroyForcibly();
    if (tree) {
      commands.forEach(ProcessHandle::destroyForcibly);
    }
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("the child JVM did not die");
    }
    for (ProcessHandle c : commands) {
      try {
        c.onExit().get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new AssertionError("a command of the killed run did not end: " + c.pid(), e);
      }
    }
    return running;
  }

  /** The real program the wrapper runs: the first in the search path after ours. */
  static String realPath(String program) {
    return REAL_DIRS.stream()
        .map(dir -> Path.of(dir, program))
        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
        .findFirst()
        .map(Path::toString)
        .orElseThrow(() -> new AssertionError(program + " is not installed"));
  }

  // ---- the matrix

  /** The file of this module's rows: {@code target/reliability-TARGET.tsv}. */
  static Path tsv(String target) {
    return Path.of(System.getProperty("basedir", "."), "target", "reliability-" + target + ".tsv");
  }

  /** Starts the file afresh, with its header. */
  public static void resetTsv(String target) {
    try {
      Path file = tsv(target);
      Files.createDirectories(file.getParent());
      Files.writeString(
          file, "fault\ttarget\tcommand\tlive state\toutcome\tmessage\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Appends one row; tabs and line breaks in a cell become spaces. */
  public static synchronized void appendRow(
      String file,
      String fault,
      String target,
      String command,
      String live,
      String outcome,
      String verdict,
      String message) {
    String row =
        Stream.of(fault, target, command, live, outcome, verdict, message)
                .map(cell -> cell.replaceAll("[\\t\\r\\n]+", " "))
                .collect(Collectors.joining("\t"))
            + "\n";
    try {
      Files.writeString(
          tsv(file),
          row,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- SIGKILL at random moments

  /** A child JVM that has loaded everything and waits for the word to apply {@link #newList()}. */
  public static final class Child {
    private final Process process;
    private final OutputStream stdin;
    private final Path log;

    private Child(Process process, Path log) {
      this.process = process;
      this.stdin = process.getOutputStream();
      this.log = log;
    }

    /**
     * Starts a JVM that will apply {@link #newList()} to {@code target} in {@code namespace}; it
     * gets ready while the caller does other work. Its temporary files go to {@code tmp}.
     */
    public static Child start(String target, String namespace, boolean ipset, Path tmp)
        throws IOException {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      ProcessBuilder pb =
          new ProcessBuilder(
              java.toString(),
              "-XX:TieredStopAtLevel=1",
              "-XX:+UseSerialGC",
              "-Xshare:auto",
              "-Djava.io.tmpdir=" + tmp,
              "-cp",
              System.getProperty("java.class.path"),
              FaultKit.class.getName(),
              target,
              namespace,
              String.valueOf(ipset));
      pb.redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("child.log").toFile()));
      return new Child(pb.start(), tmp.resolve("child.log"));
    }

    /** Waits until the child is ready, then tells it to apply now. */
    public void go() throws IOException {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (!"ready".equals(line)) {
        process.destroyForcibly();
        throw new AssertionError("the child JVM did not get ready (" + line + "); see " + log);
      }
      stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    /**
     * Kills the child with SIGKILL, or with {@code tree} its commands too (as systemd stops a
     * unit's whole control group), then waits until every command it had started has ended, so
     * nothing changes the firewall after this returns.
     *
     * @return whether the child was still running when it was killed
     */
    public boolean kill(boolean tree) throws IOException, InterruptedException {
      return FaultKit.kill(process, tree);
    }

    /** Stops a child that was never used. */
    public void discard() {
      process.destroyForcibly();
    }

    /**
     * Lets the child apply and waits until it has ended.
     *
     * @return the milliseconds from {@code go} until the process had ended
     */
    public long timedRun() throws IOException, InterruptedException {
      go();
      return millisUntilEnd(process, log);
    }
  }

  /**
   * Waits until a child JVM that was just told to apply has ended (at most 60 s; see {@code log}
   * otherwise).
   *
   * @return the milliseconds it took
   */
  public static long millisUntilEnd(Process process, Path log) throws InterruptedException {
    long start = System.nanoTime();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the child JVM did not finish its apply; see " + log);
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  /**
   * How long to spread random kills over, in milliseconds: half as long again as the median of
   * three whole runs of a warmed child, each from the old list to the new one. Machines differ
   * fivefold in how fast a run is; a fixed span would put every kill after the end on a fast one.
   *
   * @param resetToOld puts the old list back live before each timed run
   * @param run starts a fresh warmed child, lets it apply and returns how long it took in ms
   */
  public static int killSpan(Runnable resetToOld, TimedRun run)
      throws IOException, InterruptedException {
    long[] runs = new long[3];
    for (int i = 0; i < runs.length; i++) {
      resetToOld.run();
      runs[i] = run.millis();
    }
    Arrays.sort(runs);
    return (int) Math.max(20, runs[1] * 3 / 2);
  }

  /** One whole run of a fresh warmed child, for {@link #killSpan}. */
  @FunctionalInterface
  public interface TimedRun {
    /** Returns the milliseconds from telling the child to go until it had ended. */
    long millis() throws IOException, InterruptedException;
  }

  /**
   * The moment of each kill trial, in milliseconds after {@code go}: one random moment in each of
   * {@code trials} equal slices of {@code span}, so the early, middle and late parts of a run are
   * each hit and the first slices always fall inside the run.
   */
  public static int delay(Random random, int trial, int trials, int span) {
    int slice = Math.max(1, span / trials);
    return trial * slice + random.nextInt(slice);
  }

  /**
   * The child JVM: {@code TARGET NAMESPACE IPSET}. Warms up, says {@code ready}, waits for {@code
   * go}, then applies {@link #newList()} once and prints the outcome.
   */
  public static void main(String[] args) throws IOException {
    Target target = Targets.byName(args[0]);
    TargetOptions options = options(Boolean.parseBoolean(args[2]));
    TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(args[1]));
    RangeSnapshot wanted = newList();
    // Load what the apply needs, so the kill lands in the apply and not in class loading.
    target.parse(target.render(wanted, options), options);
    target.render(oldList(), options);
    Sync.plan(target, wanted, context);
    System.out.println("ready");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (!"go".equals(in.readLine())) {
      return;
    }
    TargetResult result = Sync.sync(target, wanted, context, guards(), false);
    System.out.println(result.outcome() + " " + result.message());
    System.out.flush();
  }

  /** The options of every fault test: port 8080, restrict, both families, ipset or not. */
  public static TargetOptions options(boolean ipset) {
    TargetOptions options = TargetOptions.defaults().withPorts(List.of(8080));
    return ipset ? options.withSetting("ipset", "true") : options;
  }
}
