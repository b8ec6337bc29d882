package io.github.cfallowlist.adapter.haproxy;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.ORIGIN_V4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.SmallFiles;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Logged;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's haproxy in a network namespace, with its own configuration, ACL file and admin socket in
 * a temporary directory, and a client in a second namespace holding a Cloudflare address and an
 * outside one. The frontend answers every request with the address HAProxy thinks the client has,
 * so the response shows whether {@code CF-Connecting-IP} was trusted.
 */
class HaproxySystemTest {
  private static final String VISITOR = "198.51.100.7";
  private static final int PORT = 8080;

  @TempDir Path dir;
  private EdgeAndOrigin net;
  private Path config;
  private Path acl;
  private Path socket;
  private Process haproxy;
  private final HaproxyTarget target = new HaproxyTarget();
  private final RangeSnapshot snapshot = TestSnapshots.embedded();

  @BeforeEach
  void startHaproxy() throws Exception {
    SystemTests.requireTools("ip", "haproxy", "curl");
    net = EdgeAndOrigin.create();
    config = dir.resolve("haproxy.cfg");
    acl = dir.resolve("cloudflare.acl");
    socket = dir.resolve("admin.sock");
    // Before cf-allowlist: a stale hand-made list without 173.245.48.0/20.
    Files.writeString(
        acl,
        target.render(snapshot.withRanges(RangeSet.parse("103.21.244.0/22")), options()).text());
    Files.writeString(
        config,
        String.join(
            "\n",
            "global",
            "  stats socket " + socket + " level admin",
            "defaults",
            "  mode http",
            "  timeout client 5s",
            "  timeout server 5s",
            "  timeout connect 5s",
            "frontend www",
            "  bind " + ORIGIN_V4 + ":" + PORT,
            "  acl from_cloudflare src -f " + acl,
            "  http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare",
            "  http-request return status 200 content-type text/plain lf-string \"%[src]\"",
            ""));
    haproxy =
        net.origin()
            .start(List.of("haproxy", "-db", "-f", config.toString()), dir.resolve("haproxy.log"));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!Files.exists(socket)) {
      assertThat(haproxy.isAlive()).as("haproxy started: %s", log()).isTrue();
      assertThat(System.nanoTime()).as("haproxy's socket appears").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @AfterEach
  void stop() {
    if (net != null) {
      net.close();
    }
  }

  private String log() throws IOException {
    Path log = dir.resolve("haproxy.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private TargetOptions options() {
    return TargetOptions.defaults()
        .withSetting("haproxy-file", dir.resolve("cloudflare.acl").toString())
        .withSetting("haproxy-socket", dir.resolve("admin.sock").toString())
        .withSetting("haproxy-check-command", "haproxy -c -f " + dir.resolve("haproxy.cfg"));
  }

  private TargetContext context(TargetOptions options) {
    return new TargetContext(options, CommandRunner.system());
  }

  /** The address HAProxy answers a request from {@code from} carrying CF-Connecting-IP with. */
  private String seenAs(String from) {
    Netns.Result r =
        net.edge()
            .exec(
                "curl",
                "-sS",
                "--max-time",
                "5",
                "--interface",
                from,
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + ORIGIN_V4 + ":" + PORT + "/");
    assertThat(r.exitCode()).as("curl: %s", r.stderr()).isZero();
    return r.stdout().strip();
  }

  /** What the runtime API answers, pointers of the entries included. */
  private String runtime(String command) throws IOException {
    try (HaproxySocket s = HaproxySocket.open(socket)) {
      return s.send(command);
    }
  }

  private long pid() throws IOException {
    return runtime("show info")
        .lines()
        .filter(l -> l.startsWith("Pid: "))
        .map(l -> Long.parseLong(l.substring(5)))
        .findFirst()
        .orElseThrow();
  }

  private TargetResult apply(TargetOptions options) {
    return Sync.sync(target, snapshot, context(options), Guards.defaults(), false);
  }

  @Test
  void applyMakesTheRunningProcessTrustCloudflareWithoutANewProcess() throws Exception {
    long pid = pid();
    assertThat(seenAs(EDGE_CF_V4)).as("before: not trusted yet").isEqualTo(EDGE_CF_V4);

    TargetResult result = apply(options());

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(seenAs(EDGE_CF_V4)).as("a Cloudflare address is trusted").isEqualTo(VISITOR);
    assertThat(seenAs(EDGE_OTHER_V4)).as("an outsider is not").isEqualTo(EDGE_OTHER_V4);
    assertThat(pid()).as("the same process").isEqualTo(pid).isEqualTo(haproxy.pid());
    assertThat(haproxy.isAlive()).isTrue();
    assertThat(Files.readString(acl)).isEqualTo(target.render(snapshot, options()).text());
    assertThat(
            runtime("show acl " + acl).lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList())
        .containsExactlyElementsOf(snapshot.ranges().all().stream().map(Object::toString).toList());
    Netns.Result check = net.origin().exec("haproxy", "-c", "-f", config.toString());
    assertThat(check.exitCode()).as("haproxy -c: %s", check.stderr()).isZero();
  }

  @Test
  void anApplyInSyncWritesNothingAndSendsNoChange() throws Exception {
    assertThat(apply(options()).outcome()).isEqualTo(Outcome.APPLIED);
    Object fileKey = Files.readAttributes(acl, "unix:ino").get("ino");
    var modified = Files.getLastModifiedTime(acl);
    String entries = runtime("show acl " + acl); // with each entry's address in memory
    String list = runtime("show acl");

    TargetResult again = apply(options());

    assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
    assertThat(Files.readAttributes(acl, "unix:ino").get("ino")).isEqualTo(fileKey);
    assertThat(Files.getLastModifiedTime(acl)).isEqualTo(modified);
    assertThat(runtime("show acl " + acl)).isEqualTo(entries);
    assertThat(runtime("show acl")).as("no version was prepared").isEqualTo(list);
  }

  @Test
  void aListWhoseFileOutgrowsOneMebibyteIsAppliedAndThenInSync() throws Exception {
    List<Cidr> many = new ArrayList<>(snapshot.ranges().all());
    for (int i = 0; i < 100_000; i++) {
      many.add(Cidr.parse((11 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + ".0/24"));
    }
    RangeSnapshot large = snapshot.withRanges(RangeSet.of(many));

    TargetResult installed = Sync.sync(target, large, context(options()), Guards.defaults(), false);

    assertThat(installed.outcome()).as(installed.message()).isEqualTo(Outcome.APPLIED);
    assertThat(Files.size(acl)).isGreaterThan(SmallFiles.MAX_BYTES);
    assertThat(runtime("show acl " + acl).lines().count()).isEqualTo(many.size());
    assertThat(seenAs(EDGE_CF_V4)).isEqualTo(VISITOR);
    long modified = Files.getLastModifiedTime(acl).toMillis();

    TargetResult again = Sync.sync(target, large, context(options()), Guards.defaults(), false);

    assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
    assertThat(Files.getLastModifiedTime(acl).toMillis()).isEqualTo(modified);
  }

  @Test
  void anEntryAddedAtRuntimeByHandIsADifferenceThatApplyRemoves() throws Exception {
    assertThat(apply(options()).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(runtime("add acl " + acl + " 192.0.2.0/24")).isEmpty();
    assertThat(runtime("add acl " + acl + " 10.9.9.9")).isEmpty();

    Plan plan = Sync.plan(target, snapshot, context(options()));

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff()).contains("-192.0.2.0/24").contains("10.9.9.9");
    assertThat(apply(options()).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(runtime("show acl " + acl)).doesNotContain("192.0.2.0").doesNotContain("10.9.9.9");
  }

  @Test
  void aFailingCheckLeavesTheRunningAclAndTheFileAsTheyWere() throws Exception {
    byte[] file = Files.readAllBytes(acl);
    String entries = runtime("show acl " + acl);

    TargetResult result = apply(options().withSetting("haproxy-check-command", "false"));

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message()).contains("'false' rejected").contains("put back");
    assertThat(Files.readAllBytes(acl)).isEqualTo(file);
    assertThat(runtime("show acl " + acl)).isEqualTo(entries);
    assertThat(seenAs(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
  }

  @Test
  void anApplyCalledDirectlyNeverCreatesAMissingDirectory() throws Exception {
    Path missing = dir.resolve("missing/cloudflare.acl");
    TargetContext context = context(options().withSetting("haproxy-file", missing.toString()));
    Plan plan = Plan.compute(target, snapshot, context.options(), java.util.Optional.empty());

    ApplyFailedException failed =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(failed).hasMessageContaining("the directory does not exist");
    assertThat(missing.getParent()).doesNotExist();
  }

  @Test
  void aVersionNeverCommittedIsNeverSeen() throws Exception {
    String entries = runtime("show acl " + acl);
    try (HaproxySocket s = HaproxySocket.open(socket)) {
      String version = s.send("prepare acl " + acl).replaceAll("\\D", "");
      assertThat(s.send("add acl @" + version + " " + acl + " 173.245.48.0/20")).isEmpty();
    } // the connection ends without a commit

    assertThat(runtime("show acl " + acl)).isEqualTo(entries);
    assertThat(seenAs(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
    assertThat(apply(options()).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(seenAs(EDGE_CF_V4)).isEqualTo(VISITOR);
  }

  @Test
  void withoutTheSocketNothingIsChangedAndTheMessageSaysHowToEnableIt() throws Exception {
    byte[] file = Files.readAllBytes(acl);

    TargetResult result = apply(options().withSetting("haproxy-socket", dir + "/none.sock"));

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.message())
        .contains("cannot reach HAProxy's runtime API at " + dir + "/none.sock")
        .contains("stats socket " + dir + "/none.sock level admin");
    assertThat(Files.readAllBytes(acl)).isEqualTo(file);
  }

  @Test
  void aFileTheRunningConfigurationDoesNotLoadIsKeptAloneAndNamedAsUnused() throws Exception {
    Path other = dir.resolve("other.acl");
    String entries = runtime("show acl " + acl);
    TargetOptions options = options().withSetting("haproxy-file", other.toString());

    assertThat(HaproxyLive.notUsed(other))
        .contains("acl from_cloudflare src -f " + other)
        .contains("http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare");
    Logged<TargetResult> logging = Logged.by(HaproxyTarget.class, () -> apply(options));
    TargetResult result = logging.value();
    List<String> warnings = logging.messages();

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(warnings)
        .as("read, planned, applied and read back: said once")
        .containsExactly(HaproxyLive.notUsed(other));
    assertThat(Files.readString(other)).isEqualTo(target.render(snapshot, options).text());
    assertThat(runtime("show acl " + acl)).isEqualTo(entries);
    assertThat(apply(options).outcome()).isEqualTo(Outcome.IN_SYNC);
  }

  @Test
  void uninstallRefusesWhileTheConfigurationLoadsTheFileAndThenEmptiesOnlyOurAcl()
      throws Exception {
    assertThat(apply(options()).outcome()).isEqualTo(Outcome.APPLIED);
    byte[] file = Files.readAllBytes(acl);
    String entries = runtime("show acl " + acl);

    TargetResult refused = Sync.remove(target, context(options()), false);

    assertThat(refused.outcome()).as(refused.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(refused.message()).contains("failed to open pattern file");
    assertThat(Files.readAllBytes(acl)).isEqualTo(file);
    assertThat(runtime("show acl " + acl)).isEqualTo(entries);

    // Once the configuration no longer loads it (here: a check that passes), it goes.
    String others = runtime("show acl").replaceAll("(?m)^0 .*\n", "");
    TargetResult removed =
        Sync.remove(target, context(options().withSetting("haproxy-check-command", "true")), false);

    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
    assertThat(acl).doesNotExist();
    assertThat(runtime("show acl " + acl)).isEmpty();
    assertThat(runtime("show acl").replaceAll("(?m)^0 .*\n", "")).isEqualTo(others);
    assertThat(seenAs(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
  }

  @Test
  void aPlanWithHaproxyStoppedFailsRatherThanTrustTheFileAlone() throws Exception {
    haproxy.destroy();
    haproxy.waitFor();

    assertThatThrownBy(() -> Sync.plan(target, snapshot, context(options())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is HAProxy running");
  }
}
