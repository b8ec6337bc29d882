package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.Bodies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FetchAndCheckTest {
  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path state;

  private String api() {
    return server.url("/client/v4/ips").toString();
  }

  private static MockResponse ok(String body) {
    return new MockResponse.Builder().code(200).body(body).build();
  }

  @Test
  void fetchEmbeddedPrintsFifteenIpv4ThenSevenIpv6SortedByAddress() {
    CliRun run = CliRun.of("fetch", "--source", "embedded", "--state-dir", state.toString());
    assertThat(run.exitCode()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(22);
    assertThat(lines.subList(0, 15)).allMatch(l -> l.contains(".")).startsWith("103.21.244.0/22");
    assertThat(lines.subList(15, 22))
        .allMatch(l -> l.contains(":"))
        .startsWith("2400:cb00::/32")
        .endsWith("2c0f:f248::/32");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void fetchFromLocalApiPrintsExactlyWhatItServes() {
    server.enqueue(
        ok(
            Bodies.apiWithIpv4(
                "198.41.128.0/17",
                "1.1.1.0/24",
                "104.16.0.0/13",
                "131.0.72.0/22",
                "173.245.48.0/20")));
    CliRun run = CliRun.of("fetch", "--api-url", api(), "--state-dir", state.toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .isEqualTo(
            String.join(
                    "\n",
                    "1.1.1.0/24",
                    "104.16.0.0/13",
                    "131.0.72.0/22",
                    "173.245.48.0/20",
                    "198.41.128.0/17",
                    "2400:cb00::/32",
                    "2405:8100::/32",
                    "2405:b500::/32",
                    "2606:4700::/32",
                    "2803:f800::/32",
                    "2a06:98c0::/29",
                    "2c0f:f248::/32")
                + "\n");
  }

  @Test
  void fetchJsonCarriesEtagAndBothLists() {
    server.enqueue(ok(Bodies.api()));
    CliRun run =
        CliRun.of("fetch", "--api-url", api(), "--format", "json", "--state-dir", state.toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("\"etag\":\"38f79d050aa027e3be3865e495dcc9bc\"")
        .contains("\"ipv6\":[\"2400:cb00::/32\"");
  }

  @Test
  void fetchWritesNothingAndApplySavesTheLastGoodSnapshot() {
    server.enqueue(ok(Bodies.api()));
    assertThat(CliRun.of("fetch", "--api-url", api(), "--state-dir", state.toString()).exitCode())
        .isZero();
    assertThat(state.resolve("last-good.json")).doesNotExist();
    server.enqueue(ok(Bodies.api()));
    assertThat(applyNginx().exitCode()).isZero();
    assertThat(state.resolve("last-good.json")).content().contains("173.245.48.0/20");
  }

  /** {@code apply --target nginx} on a scratch file, with commands that always pass. */
  private CliRun applyNginx() {
    return CliRun.of(
        "apply",
        "--api-url",
        api(),
        "--state-dir",
        state.toString(),
        "--target",
        "nginx",
        "--nginx-file",
        state.resolve("cloudflare-real-ip.conf").toString(),
        "--nginx-test-command",
        "true",
        "--nginx-reload-command",
        "true");
  }

  static List<Object[]> rejectedBodies() {
    return List.of(
        new Object[] {"HTML challenge page", Bodies.challengePage(), "HTML page"},
        new Object[] {"success false", Bodies.apiFailure(), "success: false"},
        new Object[] {"truncated JSON", Bodies.api().substring(0, 200), "did not answer with JSON"},
        new Object[] {
          "null list",
          Bodies.api().replaceFirst("\"ipv4_cidrs\":\\[[^]]*]", "\"ipv4_cidrs\":null"),
          "null for ipv4_cidrs"
        },
        new Object[] {"empty list", Bodies.apiWithIpv4(), "0 IPv4 ranges"},
        new Object[] {
          "host bits",
          Bodies.apiWithExtraIpv4("173.245.48.1/20"),
          "'173.245.48.1/20' has host bits set"
        },
        new Object[] {"private range", Bodies.apiWithExtraIpv4("10.0.0.0/8"), "'10.0.0.0/8'"},
        new Object[] {"default route", Bodies.apiWithExtraIpv4("0.0.0.0/0"), "default route"},
        new Object[] {
          "IPv6 in IPv4 list",
          Bodies.apiWithExtraIpv4("2400:cb00::/32"),
          "is an IPv6 range in ipv4_cidrs"
        },
        new Object[] {
          "glued lines",
          Bodies.apiWithExtraIpv4("131.0.72.0/222400:cb00::/32"),
          "'131.0.72.0/222400:cb00::/32' is not a valid CIDR"
        },
        new Object[] {
          "injection", Bodies.apiWithExtraIpv4("1.1.1.0/24; flush ruleset"), "whitespace"
        },
        new Object[] {"over the cap", " ".repeat(1024 * 1024 + 1), "more than the limit"});
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejectedBodies")
  void rejectedBodyExitsOneWithOneSentenceAndKeepsLastGood(String name, String body, String says)
      throws Exception {
    server.enqueue(ok(Bodies.api()));
    assertThat(applyNginx().exitCode()).isZero();
    Path lastGood = state.resolve("last-good.json");
    Path nginxFile = state.resolve("cloudflare-real-ip.conf");
    byte[] before = Files.readAllBytes(lastGood);
    FileTime mtime = Files.getLastModifiedTime(lastGood);
    byte[] nginxBefore = Files.readAllBytes(nginxFile);
    FileTime nginxMtime = Files.getLastModifiedTime(nginxFile);

    server.enqueue(ok(body));
    CliRun run = applyNginx();

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).startsWith("cf-allowlist: nginx: ").contains(says);
    assertThat(run.errIsOneSentence()).as("one line, no stack trace: %s", run.err()).isTrue();
    assertThat(Files.readAllBytes(lastGood)).isEqualTo(before);
    assertThat(Files.getLastModifiedTime(lastGood)).isEqualTo(mtime);
    assertThat(Files.readAllBytes(nginxFile)).isEqualTo(nginxBefore);
    assertThat(Files.getLastModifiedTime(nginxFile)).isEqualTo(nginxMtime);
  }

  @Test
  void serverErrorsOnEveryAttemptExitOneNamingTheStatus() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(503).build());
    }
    CliRun run = CliRun.of("fetch", "--api-url", api(), "--state-dir", state.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("HTTP 503");
    assertThat(run.errIsOneSentence()).isTrue();
    assertThat(state.resolve("last-good.json")).doesNotExist();
  }

  @Test
  void verboseShowsTheStackTrace() {
    server.enqueue(ok(Bodies.challengePage()));
    CliRun run =
        CliRun.of("fetch", "--verbose", "--api-url", api(), "--state-dir", state.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("RejectedRangesException").contains("\tat ");
  }

  @Test
  void plainHttpToARemoteHostIsRefused() {
    CliRun run = CliRun.of("fetch", "--api-url", "http://api.example.com/ips");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("must use https");
    assertThat(run.errIsOneSentence()).isTrue();
  }

  @Test
  void unknownSourceAndOptionExitOne() {
    CliRun bad = CliRun.of("fetch", "--source", "ftp");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("--source 'ftp' is not one of");
    CliRun unknown = CliRun.of("fetch", "--no-such-option");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.errIsOneSentence()).isTrue();
  }

  @Test
  void checkSaysYesWithTheRangeAndExitsZeroWhenAllAreInside() {
    CliRun run = CliRun.of("check", "--source", "embedded", "173.245.48.5", "2400:cb00::1");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .isEqualTo("173.245.48.5 yes 173.245.48.0/20\n2400:cb00::1 yes 2400:cb00::/32\n");
  }

  @Test
  void checkExitsTwoWhenAnAddressIsOutside() {
    CliRun run = CliRun.of("check", "--source", "embedded", "173.245.48.5", "203.0.113.7");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).contains("203.0.113.7 no");
  }

  @Test
  void checkExitsOneOnABadAddressNamingIt() {
    CliRun run = CliRun.of("check", "--source", "embedded", "173.245.48.5", "173.245.48.0/20");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("'173.245.48.0/20' is not an IPv4 or IPv6 address");
  }

  @Test
  void jdcloudNeedsTheJsonApi() {
    CliRun run = CliRun.of("fetch", "--source", "embedded", "--jdcloud");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("--jdcloud works only with --source cloudflare");
  }

  private CliRun fetchTextLists() {
    return CliRun.of(
        "fetch",
        "--source",
        "cloudflare-text",
        "--text-urls",
        server.url("/ips-v4") + "," + server.url("/ips-v6"),
        "--state-dir",
        state.toString());
  }

  @Test
  void textListsFollowARedirectAndTolerateAMissingFinalNewline() {
    server.enqueue(
        new MockResponse.Builder().code(301).addHeader("Location", "/moved/ips-v4").build());
    server.enqueue(ok(Bodies.textV4()));
    server.enqueue(ok(Bodies.textV6()));
    CliRun run = fetchTextLists();
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().lines()).hasSize(22).contains("131.0.72.0/22", "2c0f:f248::/32");
  }

  @Test
  void gluedTextListExitsOneNamingTheGluedLine() {
    server.enqueue(
        ok(Bodies.textV4().replace("131.0.72.0/22\n", "131.0.72.0/22") + Bodies.textV6()));
    server.enqueue(ok(Bodies.textV6()));
    CliRun run = fetchTextLists();
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("'131.0.72.0/222400:cb00::/32' is not a valid CIDR");
    assertThat(run.errIsOneSentence()).isTrue();
    assertThat(state.resolve("last-good.json")).doesNotExist();
  }
}
