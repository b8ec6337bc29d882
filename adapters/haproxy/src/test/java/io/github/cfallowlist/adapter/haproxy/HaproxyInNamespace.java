package io.github.cfallowlist.adapter.haproxy;

import static io.github.cfallowlist.testing.EdgeAndOrigin.ORIGIN_V4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's haproxy in the origin namespace of an {@link EdgeAndOrigin}, with its configuration, ACL
 * file (a stale list holding only 103.21.244.0/22) and admin socket in {@code dir}. The frontend
 * answers every request with the address HAProxy thinks the client has.
 */
final class HaproxyInNamespace implements AutoCloseable {
  static final String VISITOR = "198.51.100.7";
  static final int PORT = 8080;

  final EdgeAndOrigin net;
  final Path dir;
  final Path config;
  final Path acl;
  final Path socket;
  final Process haproxy;

  private HaproxyInNamespace(EdgeAndOrigin net, Path dir, Process haproxy) {
    this.net = net;
    this.dir = dir;
    this.config = dir.resolve("haproxy.cfg");
    this.acl = dir.resolve("cloudflare.acl");
    this.socket = dir.resolve("admin.sock");
    this.haproxy = haproxy;
  }

  static HaproxyInNamespace start(Path dir) throws Exception {
    EdgeAndOrigin net = EdgeAndOrigin.create();
    try {
      Path acl = dir.resolve("cloudflare.acl");
      Path socket = dir.resolve("admin.sock");
      Files.writeString(
          acl,
          new HaproxyTarget()
              .render(
                  TestSnapshots.embedded().withRanges(RangeSet.parse("103.21.244.0/22")),
                  TargetOptions.defaults().withSetting("haproxy-file", acl.toString()))
              .text());
      Files.writeString(dir.resolve("haproxy.cfg"), config(socket, acl, List.of()));
      Process haproxy =
          net.origin()
              .start(
                  List.of("haproxy", "-db", "-f", dir.resolve("haproxy.cfg").toString()),
                  dir.resolve("haproxy.log"));
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!Files.exists(socket)) {
        assertThat(haproxy.isAlive()).as("haproxy started").isTrue();
        assertThat(System.nanoTime()).as("haproxy's socket appears").isLessThan(deadline);
        Thread.sleep(20);
      }
      return new HaproxyInNamespace(net, dir, haproxy);
    } catch (Exception | AssertionError e) {
      net.close();
      throw e;
    }
  }

  /** The configuration, with {@code extra} lines at the end of the frontend. */
  static String config(Path socket, Path acl, List<String> extra) {
    StringBuilder out = new StringBuilder();
    for (String line :
        List.of(
            "global",
            "  stats socket " + socket + " level admin",
            "defaults",
            "  mode http",
            "  timeout client 5s",
            "  timeout server 5s",
            "  timeout connect 5s",
            "frontend www",
            "  bind " + ORIGIN_V4 + ":" + PORT,
            "  acl from_cloudflare src -f " + acl,
            "  http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare")) {
      out.append(line).append('\n');
    }
    for (String line : extra) {
      out.append("  ").append(line).append('\n');
    }
    out.append("  http-request return status 200 content-type text/plain lf-string \"%[src]\"\n");
    return out.toString();
  }

  TargetOptions options() {
    return TargetOptions.defaults()
        .withSetting("haproxy-file", acl.toString())
        .withSetting("haproxy-socket", socket.toString())
        .withSetting("haproxy-check-command", "haproxy -c -f " + config);
  }

  /** The address HAProxy answers a request from {@code from} carrying CF-Connecting-IP with. */
  String seenAs(String from) {
    Netns.Result r =
        net.edge()
            .exec(
                "curl",
                "-sS",
                "--max-time",
                "5",
                "--interface",
                from,
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + ORIGIN_V4 + ":" + PORT + "/");
    assertThat(r.exitCode()).as("curl: %s", r.stderr()).isZero();
    return r.stdout().strip();
  }

  /** What the runtime API answers. */
  String runtime(String command) throws IOException {
    try (HaproxySocket s = HaproxySocket.open(socket)) {
      return s.send(command);
    }
  }

  /** The running ACL's patterns, in order. */
  List<String> entries() throws IOException {
    return runtime("show acl " + acl).lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
  }

  @Override
  public void close() {
    net.close();
  }
}
