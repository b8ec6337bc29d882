package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.ALLOW_PORT;
import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.PORT;
import static io.github.cfallowlist.adapter.nginx.NginxInOrigin.VISITOR;
import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real nginx: {@code nginx -t} on the rendered files with a private prefix ({@code -p PREFIX -c
 * CONF}, the host's nginx is neither read nor touched), and a running nginx in a network namespace
 * with an edge client that has a Cloudflare address (173.245.48.5) and one outside Cloudflare
 * (203.0.113.7), both sending {@code CF-Connecting-IP: 192.0.2.44}.
 */
class NginxSystemTest {
  private final NginxTarget target = new NginxTarget();
  private final RangeSnapshot full = embedded();

  private static void requireNamespaces() {
    SystemTests.requireTools("ip", "nginx", "curl", "ss");
  }

  /** The embedded snapshot without 173.245.48.0/20, the range holding the edge's address. */
  private RangeSnapshot withoutEdgeRange() {
    return full.withRanges(
        RangeSet.of(
            full.ranges().all().stream()
                .filter(c -> !c.toString().equals("173.245.48.0/20"))
                .toList()));
  }

  private static TargetContext context(NginxInOrigin nginx) {
    return new TargetContext(nginx.prefix().options(Families.BOTH), nginx.runner());
  }

  private static Outcome outcomeOf(Runnable call) {
    return catchThrowableOfType(ApplyFailedException.class, call::run).outcome();
  }

  // --- a running nginx behind the edge ----------------------------------------------------------

  @Test
  void allowFileAdmitsCloudflareBehindTheRealIpModuleAndRefusesEveryoneElse() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      Set<Long> workers = nginx.workers();
      Sync.apply(target, full, context(nginx), Guards.defaults());
      nginx.awaitReloadFrom(workers);

      nginx.guard(true);

      NginxInOrigin.Response edge = nginx.request(EDGE_CF_V4, ALLOW_PORT);
      assertThat(edge.status()).isEqualTo(200);
      assertThat(nginx.remoteAddr(edge))
          .as("the visitor, from CF-Connecting-IP")
          .isEqualTo(VISITOR);
      NginxInOrigin.Response other = nginx.request(EDGE_OTHER_V4, ALLOW_PORT);
      assertThat(other.status()).isEqualTo(403);
      assertThat(nginx.remoteAddr(other)).as("its header is not trusted").isEqualTo(EDGE_OTHER_V4);
      assertThat(nginx.request(EDGE_OTHER_V4, PORT).status())
          .as("a server without the guard stays open")
          .isEqualTo(200);
    }
  }

  @Test
  void applyTrustsCfConnectingIpOnlyFromCloudflareAndANoOpApplyDoesNotReload() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
          .as("before apply nothing is trusted")
          .isEqualTo(EDGE_CF_V4);
      Set<Long> workers = nginx.workers();

      Plan plan = Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(workers);

      assertThat(plan.isInstall()).isTrue();
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(VISITOR);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_OTHER_V4, PORT))).isEqualTo(EDGE_OTHER_V4);

      byte[] realIp = Files.readAllBytes(nginx.prefix().realIpFile());
      Set<Long> reloaded = nginx.workers();
      nginx.runner().clear();

      Plan again = Sync.apply(target, full, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(nginx.runner().commands()).as("the files are read directly").isEmpty();
      assertThat(nginx.workers()).isEqualTo(reloaded);
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      assertThat(Files.readAllBytes(nginx.prefix().realIpFile())).isEqualTo(realIp);
    }
  }

  @Test
  void changedListReloadsNginxAndAdmitsTheNewRange() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      nginx.guard(true);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(EDGE_CF_V4);
      assertThat(nginx.request(EDGE_CF_V4, ALLOW_PORT).status()).isEqualTo(403);
      Set<Long> before = nginx.workers();

      Plan plan = Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(before);

      assertThat(plan.summary()).isEqualTo("+1 -0 ranges (IPv4 +1)");
      assertThat(nginx.reconfigurations()).isEqualTo(3);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(VISITOR);
      assertThat(nginx.request(EDGE_CF_V4, ALLOW_PORT).status()).isEqualTo(200);
    }
  }

  @Test
  void aChangeToAStoppedNginxIsTestedAndWrittenWithoutAReload() throws Exception {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      nginx.stop();
      Path pidFile = nginx.prefix().dir().resolve("nginx.pid");
      assertThat(pidFile).doesNotExist();
      assertThat(nginx.masterAlive()).isFalse();
      nginx.runner().clear();
      Logged<TargetResult> logging =
          Logged.by(
              FileApplier.class, () -> Sync.sync(target, full, context, Guards.defaults(), false));
      TargetResult result = logging.value();
      List<String> warnings = logging.messages();

      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
      assertThat(nginx.runner().commands())
          .extracting(Command::argv)
          .containsExactly(nginx.prefix().testCommand(), nginx.prefix().dumpCommand());
      assertThat(Files.readString(nginx.prefix().realIpFile())).contains("173.245.48.0/20");
      assertThat(warnings)
          .containsExactly(
              // nginx -t leaves an empty pid file behind.
              "nginx is not running ("
                  + pidFile
                  + " is empty), so it was not reloaded; it reads the new configuration when it"
                  + " starts");
    }
  }

  @Test
  void handEditedRealIpFileShowsAsAChangeAndApplyRepairsIt() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      Path realIp = nginx.prefix().realIpFile();
      String ours = Files.readString(realIp);
      // A sysadmin trusts the spoofable header by hand; nginx refuses to load that file.
      Files.writeString(realIp, "real_ip_header X-Forwarded-For;\n", StandardOpenOption.APPEND);
      Netns.Result refused = nginx.origin().exec(null, nginx.prefix().testCommand());
      assertThat(refused.exitCode()).as("nginx -t on the hand edit").isNotZero();
      assertThat(refused.stderr()).contains("real_ip_header");
      nginx.runner().clear();

      TargetResult status = Sync.sync(target, full, context, Guards.defaults(), true);

      assertThat(status.outcome()).as(status.message()).isEqualTo(Outcome.WOULD_CHANGE);
      assertThat(status.plan().orElseThrow().diff().lines())
          .contains("-" + NginxConfig.DRIFT + "real_ip_header X-Forwarded-For;");
      assertThat(nginx.runner().commands()).as("status runs no command").isEmpty();
      Set<Long> drifted = nginx.workers();

      TargetResult applied = Sync.sync(target, full, context, Guards.defaults(), false);
      nginx.awaitReloadFrom(drifted);

      assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.APPLIED);
      assertThat(nginx.runner().commands())
          .extracting(Command::argv)
          .containsExactly(
              nginx.prefix().testCommand(),
              nginx.prefix().dumpCommand(),
              nginx.prefix().reloadCommand());
      assertThat(Files.readString(realIp)).isEqualTo(ours);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
          .as("CF-Connecting-IP is trusted again")
          .isEqualTo(VISITOR);
      assertThat(Sync.plan(target, full, context).hasChanges()).isFalse();
    }
  }

  @Test
  void applyRejectedByNginxRestoresTheOldFilesAndNginxKeepsServingWithoutReload()
      throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      byte[] realIp = Files.readAllBytes(nginx.prefix().realIpFile());
      byte[] allow = Files.readAllBytes(nginx.prefix().allowFile());
      Set<Long> workers = nginx.workers();
      // Someone breaks nginx.conf while nginx keeps running the good configuration.
      Files.writeString(nginx.prefix().conf(), "bogus_directive on;\n", StandardOpenOption.APPEND);
      nginx.runner().clear();

      ApplyFailedException e =
          catchThrowableOfType(
              ApplyFailedException.class,
              () -> Sync.apply(target, full, context, Guards.defaults()));

      assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(e)
          .hasMessageContaining(
              "rejected the new configuration: nginx: [emerg] unknown directive"
                  + " \"bogus_directive\" in ");
      assertThat(Files.readAllBytes(nginx.prefix().realIpFile())).isEqualTo(realIp);
      assertThat(Files.readAllBytes(nginx.prefix().allowFile())).isEqualTo(allow);
      assertThat(nginx.runner().modifyingCommands()).isEmpty();
      assertThat(nginx.workers()).isEqualTo(workers);
      assertThat(nginx.reconfigurations()).isEqualTo(1);
      NginxInOrigin.Response still = nginx.request(EDGE_CF_V4, PORT);
      assertThat(still.status()).isEqualTo(200);
      assertThat(nginx.remoteAddr(still)).as("old list still in force").isEqualTo(EDGE_CF_V4);
      try (Stream<Path> left = Files.list(nginx.prefix().realIpFile().getParent())) {
        assertThat(left).as("no temporary file left").containsExactly(nginx.prefix().realIpFile());
      }
    }
  }

  @Test
  void allowFileNoLongerAskedForIsRemovedWithTheSameReload() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      Set<Long> first = nginx.workers();
      Sync.apply(target, full, context(nginx), Guards.defaults());
      nginx.awaitReloadFrom(first);
      TargetContext withoutAllow =
          new TargetContext(
              nginx
                  .prefix()
                  .options(Families.BOTH)
                  .onlySettings(
                      List.of("nginx-file", "nginx-test-command", "nginx-reload-command")),
              nginx.runner());
      assertThat(target.leftovers(withoutAllow))
          .containsExactly("file " + nginx.prefix().allowFile());
      Set<Long> before = nginx.workers();
      nginx.runner().clear();

      Plan plan = Sync.apply(target, full, withoutAllow, Guards.defaults());
      nginx.awaitReloadFrom(before);

      assertThat(plan.leftovers()).containsExactly("file " + nginx.prefix().allowFile());
      assertThat(nginx.prefix().allowFile()).doesNotExist();
      assertThat(Files.readString(nginx.prefix().realIpFile())).doesNotContain("allow file");
      assertThat(nginx.runner().modifyingCommands()).hasSize(1);
      assertThat(nginx.reconfigurations()).isEqualTo(2);
      assertThat(target.leftovers(withoutAllow)).isEmpty();
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(VISITOR);
    }
  }

  @Test
  void uninstallRemovesOnlyOurFilesOnceNoServerUsesTheVariable() throws IOException {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      Path foreign = nginx.prefix().realIpFile().resolveSibling("zz-foreign.conf");
      String foreignText = "add_header X-Foreign kept;\n";
      Files.writeString(foreign, foreignText);
      Set<Long> first = nginx.workers();
      Sync.apply(target, full, context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      nginx.guard(true);
      Set<Long> installed = nginx.workers();
      nginx.runner().clear();

      // Pointed at a file it did not write, uninstall refuses and changes nothing.
      TargetContext wrong =
          new TargetContext(
              context.options().withSetting("nginx-file", foreign.toString()), nginx.runner());
      assertThat(outcomeOf(() -> Sync.uninstall(target, wrong)))
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(foreign).hasContent(foreignText.strip());
      assertThat(nginx.prefix().allowFile()).exists();
      assertThat(nginx.runner().modifyingCommands()).isEmpty();

      // A server still uses $cloudflare_edge: nginx -t refuses the removal, the files come back.
      ApplyFailedException refused =
          catchThrowableOfType(ApplyFailedException.class, () -> Sync.uninstall(target, context));
      assertThat(refused.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(refused).hasMessageContaining("cloudflare_edge");
      assertThat(nginx.prefix().realIpFile()).exists();
      assertThat(nginx.prefix().allowFile()).exists();
      assertThat(nginx.workers()).isEqualTo(installed);
      assertThat(nginx.request(EDGE_OTHER_V4, ALLOW_PORT).status()).isEqualTo(403);

      nginx.guard(false);
      Set<Long> unguarded = nginx.workers();
      assertThat(Sync.uninstall(target, context)).isTrue();
      nginx.awaitReloadFrom(unguarded);

      assertThat(nginx.prefix().realIpFile()).doesNotExist();
      assertThat(nginx.prefix().allowFile()).doesNotExist();
      assertThat(Files.readString(foreign)).isEqualTo(foreignText);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT))).isEqualTo(EDGE_CF_V4);
      assertThat(nginx.request(EDGE_OTHER_V4, ALLOW_PORT).status()).isEqualTo(200);
      assertThat(target.readLive(context)).isEmpty();
    }
  }

  /**
   * A run killed while {@code nginx -t} runs (SIGTERM when systemd stops it, SIGKILL after its stop
   * timeout) leaves a new, untested file; the next run must not call that in sync, and must test
   * and load it.
   */
  @ParameterizedTest
  @ValueSource(ints = {15, 9})
  void runKilledWhileNginxTestRunsIsFinishedByTheNextRun(int signal) throws Exception {
    requireNamespaces();
    try (NginxInOrigin nginx = NginxInOrigin.start()) {
      TargetContext context = context(nginx);
      NginxPrefix prefix = nginx.prefix();
      Set<Long> first = nginx.workers();
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      nginx.awaitReloadFrom(first);
      Set<Long> workers = nginx.workers();
      byte[] oldRealIp = Files.readAllBytes(prefix.realIpFile());
      Path started = prefix.dir().resolve("test-started");
      Path slowTest = prefix.dir().resolve("slow-test.sh");
      Files.writeString(
          slowTest,
          ": > " + started + "\nsleep 30\nexec " + String.join(" ", prefix.testCommand()) + "\n");

      killWhileTesting(prefix, "/bin/sh " + slowTest, started, signal);

      Path intent =
          prefix.realIpFile().resolveSibling("." + NginxPrefix.REAL_IP_NAME + NginxIntent.SUFFIX);
      assertThat(intent).as("the killed run's record of its change").exists();
      assertThat(Files.readString(prefix.realIpFile()))
          .as("the killed run's new file, never tested")
          .isEqualTo(
              target
                  .render(full, context.options())
                  .file(NginxPrefix.REAL_IP_NAME)
                  .orElseThrow()
                  .content())
          .isNotEqualTo(new String(oldRealIp, StandardCharsets.UTF_8));
      assertThat(nginx.workers()).as("nginx was not reloaded").isEqualTo(workers);
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
          .as("nginx still runs the old list")
          .isEqualTo(EDGE_CF_V4);

      nginx.runner().clear();
      Plan plan = Sync.plan(target, full, context);
      assertThat(plan.hasChanges()).as("never in sync before the change is finished").isTrue();
      assertThat(plan.summary()).startsWith("+1 -0 ranges (IPv4 +1)");

      TargetResult result = Sync.sync(target, full, context, Guards.defaults(), false);
      nginx.awaitReloadFrom(workers);

      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
      assertThat(nginx.runner().commands())
          .extracting(Command::argv)
          .containsExactly(prefix.testCommand(), prefix.dumpCommand(), prefix.reloadCommand());
      assertThat(intent).doesNotExist();
      assertThat(nginx.remoteAddr(nginx.request(EDGE_CF_V4, PORT)))
          .as("what nginx loaded is the new list the files hold")
          .isEqualTo(VISITOR);
      assertThat(Sync.plan(target, full, context).hasChanges()).isFalse();
      try (Stream<Path> left = Files.list(prefix.realIpFile().getParent())) {
        assertThat(left).containsExactly(prefix.realIpFile());
      }
    }
  }

  /**
   * Runs {@link ApplyInChild} with {@code testCommand} in another JVM and sends it {@code signal}
   * (15 or 9) once {@code started} shows the test command is running; then kills the test command.
   */
  private static void killWhileTesting(
      NginxPrefix prefix, String testCommand, Path started, int signal)
      throws IOException, InterruptedException {
    Path out = prefix.dir().resolve("child.out");
    Process child =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp",
                System.getProperty("java.class.path"),
                ApplyInChild.class.getName(),
                "nginx-file=" + prefix.realIpFile(),
                "nginx-allow-file=" + prefix.allowFile(),
                "nginx-test-command=" + testCommand,
                "nginx-reload-command=" + String.join(" ", prefix.reloadCommand()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(started)) {
        if (!child.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError(
              "the child never reached the test command:\n" + NginxInOrigin.read(out));
        }
        Thread.sleep(20);
      }
    } finally {
      List<ProcessHandle> below = child.descendants().toList();
      // SIGTERM runs only shutdown hooks (this child has none), SIGKILL nothing: either way no
      // finally block or catch clause of the apply runs.
      if (signal == 9) {
        child.destroyForcibly();
      } else {
        child.destroy();
      }
      boolean ended = child.waitFor(60, TimeUnit.SECONDS);
      below.forEach(ProcessHandle::destroyForcibly);
      if (!ended) {
        child.destroyForcibly();
      }
      assertThat(ended).as("the killed run ended").isTrue();
    }
    assertThat(child.exitValue()).as(NginxInOrigin.read(out)).isEqualTo(128 + signal);
  }

  // --- nginx -t on the rendered files, no running nginx -----------------------------------------

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static CommandResult nginxTest(NginxPrefix prefix) throws IOException {
    return CommandRunner.system().run(Command.read(prefix.testCommand()));
  }

  private void writeRendered(NginxPrefix prefix, Families families) throws IOException {
    Rendered rendered = target.render(embedded(families), prefix.options(families));
    Files.writeString(
        prefix.realIpFile(), rendered.file(NginxPrefix.REAL_IP_NAME).orElseThrow().content());
    Files.writeString(
        prefix.allowFile(), rendered.file(NginxPrefix.ALLOW_NAME).orElseThrow().content());
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void nginxAcceptsBothRenderedFilesWithoutAWarning(Families families) throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeRendered(prefix, families);
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpGlob(), true);

      CommandResult result = nginxTest(prefix);

      assertThat(result.ok()).as(result.stderr()).isTrue();
      assertThat(result.stderr()).contains("test is successful").doesNotContain("[warn]");
    }
  }

  @Test
  void nginxRejectsAnEmptySetRealIpFromLineSoTheCheckCanFail() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeRendered(prefix, Families.BOTH);
      String good = Files.readString(prefix.realIpFile());
      Files.writeString(
          prefix.realIpFile(),
          good.replace("set_real_ip_from 103.31.4.0/22;", "set_real_ip_from ;"));
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpGlob(), true);

      CommandResult result = nginxTest(prefix);

      assertThat(result.ok()).isFalse();
      assertThat(NginxApplier.nginxError(result)).contains("[emerg]");
    }
  }

  @Test
  void uninstallPutsFilesBackWhenNginxConfNamesTheFileWithoutAGlob() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      // An explicit include of a missing file fails nginx -t, so removing the file would break
      // the next reload or restart; uninstall must notice and undo.
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpFile().toString(), false);
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(CommandRunner.system())
              .failing(c -> c.argv().contains("reload"));
      TargetContext context = new TargetContext(prefix.options(Families.BOTH), runner);
      writeRendered(prefix, Families.BOTH);
      assertThat(nginxTest(prefix).ok()).isTrue();
      byte[] realIp = Files.readAllBytes(prefix.realIpFile());
      byte[] allow = Files.readAllBytes(prefix.allowFile());

      ApplyFailedException e =
          catchThrowableOfType(ApplyFailedException.class, () -> Sync.uninstall(target, context));

      assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(e)
          .hasMessageContaining(": nginx: [emerg] open() \"")
          .hasMessageContaining(
              "includes " + prefix.realIpFile() + " and " + prefix.allowFile() + " by name");
      assertThat(Files.readAllBytes(prefix.realIpFile())).isEqualTo(realIp);
      assertThat(Files.readAllBytes(prefix.allowFile())).isEqualTo(allow);
      assertThat(runner.modifyingCommands()).isEmpty();
    }
  }

  @Test
  void applyThroughRealNginxTestLeavesNoTemporaryFileAndVerifies() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpGlob(), true);
      // nginx is not running here, so it is not reloaded; were the check wrong, this stands in
      // for the reload. Everything else is real.
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(
              c ->
                  c.argv().contains("reload")
                      ? new CommandResult(0, "", "")
                      : CommandRunner.system().run(c));
      TargetOptions options = prefix.options(Families.BOTH);
      TargetContext context = new TargetContext(options, runner);

      Sync.apply(target, embedded(), context, Guards.defaults());

      assertThat(Sync.plan(target, embedded(), context).hasChanges()).isFalse();
      try (Stream<Path> files = Files.list(prefix.realIpFile().getParent())) {
        assertThat(files).containsExactly(prefix.realIpFile());
      }
      // nginx is not running, so it is not reloaded: it reads the files when it starts.
      assertThat(runner.commands())
          .extracting(Command::argv)
          .containsExactly(prefix.testCommand(), prefix.dumpCommand());
    }
  }
}
