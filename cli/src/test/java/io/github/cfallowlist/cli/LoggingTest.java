package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.Bodies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoggingTest {
  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  private String api() {
    return server.url("/client/v4/ips").toString();
  }

  private String state() {
    return dir.resolve("state").toString();
  }

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void verboseFetchLogsOneLinePerFetchWithUrlStatusSizeAndEtagAndNothingFromTheJdkOrOkHttp() {
    server.enqueue(new MockResponse.Builder().code(200).body(Bodies.api()).build());
    CliRun run = CliRun.of("fetch", "--api-url", api(), "--state-dir", state(), "--verbose");
    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.err()))
        .singleElement()
        .asString()
        .matches(
            "cf-allowlist: DEBUG: fetched http://[a-z0-9.]+:\\d+/client/v4/ips: HTTP 200, 505"
                + " bytes, etag 38f79d050aa027e3be3865e495dcc9bc, \\d+ ms");
  }

  @Test
  void thirdPartyLoggersStayAtWarningWhateverTheFlags() {
    CliRun verbose = CliRun.of("render", "--source", "embedded", "--target", "noisy", "--verbose");
    assertThat(verbose.exitCode()).isZero();
    assertThat(verbose.err())
        .isEqualTo(
            "cf-allowlist: DEBUG: noisy: rendering\n"
                + "cf-allowlist: INFO: noisy: rendered\n"
                + "cf-allowlist: WARNING: okhttp warning second line\n"
                + "cf-allowlist: WARNING: okhttp jul warning\n");

    CliRun plain = CliRun.of("render", "--source", "embedded", "--target", "noisy");
    assertThat(plain.err())
        .isEqualTo(
            "cf-allowlist: warning: okhttp warning second line\n"
                + "cf-allowlist: warning: okhttp jul warning\n");

    CliRun quiet = CliRun.of("render", "--source", "embedded", "--target", "noisy", "--quiet");
    assertThat(quiet.err()).isEmpty();
    assertThat(quiet.out()).isEqualTo("noisy\n");
  }

  @Test
  void verboseApplyLogsEachCommandRunWithItsExitStatusAndDuration() throws Exception {
    Path conf = dir.resolve("nginx/cloudflare-real-ip.conf");
    Files.createDirectories(conf.getParent());
    CliRun run =
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
            "/bin/true",
            "--state-dir",
            state(),
            "--verbose");
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> ran =
        lines(run.err()).stream().filter(l -> l.startsWith("cf-allowlist: DEBUG: ran ")).toList();
    assertThat(ran).hasSize(2);
    assertThat(ran.get(0)).matches("cf-allowlist: DEBUG: ran 'true': exit 0, \\d+ ms");
    assertThat(ran.get(1)).matches("cf-allowlist: DEBUG: ran '/bin/true': exit 0, \\d+ ms");
    assertThat(lines(run.err())).allMatch(l -> l.matches("cf-allowlist: (DEBUG|INFO|WARNING): .+"));
  }

  @Test
  void aRetryIsOneInfoLineWithVerboseAndNothingWithoutIt() {
    server.enqueue(new MockResponse.Builder().code(503).build());
    server.enqueue(new MockResponse.Builder().code(200).body(Bodies.api()).build());
    CliRun verbose = CliRun.of("fetch", "--api-url", api(), "--state-dir", state(), "--verbose");
    assertThat(verbose.exitCode()).isZero();
    assertThat(lines(verbose.err())).hasSize(2);
    assertThat(lines(verbose.err()).get(0))
        .matches(
            "cf-allowlist: INFO: http://[a-z0-9.]+:\\d+/client/v4/ips answered HTTP 503,"
                + " retrying");

    server.enqueue(new MockResponse.Builder().code(503).build());
    server.enqueue(new MockResponse.Builder().code(200).body(Bodies.api()).build());
    CliRun plain = CliRun.of("fetch", "--api-url", api(), "--state-dir", state());
    assertThat(plain.exitCode()).isZero();
    assertThat(plain.err()).isEmpty();
    assertThat(lines(plain.out())).hasSize(22);
  }

  @Test
  void quietPrintsNoSummaryButStillTheError() {
    Path current = Path.of("..", "docs", "examples", "cf_allowlist.nft");
    String[] plan = {
      "plan", "--source", "embedded", "--target", "nftables", "--current", current.toString()
    };
    CliRun loud = CliRun.of(plan);
    CliRun quiet = CliRun.of(concat(plan, "--quiet"));
    assertThat(quiet.exitCode()).isEqualTo(loud.exitCode());
    assertThat(loud.out()).isNotEmpty();
    assertThat(quiet.out()).isEmpty();
    assertThat(quiet.err()).isEmpty();

    CliRun failed = CliRun.of("fetch", "--source", "file:" + dir.resolve("absent"), "--quiet");
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.err())
        .isEqualTo("cf-allowlist: the source file " + dir.resolve("absent") + " does not exist\n");
  }

  @Test
  void anErrorWithVerboseIsAnErrorLineAfterTheStackTrace() {
    CliRun run = CliRun.of("fetch", "--source", "file:" + dir.resolve("absent"), "--verbose");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("\tat ");
    assertThat(run.err())
        .endsWith(
            "\ncf-allowlist: ERROR: the source file "
                + dir.resolve("absent")
                + " does not exist\n");
  }

  @Test
  void quietAndVerboseTogetherAreRefused() {
    CliRun run = CliRun.of("fetch", "--source", "embedded", "--quiet", "--verbose");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "cf-allowlist: --quiet and --verbose contradict each other; give one of them"
                + " (see 'cf-allowlist fetch --help')\n");
  }

  @Test
  void aLaunchedCommandLooksLoggersUpOnlyWhenSomethingLogsAndStartsJavaLoggingOnlyForOkHttp()
      throws Exception {
    Path silentClasses = dir.resolve("silent-classes.txt");
    Launched silent =
        launched(
            List.of("-Xlog:class+load=info:file=" + silentClasses),
            "render",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--verbose");
    assertThat(silent.exitCode()).isZero();
    assertThat(silent.err()).isEmpty();
    // Nothing was logged, so the JDK never searched for a logger finder.
    assertThat(Files.readString(silentClasses))
        .contains("io.github.cfallowlist.adapter.nftables.")
        .doesNotContain("io.github.cfallowlist.cli.CommandLoggers ")
        .doesNotContain("java.lang.System$LoggerFinder ")
        .doesNotContain("java.util.logging.LogManager ");

    Path classes = dir.resolve("classes.txt");
    Launched library =
        launched(
            List.of("-Xlog:class+load=info:file=" + classes),
            "render",
            "--source",
            "embedded",
            "--target",
            "logging",
            "--verbose");
    assertThat(library.exitCode()).isZero();
    assertThat(library.err()).isEqualTo("cf-allowlist: DEBUG: logging: rendering\n");
    assertThat(Files.readString(classes))
        .contains("io.github.cfallowlist.cli.CommandLoggers ")
        .doesNotContain("java.util.logging.LogManager ");

    Launched noisy =
        launched(List.of(), "render", "--source", "embedded", "--target", "noisy", "--verbose");
    assertThat(noisy.exitCode()).isZero();
    assertThat(noisy.err())
        .isEqualTo(
            "cf-allowlist: DEBUG: noisy: rendering\n"
                + "cf-allowlist: INFO: noisy: rendered\n"
                + "cf-allowlist: WARNING: okhttp warning second line\n"
                + "cf-allowlist: WARNING: okhttp jul warning\n");
    Launched quiet =
        launched(List.of(), "render", "--source", "embedded", "--target", "noisy", "--quiet");
    assertThat(quiet.err()).isEmpty();
  }

  private record Launched(int exitCode, String err) {}

  /** The tool run in a JVM of its own, as the launcher runs it. */
  private Launched launched(List<String> jvmOptions, String... args) throws Exception {
    Path err = dir.resolve("err-" + System.nanoTime());
    Process p =
        new ProcessBuilder(CronCli.argv(jvmOptions, dir.resolve("state"), args))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new Launched(p.exitValue(), Files.readString(err));
  }

  @Test
  void theFlagsDoNotOutliveTheCommand() {
    Logger root = Logger.getLogger("");
    Level level = root.getLevel();
    List<java.util.logging.Handler> handlers = List.of(root.getHandlers());
    CliRun.of("render", "--source", "embedded", "--target", "noisy", "--verbose");
    assertThat(root.getLevel()).isEqualTo(level);
    assertThat(root.getHandlers()).containsExactlyElementsOf(handlers);
    assertThat(Logger.getLogger("okhttp3.OkHttpClient").isLoggable(Level.FINE)).isFalse();
  }

  private static String[] concat(String[] a, String b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = b;
    return out;
  }
}
