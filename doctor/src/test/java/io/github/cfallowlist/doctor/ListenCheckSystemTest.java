package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listen check against a real nginx in a network namespace, with its own prefix, pid file and
 * configuration in a temporary directory: bound to 127.0.0.1 only, to every address, then stopped.
 */
class ListenCheckSystemTest {
  @TempDir Path dir;

  private static void requireTools() {
    SystemTests.requireTools("ip", "ss", "nginx", "python3");
  }

  private void writeConf(String listen) throws IOException {
    StringBuilder temp = new StringBuilder();
    for (String kind : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      temp.append("  ").append(kind).append("_temp_path ").append(dir).append("/tmp/").append(kind);
      temp.append(";\n");
    }
    Files.createDirectories(dir.resolve("tmp"));
    Files.writeString(
        dir.resolve("nginx.conf"),
        "pid "
            + dir
            + "/nginx.pid;\nerror_log "
            + dir
            + "/error.log notice;\nevents { worker_connections 16; }\nhttp {\n"
            + temp
            + "  access_log off;\n  server { listen "
            + listen
            + "; return 204; }\n}\n");
  }

  private Process startNginx(Netns ns) {
    return ns.start(
        List.of(
            "nginx",
            "-p",
            dir.toString(),
            "-c",
            dir.resolve("nginx.conf").toString(),
            "-g",
            "daemon off;"),
        dir.resolve("nginx.out"));
  }

  private static List<Finding> listen(Netns ns, Origin origin) throws IOException {
    return new ListenCheck().run(Contexts.context(NetnsCommandRunner.inside(ns.name()), origin));
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private static boolean listening(Netns ns, String endpoint) {
    return ns.execChecked("ss", "-ltnH").stdout().contains(endpoint + " ");
  }

  @Test
  void nginxOnLoopbackFailsOnAllAddressesIsOkAndStoppedFails() throws Exception {
    requireTools();
    Origin flexible = Origin.of(TlsMode.FLEXIBLE);
    try (Netns ns = Netns.create("dr-listen")) {
      writeConf("127.0.0.1:80");
      Process nginx = startNginx(ns);
      await("nginx on 127.0.0.1:80", () -> listening(ns, "127.0.0.1:80"));
      List<Finding> loopback = listen(ns, flexible);
      assertThat(loopback)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .isEqualTo(
                        "nginx listens on port 80 only on 127.0.0.1, which Cloudflare cannot reach");
              });

      nginx.destroy();
      assertThat(nginx.waitFor(10, TimeUnit.SECONDS)).isTrue();
      writeConf("80");
      nginx = startNginx(ns);
      await("nginx on 0.0.0.0:80", () -> listening(ns, "0.0.0.0:80"));
      assertThat(listen(ns, flexible))
          .containsExactly(Finding.ok("listen", "nginx listens on port 80 on 0.0.0.0"));

      nginx.destroy();
      assertThat(nginx.waitFor(10, TimeUnit.SECONDS)).isTrue();
      await("port 80 to close", () -> !listening(ns, "0.0.0.0:80"));
      List<Finding> stopped = listen(ns, flexible);
      assertThat(stopped)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found()).isEqualTo("nothing listens on port 80");
                assertThat(f.remedy()).contains("in flexible mode Cloudflare connects to port 80");
              });
    }
  }

  @Test
  void aServerThatDoesNotAcceptFillsItsBacklogAndWarns() throws Exception {
    requireTools();
    // Listens on 8443 with a backlog of 4, never accepts, and connects 5 clients to itself.
    String script =
        "import socket, time\n"
            + "s = socket.socket(); s.bind(('0.0.0.0', 8443)); s.listen(4)\n"
            + "cs = []\n"
            + "for i in range(5):\n"
            + "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', 8443));"
            + " cs.append(c)\n"
            + "time.sleep(60)\n";
    try (Netns ns = Netns.create("dr-queue")) {
      ns.start(List.of("python3", "-c", script), dir.resolve("python.out"));
      await(
          "5 connections in the accept queue",
          () ->
              Listener.parse(ns.execChecked("ss", "-ltnH").stdout()).stream()
                  .anyMatch(l -> l.port() == 8443 && l.acceptQueue() == 5));
      List<Finding> f =
          listen(ns, new Origin(List.of(8443), TlsMode.FULL, Optional.empty(), Optional.empty()));
      assertThat(f).extracting(Finding::status).containsExactly(Status.OK, Status.WARN);
      assertThat(f.get(1).found())
          .isEqualTo(
              "the accept queue of python3 on 0.0.0.0:8443 is nearly full: 5 connections wait"
                  + " for a backlog of 4, so new ones are dropped");
    }
  }
}
