package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Header;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  void aSetValueWithoutAnEqualsSignSaysOptionOnce() {
    assertError(
        CliRun.of("plan", "--target", "nftables", "--source", "embedded", "--set", "help"),
        "Value for option '--set' (KEY=VALUE) should be in KEY=VALUE format but was help (see"
            + " 'cf-allowlist plan --help')");
  }

  @Test
  void theHelpNamesEveryKindOfTarget() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out().replaceAll("\\s+", " "))
        .contains(
            "firewall (nftables, iptables/ip6tables/ipset, firewalld), the web servers' real-IP"
                + " trust lists (nginx, HAProxy, Apache, Caddy) and the allowlists of fail2ban and"
                + " CrowdSec");
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
    Path hostname =
        Files.writeString(
            dir.resolve("hostname"), "# managed by cf-allowlist, do not edit\nweb1\n");
    assertError(
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--current",
            hostname.toString()),
        "--current " + hostname + " line 2: expected 'table inet cf_allowlist {': 'web1'");
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
  void anExistingFileAsOutputOfATargetOfSeveralFilesAsksForADirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("good.txt"), "mine\n");
    assertError(
        CliRun.of(
            "render", "--source", "embedded", "--target", "iptables", "--output", file.toString()),
        "--output "
            + file
            + " is a file, but iptables renders 2 files (cf-allowlist.rules.v4,"
            + " cf-allowlist.rules.v6); give --output a directory");
    assertThat(file).hasContent("mine");
  }

  @Test
  void aMinimumCountBelowOneNamesTheOptionNotTheField() {
    assertError(
        CliRun.of("fetch", "--source", "embedded", "--min-ranges", "0", "--state-dir", state()),
        "--min-ranges 0 must be at least 1");
  }

  @Test
  void aShortestPrefixOutOfRangeNamesTheOptionNotTheField() {
    assertError(
        CliRun.of(
            "fetch", "--source", "embedded", "--shortest-prefix-v6", "200", "--state-dir", state()),
        "--shortest-prefix-v6 200 must be between 1 and 128");
    assertError(
        CliRun.of(
            "fetch", "--source", "embedded", "--shortest-prefix-v4", "0", "--state-dir", state()),
        "--shortest-prefix-v4 0 must be between 1 and 32");
  }

  @Test
  void anApiUrlNothingListensOnIsNamedWithTheReason() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/client/v4/ips";
    assertError(
        CliRun.of("fetch", "--api-url", url, "--state-dir", state()),
        "could not connect to " + url + ": connection refused");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nftables", "nginx", "apache"})
  void aCurrentFileCfAllowlistDidNotRenderIsRefusedWithoutQuotingIt(String target)
      throws Exception {
    Path secret = dir.resolve("app.conf");
    Files.writeString(secret, "db_password = \"S3cr3t-value\"\nroot:*:20228:0:99999:7:::\n");

    CliRun run =
        CliRun.of(
            "plan", "--target", target, "--source", "embedded", "--current", secret.toString());

    assertError(
        run,
        "--current "
            + secret
            + " has no 'managed by cf-allowlist, do not edit' header, so it is not a configuration cf-allowlist rendered;"
            + " nothing was compared");
    assertThat(run.err()).doesNotContain("S3cr3t", "root:");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--api-url=http://127.0.0.1:1/ cloudflare",
        "--text-urls=http://a/,http://b/ cloudflare-text",
        "--proxy=http://127.0.0.1:3128 cloudflare or cloudflare-text"
      })
  void anOptionTypedForASourceTheRunDoesNotUseIsRefused(String optionAndSource) {
    String option = optionAndSource.substring(0, optionAndSource.indexOf(' '));
    String uses = optionAndSource.substring(optionAndSource.indexOf(' ') + 1);
    assertError(
        CliRun.of("fetch", "--source", "embedded", option, "--state-dir", state()),
        option.substring(0, option.indexOf('=')) + " works only with --source " + uses);
  }

  @Test
  void aSettingGivenTwiceWithSetIsRefusedRatherThanTheLastOneWinning() {
    assertError(
        CliRun.of(
            "render",
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--set",
            "nginx-file=/tmp/a.conf",
            "--set",
            "nginx-file=/tmp/b.conf"),
        "--set nginx-file is given twice; give each setting once");
  }

  @Test
  void anEmptyOutputIsRefusedRatherThanWritingIntoTheWorkingDirectory() {
    Path inWorkingDirectory = Path.of("cf_allowlist.nft");
    assertThat(inWorkingDirectory).doesNotExist();
    assertError(
        CliRun.of("render", "--source", "embedded", "--target", "nftables", "--output", ""),
        "--output is empty; give a file, or a directory for a target made of several files");
    assertThat(inWorkingDirectory).doesNotExist();
  }

  @Test
  void anEmptyStateDirIsRefusedNamingTheOption() {
    assertError(
        CliRun.of("fetch", "--source", "embedded", "--state-dir", ""),
        "--state-dir is empty; give a directory");
  }

  @Test
  void anEmptyCurrentIsRefusedNamingTheOption() {
    assertError(
        CliRun.of("plan", "--source", "embedded", "--target", "nftables", "--current", ""),
        "--current is empty; give the file a target was rendered to, or the directory holding"
            + " its files");
  }

  @Test
  void aDirectoryWithoutTheFileAsCurrentOfAOneFileTargetIsRefused() {
    assertError(
        CliRun.of(
            "plan", "--source", "embedded", "--target", "nftables", "--current", dir.toString()),
        "--current "
            + dir
            + " is a directory without cf_allowlist.nft; give --current the file nftables was"
            + " rendered to");
  }

  private static final String ESC = "\u001b[31m";

  private static final String BEL = "\u0007";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--target|" + ESC + "nft" + BEL + "|target '\\x1b[31mnft\\x07' is not one of ",
        "--family|" + ESC + "v4|family '\\x1b[31mv4' is not one of ipv4, ipv6, both",
        "--mode|" + ESC + "x|mode '\\x1b[31mx' is not one of restrict, allow",
        "--format|"
            + ESC
            + "x|Invalid value for option '--format': expected one of [text, json]"
            + " (case-sensitive) but was '\\x1b[31mx' (see 'cf-allowlist plan --help')",
        "--ports|80,"
            + ESC
            + "x|Invalid value for option '--ports' (PORTS): '\\x1b[31mx' is not an int (see"
            + " 'cf-allowlist plan --help')",
      })
  void controlCharactersInAValueAreEscapedInItsMessage(String optionValueMessage) {
    String[] parts = optionValueMessage.split("\\|", 3);
    List<String> args =
        new ArrayList<>(
            List.of("plan", "--source", "embedded", "--state-dir", state(), parts[0], parts[1]));
    if (!parts[0].equals("--target")) {
      args.addAll(List.of("--target", "nftables", "--current", dir.resolve("x.nft").toString()));
    }
    CliRun run = CliRun.of(args.toArray(String[]::new));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("cf-allowlist: " + parts[2]).doesNotContain("\u001b", BEL);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
  }

  @Test
  void controlCharactersInASourceFilePathAreEscaped() {
    assertError(
        CliRun.of("fetch", "--source", "file:/tmp/" + ESC + "x", "--state-dir", state()),
        "the source file /tmp/\\x1b[31mx does not exist");
  }

  @Test
  void controlCharactersInAConfigurationValueAreEscaped() throws Exception {
    Path config = Files.writeString(dir.resolve("c.toml"), "mode = \"\\u001b[31mx\"\n");
    assertError(
        CliRun.of(
            "plan",
            "--config",
            config.toString(),
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--current",
            dir.resolve("x.nft").toString()),
        "mode '\\x1b[31mx' is not one of restrict, allow");
  }

  @Test
  void anOverLongValueIsCutShortInItsMessage() {
    String value = "x".repeat(3000);
    CliRun run = CliRun.of("plan", "--source", "embedded", "--target", value);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("cf-allowlist: target '" + "x".repeat(80) + "...' is not one of ")
        .hasSizeLessThan(400);
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
