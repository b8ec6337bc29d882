package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.adapter.firewalld.KillableFirewalld;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM, as systemd sends on stop or timeout, at random moments of {@code cf-allowlist apply
 * --target firewalld} run as cron would, against a real firewalld with a private D-Bus in
 * namespaces of its own: the run finishes the change it started (or starts none), prints the
 * outcome, leaves no temporary file, and firewalld's runtime and permanent configuration are each
 * exactly the list the output names.
 */
class FirewalldSigtermTest {
  private static final int TRIALS = 6;

  /** Trials at most that seek the change's moment by halving, when no random one landed in it. */
  private static final int SEARCHES = 6;

  // One IPv4 and one IPv6 range the old list lacks, so both ipsets change.
  private static final List<String> DROPPED = List.of("198.41.128.0/17", "2a06:98c0::/29");

  private static KillableFirewalld firewalld;

  @TempDir Path dir;

  @BeforeAll
  static void startFirewalld() {
    SystemTests.requireTools(
        "ip", "nsenter", "unshare", "mount", "dbus-daemon", "firewalld", "firewall-cmd");
    firewalld = KillableFirewalld.start();
  }

  @AfterAll
  static void stopFirewalld() {
    if (firewalld != null) {
      firewalld.close();
    }
  }

  /** The CLI inside the sandbox, as cron runs it: an empty environment, PATH=/usr/bin:/bin. */
  private Process cli(Path log, Path tmp, String... args) throws Exception {
    List<String> argv = new ArrayList<>(firewalld.prefix());
    argv.addAll(CronCli.argv(List.of("-Djava.io.tmpdir=" + tmp), dir.resolve("state"), args));
    return new ProcessBuilder(argv)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
        .start();
  }

  private String apply(Path list, Path log, Path tmp) throws Exception {
    Process p = cli(log, tmp, "apply", "--target", "firewalld", "--source", "file:" + list);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("apply finished").isTrue();
    String output = Files.readString(log);
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }

  /** The entries of both ipsets in one configuration, sorted, one per line. */
  private static String entries(boolean permanent) {
    String flag = permanent ? "--permanent " : "";
    return firewalld.sh(
        "for s in cloudflare-v4 cloudflare-v6; do firewall-cmd "
            + flag
            + "--ipset=$s --get-entries; done | tr ' ' '\\n' | grep . | sort");
  }

  @Test
  void sigtermAtRandomMomentsFinishesTheChangeOrStartsNoneAndPrintsTheOutcome() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path neu = dir.resolve("new.txt");
    Path embedded = dir.resolve("fetch.log");
    Process fetch = cli(embedded, tmp, "fetch", "--source", "embedded");
    assertThat(fetch.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> all = Files.readAllLines(embedded).stream().filter(l -> l.contains("/")).toList();
    assertThat(all).containsAll(DROPPED);
    Files.write(neu, all);
    Path old = dir.resolve("old.txt");
    Files.write(old, all.stream().filter(l -> !DROPPED.contains(l)).toList());

    apply(old, dir.resolve("setup-old.log"), tmp);
    String oldEntries = entries(false);
    long started = System.nanoTime();
    apply(neu, dir.resolve("setup-new.log"), tmp);
    // The signals land one in each equal slice of half as long again as this change took, start
    // to end: the early slices before the apply starts, the middle ones in it, the last after it.
    int span = (int) Math.max(500, (System.nanoTime() - started) / 1_000_000 * 3 / 2);
    String newEntries = entries(false);
    assertThat(newEntries).isNotEqualTo(oldEntries).contains("198.41.128.0/17");
    assertThat(entries(true)).isEqualTo(newEntries);

    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Lists lists = new Lists(old, neu, oldEntries, newEntries);
    List<String> wrong = new ArrayList<>();
    // Trials whose signal reached a running apply that then finished its change.
    int applied = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
      int delay = FaultKit.delay(random, trial, TRIALS, span);
      if (trial(trial, delay, seed, lists, tmp, wrong) == Landed.DURING) {
        applied++;
      }
    }
    // A loaded machine can make every trial slower than the timed apply, so that every signal
    // lands before the change: then the moment is sought by halving, between the last signal
    // that came too early and the first that came too late, until one lands during the change.
    int early = 0;
    int late = span * 3;
    for (int trial = TRIALS; applied == 0 && trial < TRIALS + SEARCHES; trial++) {
      int delay = (early + late) / 2;
      switch (trial(trial, delay, seed, lists, tmp, wrong)) {
        case DURING -> applied++;
        case BEFORE -> early = delay;
        case AFTER -> late = delay;
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(applied)
        .as("trials whose signal landed during the apply (seed %d)", seed)
        .isPositive();
  }

  /** The two lists and their entries as firewalld shows them. */
  private record Lists(Path old, Path neu, String oldEntries, String newEntries) {}

  /** Where a trial's signal landed: before the change, during it, or after the run had ended. */
  private enum Landed {
    BEFORE,
    DURING,
    AFTER
  }

  /**
   * One trial: an apply towards the old list (even trials) or the new one, SIGTERM after {@code
   * delay} ms, its output and firewalld's state checked (a mistake goes to {@code wrong}), then a
   * run that brings firewalld to the list the trial wanted.
   */
  private Landed trial(int trial, int delay, long seed, Lists lists, Path tmp, List<String> wrong)
      throws Exception {
    boolean toOld = trial % 2 == 0;
    Path list = toOld ? lists.old() : lists.neu();
    String from = toOld ? lists.newEntries() : lists.oldEntries();
    String to = toOld ? lists.oldEntries() : lists.newEntries();
    Path log = dir.resolve("trial-" + trial + ".log");
    Process child = cli(log, tmp, "apply", "--target", "firewalld", "--source", "file:" + list);
    Thread.sleep(delay);
    boolean running = child.isAlive();
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the run ended after SIGTERM").isTrue();
    String output = Files.readString(log);
    String runtime = entries(false);
    String permanent = entries(true);
    boolean finished =
        output.contains("firewalld: applied") || output.contains("firewalld: in sync");
    String expected = finished ? to : from;
    String what = "trial " + trial + " of seed " + seed + " (" + delay + " ms): " + output.strip();
    if (!runtime.equals(expected) || !permanent.equals(expected)) {
      wrong.add(
          what
              + " -> runtime "
              + (runtime.equals(to) ? "new" : runtime.equals(from) ? "old" : "neither")
              + ", permanent "
              + (permanent.equals(to) ? "new" : permanent.equals(from) ? "old" : "neither"));
    }
    if (!finished
        && !output.isBlank()
        && !output.contains("not started")
        // A signal while the JVM itself starts ends it there, with the JVM's own words ("Bad
        // level" of its start-up stages), before any of the run has begun.
        && !output.startsWith("Error occurred during initialization of VM")) {
      // A run stopped after it started always says what became of the target.
      wrong.add(what + " -> no outcome for firewalld");
    }
    try (var left = Files.list(tmp)) {
      List<Path> files = left.toList();
      if (!files.isEmpty()) {
        wrong.add(what + " -> temporary files left: " + files);
      }
    }
    // Whatever the trial left, the next run brings it to the list that trial wanted.
    apply(list, dir.resolve("repair-" + trial + ".log"), tmp);
    assertThat(entries(false)).isEqualTo(to);
    assertThat(entries(true)).isEqualTo(to);
    if (!running) {
      return Landed.AFTER;
    }
    return finished ? Landed.DURING : Landed.BEFORE;
  }
}
