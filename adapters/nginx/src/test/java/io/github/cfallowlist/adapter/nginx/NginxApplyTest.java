package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.ConfigParseException;
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
import io.github.cfallowlist.ToolNotFoundException;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Apply, rollback, read-back and uninstall against files in a temporary directory and a fake nginx
 * (no root): every failure path with its typed outcome, leftovers and symbolic links.
 */
class NginxApplyTest {
  private static final String EMERG =
      "nginx: [emerg] unknown directive \"bogus\" in /etc/nginx/nginx.conf:9\n"
          + "nginx: configuration file /etc/nginx/nginx.conf test failed\n";
  private static final String REAL_IP = "cloudflare-real-ip.conf";
  private static final String ALLOW = "cloudflare-allow.conf";

  @TempDir Path dir;
  private Path realIp;
  private Path allow;
  private TargetOptions options;
  private TargetOptions withoutAllow;
  private final NginxTarget target = new NginxTarget();
  private final RangeSnapshot snapshot = embedded();

  @BeforeEach
  void setUp() throws IOException {
    realIp = dir.resolve("conf.d/" + REAL_IP);
    allow = dir.resolve("conf.d/" + ALLOW);
    Files.createDirectories(realIp.getParent());
    withoutAllow = TargetOptions.defaults().withSetting("nginx-file", realIp.toString());
    options = withoutAllow.withSetting("nginx-allow-file", allow.toString());
  }

  private FakeNginx fake() {
    return new FakeNginx(() -> read(realIp));
  }

