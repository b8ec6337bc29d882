package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        .containsExactly(List.of("nginx", "-t"), List.of("nginx", "-s", "reload"));
    assertThat(runner.commands()).extracting(Command::modifies).containsExactly(false, true);
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
  void failedReloadRestoresPreviousFilesAndIsFailedRestored() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().failingReload("nginx: [error] invalid PID number \"\" in \"/run/nginx.pid\"\n"));

    ApplyFailedException e =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target, snapshot, new TargetContext(options, runner), Guards.defaults()));

    assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(e).hasMessageContaining("'nginx -s reload' failed: nginx: [error] invalid PID");
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(runner.modifyingCommands()).as("a failed reload is not retried").hasSize(1);
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
    assertThat(direct)
        .hasMessageContaining("will not overwrite " + realIp)
        .hasMessageContaining("nothing was changed");

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
}
