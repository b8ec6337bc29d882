package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Header;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each message says what is wrong in the user's terms and what to do; exact text, exit code. */
class MessagesTest {
  @TempDir Path dir;

  private String state() {
    return dir.resolve("state").toString();
  }

  private static void assertError(CliRun run, String message) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("cf-allowlist: " + message + "\n");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aMisspelledOptionIsNamedWithTheOneMeantNotAsAMissingRequiredOption() {
    assertError(
        CliRun.of("plan", "--traget", "nftables", "--source", "embedded"),
        "unknown option '--traget'; did you mean '--target'? (see 'cf-allowlist plan --help')");
  }

  @Test
  void anUnknownOptionFarFromAnyIsNamedWithoutAGuess() {
    assertError(
        CliRun.of("fetch", "--source", "embedded", "--colour"),
        "unknown option '--colour' (see 'cf-allowlist fetch --help')");
  }

  @Test
  void aMisspelledCommandGetsASuggestion() {
    assertError(
        CliRun.of("plna", "--target", "nftables"),
        "unknown command 'plna'; did you mean 'plan'? (see 'cf-allowlist --help')");
  }

  @Test
  void anUnknownCommandFarFromAnyListsTheCommands() {
    assertError(
        CliRun.of("sync"),
        "unknown command 'sync'; the commands are fetch, check, render, plan, apply, status, doctor,"
            + " config, generate-completion, help (see 'cf-allowlist --help')");
  }

  @Test
  void aMissingSourceFileIsNamedOnce() {
    Path absent = dir.resolve("absent.txt");
    assertError(
        CliRun.of("fetch", "--source", "file:" + absent, "--state-dir", state()),
        "the source file " + absent + " does not exist");
  }

  @Test
  void aDirectoryAsSourceIsCalledADirectory() {
    assertError(
        CliRun.of("fetch", "--source", "file:" + dir, "--state-dir", state()),
        "the source file " + dir + " is a directory, not a file");
  }

  @Test
  void aRefusedRangeInAFileNamesThePathOnceWithTheLineNumber() throws Exception {
    Path list = dir.resolve("ranges.txt");
    Files.writeString(list, "# our mirror\n173.245.48.0/20\n1.0.0.0/4\n");
    assertError(
        CliRun.of("fetch", "--source", "file:" + list, "--state-dir", state()),
        "'1.0.0.0/4' has host bits set (the network is 0.0.0.0/4) in " + list + " line 3");
  }

  @Test
  void aCurrentFileThatIsNotARenderedOneIsNamedByTheUsersPath() throws Exception {
    Path hostname = Files.writeString(dir.resolve("hostname"), "web1\n");
    assertError(
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--current",
            hostname.toString()),
        "--current " + hostname + " line 1: expected 'table inet cf_allowlist {': 'web1'");
  }

  @Test
  void aStateDirectoryThatCannotBeCreatedIsNamedAsSuchWithTheOption() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "");
    Path conf = Files.createDirectories(dir.resolve("nginx")).resolve("real-ip.conf");
    assertError(
        CliRun.of(
            "apply",
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            conf.toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--state-dir",
            file.resolve("state").toString()),
        "cannot create the state directory "
            + file.resolve("state")
            + " ("
            + file
            + " is not a directory); choose a directory this user may write with --state-dir");
  }

  @Test
  void anIpv4MappedIpv6AddressIsMatchedAgainstTheIpv4Ranges() {
    CliRun run =
        CliRun.of(
            "check",
            "--source",
            "embedded",
            "--state-dir",
            state(),
            "::ffff:173.245.48.5",
            "::FFFF:adf5:3005",
            "::ffff:192.0.2.1");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out())
        .isEqualTo(
            "::ffff:173.245.48.5 yes 173.245.48.0/20\n"
                + "::FFFF:adf5:3005 yes 173.245.48.0/20\n"
                + "::ffff:192.0.2.1 no\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void anAddressOfAFamilyLeftOutIsSaidNotCheckedRatherThanNo() {
    CliRun run =
        CliRun.of(
            "check",
            "--source",
            "embedded",
            "--family",
            "ipv4",
            "--state-dir",
            state(),
            "173.245.48.5",
            "2606:4700::1");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out())
        .isEqualTo(
            "173.245.48.5 yes 173.245.48.0/20\n"
                + "2606:4700::1 not checked: --family ipv4 leaves IPv6 out\n");
  }

  @Test
  void helpCommandShowsTheCommandsHelp() {
    CliRun run = CliRun.of("help", "apply");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("Usage: cf-allowlist apply ").contains("--dry-run");
    assertThat(run.out()).isEqualTo(CliRun.of("apply", "--help").out());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "fetch",
        "check",
        "render",
        "plan",
        "apply",
        "status",
        "doctor",
        "generate-completion"
      })
  void versionWorksOnEveryCommand(String command) {
    CliRun run = CliRun.of(command, "--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .isEqualTo(CliRun.of("--version").out())
        .startsWith("cf-allowlist " + Header.version() + "\ncommit: ");
  }
}
