package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.Targets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings, guards and option checks the CLI enforces before anything is read or changed. */
class SettingsAndGuardsTest {
  @TempDir Path dir;

  @Test
  void everyTargetFlagNamesASettingATargetDeclares() {
    Set<String> declared = new HashSet<>();
    for (String name : Targets.names()) {
      Target t = Targets.byName(name);
      t.settings().stream().map(Setting::name).forEach(declared::add);
    }
    assertThat(declared).containsAll(TargetArgs.FLAG_SETTINGS.values());
  }

  @Test
  void anUnknownSettingIsRefusedNamingTheOneMeant() {
    CliRun run =
        CliRun.of(
            "render", "--source", "embedded", "--target", "nginx", "--set", "nginx_file=/tmp/x");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: unknown setting 'nginx_file' for nginx; did you mean 'nginx-file'?\n");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aMalformedSettingValueIsRefused() {
    CliRun run =
        CliRun.of("render", "--source", "embedded", "--target", "iptables", "--set", "ipset=TRUE");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("cf-allowlist: setting ipset value 'TRUE' is not true or false\n");
  }

  @Test
  void aSettingOfAnotherTargetInTheSameRunIsAccepted() {
    CliRun run =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--target",
            "nginx",
            "--nginx-file",
            dir.resolve("real-ip.conf").toString(),
            "--current",
            dir.toString());
    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out())
        .contains("\nnftables: not installed, would change (+22 -0)\n")
        .endsWith("\nnginx: not installed, would change (+22 -0)\n");
  }

  @Test
  void aRefusalFollowsTheDiffItJudgesInALogThatHoldsStdoutAndStderr() throws Exception {
    Path current = renderedNftables();
    Path smaller = withoutTheFirstSixRanges();
    Path log = dir.resolve("ci.log");

    // As a CI job logs it: 2>&1 into one file.
    Process p =
        new ProcessBuilder(
                CronCli.argv(
                    List.of(),
                    dir.resolve("state"),
                    "plan",
                    "--source",
                    "file:" + smaller,
                    "--target",
                    "nftables",
                    "--current",
                    current.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isEqualTo(1);
    String text = Files.readString(log);
    assertThat(text).startsWith("--- current/cf_allowlist.nft\n");
    assertThat(text.lines().reduce((a, b) -> b).orElseThrow())
        .startsWith("cf-allowlist: nftables: refused: the new list would remove 6 of 15");
  }

  @Test
  void planAgainstAFileRefusesAShrinkWithApplysSentenceAndStillShowsTheDiff() throws Exception {
    Path current = renderedNftables();
    Path smaller = withoutTheFirstSixRanges();

    CliRun run =
        CliRun.of(
            "plan",
            "--source",
            "file:" + smaller,
            "--target",
            "nftables",
            "--current",
            current.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "cf-allowlist: nftables: refused: the new list would remove 6 of 15 IPv4 ranges")
        .contains("--allow-shrink");
    assertThat(run.out())
        .contains("--- current/cf_allowlist.nft")
        .containsPattern("(?m)^-\\s*103\\.21\\.244\\.0/22");
    CliRun allowed =
        CliRun.of(
            "plan",
            "--source",
            "file:" + smaller,
            "--target",
            "nftables",
            "--current",
            current.toString(),
            "--allow-shrink");
    assertThat(allowed.exitCode()).isEqualTo(2);
  }

  @Test
  void aNegativeLockTimeoutIsRefused() {
    CliRun run =
        CliRun.of(
            "apply",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--lock-timeout",
            "-1",
            "--state-dir",
            dir.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("cf-allowlist: --lock-timeout -1 is negative; give the seconds to wait\n");
  }

  @Test
  void anUnknownFallbackPolicyIsRefused() {
    CliRun run =
        CliRun.of(
            "status", "--source", "embedded", "--target", "nftables", "--fallback", "sometimes");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --fallback 'sometimes' is not one of last-good, embedded, none\n");
  }

  @Test
  void verboseDoesNotLeaveTheLoggingLevelChangedForTheNextCommand() {
    Logger root = Logger.getLogger("");
    Level before = root.getLevel();
    CliRun.of("fetch", "--source", "embedded", "--verbose");
    assertThat(root.getLevel()).isEqualTo(before);
  }

  @Test
  void aDeviceOrAFifoAsInputIsOneSentenceNotAHangOrAStackTrace() throws Exception {
    CliRun current =
        CliRun.of("plan", "--source", "embedded", "--target", "nftables", "--current", "/dev/zero");
    assertThat(current.exitCode()).isEqualTo(1);
    assertThat(current.err())
        .isEqualTo(
            "cf-allowlist: --current /dev/zero is not a regular file (a FIFO or a device)\n");
    Path fifo = dir.resolve("fifo");
    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
    CliRun source = CliRun.of("fetch", "--source", "file:" + fifo);
    assertThat(source.exitCode()).isEqualTo(1);
    assertThat(source.errIsOneSentence()).as(source.err()).isTrue();
    assertThat(source.err()).contains("is not a regular file");
  }

  /** {@code command} of the nginx target on {@code file}, with commands that always pass. */
  private CliRun nginx(String command, Path file) {
    return CliRun.of(
        command,
        "--source",
        "embedded",
        "--target",
        "nginx",
        "--nginx-file",
        file.toString(),
        "--nginx-test-command",
        "true",
        "--nginx-reload-command",
        "true",
        "--state-dir",
        dir.resolve("state").toString());
  }

  @Test
  void aTargetFileThatIsAFifoADeviceOrADirectoryIsOneSentenceNotAHangOrAStackTrace()
      throws Exception {
    Path fifo = dir.resolve("fifo.conf");
    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
    Path zero = Files.createSymbolicLink(dir.resolve("zero.conf"), Path.of("/dev/zero"));
    Path directory = Files.createDirectory(dir.resolve("dir.conf"));

    for (Path file : List.of(fifo, zero, directory)) {
      CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> nginx("apply", file));

      assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
      assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
      assertThat(run.err())
          .startsWith("cf-allowlist: nginx: failed (nothing changed): file ")
          .containsAnyOf(
              "is not a regular file (a FIFO or a device)", "is a directory, not a file");
    }
    assertThat(Files.isDirectory(directory)).isTrue();
    assertThat(Files.isSymbolicLink(zero)).isTrue();
  }

  @Test
  void aLinkAnotherUserPlantedAtATargetFileIsNotFollowed() throws Exception {
    Path victim = dir.resolve("victim/nologin");
    Files.createDirectories(victim.getParent());
    Path planted = Files.createSymbolicLink(dir.resolve("real-ip.conf"), victim);
    Files.setAttribute(planted, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);

    CliRun run = nginx("apply", planted);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: nginx: failed (nothing changed): "
                + planted
                + " is a symbolic link that belongs to another user (uid 65534); cf-allowlist"
                + " follows only links of root's or its own user's, so remove it\n");
    assertThat(victim).doesNotExist();
  }

  @Test
  void aLinkAnotherUserPlantedIsNotReadSoNothingOfWhatItPointsToIsShown() throws Exception {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "root:$6$SECRETHASH:19000:0:99999:7:::\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    Path planted = Files.createSymbolicLink(dir.resolve("cf.conf"), secret);
    Files.setAttribute(planted, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);

    for (String command : List.of("plan", "status", "apply")) {
      CliRun run = nginx(command, planted);

      assertThat(run.exitCode()).as(command).isEqualTo(1);
      assertThat(run.out() + run.err()).as(command).doesNotContain("SECRETHASH");
      assertThat(run.err()).as(command).contains(planted + " is a symbolic link that belongs to");
    }
  }

  @Test
  void aLinkAnotherUserPlantedAboveATargetFileIsNotFollowed() throws Exception {
    Path site = Files.createDirectory(dir.resolve("site"));
    Path victim = Files.createDirectory(dir.resolve("victim"));
    Path conf = Files.createSymbolicLink(site.resolve("conf"), victim);
    Files.setAttribute(conf, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);

    CliRun run = nginx("apply", conf.resolve("cf.conf"));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains(conf + " is a symbolic link that belongs to another user");
    try (var left = Files.list(victim)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aRelativeLinkClimbsFromWhereItReallyIsAsTheKernelResolvesIt() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("opt/nginx/conf"));
    Files.createDirectories(dir.resolve("opt/nginx/shared"));
    Path linkedDir = Files.createSymbolicLink(dir.resolve("nginxlink"), conf);
    Files.createSymbolicLink(conf.resolve("cf.conf"), Path.of("../shared/cf.conf"));

    CliRun run = nginx("apply", linkedDir.resolve("cf.conf"));

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(dir.resolve("opt/nginx/shared/cf.conf")).exists();
    assertThat(dir.resolve("shared")).doesNotExist();
    assertThat(nginx("apply", linkedDir.resolve("cf.conf")).out()).contains("in sync");
  }

  @Test
  void aRelativeTargetFileIsRefusedInOneSentence() {
    CliRun run =
        CliRun.of(
            "apply", "--source", "embedded", "--target", "nginx", "--set", "nginx-file=x.conf");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: setting nginx-file value 'x.conf' is not an absolute path (a run from"
                + " cron or systemd starts in /)\n");
  }

  @Test
  void aTargetFromAnotherJarIsReachedWithItsOwnSettingsAndNoCliChange() {
    CliRun run =
        CliRun.of("render", "--source", "embedded", "--target", "example", "--set", "greeting=hi");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("hi\n").contains("173.245.48.0/20\n");
    CliRun typo =
        CliRun.of("render", "--source", "embedded", "--target", "example", "--set", "greting=hi");
    assertThat(typo.err())
        .isEqualTo(
            "cf-allowlist: unknown setting 'greting' for example; did you mean 'greeting'?\n");
    CliRun bad =
        CliRun.of("render", "--source", "embedded", "--target", "example", "--set", "greeting=Hi!");
    assertThat(bad.err())
        .isEqualTo("cf-allowlist: setting greeting value 'Hi!' is not one lower-case word\n");
  }

  /** The embedded list rendered for nftables into the test's directory. */
  private Path renderedNftables() {
    Path current = dir.resolve("cf_allowlist.nft");
    CliRun run =
        CliRun.of(
            "render",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--output",
            current.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    return current;
  }

  /** A list file of the embedded list without its first six (IPv4) ranges: a 40% shrink. */
  private Path withoutTheFirstSixRanges() throws Exception {
    Path smaller = dir.resolve("smaller.txt");
    List<String> lines = CliRun.of("fetch", "--source", "embedded").out().lines().toList();
    Files.write(smaller, lines.subList(6, lines.size()));
    return smaller;
  }
}
