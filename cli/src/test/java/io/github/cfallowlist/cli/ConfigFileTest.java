package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file: strict reading, flags over keys, and a run configured by it alone. */
class ConfigFileTest {
  @TempDir Path dir;

  private Path write(String text) throws Exception {
    Path file = dir.resolve("cf-allowlist.toml");
    Files.writeString(file, text);
    return file;
  }

  private Path nginxConfig(String extra) throws Exception {
    return write(
        "source = \"embedded\"\n"
            + "state-dir = \""
            + dir.resolve("state")
            + "\"\n"
            + extra
            + "[targets.nginx]\n"
            + "nginx-file = \""
            + dir.resolve("real-ip.conf")
            + "\"\n"
            + "nginx-test-command = \"true\"\n"
            + "nginx-reload-command = \"true\"\n");
  }

  /** A config whose nginx test command leaves {@code marker} behind when it runs. */
  private Path configRunning(Path file, Path marker) throws Exception {
    Path script = dir.resolve("test-command");
    Files.writeString(script, "#!/bin/sh\ntouch " + marker + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(
        file,
        "source = \"embedded\"\n"
            + "state-dir = \""
            + dir.resolve("state")
            + "\"\n[targets.nginx]\n"
            + "nginx-file = \""
            + dir.resolve("real-ip.conf")
            + "\"\nnginx-test-command = \""
            + script
            + "\"\nnginx-reload-command = \"true\"\n");
    return file;
  }

  @Test
  void aConfigFileOthersCanWriteIsRefusedBeforeItsCommandsRun() throws Exception {
    Path marker = dir.resolve("ran");
    Path file = configRunning(dir.resolve("cf-allowlist.toml"), marker);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

    String why =
        "configuration file "
            + file
            + " can be written by other users (rw-rw-rw-); it names the commands"
            + " cf-allowlist runs: chmod go-w "
            + file;

    CliRun run = CliRun.of("apply", "--config", file.toString());
    // config check runs nothing: it checks the file and says a run would refuse it.
    CliRun check = CliRun.of("config", "check", "--config", file.toString());

    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err()).isEqualTo("cf-allowlist: " + why + "\n");
    assertThat(check.exitCode()).as(check.err()).isZero();
    assertThat(check.err()).contains(why + "; a run would refuse it");
    assertThat(marker).doesNotExist();
    assertThat(dir.resolve("real-ip.conf")).doesNotExist();
  }

  @Test
  void aConfigFileOfAnotherUserOrInADirectoryOthersCanWriteIsRefused() throws Exception {
    Path marker = dir.resolve("ran");
    Path foreign = configRunning(dir.resolve("foreign.toml"), marker);
    Files.setAttribute(foreign, "unix:uid", 65534);
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path inOpen = configRunning(open.resolve("cf-allowlist.toml"), marker);

    CliRun ofAnother = CliRun.of("apply", "--config", foreign.toString());
    CliRun underOpen = CliRun.of("apply", "--config", inOpen.toString());

    assertThat(ofAnother.exitCode()).isEqualTo(1);
    assertThat(ofAnother.err())
        .startsWith(
            "cf-allowlist: configuration file " + foreign + " belongs to another user (uid 65534)");
    assertThat(underOpen.exitCode()).isEqualTo(1);
    assertThat(underOpen.err())
        .startsWith(
            "cf-allowlist: directory "
                + open
                + " above configuration file "
                + inOpen
                + " can be written by other users (rwxrwxrwx)");
    assertThat(marker).doesNotExist();
  }

