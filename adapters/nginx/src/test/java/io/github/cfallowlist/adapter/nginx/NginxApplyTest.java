package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply, read-back and uninstall against files in a temporary directory and a fake nginx. */
class NginxApplyTest {
  private static final String EMERG =
      "nginx: [emerg] unknown directive \"bogus\" in /etc/nginx/nginx.conf:9\n"
          + "nginx: configuration file /etc/nginx/nginx.conf test failed\n";

  @TempDir Path dir;
  private Path realIp;
  private Path allow;
  private TargetOptions options;
  private final NginxTarget target = new NginxTarget();
  private final RangeSnapshot snapshot = embedded();

  @BeforeEach
  void setUp() throws IOException {
    realIp = dir.resolve("conf.d/cloudflare-real-ip.conf");
    allow = dir.resolve("snippets/cloudflare-allow.conf");
    Files.createDirectories(realIp.getParent());
    Files.createDirectories(allow.getParent());
    options =
        TargetOptions.defaults()
            .withSetting("nginx-file", realIp.toString())
            .withSetting("nginx-allow-file", allow.toString());
  }

  private FakeNginx fake() {
    return new FakeNginx(() -> read(realIp));
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "<absent>";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String rendered(RangeSnapshot s, String name) {
    return target.render(s, options).file(name).orElseThrow().content();
  }

  private RangeSnapshot smaller() {
    List<String> v4 = snapshot.ranges().ipv4().stream().skip(1).map(Object::toString).toList();
    List<String> v6 = snapshot.ranges().ipv6().stream().map(Object::toString).toList();
    return snapshot.withRanges(
        RangeSet.parse(Stream.concat(v4.stream(), v6.stream()).toArray(String[]::new)));
  }

  private void install(RangeSnapshot s) throws IOException {
    Files.writeString(realIp, rendered(s, "cloudflare-real-ip.conf"));
    Files.writeString(allow, rendered(s, "cloudflare-allow.conf"));
  }

  @Test
  void readLiveIsEmptyWhenNoFileExists() throws IOException {
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    assertThat(target.readLive(new TargetContext(options, runner))).isEmpty();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void installWritesBothFilesWithMode0644ThenTestsThenReloads() throws IOException {
    FakeNginx nginx = fake();
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);

    Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults());

    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, "cloudflare-real-ip.conf"));
    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, "cloudflare-allow.conf"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(realIp)))
        .isEqualTo("rw-r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(allow)))
        .isEqualTo("rw-r--r--");
    // nginx -t must see the new file in place: it reads the real configuration, which includes it.
    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, "cloudflare-real-ip.conf"));
    assertThat(runner.commands())
        .extracting(Command::argv)
        .containsExactly(List.of("nginx", "-t"), List.of("nginx", "-s", "reload"));
    assertThat(runner.commands()).extracting(Command::modifies).containsExactly(false, true);
    List<Path> left = new ArrayList<>();
    for (Path dir : List.of(realIp.getParent(), allow.getParent())) {
      try (Stream<Path> files = Files.list(dir)) {
        files.forEach(left::add);
      }
    }
    assertThat(left).as("no temporary file left behind").containsExactlyInAnyOrder(realIp, allow);
  }

  @Test
  void applyKeepsTheModeOfTheFileItReplaces() throws IOException {
    install(smaller());
    Files.setPosixFilePermissions(realIp, PosixFilePermissions.fromString("rw-r-----"));

    Sync.apply(target, snapshot, new TargetContext(options, fake()), Guards.defaults());

    assertThat(Files.readString(realIp)).isEqualTo(rendered(snapshot, "cloudflare-real-ip.conf"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(realIp)))
        .isEqualTo("rw-r-----");
  }

  @Test
  void inSyncApplyRunsNoCommandAndWritesNothing() throws IOException {
    install(snapshot);
    Files.setLastModifiedTime(realIp, java.nio.file.attribute.FileTime.fromMillis(0));
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    Plan plan = Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults());

    assertThat(plan.hasChanges()).isFalse();
    assertThat(runner.commands()).isEmpty();
    assertThat(Files.getLastModifiedTime(realIp).toMillis()).isZero();
  }

  @Test
  void rejectedTestPutsPreviousFilesBackByteForByteAndDoesNotReload() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    FakeNginx nginx = fake().rejecting(EMERG);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(nginx);

    assertThatThrownBy(
            () ->
                Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining(
            "'nginx -t' rejected the new configuration: nginx: [emerg] unknown"
                + " directive \"bogus\" in /etc/nginx/nginx.conf:9")
        .hasMessageContaining("the previous " + realIp + " was put back")
        .hasMessageContaining("the previous " + allow + " was put back")
        .hasMessageContaining("nginx was not reloaded");

    assertThat(nginx.seenAtTest()).containsExactly(rendered(snapshot, "cloudflare-real-ip.conf"));
    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void rejectedInstallRemovesTheNewFilesAgain() {
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake().rejecting(EMERG));

    assertThatThrownBy(
            () ->
                Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("the new " + realIp + " was removed");

    assertThat(realIp).doesNotExist();
    assertThat(allow).doesNotExist();
    assertThat(runner.modifyingCommands()).isEmpty();
  }

  @Test
  void failedReloadPutsPreviousFilesBack() throws IOException {
    install(smaller());
    byte[] oldRealIp = Files.readAllBytes(realIp);
    byte[] oldAllow = Files.readAllBytes(allow);
    RecordingCommandRunner runner =
        RecordingCommandRunner.wrapping(
            fake().failingReload("nginx: [error] invalid PID number \"\" in \"/run/nginx.pid\"\n"));

    assertThatThrownBy(
            () ->
                Sync.apply(target, snapshot, new TargetContext(options, runner), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("'nginx -s reload' failed: nginx: [error] invalid PID number")
        .hasMessageContaining("the previous " + realIp + " was put back");

    assertThat(Files.readAllBytes(realIp)).isEqualTo(oldRealIp);
    assertThat(Files.readAllBytes(allow)).isEqualTo(oldAllow);
  }

  @Test
  void missingAllowFileIsWrittenWhileTheRealIpFileStays() throws IOException {
    Files.writeString(realIp, rendered(snapshot, "cloudflare-real-ip.conf"));
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);

    Optional<Rendered> live = target.readLive(context);
    assertThat(live).isPresent();
    assertThat(live.get().files())
        .extracting(Rendered.File::name)
        .containsExactly("cloudflare-real-ip.conf");
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isTrue();

    Sync.apply(target, snapshot, context, Guards.defaults());

    assertThat(Files.readString(allow)).isEqualTo(rendered(snapshot, "cloudflare-allow.conf"));
    assertThat(Sync.plan(target, snapshot, context).hasChanges()).isFalse();
  }

  @Test
  void planBackToAStateWithoutTheAllowFileRemovesIt() throws IOException {
    // What Sync does to restore: apply the previous configuration, here one without allow file.
    install(snapshot);
    Rendered previous =
        new Rendered(
            List.of(
                target.render(smaller(), options).file("cloudflare-real-ip.conf").orElseThrow()));
    Plan back =
        new Plan(
            target.name(),
            target.readLive(new TargetContext(options, fake())),
            smaller().ranges(),
            smaller(),
            previous);

    target.apply(back, new TargetContext(options, fake()));

    assertThat(Files.readString(realIp)).isEqualTo(previous.files().get(0).content());
    assertThat(allow).doesNotExist();
  }

  @Test
  void applyRefusesToOverwriteAFileItDidNotWrite() throws IOException {
    String mine = "set_real_ip_from 173.245.48.0/20;\nreal_ip_header CF-Connecting-IP;\n";
    Files.writeString(realIp, mine);
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());
    TargetContext context = new TargetContext(options, runner);

    // Through the engine the read-back already refuses it ...
    assertThatThrownBy(() -> Sync.apply(target, snapshot, context, Guards.defaults()))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("not written by cf-allowlist");
    // ... and apply itself refuses too, whatever plan it is given.
    Plan plan = Plan.compute(target, snapshot, options, Optional.empty());
    assertThatThrownBy(() -> target.apply(plan, context))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("will not overwrite " + realIp)
        .hasMessageContaining("nothing was changed");

    assertThat(Files.readString(realIp)).isEqualTo(mine);
    assertThat(allow).doesNotExist();
    assertThat(runner.commands()).isEmpty();
  }

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

    assertThatThrownBy(() -> target.uninstall(new TargetContext(options, runner)))
        .isInstanceOf(CfAllowlistException.class)
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

    assertThatThrownBy(() -> target.uninstall(new TargetContext(options, runner)))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("nginx: [emerg] open() \"" + realIp + "\" failed")
        .hasMessageContaining("nginx was not reloaded")
        .hasMessageContaining("includes " + realIp + " and " + allow + " by name")
        .hasMessageContaining("remove that include first");

    assertThat(Files.readAllBytes(realIp)).isEqualTo(ours);
    assertThat(allow).exists();
    assertThat(runner.modifyingCommands()).isEmpty();
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

  @Test
  void missingDirectoryFailsWithoutCreatingIt() throws IOException {
    TargetOptions elsewhere =
        TargetOptions.defaults().withSetting("nginx-file", dir.resolve("nope/cf.conf").toString());
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(fake());

    assertThatThrownBy(
            () ->
                Sync.apply(
                    target, snapshot, new TargetContext(elsewhere, runner), Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("does not exist")
        .hasMessageContaining("nginx was not reloaded");

    assertThat(dir.resolve("nope")).doesNotExist();
    assertThat(runner.commands()).isEmpty();
  }
}
