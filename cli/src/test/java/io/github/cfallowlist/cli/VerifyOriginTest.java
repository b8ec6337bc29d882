package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.testing.WhoisAnswers;
import io.github.cfallowlist.testing.WhoisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --verify-origin-as} on fetch, plan, status and apply, against a whois server on loopback
 * that serves answers in RADb's format, and the nginx target writing a file in the test's
 * directory.
 */
class VerifyOriginTest {
  @TempDir Path dir;
  private WhoisServer whois;

  @AfterEach
  void stop() {
    if (whois != null) {
      whois.close();
    }
  }

  private Path realIp() {
    return dir.resolve("real-ip.conf");
  }

  /** {@code command} on the embedded list and the nginx target, verified at the fixture. */
  private CliRun nginx(String command, String... more) {
    List<String> argv = new ArrayList<>(List.of(command));
    argv.addAll(
        List.of(
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            realIp().toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--state-dir",
            dir.resolve("state").toString(),
            "--whois-server",
            whois.hostPort()));
    argv.addAll(List.of(more));
    return CliRun.of(argv.toArray(String[]::new));
  }

  private CliRun fetch(String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "fetch",
                "--source",
                "embedded",
                "--state-dir",
                dir.resolve("state").toString(),
                "--whois-server",
                whois.hostPort()));
    argv.addAll(List.of(more));
    return CliRun.of(argv.toArray(String[]::new));
  }

  @Test
  void theRealAnswerAcceptsTheListAndApplyInstallsIt() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radb());

    CliRun run = nginx("apply", "--verify-origin-as", "13335");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).startsWith("nginx: applied (+22 -0)");
    assertThat(Files.readString(realIp())).contains("set_real_ip_from 104.24.0.0/14;");
    assertThat(whois.queries()).containsExactly("-i origin AS13335");
  }

  @Test
  void aRangeOutsideTheRouteObjectsRefusesTheWholeListAndChangesNothing() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radbWithout104_24());

    for (String command : List.of("apply", "plan", "status")) {
      CliRun run = nginx(command, "--verify-origin-as", "AS13335");

      assertThat(run.exitCode()).as(command).isEqualTo(1);
      assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
      assertThat(run.err())
          .isEqualTo(
              "cf-allowlist: nginx: refused: 104.24.0.0/14 is not covered by any of the 28 route"
                  + " objects of AS13335 at "
                  + whois.hostPort()
                  + ", so the whole list was refused; nothing was applied and the current rules"
                  + " stay in place\n");
      assertThat(run.out()).as(command).isEmpty();
      assertThat(realIp()).doesNotExist();
    }
    assertThat(Files.exists(dir.resolve("state/last-good.json"))).isFalse();

    CliRun fetch = fetch("--verify-origin-as", "13335");
    assertThat(fetch.exitCode()).isEqualTo(1);
    assertThat(fetch.out()).isEmpty();
    assertThat(fetch.err())
        .startsWith("cf-allowlist: 104.24.0.0/14 is not covered by any of the 28 route objects");
  }

  @Test
  void aRefusedListIsReportedInJsonAsRefusedWithTheReason() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radbWithout104_24());

    CliRun run = nginx("apply", "--verify-origin-as", "13335", "--format", "json");

    assertThat(run.exitCode()).isEqualTo(1);
    Map<String, Object> object = JSON.std.mapFrom(run.out());
    @SuppressWarnings("unchecked")
    Map<String, Object> target = (Map<String, Object>) ((List<?>) object.get("targets")).get(0);
    assertThat(target).containsEntry("outcome", "refused").containsEntry("status", "refused");
    assertThat((String) target.get("reason")).startsWith("104.24.0.0/14 is not covered");
  }

  @Test
  void aServerThatHangsFailsAfterTenSecondsWithOneSentenceNamingIt() throws Exception {
    whois = WhoisServer.answering("");
    whois.hang();
    long start = System.nanoTime();

    CliRun run = fetch("--verify-origin-as", "13335");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: asking the whois server "
                + whois.hostPort()
                + " for the route objects of AS13335 failed: no answer within 10 s\n");
    assertThat((System.nanoTime() - start) / 1_000_000_000).isBetween(9L, 30L);
  }

  @Test
  void garbageIsOneSentenceWithAShortEscapedSnippetAndApplyChangesNothing() throws Exception {
    whois = WhoisServer.answering("");
    whois.sendGarbage();

    CliRun run = nginx("apply", "--verify-origin-as", "13335");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err())
        .startsWith(
            "cf-allowlist: nginx: failed (nothing changed): asking the whois server "
                + whois.hostPort()
                + " for the route objects of AS13335 failed: the answer is not RPSL (line 1:"
                + " '\\x16\\x03\\x01\\x00")
        .doesNotContain("\u001b")
        .endsWith("; nothing was applied and the current rules stay in place\n");
    assertThat(realIp()).doesNotExist();
  }

  @Test
  void theOptionalFlagTurnsAWhoisFailureIntoAWarningAndTheListIsUsed() throws Exception {
    whois = WhoisServer.answering("");
    whois.sendGarbage();

    CliRun run = nginx("apply", "--verify-origin-as", "13335", "--verify-origin-as-optional");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("nginx: applied (+22 -0)");
    assertThat(run.err().lines())
        .singleElement()
        .asString()
        .startsWith("cf-allowlist: warning: asking the whois server ")
        .endsWith("; the list is used unchecked (--verify-origin-as-optional)");
    assertThat(realIp()).exists();
  }

  @Test
  void theOptionalFlagStillRefusesARangeThatIsNotCovered() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radbWithout104_24());

    CliRun run = nginx("apply", "--verify-origin-as", "13335", "--verify-origin-as-optional");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("refused: 104.24.0.0/14 is not covered");
    assertThat(realIp()).doesNotExist();
  }

  @Test
  void theSecondRunUsesTheSavedAnswerAndACorruptOneIsAskedAgain() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radb());

    assertThat(nginx("apply", "--verify-origin-as", "13335").exitCode()).isZero();
    CliRun second = nginx("apply", "--verify-origin-as", "13335");
    assertThat(second.exitCode()).as(second.err()).isZero();
    assertThat(second.out()).startsWith("nginx: in sync");
    assertThat(whois.queries()).hasSize(1);

    Files.writeString(dir.resolve("state/whois-AS13335.json"), "{\"as\":\"AS13335\",\"rou");
    CliRun third = nginx("apply", "--verify-origin-as", "13335");
    assertThat(third.exitCode()).as(third.err()).isZero();
    assertThat(third.err()).isEmpty();
    assertThat(whois.queries()).hasSize(2);
    assertThat(Files.readString(dir.resolve("state/whois-AS13335.json")))
        .contains("\"fetched_at\"")
        .contains("104.24.0.0/14");
  }

  @Test
  void aDryRunReadsTheSavedAnswerButDoesNotWriteIt() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radb());

    assertThat(nginx("plan", "--verify-origin-as", "13335").exitCode()).isEqualTo(2);
    assertThat(dir.resolve("state/whois-AS13335.json")).doesNotExist();
    assertThat(nginx("apply", "--verify-origin-as", "13335").exitCode()).isZero();
    assertThat(nginx("status", "--verify-origin-as", "13335").exitCode()).isZero();
    assertThat(whois.queries()).hasSize(2);
  }

  @Test
  void aBadAsNumberOrServerIsOneSentenceBeforeAnythingIsAsked() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radb());

    CliRun run = nginx("apply", "--verify-origin-as", "ASN13335");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --verify-origin-as 'ASN13335' is not an AS number; give it as 13335 or"
                + " AS13335\n");

    CliRun server = CliRun.of("fetch", "--verify-origin-as", "13335", "--whois-server", "h:x");
    // (no --source: the default one, Cloudflare's API, is not reached either)
    assertThat(server.exitCode()).isEqualTo(1);
    assertThat(server.errIsOneSentence()).as(server.err()).isTrue();
    assertThat(server.err()).startsWith("cf-allowlist: --whois-server: whois server 'h:x' is not");
    assertThat(whois.queries()).isEmpty();
    assertThat(realIp()).doesNotExist();
  }

  @Test
  void theConfigFileKeysWorkLikeTheFlagsAndConfigCheckValidatesThem() throws Exception {
    whois = WhoisServer.answering(WhoisAnswers.radbWithout104_24());
    Path config = dir.resolve("cf-allowlist.toml");
    Files.writeString(
        config,
        "source = \"embedded\"\n"
            + "verify-origin-as = 13335\n"
            + "whois-server = \""
            + whois.hostPort()
            + "\"\n"
            + "verify-origin-as-optional = true\n"
            + "state-dir = \""
            + dir.resolve("state")
            + "\"\n");

    CliRun check = CliRun.of("config", "check", "--config", config.toString());
    assertThat(check.exitCode()).as(check.err()).isZero();
    CliRun fetch = CliRun.of("fetch", "--config", config.toString());
    assertThat(fetch.exitCode()).isEqualTo(1);
    assertThat(fetch.err()).contains("104.24.0.0/14 is not covered");
    assertThat(whois.queries()).hasSize(1);

    Files.writeString(config, "verify-origin-as = \"AS-CLOUDFLARE\"\n");
    CliRun bad = CliRun.of("config", "check", "--config", config.toString());
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err())
        .isEqualTo(
            "cf-allowlist: "
                + config
                + ": --verify-origin-as 'AS-CLOUDFLARE' is not an AS number; give it as 13335 or"
                + " AS13335\n");
  }
}