  @Test
  void aConfigFileReachedThroughALinkOrInAStickyDirectoryIsRead() throws Exception {
    Path marker = dir.resolve("ran");
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    Files.setAttribute(sticky, "unix:mode", 01777);
    Path file = configRunning(sticky.resolve("cf-allowlist.toml"), marker);
    Path link = Files.createSymbolicLink(dir.resolve("link.toml"), file);

    CliRun run = CliRun.of("config", "check", "--config", link.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
  }

  @Test
  void anUnknownKeyLikeNoneKnownListsTheKnownKeysInOrder() throws Exception {
    Path file = write("zzzzzzzzzzzz = 5\n");

    CliRun run = CliRun.of("config", "check", "--config", file.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    String known = run.err().substring(run.err().indexOf("known: ") + "known: ".length()).strip();
    List<String> keys = List.of(known.split(", "));
    assertThat(keys).hasSizeGreaterThan(5).isSorted();
  }

  @Test
  void configCheckRefusesWhatEveryRunWouldRefuseBeforeReadingAnything() throws Exception {
    Path allow = write("source = \"embedded\"\nmode = \"allow\"\n[targets.nftables]\n");
    CliRun modeAllow = CliRun.of("config", "check", "--config", allow.toString());

    assertThat(modeAllow.exitCode()).isEqualTo(1);
    assertThat(modeAllow.errIsOneSentence()).as(modeAllow.err()).isTrue();
    assertThat(modeAllow.err())
        .startsWith("cf-allowlist: " + allow + ": nftables: --mode allow needs");

    Path metrics = write("source = \"embedded\"\nmetrics-file = \"\"\n[targets.nftables]\n");
    CliRun emptyMetrics = CliRun.of("config", "check", "--config", metrics.toString());

    assertThat(emptyMetrics.exitCode()).isEqualTo(1);
    assertThat(emptyMetrics.err()).contains("--metrics-file is empty");
  }

  @Test
  void configCheckWarnsOfGuardsThatRefuseCloudflaresListButPasses() throws Exception {
    Path many = write("source = \"embedded\"\nmin-ranges = 100\n[targets.nftables]\n");
    CliRun tooMany = CliRun.of("config", "check", "--config", many.toString());

    assertThat(tooMany.exitCode()).as(tooMany.err()).isZero();
    assertThat(tooMany.out()).isEqualTo(many + ": ok, 1 target\n");
    assertThat(tooMany.err())
        .startsWith(
            "cf-allowlist: warning: "
                + many
                + ": these guards refuse Cloudflare's list as this version embeds it (")
        .contains("fewer than the minimum of 100 (--min-ranges)")
        .endsWith("); a run would refuse a list like it\n");

    Path narrow = write("source = \"embedded\"\nshortest-prefix-v4 = 16\n[targets.nftables]\n");
    assertThat(CliRun.of("config", "check", "--config", narrow.toString()).err())
        .contains("these guards refuse Cloudflare's list")
        .contains("104.16.0.0/13");

    Path fine = write("source = \"embedded\"\n[targets.nftables]\n");
    assertThat(CliRun.of("config", "check", "--config", fine.toString()).err()).isEmpty();
  }

  @Test
  void unknownKeyNamesTheFileTheLineAndTheKeyMeant() throws Exception {
    Path file = write("source = \"embedded\"\n\nmin-range = 5\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err())
        .contains(file + ":3: unknown key 'min-range'; did you mean 'min-ranges'?");
  }

  @Test
  void unknownKeyFarFromAnyListsTheKnownOnes() throws Exception {
    Path file = write("colour = \"blue\"\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.err()).contains(file + ":1: unknown key 'colour'; known: ");
  }

  @Test
  void wrongTypeNamesTheKindExpected() throws Exception {
    Path file = write("# guards\nmin-ranges = \"5\"\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains(file + ":2: min-ranges must be an integer, not a string");
  }

  @Test
  void settingTheTargetDoesNotDeclareIsRefusedWithTheOneMeant() throws Exception {
    Path file = write("[targets.nginx]\n\nnginx-fil = \"/tmp/x.conf\"\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .contains(file + ":3: unknown setting 'nginx-fil' for nginx; did you mean 'nginx-file'?");
  }

  @Test
  void malformedSettingValueAndUnknownTargetAreRefusedWithTheirLines() throws Exception {
    Path flag = write("[targets.iptables]\nipset = \"yes\"\n");
    assertThat(CliRun.of("config", "check", "--config", flag.toString()).err())
        .contains(flag + ":2: setting ipset value 'yes' is not true or false");
    Path target = write("\n[targets.nftable]\n");
    assertThat(CliRun.of("config", "check", "--config", target.toString()).err())
        .contains(target + ":2: unknown target 'nftable'; did you mean 'nftables'?");
  }

  @Test
  void brokenTomlIsRefusedWithItsLine() throws Exception {
    Path file = write("source = \"embedded\"\nfamily = \n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains(file + ":2: not valid TOML: ");
  }

  @Test
  void aFileThatIsNotTomlIsRefusedWithoutQuotingWhatItHolds() throws Exception {
    Path file = write("token ghp_R3alL00kingT0kenABCDEF1234567890\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("cf-allowlist: " + file + ":1: not valid TOML: ")
        .doesNotContain("ghp_", "R3alL00king");
  }

  @Test
  void badValueOfAKnownKeyIsRefusedByCheck() throws Exception {
    Path file = nginxConfig("max-shrink = 150\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains(file + ": --max-shrink 150 is not between 0 and 100");
  }

  @Test
  void checkSaysOkWithTheNumberOfTargets() throws Exception {
    Path file = nginxConfig("family = \"ipv4\"\nports = [443]\n");
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(file + ": ok, 1 target\n");
  }

  @Test
  void checkAnswersInJsonWhenAskedForBothAVerdictAndAMistake() throws Exception {
    Path good = nginxConfig("family = \"ipv4\"\n");
    CliRun ok = CliRun.of("config", "check", "--config", good.toString(), "--format", "json");
    Path bad = write("source = \"embedded\"\n\nmin-range = 5\n");
    CliRun mistake = CliRun.of("config", "check", "--config", bad.toString(), "--format", "json");

    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.out())
        .startsWith("{\"schema\":1,\"command\":\"config check\",")
        .contains("\"exit_code\":0,\"file\":\"" + good + "\",\"targets\":1}");
    assertThat(mistake.exitCode()).isEqualTo(1);
    assertThat(mistake.out())
        .startsWith("{\"schema\":1,\"command\":\"config check\",")
        .contains("\"exit_code\":1,\"error\":\"" + bad + ":3: unknown key 'min-range'");
  }

  @Test
  void shippedExampleIsValidWithNoTarget() throws Exception {
    Path shipped = Path.of("src/deb/data/cf-allowlist.toml");
    CliRun run = CliRun.of("config", "check", "--config", shipped.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(shipped + ": ok, 0 targets\n");
  }

  @Test
  void shippedExampleUncommentedIsValid() throws Exception {
    String text =
        Files.readString(Path.of("src/deb/data/cf-allowlist.toml"))
            .replaceAll("(?m)^#(\\[|[a-z-]+ = )", "$1");
    Path file = write(text);
    CliRun run = CliRun.of("config", "check", "--config", file.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(file + ": ok, 4 targets\n");
  }

  @Test
  void missingConfigGivenIsAnError() {
    Path missing = dir.resolve("nope.toml");
    CliRun run = CliRun.of("apply", "--config", missing.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("configuration file " + missing + " does not exist");
  }

  @Test
  void applyWithNoFlagsDoesTheConfiguredJob() throws Exception {
    Path file = nginxConfig("family = \"ipv4\"\n");
    CliRun run = CliRun.of("apply", "--config", file.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("nginx: applied (+");
    String written = Files.readString(dir.resolve("real-ip.conf"));
    assertThat(written).contains("set_real_ip_from 103.21.244.0/22;").doesNotContain("2400:");
    assertThat(Files.exists(dir.resolve("state"))).isTrue();
  }

  @Test
  void flagsOverrideTheFile() throws Exception {
    Path file = nginxConfig("family = \"ipv4\"\n");
    Path other = dir.resolve("other.conf");
    CliRun run =
        CliRun.of(
            "apply",
            "--config",
            file.toString(),
            "--family",
            "both",
            "--nginx-file",
            other.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(Files.exists(dir.resolve("real-ip.conf"))).isFalse();
    assertThat(Files.readString(other)).contains("set_real_ip_from 2400:cb00::/32;");
  }

  @Test
  void targetFlagReplacesTheFilesTargets() throws Exception {
    Path file = nginxConfig("");
    CliRun run = CliRun.of("plan", "--config", file.toString(), "--target", "broken");
    assertThat(run.out()).doesNotContain("nginx:");
    assertThat(run.out() + run.err()).contains("broken:");
  }

  @Test
  void noTargetAnywhereSaysWhereToGiveOne() throws Exception {
    Path file = write("source = \"embedded\"\n");
    CliRun run = CliRun.of("apply", "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .contains(
            "no target to work on: give --target T, or uncomment a [targets.NAME] table in "
                + file);
  }

  /** Asserts that {@code run} ended with exactly {@code message} on stderr and exit 1. */
  private static void assertRefused(CliRun run, String message) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("cf-allowlist: " + message + "\n");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void configThatIsAFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
    Path fifo = dir.resolve("config.fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();

    CliRun run =
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () -> CliRun.of("config", "check", "--config", fifo.toString()));

    assertRefused(
        run, "configuration file " + fifo + " is not a regular file (a FIFO or a device)");
  }

  @Test
  void configThatIsADeviceIsRefusedWithoutReadingIt() {
    CliRun run = CliRun.of("config", "check", "--config", "/dev/zero");

    assertRefused(run, "configuration file /dev/zero is not a regular file (a FIFO or a device)");
  }

  @Test
  void configThatIsADirectoryIsCalledADirectory() {
    CliRun run = CliRun.of("config", "check", "--config", dir.toString());

    assertRefused(run, "configuration file " + dir + " is a directory, not a file");
  }

  @Test
  void configThatIsNotUtf8IsRefusedWithoutQuotingIt() throws Exception {
    Path file = dir.resolve("latin1.toml");
    Files.write(
        file, new byte[] {'s', 'o', 'u', 'r', 'c', 'e', ' ', '=', ' ', '"', (byte) 0xe9, '"'});

    CliRun run = CliRun.of("apply", "--config", file.toString());

    assertRefused(run, "configuration file " + file + " is not UTF-8 text");
  }

  @Test
  void configLargerThanOneMebibyteIsRefused() throws Exception {
    Path file = dir.resolve("big.toml");
    Files.writeString(file, "# " + "x".repeat(1 << 20) + "\n");

    CliRun run = CliRun.of("config", "check", "--config", file.toString());

    assertRefused(run, "configuration file " + file + " is larger than the limit of 1048576 bytes");
  }
}
