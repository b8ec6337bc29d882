package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code doctor} end to end, as a sysadmin runs it: the CLI in a child JVM inside a network
 * namespace that is a small origin (a web server on port 80, a default route, the nftables target
 * applied). A healthy origin is all ok with exit 0; breaking it makes the check that sees the break
 * fail with exit 2; text and JSON list the same checks.
 */
class DoctorSystemTest {
  @TempDir Path dir;
  private Netns ns;
  private Process server;

  @BeforeEach
  void createOrigin() {
    SystemTests.requireTools("ip", "nft", "ss", "python3");
    ns = Netns.create("cfdoc");
    // The kernel here may lack the dummy driver: a veth pair with both ends inside serves.
    ns.execChecked("ip", "link", "add", "uplink", "type", "veth", "peer", "name", "uplink-peer");
    ns.execChecked("ip", "link", "set", "uplink-peer", "up");
    ns.execChecked("ip", "link", "set", "uplink", "up");
    ns.execChecked("ip", "addr", "add", "192.0.2.2/24", "dev", "uplink");
    ns.execChecked("ip", "route", "add", "default", "via", "192.0.2.1", "dev", "uplink");
    ns.execChecked("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", "uplink", "nodad");
    ns.execChecked("ip", "-6", "route", "add", "default", "via", "2001:db8::1", "dev", "uplink");
  }

  @AfterEach
  void deleteOrigin() throws Exception {
    stopServer();
    if (ns != null) {
      ns.close();
    }
  }

  /** A web server on port 80 bound to {@code address}, inside the namespace. */
  private void startServer(String address) throws Exception {
    stopServer();
    server =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                ns.name(),
                "python3",
                "-m",
                "http.server",
                "80",
                "--bind",
                address,
                "--directory",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!ns.exec("ss", "-ltnH", "sport", "= :80").stdout().contains(":80")) {
      assertThat(server.isAlive()).as("the web server started").isTrue();
      assertThat(System.nanoTime()).as("the web server listens within 20 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private void stopServer() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
      server.destroyForcibly().waitFor();
      server = null;
    }
  }

  /** Runs the CLI as cron would: an empty environment with {@code PATH=/usr/bin:/bin}. */
  private Netns.Result cli(String... args) {
    return ns.exec(
        null, CronCli.argv(List.of(), dir.resolve("state"), args), Duration.ofMinutes(2));
  }

  /** The embedded list as a file source recorded now, so the list's age is not what is judged. */
  private String freshList() throws Exception {
    Path file = dir.resolve("ranges.txt");
    Files.writeString(file, cli("fetch", "--source", "embedded").stdout());
    return "file:" + file;
  }

  private Netns.Result doctor(String source, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "doctor", "--source", source, "--target", "nftables", "--tls-mode", "flexible"));
    args.addAll(List.of(more));
    return cli(args.toArray(String[]::new));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> checks(Netns.Result json) throws Exception {
    assertThat(json.stdout().lines().count()).as(json.stdout()).isEqualTo(1);
    Map<String, Object> object = JSON.std.mapFrom(json.stdout());
    assertThat(object)
        .containsEntry("command", "doctor")
        .containsEntry("exit_code", json.exitCode());
    return (List<Map<String, Object>>) object.get("checks");
  }

  /** The check names of the text output, in order. */
  private static List<String> names(Netns.Result text) {
    return text.stdout().lines().map(line -> line.substring(5, line.indexOf(": "))).toList();
  }

  @Test
  void aHealthyOriginIsAllOkAndBreakingItFailsTheCheckThatSeesIt() throws Exception {
    String source = freshList();
    assertThat(cli("apply", "--source", source, "--target", "nftables").exitCode()).isZero();
    startServer("0.0.0.0");

    Netns.Result healthy = doctor(source);
    assertThat(healthy.stdout()).as(healthy.stderr()).doesNotContain("warn ", "fail ");
    assertThat(healthy.exitCode()).as(healthy.stdout()).isZero();
    assertThat(healthy.stdout()).contains("ok   nftables sync: ");

    Netns.Result json = doctor(source, "--format", "json");
    assertThat(json.exitCode()).isZero();
    assertThat(checks(json)).extracting(c -> (String) c.get("name")).isEqualTo(names(healthy));
    assertThat(checks(json)).allSatisfy(c -> assertThat(c).containsEntry("status", "ok"));

    startServer("127.0.0.1");
    Netns.Result loopback = doctor(source);
    assertThat(loopback.exitCode()).isEqualTo(2);
    assertThat(loopback.stdout()).containsOnlyOnce("fail ").contains("fail listen: ");
    startServer("0.0.0.0");

    ns.execChecked("nft", "delete", "table", "inet", "cf_allowlist");
    Netns.Result broken = doctor(source);
    assertThat(broken.exitCode()).isEqualTo(2);
    assertThat(broken.stdout())
        .contains("fail nftables sync: nftables does not hold the current list")
        .contains("to fix: run 'cf-allowlist apply --target nftables'");
    Netns.Result brokenJson = doctor(source, "--format", "json");
    assertThat(brokenJson.exitCode()).isEqualTo(2);
    assertThat(checks(brokenJson)).extracting(c -> (String) c.get("name")).isEqualTo(names(broken));
  }
}
