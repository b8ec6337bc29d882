package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A text-list mirror served by {@code python3 -m http.server}, which answers HTTP/1.0 and closes
 * each connection after the answer: the second list must not be asked for on the closed one.
 */
class Http10MirrorTest {
  private static final String V4 =
      "173.245.48.0/20\n103.21.244.0/22\n103.22.200.0/22\n103.31.4.0/22\n104.16.0.0/13\n";
  private static final String V6 =
      "2400:cb00::/32\n2606:4700::/32\n2803:f800::/32\n2405:b500::/32\n2405:8100::/32\n";

  @TempDir Path dir;
  private Process server;
  private int port;

  @BeforeEach
  void startMirror() throws Exception {
    Files.writeString(dir.resolve("ips-v4"), V4);
    Files.writeString(dir.resolve("ips-v6"), V6);
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    server =
        new ProcessBuilder(
                "python3",
                "-m",
                "http.server",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "python3 -m http.server did not start: "
                  + Files.readString(dir.resolve("server.log")),
              e);
        }
        Thread.sleep(50);
      }
    }
  }

  @AfterEach
  void stopMirror() throws Exception {
    server.destroy();
    server.waitFor();
  }

  @Test
  void bothListsAreFetchedFromAnHttp10ServerThatClosesEachConnection() throws Exception {
    String base = "http://127.0.0.1:" + port;
    RangeSource source =
        RangeSource.cloudflareText(
            base + "/ips-v4",
            base + "/ips-v6",
            HttpOptions.defaults().withRetries(1, Duration.ofMillis(10)));

    RangeSnapshot snapshot = Guards.defaults().validate(source.fetch());

    assertThat(snapshot.ranges().ipv4()).hasSize(5);
    assertThat(snapshot.ranges().ipv6()).hasSize(5);
    assertThat(Files.readString(dir.resolve("server.log")))
        .contains("\"GET /ips-v4 HTTP/1.1\" 200")
        .contains("\"GET /ips-v6 HTTP/1.1\" 200");
  }
}
