package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.Bodies;
import io.github.cfallowlist.testing.ForwardProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands fetch through a real forward proxy on loopback, named by {@code --proxy} or by the
 * environment (in a child JVM, whose environment a test can set).
 */
class ProxyCliTest {
  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path state;
  private ForwardProxy proxy;

  @AfterEach
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private String api() {
    return "http://127.0.0.1:" + server.getPort() + "/client/v4/ips";
  }

  private void serveTheList() {
    server.enqueue(new MockResponse.Builder().code(200).body(Bodies.api()).build());
  }

  @Test
  void fetchGoesThroughTheProxyGivenWithItsCredentials() throws Exception {
    proxy = ForwardProxy.requiring("ops", "s3cret", Map.of());
    serveTheList();

    CliRun run =
        CliRun.of(
            "fetch",
            "--api-url",
            api(),
            "--proxy",
            "http://ops:s3cret@127.0.0.1:" + proxy.port(),
            "--state-dir",
            state.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().lines()).hasSize(22).contains("173.245.48.0/20");
    assertThat(proxy.received())
        .extracting(ForwardProxy.Received::target, ForwardProxy.Received::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(api(), 407),
            org.assertj.core.groups.Tuple.tuple(api(), 200));
    assertThat(server.takeRequest().getHeaders().get("Proxy-Authorization")).isNull();
  }

  @Test
  void theProxyKeyOfTheConfigFileIsUsedLikeTheFlag() throws Exception {
    proxy = ForwardProxy.requiring("ops", "s3cret", Map.of());
    serveTheList();
    Path config = state.resolve("cf-allowlist.toml");
    java.nio.file.Files.writeString(
        config,
        "api-url = \""
            + api()
            + "\"\nproxy = \"http://ops:s3cret@127.0.0.1:"
            + proxy.port()
            + "\"\nstate-dir = \""
            + state
            + "\"\n");

    CliRun run = CliRun.of("fetch", "--config", config.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().lines()).hasSize(22).contains("173.245.48.0/20");
    assertThat(proxy.received())
        .extracting(ForwardProxy.Received::status)
        .containsExactly(407, 200);
  }

  @Test
  void aProxyAskingForCredentialsIsOneSentenceAndExitOne() throws Exception {
    proxy = ForwardProxy.requiring("ops", "s3cret", Map.of());

    CliRun run =
        CliRun.of(
            "fetch", "--api-url", api(), "--proxy", proxy.url(), "--state-dir", state.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err())
        .contains("the proxy " + proxy.url() + " asks for a user name and password (HTTP 407)");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void wrongCredentialsAreNeverPrinted() throws Exception {
    proxy = ForwardProxy.requiring("ops", "s3cret", Map.of());

    CliRun run =
        CliRun.of(
            "fetch",
            "--api-url",
            api(),
            "--proxy",
            "http://ops:not-the-password@127.0.0.1:" + proxy.port(),
            "--state-dir",
            state.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err())
        .contains("refused the user name and password")
        .doesNotContain("not-the-password")
        .doesNotContain("ops:");
  }

  @Test
  void aSocksProxyIsRefusedWithoutEchoingIt() {
    CliRun run =
        CliRun.of(
            "fetch",
            "--api-url",
            api(),
            "--proxy",
            "socks5://ops:s3cret@proxy:1080",
            "--state-dir",
            state.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errIsOneSentence()).as(run.err()).isTrue();
    assertThat(run.err()).contains("only an http:// proxy is supported").doesNotContain("s3cret");
  }

  @Test
  void httpProxyFromTheEnvironmentIsUsedAndNoProxyBypassesIt() throws Exception {
    proxy = ForwardProxy.open(Map.of());
    serveTheList();
    serveTheList();

    Child through = fetchInChild(Map.of("http_proxy", proxy.url()));
    assertThat(through.exit()).as(through.err()).isZero();
    assertThat(through.out().lines()).hasSize(22);
    assertThat(proxy.received()).extracting(ForwardProxy.Received::target).containsExactly(api());

    Child direct = fetchInChild(Map.of("http_proxy", proxy.url(), "no_proxy", "127.0.0.1"));
    assertThat(direct.exit()).as(direct.err()).isZero();
    assertThat(direct.out().lines()).hasSize(22);
    assertThat(proxy.received()).hasSize(1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void anExplicitEmptyProxyOverridesTheEnvironment() throws Exception {
    serveTheList();
    Child direct = fetchInChild(Map.of("http_proxy", "http://127.0.0.1:1"), "--proxy", "");
    assertThat(direct.exit()).as(direct.err()).isZero();
    Child broken = fetchInChild(Map.of("http_proxy", "http://127.0.0.1:1"));
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.err()).contains("could not reach the proxy http://127.0.0.1:1");
  }

  private record Child(int exit, String out, String err) {}

  private Child fetchInChild(Map<String, String> env, String... more) throws Exception {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "fetch",
                "--api-url",
                api(),
                "--state-dir",
                state.toString()));
    command.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment()
        .keySet()
        .removeIf(k -> k.toLowerCase(java.util.Locale.ROOT).endsWith("_proxy"));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Child(p.exitValue(), out, err);
  }
}