  /** A fake nginx that records both files as the test command sees them. */
  private FakeNginx fakeSeeingBoth() {
    return new FakeNginx(() -> read(realIp) + "\n--\n" + read(allow));
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "<absent>";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String rendered(RangeSnapshot s, TargetOptions o, String name) {
    return target.render(s, o).file(name).orElseThrow().content();
  }

  private String rendered(RangeSnapshot s, String name) {
    return rendered(s, options, name);
  }

  private RangeSnapshot smaller() {
    List<String> v4 = snapshot.ranges().ipv4().stream().skip(1).map(Object::toString).toList();
    List<String> v6 = snapshot.ranges().ipv6().stream().map(Object::toString).toList();
    return snapshot.withRanges(
        RangeSet.parse(Stream.concat(v4.stream(), v6.stream()).toArray(String[]::new)));
  }

  private void install(RangeSnapshot s) throws IOException {
    Files.writeString(realIp, rendered(s, REAL_IP));
    Files.writeString(allow, rendered(s, ALLOW));
  }

  private static Outcome outcomeOf(ThrowingCall call) {
    return catchThrowableOfType(ApplyFailedException.class, call::run).outcome();
  }

  /** A call expected to fail. */
  private interface ThrowingCall {
    void run() throws Exception;
  }

  private List<Path> filesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.toList();
    }
  }

  // --- install, change, in sync ---------------------------------------------------------------

  @Test
  void readLiveIsEmptyWhenNoFileExists() throws IOException {
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);

    assertThat(target.readLive(context)).isEmpty();
    assertThat(target.leftovers(context)).isEmpty();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void installWritesBothFilesWithMode0644ThenTestsThenReloads() throws IOException {
    FakeNginx nginx = fake();
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);

    Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults());

    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, ALLOW));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(realIp)))
        .isEqualTo("rw-r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(allow)))
        .isEqualTo("rw-r--r--");
    // nginx -t must see the new file in place: it reads the real configuration, which includes it.
    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, REAL_IP));
    assertThat(runner.commands())
        .extracting(Command::argv)
        .containsExactly(
            List.of("nginx", "-t"), List.of("nginx", "-T"), List.of("nginx", "-s", "reload"));
    assertThat(runner.commands()).extracting(Command::modifies).containsExactly(false, false, true);
    assertThat(filesIn(realIp.getParent()))
        .as("no temporary file left behind")
        .containsExactlyInAnyOrder(realIp, allow);
  }

  @Test
  void applyKeepsTheModeOfTheFileItReplaces() throws IOException {
    install(smaller());
    Files.setPosixFilePermissions(realIp, PosixFilePermissions.fromString("rw-r-----"));

    Sync.apply(target, snapshot, new TargetContext(options, fake()), Guards.defaults());

    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(realIp)))
        .isEqualTo("rw-r-----");
  }

  @Test
  void inSyncApplyRunsNoCommandAndWritesNothing() throws IOException {
    install(snapshot);
    Files.setLastModifiedTime(realIp, FileTime.fromMillis(0));
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    Plan plan = Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands()).isEmpty();
    assertThat(Files.getLastModifiedTime(realIp).toMillis()).isZero();
  }

  @Test
  void missingAllowFileIsWrittenWhileTheRealIpFileStays() throws IOException {
    Files.writeString(realIp, rendered(snapshot, REAL_IP));
    TargetContext context = new TargetContext(options, fake());

    Optional<Rendered> live = target.readLive(context);
    assertThat(live).isPresent();
    assertThat(live.get().files()).extracting(Rendered.File::name).containsExactly(REAL_IP);
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isTrue();

    Sync.apply(target, snapshot, context, Guards.defaults());

    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, ALLOW));
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isFalse();
  }

  @Test
  void commandSettingsAreSplitOnWhitespaceAndNeverGivenToAShell() throws IOException {
    FakeNginx nginx = fake();
    TargetOptions custom =
        options
            .withSetting(
                "nginx-test-command", "  /usr/sbin/nginx  -t -q\t-c /etc/nginx/nginx.conf ")
            .withSetting("nginx-reload-command", "systemctl reload nginx;echo");

    Sync.apply(target, snapshot, new TargetContext(custom, nginx), Guards.defaults());

    assertThat(nginx.argvs())
        .containsExactly(
            List.of("/usr/sbin/nginx", "-t", "-q", "-c", "/etc/nginx/nginx.conf"),
            List.of("/usr/sbin/nginx", "-T", "-q", "-c", "/etc/nginx/nginx.conf"),
            List.of("systemctl", "reload", "nginx;echo"));
  }

  // --- failures and what they leave behind ------------------------------------------------------

  @Test
  void rejectedTestRestoresPreviousFilesByteForByteAndIsFailedRestored() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    FakeNginx nginx = fake().rejecting(EMERG);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);
    TargetContext context = new TargetContext(options, runner);

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, snapshot, context, Guards.defaults()));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e)
        .hasMessageContaining(
            "'nginx -t' rejected the new configuration: nginx: [emerg] unknown"
                + " directive \"bogus\" in /etc/nginx/nginx.conf:9");
    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, REAL_IP));
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(runner.modifyingCommands()).isEmpty();
    assertThat(filesIn(realIp.getParent())).containsExactlyInAnyOrder(realIp, allow);
    // The target says so itself, before the engine reads back.
    Plan plan = Sync.plan(target, snapshot, context);
    assertThat(outcomeOf(() -> target.apply(plan, context))).isEqualTo(Outcome.FAILED_RESTORED);
  }

  @Test
  void rejectedInstallRemovesTheNewFilesAgain() {
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake().rejecting(EMERG));

    assertThat(
            outcomeOf(
                () ->
                    Sync.apply(
                        target, snapshot, new TargetContext(options, runner), Guards.defaults())))
        .isEqualTo(Outcome.FAILED_RESTORED);

    assertThat(realIp).doesNotExist();
    assertThat(allow).doesNotExist();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void failedReloadRestoresPreviousFilesAndReloadsNginxWithThem() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    // A reload that fails may have signalled nginx before it failed (a systemctl reload whose
    // ExecReload ran): the files go back and nginx is reloaded with them.
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().failingReload("nginx.service: control process exited, code=exited\n", 1));

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target, snapshot, new TargetContext(options, runner), Guards.defaults()));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e)
        .hasMessageContaining("'nginx -s reload' failed: nginx.service: control process exited")
        .hasMessageContaining("2 file(s) read back as they were and nginx was reloaded with them");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(runner.modifyingCommands())
        .extracting(c -> c.argv().get(c.argv().size() - 1))
        .containsExactly("reload", "reload");
  }

  @Test
  void aReloadThatFailsAgainWithTheOldFilesLeavesTheStateUnknownAndTheRecord() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().failingReload("nginx: [error] invalid PID number \"\" in \"/run/nginx.pid\"\n"));

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target, snapshot, new TargetContext(options, runner), Guards.defaults()));

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e)
        .hasMessageContaining("'nginx -s reload' failed: nginx: [error] invalid PID")
        .hasMessageContaining(
            "nginx may have loaded the new files; reloading nginx with them failed too");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    // The reload, the one with the old files, and the engine's own attempt to put them back.
    assertThat(runner.modifyingCommands())
        .hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(c -> assertThat(c.argv()).endsWith("-s", "reload"));
    assertThat(Sync.plan(target, smaller(), new TargetContext(options, fake())).hasChanges())
        .as("the record of the change keeps the next run from calling the old list in sync")
        .isTrue();
  }

  @Test
  void testCommandTimingOutRestoresTheFilesAndDoesNotReload() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().throwingAtTest(new IOException("'nginx -t' timed out after 60 s")));
    TargetContext context = new TargetContext(options, runner);

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> target.apply(Sync.plan(target, snapshot, context), context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining("cannot run 'nginx -t': 'nginx -t' timed out");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(runner.modifyingCommands()).isEmpty();
    // Through the engine, which reads back what is there.
    TargetResult result = Sync.sync(target, snapshot, context, Guards.defaults(), false);
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
  }

  @Test
  void reloadTimingOutRestoresTheFilesAndReloadsThemAgain() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().throwingAtReload(new IOException("'nginx -s reload' timed out"), 1));
    TargetContext context = new TargetContext(options, runner);

    TargetResult result = Sync.sync(target, snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message()).contains("nginx was reloaded with them");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(runner.modifyingCommands())
        .extracting(Command::argv)
        .containsExactly(List.of("nginx", "-s", "reload"), List.of("nginx", "-s", "reload"));
  }

  @Test
  void reloadTimingOutTwiceIsStateUnknown() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    TargetContext context =
        new TargetContext(
            options, fake().throwingAtReload(new IOException("'nginx -s reload' timed out"), 2));
    Plan plan = Sync.plan(target, snapshot, context);

    ApplyFailedException e =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));

    assertThat(e.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(e).hasMessageContaining("nginx may have loaded the new files");
    assertThat(Files.readAllBytes(realIp))
        .as("the files are back all the same")
        .isEqualTo(oldRealIp);
  }

  @Test
  void missingNginxRestoresTheFilesAndNamesThePackage() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    TargetContext context =
        new TargetContext(
            options,
            fake()
                .throwingAtTest(
                    new ToolNotFoundException("nginx", "/usr/local/sbin:/usr/sbin:/sbin")));

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> target.apply(Sync.plan(target, snapshot, context), context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining("install the Debian package nginx");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
  }

  @Test
  void aDryRunFailsAsTheApplyWouldForAnAllowFileOrALinkIntoADirectoryThatDoesNotExist()
      throws IOException {
    Path link = Files.createSymbolicLink(dir.resolve("link.conf"), dir.resolve("gone/real.conf"));
    TargetOptions allowElsewhere =
        options.withSetting("nginx-allow-file", dir.resolve("nodir/allow.conf").toString());
    TargetOptions throughLink = TargetOptions.defaults().withSetting("nginx-file", link.toString());
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    for (TargetOptions o : List.of(allowElsewhere, throughLink)) {
      TargetContext context = new TargetContext(o, runner);
      TargetResult dryRun = Sync.sync(target, snapshot, context, Guards.defaults(), true);
      TargetResult applied = Sync.sync(target, snapshot, context, Guards.defaults(), false);

      assertThat(dryRun.outcome()).as(dryRun.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(dryRun.message()).endsWith(" does not exist; nothing was changed");
      assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    }
    assertThat(runner.commands()).isEmpty();
    assertThat(dir.resolve("gone")).doesNotExist();
    assertThat(dir.resolve("nodir")).doesNotExist();
  }

  @Test
  void aDirectoryOnAReadOnlyMountFailsUnchangedAndADryRunSaysSo() throws Exception {
    SystemTests.requireTools("mount", "umount");
    Path readOnly = Files.createDirectories(dir.resolve("ro"));
    TargetOptions there =
        TargetOptions.defaults().withSetting("nginx-file", readOnly.resolve("cf.conf").toString());
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    Process mount =
        new ProcessBuilder(
                "mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", readOnly.toString())
            .inheritIO()
            .start();
    assertThat(mount.waitFor()).isZero();
    try {
      TargetResult dryRun =
          Sync.sync(target, snapshot, new TargetContext(there, runner), Guards.defaults(), true);
      TargetResult applied =
          Sync.sync(target, snapshot, new TargetContext(there, runner), Guards.defaults(), false);

      String said =
          "cannot write "
              + readOnly.resolve("cf.conf")
              + ": "
              + readOnly
              + " is on a file system mounted read-only (under systemd, a ReadWritePaths= the"
              + " unit lacks); nothing was changed";
      assertThat(dryRun.outcome())
          .as("a dry run judges as apply")
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(dryRun.message()).isEqualTo(said);
      assertThat(applied.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(applied.message()).isEqualTo(said);
      assertThat(runner.commands()).isEmpty();
    } finally {
      // Lazily, so a mount left busy cannot stay behind under /tmp.
      new ProcessBuilder("umount", "-l", readOnly.toString()).start().waitFor();
    }
  }

  @Test
  void missingDirectoryFailsUnchangedWithoutCreatingIt() {
    TargetOptions elsewhere =
        TargetOptions.defaults().withSetting("nginx-file", dir.resolve("nope/cf.conf").toString());
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target, snapshot, new TargetContext(elsewhere, runner), Guards.defaults()));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e).hasMessageContaining("does not exist");
    assertThat(dir.resolve("nope")).doesNotExist();
    assertThat(runner.commands()).isEmpty();
    TargetResult dryRun =
        Sync.sync(target, snapshot, new TargetContext(elsewhere, runner), Guards.defaults(), true);
    assertThat(dryRun.outcome())
        .as("a dry run judges as apply")
        .isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(dryRun.message())
        .isEqualTo(
            "cannot write "
                + dir.resolve("nope/cf.conf")
                + ": the directory for "
                + dir.resolve("nope/cf.conf")
                + " does not exist; nothing was changed");
  }

  @Test
  void writeFailingAfterAnotherFileWasWrittenPutsThatOneBack() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    TargetOptions allowNowhere =
        withoutAllow.withSetting("nginx-allow-file", dir.resolve("gone/" + ALLOW).toString());
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(allowNowhere, runner);

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> target.apply(Sync.plan(target, snapshot, context), context));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void applyRefusesToOverwriteAFileItDidNotWrite() throws IOException {
    String mine = "set_real_ip_from 173.245.48.0/20;\nreal_ip_header CF-Connecting-IP;\n";
    Files.writeString(realIp, mine);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);

    // Through the engine the read-back already refuses it ...
    ApplyFailedException viaEngine =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, snapshot, context, Guards.defaults()));
    assertThat(viaEngine.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(viaEngine).hasMessageContaining("not written by cf-allowlist");
    // ... and apply itself refuses too, whatever plan it is given.
    Plan plan = Plan.compute(target, snapshot, options, Optional.empty());
    ApplyFailedException direct =
        catchThrowableOfType(ApplyFailedException.class, () -> target.apply(plan, context));
    assertThat(direct.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(direct).hasMessageContaining("will not overwrite " + realIp);

    assertThat(Files.readString(realIp)).isEqualTo(mine);
    assertThat(allow).doesNotExist();
    assertThat(runner.commands()).isEmpty();
  }

  // --- leftovers: an allow file no longer asked for ---------------------------------------------

  @Test
  void allowFileNoLongerAskedForIsALeftover() throws IOException {
    install(snapshot);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(withoutAllow, runner);

    assertThat(target.leftovers(context)).containsExactly("file " + allow);
    Plan plan = Sync.plan(target, snapshot, context);
    assertThat(plan.leftovers()).containsExactly("file " + allow);
    assertThat(plan.hasChanges()).isTrue();
    assertThat(target.leftovers(new TargetContext(options, runner)))
        .as("the allow file still asked for is no leftover")
        .isEmpty();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void applyRemovesTheLeftoverAllowFileInTheSameTestedStep() throws IOException {
    install(snapshot);
    FakeNginx nginx = fakeSeeingBoth();
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);
    TargetContext context = new TargetContext(withoutAllow, runner);

    Sync.apply(target, snapshot, context, Guards.defaults());

    assertThat(allow).doesNotExist();
    String realIpNow = rendered(snapshot, withoutAllow, REAL_IP);
    assertThat(Files.readString(realIp)).isEqualTo(realIpNow).doesNotContain("allow file");
    assertThat(nginx.seenAtTest()).containsExactly(realIpNow + "\n--\n<absent>");
    assertThat(runner.modifyingCommands()).hasSize(1);
    assertThat(target.leftovers(context)).isEmpty();
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isFalse();
  }

  @Test
  void rejectedTestPutsTheLeftoverBackByteForByte() throws IOException {
    install(snapshot);
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake().rejecting(EMERG));
    TargetContext context = new TargetContext(withoutAllow, runner);

    assertThat(outcomeOf(() -> Sync.apply(target, snapshot, context, Guards.defaults())))
        .isEqualTo(Outcome.FAILED_RESTORED);

    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(target.leftovers(context)).containsExactly("file " + allow);
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void movingTheAllowFileRemovesTheOldOne() throws IOException {
    install(snapshot);
    Path moved = dir.resolve("conf.d/cloudflare-edge.conf");
    TargetOptions movedOptions = withoutAllow.withSetting("nginx-allow-file", moved.toString());
    TargetContext context = new TargetContext(movedOptions, fake());
    assertThat(target.leftovers(context)).containsExactly("file " + allow);

    Sync.apply(target, snapshot, context, Guards.defaults());

    assertThat(allow).doesNotExist();
    assertThat(Files.readString(moved))
        .isEqualTo(rendered(snapshot, movedOptions, "cloudflare-edge.conf"));
    assertThat(Files.readString(realIp)).contains("# allow file: " + moved + "\n");
  }

  @Test
  void uninstallRemovesTheLeftoverToo() throws IOException {
    install(snapshot);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    assertThat(Sync.uninstall(target, new TargetContext(withoutAllow, runner))).isTrue();

    assertThat(realIp).doesNotExist();
    assertThat(allow).doesNotExist();
    assertThat(runner.modifyingCommands()).hasSize(1);
  }

  @Test
  void fileAtTheRecordedPathThatIsNotOursIsNoLeftover() throws IOException {
    install(snapshot);
    Files.writeString(allow, "geo $x $y { default 0; }\n");
    TargetContext context = new TargetContext(withoutAllow, fake());

    assertThat(target.leftovers(context)).isEmpty();

    Sync.apply(target, snapshot, context, Guards.defaults());

    assertThat(allow).hasContent("geo $x $y { default 0; }");
  }

  // --- symbolic links ---------------------------------------------------------------------------

  /** conf.d/cloudflare-real-ip.conf -> ../shared/real-ip.conf, as config management may lay out. */
  private Path linkRealIp() throws IOException {
    Path shared = dir.resolve("shared/real-ip.conf");
    Files.createDirectories(shared.getParent());
    Files.createSymbolicLink(realIp, Path.of("../shared/real-ip.conf"));
    return shared;
  }

  @Test
  void symlinkedNginxFileKeepsItsLinkAndItsTargetGetsTheNewContent() throws IOException {
    Path shared = linkRealIp();
    Files.writeString(shared, rendered(smaller(), REAL_IP));

    Sync.apply(target, snapshot, new TargetContext(options, fake()), Guards.defaults());

    assertThat(Files.isSymbolicLink(realIp)).isTrue();
    assertThat(Files.readSymbolicLink(realIp)).isEqualTo(Path.of("../shared/real-ip.conf"));
    assertThat(Files.readString(shared)).isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(filesIn(shared.getParent())).as("no temporary file").containsExactly(shared);
  }

  @Test
  void rejectedTestRestoresTheLinkTargetByteForByte() throws IOException {
    Path shared = linkRealIp();
    Files.writeString(shared, rendered(smaller(), REAL_IP));
    byte[] old = Files.readAllBytes(shared);
    FakeNginx nginx = fake().rejecting(EMERG);

    assertThat(
            outcomeOf(
                () ->
                    Sync.apply(
                        target, snapshot, new TargetContext(options, nginx), Guards.defaults())))
        .isEqualTo(Outcome.FAILED_RESTORED);

    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, REAL_IP));
    assertThat(Files.isSymbolicLink(realIp)).isTrue();
    assertThat(Files.readSymbolicLink(realIp)).isEqualTo(Path.of("../shared/real-ip.conf"));
    assertThat(Files.readAllBytes(shared)).isEqualTo(old);
  }

  @Test
  void uninstallRemovesTheLinkAndARejectedOneBringsTheLinkBack() throws IOException {
    Path shared = linkRealIp();
    Files.writeString(shared, rendered(snapshot, withoutAllow, REAL_IP));
    TargetOptions realIpOnly = withoutAllow;

    assertThat(
            outcomeOf(
                () -> target.uninstall(new TargetContext(realIpOnly, fake().rejecting(EMERG)))))
        .isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(Files.readSymbolicLink(realIp)).isEqualTo(Path.of("../shared/real-ip.conf"));

    target.uninstall(new TargetContext(realIpOnly, fake()));

    assertThat(Files.exists(realIp, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(shared).as("the link's target is not ours to delete").exists();
  }

  // --- uninstall --------------------------------------------------------------------------------

  @Test
  void uninstallRemovesBothFilesThenTestsAndReloads() throws IOException {
    install(snapshot);
    Path neighbour = realIp.resolveSibling("default.conf");
    Files.writeString(neighbour, "server { listen 80; }\n");
    FakeNginx nginx = fake();
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);

    assertThat(Sync.uninstall(target, new TargetContext(options, runner))).isTrue();

    assertThat(realIp).doesNotExist();
    assertThat(allow).doesNotExist();
    assertThat(neighbour).hasContent("server { listen 80; }");
    assertThat(nginx.seenAtTest()).containsExactly("<absent>");
    assertThat(runner.modifyingCommands())
        .extracting(Command::argv)
        .containsExactly(List.of("nginx", "-s", "reload"));
  }

  @Test
  void uninstallWithNothingInstalledRunsNoCommand() throws IOException {
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    assertThat(Sync.uninstall(target, new TargetContext(options, runner))).isFalse();
    target.uninstall(new TargetContext(options, runner));

    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void uninstallRefusesToDeleteAFileWithoutOurHeader() throws IOException {
    install(snapshot);
    String foreign = "allow 10.0.0.0/8;\ndeny all;\n";
    Files.writeString(allow, foreign);
    byte[] ours = Files.readAllBytes(realIp);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class, () -> target.uninstall(new TargetContext(options, runner)));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(e)
        .hasMessageContaining("will not remove " + allow)
        .hasMessageContaining("did not write it");
    assertThat(Files.readString(allow)).isEqualTo(foreign);
    assertThat(Files.readAllBytes(realIp))
        .as("nothing removed, not even our own file")
        .isEqualTo(ours);
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void uninstallRejectedByTestPutsFilesBackAndAsksToRemoveTheInclude() throws IOException {
    install(snapshot);
    byte[] ours = Files.readAllBytes(realIp);
    FakeNginx nginx =
        fake()
            .rejecting(
                "nginx: [emerg] open() \""
                    + realIp
                    + "\" failed (2: No such file or directory) in"
                    + " /etc/nginx/nginx.conf:20\n");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class, () -> target.uninstall(new TargetContext(options, runner)));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e)
        .hasMessageContaining("rejected the configuration without " + realIp)
        .hasMessageContaining(": nginx: [emerg] open() \"")
        .hasMessageContaining("includes " + realIp + " and " + allow + " by name")
        .hasMessageContaining("or a server still uses $cloudflare_edge, remove that first");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(ours);
    assertThat(allow).exists();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void uninstallThroughTheEngineReportsFailedRestoredWhenNginxRejectsIt() throws IOException {
    install(snapshot);
    TargetResult result =
        Sync.remove(target, new TargetContext(options, fake().rejecting(EMERG)), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(realIp).exists();
    assertThat(allow).exists();
    assertThatThrownBy(
            () -> Sync.uninstall(target, new TargetContext(options, fake().rejecting(EMERG))))
        .isInstanceOf(ApplyFailedException.class);
  }

  // --- interrupted runs: the record of the change in progress -----------------------------------

  /** What SIGKILL does to a run: it stops right there, with no chance to put anything back. */
  private static final class Killed extends Error {
    private static final long serialVersionUID = 1L;

    Killed(String where) {
      super("killed while '" + where + "' ran");
    }
  }

  /** A runner that "kills" the run when a command with {@code word} starts; others pass. */
  private static CommandRunner killedAt(String word) {
    return c -> {
      if (c.argv().contains(word)) {
        throw new Killed(c.display());
      }
      return new CommandResult(0, "", "");
    };
  }

  private Path intent() {
    return realIp.resolveSibling("." + REAL_IP + NginxIntent.SUFFIX);
  }

  /** Installs {@code smaller()}, then a run to {@code snapshot} is killed at {@code word}. */
  private void interruptedAt(String word) throws IOException {
    install(smaller());
    TargetContext context = new TargetContext(options, killedAt(word));
    assertThatThrownBy(() -> Sync.apply(target, snapshot, context, Guards.defaults()))
        .isInstanceOf(Killed.class);
    assertThat(Files.readString(realIp))
        .as("the killed run left its new, untested file")
        .isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(intent()).exists();
  }

  @Test
  void runKilledWhileNginxTestRunsIsNeverInSyncAndTheNextRunTestsAndReloads() throws IOException {
    interruptedAt("-t");
    Path stale = realIp.resolveSibling("." + REAL_IP + ".4711.tmp");
    Files.writeString(stale, "half a file");
    FakeNginx nginx = fake();
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);
    NginxTarget next = new NginxTarget();
    TargetContext context = new TargetContext(options, runner);

    Plan plan = Sync.plan(next, snapshot, context);

    assertThat(plan.hasChanges()).as("never in sync over an untested file").isTrue();
    assertThat(plan.current())
        .as("the live state is what nginx last tested and loaded")
        .isEqualTo(smaller().ranges());
    assertThat(plan.leftovers()).containsExactly("unfinished change " + intent());
    assertThat(runner.commands()).isEmpty();

    TargetResult result = Sync.sync(next, snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, REAL_IP));
    assertThat(runner.modifyingCommands())
        .extracting(Command::argv)
        .containsExactly(List.of("nginx", "-s", "reload"));
    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, ALLOW));
    assertThat(filesIn(realIp.getParent()))
        .as("record and stale temporary file gone")
        .containsExactlyInAnyOrder(realIp, allow);
    assertThat(Sync.plan(next, snapshot, context).hasChanges()).isFalse();
  }

  @Test
  void interruptedChangeRejectedOnTheNextRunPutsThePreviousFilesBackByteForByte()
      throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    interruptedAt("-t");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake().rejecting(EMERG));
    TargetContext context = new TargetContext(options, runner);

    TargetResult result = Sync.sync(new NginxTarget(), snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message()).contains("rejected the new configuration");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(intent()).doesNotExist();
    assertThat(runner.modifyingCommands())
        .as("killed before its reload, nginx still runs the previous files")
        .isEmpty();
    assertThat(Sync.plan(target, smaller(), new TargetContext(options, fake())).hasChanges())
        .isFalse();
  }

  @Test
  void runKilledWhileReloadingIsUndoneWithAReloadWhenTheNextTestRejects() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    interruptedAt("reload");
    assertThat(Files.readString(intent())).contains("stage reloading");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake().rejecting(EMERG));

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> {
              TargetContext context = new TargetContext(options, runner);
              target.apply(Sync.plan(target, snapshot, context), context);
            });

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining("nginx was reloaded with them");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(intent()).doesNotExist();
    assertThat(runner.modifyingCommands())
        .as("nginx may have loaded the killed run's files: it is told to load the old ones")
        .extracting(Command::argv)
        .containsExactly(List.of("nginx", "-s", "reload"));
  }

  @Test
  void interruptedInstallCanBeUninstalled() throws IOException {
    TargetContext killed = new TargetContext(options, killedAt("-t"));
    assertThatThrownBy(() -> Sync.apply(target, snapshot, killed, Guards.defaults()))
        .isInstanceOf(Killed.class);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);
    assertThat(target.readLive(context)).as("nothing was installed before").isEmpty();
    assertThat(Sync.plan(target, snapshot, context).isInstall()).isTrue();

    assertThat(Sync.uninstall(target, context)).isTrue();

    assertThat(filesIn(realIp.getParent())).isEmpty();
    assertThat(runner.modifyingCommands()).hasSize(1);
    assertThat(target.readLive(context)).isEmpty();
    assertThat(target.leftovers(context)).isEmpty();
  }

  @Test
  void interruptedChangeOfASymlinkedFileIsUndoneThroughTheLink() throws IOException {
    Path shared = linkRealIp();
    Files.writeString(shared, rendered(smaller(), REAL_IP));
    Files.writeString(allow, rendered(smaller(), ALLOW));
    byte[] old = Files.readAllBytes(shared);
    TargetContext killed = new TargetContext(options, killedAt("-t"));
    assertThatThrownBy(() -> Sync.apply(target, snapshot, killed, Guards.defaults()))
        .isInstanceOf(Killed.class);
    assertThat(Files.readString(shared)).isEqualTo(rendered(snapshot, REAL_IP));

    TargetResult result =
        Sync.sync(
            target,
            snapshot,
            new TargetContext(options, fake().rejecting(EMERG)),
            Guards.defaults(),
            false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(Files.readSymbolicLink(realIp)).isEqualTo(Path.of("../shared/real-ip.conf"));
    assertThat(Files.readAllBytes(shared)).isEqualTo(old);
    assertThat(intent()).doesNotExist();
  }

  @Test
  void testCommandKilledBySigtermPutsTheFilesBackAndSaysItWasNotTested() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    // systemd stops the whole control group: nginx -t gets SIGTERM too and exits 128 + 15.
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            c ->
                c.argv().contains("-t")
                    ? new CommandResult(143, "", "")
                    : new CommandResult(0, "", ""));
    TargetContext context = new TargetContext(options, runner);

    TargetResult result = Sync.sync(target, snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(result.message())
        .contains("'nginx -t' was stopped by signal 15 before it finished")
        .contains("was not tested");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(filesIn(realIp.getParent())).containsExactlyInAnyOrder(realIp, allow);
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void recordThatCannotBeReadStopsTheRunWithNothingChanged() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    Files.writeString(intent(), "stage writing\nfile !!! ???\n");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    TargetResult result =
        Sync.sync(target, snapshot, new TargetContext(options, runner), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.message()).contains(intent().toString()).contains("remove it");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(runner.commands()).isEmpty();
  }

  // --- drift: a file with the header, edited by hand
  // ----------------------------------------------

  /**
   * A hand edit of one of the two files.
   *
   * @param what what was done, the test's name
   * @param file {@code REAL_IP} or {@code ALLOW}
   * @param edit from the rendered file to the edited one
   * @param inDiff a line the plan's diff must hold
   * @param strictRefuses whether parsing the edited file given for review refuses it
   * @param refusedLine the line that refusal names, when it names one
   */
  record Drift(
      String what,
      String file,
      UnaryOperator<String> edit,
      String inDiff,
      boolean strictRefuses,
      Optional<String> refusedLine) {
    @Override
    public String toString() {
      return what;
    }
  }

  private static final String NOT_OURS = NginxConfig.DRIFT;

  static List<Drift> drifts() {
    String spoof = "real_ip_header X-Forwarded-For;";
    String header = "real_ip_header CF-Connecting-IP;";
    String range = "set_real_ip_from 103.31.4.0/22;";
    String marker = "changes are overwritten on the next run\n";
    String geoEntry = "    103.21.244.0/22 1;";
    return List.of(
        new Drift(
            "spoofable header appended",
            REAL_IP,
            t -> t + spoof + "\n",
            "-" + NOT_OURS + spoof,
            true,
            Optional.of(spoof)),
        new Drift(
            "header replaced by the spoofable one",
            REAL_IP,
            t -> t.replace(header, spoof),
            "-" + NOT_OURS + spoof,
            true,
            Optional.of(spoof)),
        new Drift(
            "directive above the header",
            REAL_IP,
            t -> spoof + "\n" + t,
            "-" + NOT_OURS + spoof,
            true,
            Optional.of(spoof)),
        new Drift(
            "range changed to one with host bits",
            REAL_IP,
            t -> t.replace(range, "set_real_ip_from 103.31.4.1/22;"),
            "-" + NOT_OURS + "set_real_ip_from 103.31.4.1/22;",
            true,
            Optional.of("set_real_ip_from 103.31.4.1/22;")),
        new Drift(
            "range changed to another network",
            REAL_IP,
            t -> t.replace(range, "set_real_ip_from 10.0.0.0/8;"),
            "-set_real_ip_from 10.0.0.0/8;",
            false,
            Optional.empty()),
        new Drift(
            "range removed",
            REAL_IP,
            t -> t.replace(range + "\n", ""),
            "+" + range,
            false,
            Optional.empty()),
        new Drift(
            "header line removed",
            REAL_IP,
            t -> t.replace(header + "\n", ""),
            "+" + header,
            true,
            Optional.empty()),
        new Drift(
            "comment added below the header",
            REAL_IP,
            t -> t.replace(marker, marker + "# added by hand\n"),
            "-" + NOT_OURS + "# added by hand",
            true,
            Optional.of("# added by hand")),
        new Drift(
            "line with a terminal escape",
            REAL_IP,
            t -> t + "real_ip_recursive \u001b[31mon;\n",
            "-" + NOT_OURS + "real_ip_recursive \\x1b[31mon;",
            true,
            Optional.of("real_ip_recursive \\x1b[31mon;")),
        new Drift(
            "geo entry changed to 0",
            ALLOW,
            t -> t.replace(geoEntry, "    103.21.244.0/22 0;"),
            "-" + NOT_OURS + "103.21.244.0/22 0;",
            true,
            Optional.of("103.21.244.0/22 0;")),
        new Drift(
            "geo entry added",
            ALLOW,
            t -> t.replace(geoEntry, geoEntry + "\n    10.0.0.0/8 1;"),
            "-    10.0.0.0/8 1;",
            false,
            Optional.empty()),
        new Drift(
            "directive after the geo block",
            ALLOW,
            t -> t + "allow all;\n",
            "-" + NOT_OURS + "allow all;",
            true,
            Optional.of("allow all;")),
        new Drift(
            "usage comment removed",
            ALLOW,
            t -> t.replace("# Admit only Cloudflare to a server by adding to it:\n", ""),
            "+# Admit only Cloudflare to a server by adding to it:",
            true,
            Optional.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("drifts")
  void handEditedFilesAreRemovedByUninstall(Drift drift) throws IOException {
    install(snapshot);
    Path file = drift.file().equals(REAL_IP) ? realIp : allow;
    Files.writeString(file, drift.edit().apply(Files.readString(file)));
    TargetContext context = new TargetContext(options, RecordingCommandRunner.wrapping(fake()));

    TargetResult dryRun = Sync.remove(target, context, true);

    assertThat(dryRun.outcome()).as(dryRun.message()).isEqualTo(Outcome.WOULD_CHANGE);
    assertThat(realIp).exists();
    assertThat(Sync.uninstall(target, context)).isTrue();
    assertThat(realIp).doesNotExist();
    assertThat(allow).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("drifts")
  void handEditShowsInThePlanAndApplyReplacesIt(Drift drift) throws IOException {
    install(snapshot);
    Path file = drift.file().equals(REAL_IP) ? realIp : allow;
    String edited = drift.edit().apply(Files.readString(file));
    assertThat(edited).as("the edit applies").isNotEqualTo(Files.readString(file));
    Files.writeString(file, edited);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);

    Plan plan = Sync.plan(target, snapshot, context);

    assertThat(plan.hasChanges()).isTrue();
    assertThat(plan.diff().lines()).contains(drift.inDiff());
    assertThat(runner.commands()).as("reading runs no command").isEmpty();

    TargetResult result = Sync.sync(target, snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, REAL_IP));
    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, ALLOW));
    assertThat(runner.modifyingCommands()).hasSize(1);
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isFalse();

    // The same edit in a file given for review is not read leniently.
    Optional<Rendered> review = Optional.of(Rendered.single(drift.file(), edited));
    if (drift.strictRefuses()) {
      ConfigParseException refused =
          catchThrowableOfType(
              ConfigParseException.class,
              () -> Sync.review(target, snapshot, options, Guards.defaults(), review));
      assertThat(refused).as("review refuses the file").isNotNull();
      assertThat(refused).hasMessageStartingWith(drift.file());
      drift
          .refusedLine()
          .ifPresent(
              line ->
                  assertThat(refused)
                      .hasMessageContaining(" line ")
                      .hasMessageContaining("'" + line.strip() + "'"));
    } else {
      assertThat(Sync.review(target, snapshot, options, Guards.defaults(), review).outcome())
          .isEqualTo(Outcome.WOULD_CHANGE);
    }
  }

  @Test
  void driftNotesInAFileGivenForReviewAreRefused() throws IOException {
    install(snapshot);
    Files.writeString(realIp, Files.readString(realIp) + "real_ip_header X-Forwarded-For;\n");
    TargetContext context = new TargetContext(options, fake());
    String live = target.readLive(context).orElseThrow().file(REAL_IP).orElseThrow().content();
    String note = NginxConfig.DRIFT + "real_ip_header X-Forwarded-For;";
    assertThat(live.lines()).contains(note);
    assertThat(target.parseLive(target.readLive(context).orElseThrow(), options))
        .as("a live reading is read with its notes")
        .isEqualTo(snapshot.ranges());

    // A file that holds the same note was edited by hand, whoever wrote the note.
    String copied = rendered(snapshot, REAL_IP) + note + "\n";
    assertThatThrownBy(() -> target.parse(Rendered.single(REAL_IP, copied), options))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line " + (copied.lines().toList().indexOf(note) + 1) + ": ");
  }

  @Test
  void handEditedRealIpFileStillNamesItsLeftoverAllowFile() throws IOException {
    install(snapshot);
    Files.writeString(realIp, Files.readString(realIp) + "real_ip_header X-Forwarded-For;\n");
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(withoutAllow, runner);

    assertThat(target.leftovers(context)).containsExactly("file " + allow);
    TargetResult result = Sync.sync(target, snapshot, context, Guards.defaults(), false);

    assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, withoutAllow, REAL_IP));
    assertThat(allow).doesNotExist();
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isFalse();
  }

  @Test
  void handEditedFileWithoutTheHeaderIsStillNeverOverwritten() throws IOException {
    String mine =
        "set_real_ip_from 173.245.48.0/20;\nreal_ip_header X-Forwarded-For;\n# cf-allowlist\n";
    Files.writeString(realIp, mine);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    TargetResult result =
        Sync.sync(target, snapshot, new TargetContext(options, runner), Guards.defaults(), false);

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(result.message()).contains("not written by cf-allowlist");
    assertThat(Files.readString(realIp)).isEqualTo(mine);
    assertThat(runner.commands()).isEmpty();
  }
}
