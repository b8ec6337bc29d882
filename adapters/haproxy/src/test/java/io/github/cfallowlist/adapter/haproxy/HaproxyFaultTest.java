package io.github.cfallowlist.adapter.haproxy;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.FaultKit.Live;
import io.github.cfallowlist.testing.SystemTests;
import io.github.cfallowlist.testing.TestSnapshots;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of the runtime API against Debian's haproxy in a namespace, from the stale list the
 * fixture starts with to the embedded one: the run killed between {@code prepare acl} and {@code
 * commit acl}, and a socket that stops answering (HAProxy ends such a connection itself after its
 * stats timeout, 10 s by default, which the client's own 10 s wait may see first). The running ACL
 * is read through the real socket and the file byte for byte. Each case appends a row to {@code
 * target/reliability-haproxy.tsv}.
 */
class HaproxyFaultTest {
  private static final String NAME = "haproxy";

  @TempDir Path dir;
  private HaproxyInNamespace h;
  private final HaproxyTarget target = new HaproxyTarget();
  private final RangeSnapshot snapshot = TestSnapshots.embedded();

  @BeforeAll
  static void resetMatrix() {
    FaultKit.resetTsv(NAME);
  }

  @BeforeEach
  void start() throws Exception {
    SystemTests.requireTools("ip", "haproxy", "curl");
    h = HaproxyInNamespace.start(dir);
  }

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  private TargetContext context(TargetOptions options) {
    return new TargetContext(options, CommandRunner.system());
  }

  private String label(List<String> entries, byte[] file, List<String> oldEntries, byte[] oldFile)
      throws Exception {
    return "running ACL "
        + (entries.equals(oldEntries) ? "old" : "new")
        + ", file "
        + (java.util.Arrays.equals(file, oldFile) ? "old" : "new");
  }

  @Test
  void aRunKilledBetweenPrepareAndCommitLeavesTheRunningAclOldAndTheNextRunRepairs()
      throws Exception {
    List<String> oldEntries = h.entries();
    byte[] oldFile = Files.readAllBytes(h.acl);
    Path proxied = dir.resolve("proxy.sock");
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HaproxyApplyInChild.class.getName()));
    h.options()
        .withSetting("haproxy-socket", proxied.toString())
        .settings()
        .forEach((k, v) -> argv.add(k + "=" + v));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
    Process[] child = new Process[1];
    try (RuntimeApiProxy proxy =
        RuntimeApiProxy.start(
            proxied,
            h.socket,
            "commit acl ",
            () -> {
              child[0].destroyForcibly();
              try {
                child[0].waitFor(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            RuntimeApiProxy.Then.CUT)) {
      child[0] = pb.start();
      assertThat(child[0].waitFor(60, TimeUnit.SECONDS)).as("the child ends").isTrue();
      assertThat(proxy.fired())
          .as("killed at the commit: %s", Files.readString(dir.resolve("child.log")))
          .isTrue();
    }

    List<String> entries = h.entries();
    byte[] file = Files.readAllBytes(h.acl);
    assertThat(entries).as("the prepared version was never committed").isEqualTo(oldEntries);
    assertThat(h.seenAs(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
    assertThat(h.runtime("show acl")).as("no version left pending").doesNotContain("@");
    String live = label(entries, file, oldEntries, oldFile);

    TargetResult next = Sync.sync(target, snapshot, context(h.options()), Guards.defaults(), false);

    assertThat(next.outcome()).as(next.message()).isEqualTo(Outcome.APPLIED);
    assertThat(h.seenAs(EDGE_CF_V4)).isEqualTo(HaproxyInNamespace.VISITOR);
    assertThat(h.entries())
        .containsExactlyElementsOf(snapshot.ranges().all().stream().map(Object::toString).toList());
    FaultKit.appendRow(
        NAME,
        "SIGKILL of the run between prepare acl and commit acl",
        NAME,
        "commit acl",
        live,
        "next run: " + next.outcome(),
        "ok",
        "the running ACL kept the old entries (the prepared version is never seen); the next run: "
            + next.message());
  }

  /** What an apply through a socket that misbehaves at a chosen command left. */
  private record Faulted(TargetResult result, Path socket, String live, String verdict) {}

  /**
   * Applies through a socket in front of HAProxy's that passes commands until the one after {@code
   * skip} lines starting with {@code trigger}, then does {@code then}; adds the matrix row.
   */
  private Faulted applyThrough(
      String trigger, int skip, RuntimeApiProxy.Then then, String label, String command)
      throws Exception {
    List<String> oldEntries = h.entries();
    byte[] oldFile = Files.readAllBytes(h.acl);
    Path proxied = dir.resolve("proxy.sock");
    TargetResult result;
    try (RuntimeApiProxy proxy =
        RuntimeApiProxy.start(proxied, h.socket, trigger, skip, () -> {}, then)) {
      result =
          Sync.sync(
              target,
              snapshot,
              context(h.options().withSetting("haproxy-socket", proxied.toString())),
              Guards.defaults(),
              false);
      assertThat(proxy.fired()).as("the socket saw %s", trigger).isTrue();
    }
    String live = label(h.entries(), Files.readAllBytes(h.acl), oldEntries, oldFile);
    String verdict =
        FaultKit.verdict(
            Live.of(live, "running ACL old, file old", "running ACL new, file new"), result);
    FaultKit.appendRow(
        NAME,
        label,
        NAME,
        command,
        live,
        result.outcome().name(),
        verdict,
        result.message().replace(dir.toString(), "DIR"));
    return new Faulted(result, proxied, live, verdict);
  }

  @Test
  void aSocketThatStopsAnsweringAtPrepareGivesAClearErrorAndLeavesBothAsTheyWere()
      throws Exception {
    Faulted f =
        applyThrough(
            "prepare acl ",
            0,
            RuntimeApiProxy.Then.SILENCE,
            "the runtime API stops answering at prepare acl",
            "prepare acl");

    assertThat(f.result().outcome()).as(f.result().message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(f.result().message())
        .contains(f.socket().toString())
        .contains("no version was committed, so the running ACL is unchanged")
        .contains(h.acl + " was put back as it was");
    assertThat(f.live()).isEqualTo("running ACL old, file old");
    assertThat(f.verdict()).isEqualTo("ok");
  }

  @Test
  void aSocketThatDiesAfterTheNewFileIsCheckedPutsTheFileBackAndSaysWhichSocket() throws Exception {
    // The plan reads the running ACL once; the apply reads it again once the file is written and
    // checked, and that is where HAProxy goes away.
    Faulted f =
        applyThrough(
            "show acl #",
            1,
            RuntimeApiProxy.Then.CUT,
            "the runtime API goes away after the new file is checked",
            "show acl");

    assertThat(f.result().outcome()).as(f.result().message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(f.result().message())
        .contains("cannot read the running ACL over " + f.socket())
        .contains("no version was committed, so the running ACL is unchanged")
        .contains(h.acl + " was put back as it was");
    assertThat(f.live()).isEqualTo("running ACL old, file old");
    assertThat(f.verdict()).isEqualTo("ok");
  }

  @Test
  void aSocketThatNeverAnswersFailsThePlanAndDoctorClearlyAndChangesNothing() throws Exception {
    List<String> oldEntries = h.entries();
    byte[] oldFile = Files.readAllBytes(h.acl);
    Path mute = dir.resolve("mute.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(mute)); // connections wait in the backlog, unanswered
      TargetOptions options = h.options().withSetting("haproxy-socket", mute.toString());

      TargetResult result = Sync.sync(target, snapshot, context(options), Guards.defaults(), false);
      List<Finding> doctor =
          target.diagnose(new Diagnosis(snapshot, List.of(443), context(options)));

      List<String> entries = h.entries();
      byte[] file = Files.readAllBytes(h.acl);
      String live = label(entries, file, oldEntries, oldFile);
      String verdict =
          FaultKit.verdict(
              Live.of(live, "running ACL old, file old", "running ACL new, file new"), result);
      FaultKit.appendRow(
          NAME,
          "the runtime API accepts but never answers",
          NAME,
          "prompt",
          live,
          result.outcome().name(),
          verdict,
          result.message().replace(dir.toString(), "DIR"));
      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(result.message()).contains("HAProxy did not answer on " + mute + " within 10 s");
      assertThat(entries).isEqualTo(oldEntries);
      assertThat(file).isEqualTo(oldFile);
      assertThat(verdict).isEqualTo("ok");
      assertThat(doctor)
          .filteredOn(f -> f.status() == Status.FAIL)
          .extracting(Finding::found)
          .anySatisfy(f -> assertThat(f).contains("HAProxy did not answer on " + mute));
    }
  }
}
