package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real Caddy (Debian's caddy) in the origin namespace of an {@link EdgeAndOrigin} pair, run with
 * its own Caddyfile in a temporary directory: its admin endpoint on a unix socket there, its
 * storage and autosave there, one site on {@code ORIGIN_V4:PORT} that imports {@code sites/*.caddy}
 * (where the snippet goes) and answers every request with {@code
 * {http.request.header.CF-Connecting-IP}}. The host's Caddy configuration is neither read nor
 * touched.
 */
final class CaddyInOrigin implements AutoCloseable {
  static final int PORT = 8080;
  static final String VISITOR = "198.51.100.7";
  static final String SNIPPET = "cloudflare-trusted-proxies.caddy";
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final EdgeAndOrigin net;
  private final Path dir;
  private final Process caddy;
  private final RecordingCommandRunner runner;

  private CaddyInOrigin(EdgeAndOrigin net, Path dir, Process caddy) {
    this.net = net;
    this.dir = dir;
    this.caddy = caddy;
    this.runner = RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(net.origin().name()));
  }

  /** Creates the namespaces and the Caddyfile, starts {@code caddy run}, waits until it serves. */
  static CaddyInOrigin start() {
    EdgeAndOrigin net = EdgeAndOrigin.create();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("cf-allowlist-caddy");
      Files.createDirectories(dir.resolve("sites"));
      Files.writeString(dir.resolve("Caddyfile"), caddyfile(dir));
      Process caddy =
          net.origin()
              .start(
                  List.of(
                      "env",
                      "XDG_CONFIG_HOME=" + dir.resolve("config"),
                      "XDG_DATA_HOME=" + dir.resolve("data"),
                      "caddy",
                      "run",
                      "--config",
                      dir.resolve("Caddyfile").toString(),
                      "--adapter",
                      "caddyfile"),
                  dir.resolve("caddy.log"));
      CaddyInOrigin started = new CaddyInOrigin(net, dir, caddy);
      started.await(
          "caddy listening on port " + PORT,
          () ->
              Files.exists(started.dir.resolve("admin.sock"))
                  && net.origin().execChecked("ss", "-Hltn").stdout().contains(":" + PORT + " "));
      return started;
    } catch (IOException e) {
      net.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      try {
        net.close();
      } finally {
        if (dir != null) {
          delete(dir);
        }
      }
      throw e;
    }
  }

  private static String caddyfile(Path dir) {
    String d = dir.toString();
    return String.join(
        "\n",
        "{",
        "\tadmin unix/" + d + "/admin.sock",
        "\tstorage file_system " + d + "/data",
        "}",
        "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + " {",
        "\tbind " + EdgeAndOrigin.ORIGIN_V4,
        "\timport " + d + "/sites/*.caddy",
        "\trespond \"{http.request.header.CF-Connecting-IP}\"",
        "}",
        "");
  }

  Path dir() {
    return dir;
  }

  Path snippet() {
    return dir.resolve("sites").resolve(SNIPPET);
  }

  List<String> testCommand() {
    return List.of(
        "caddy",
        "validate",
        "--config",
        dir.resolve("Caddyfile").toString(),
        "--adapter",
        "caddyfile");
  }

  List<String> reloadCommand() {
    return List.of(
        "caddy",
        "reload",
        "--config",
        dir.resolve("Caddyfile").toString(),
        "--adapter",
        "caddyfile");
  }

  /** Options pointing the target at this Caddy's snippet and commands. */
  TargetOptions options() {
    return TargetOptions.defaults()
        .withFamilies(Families.BOTH)
        .withSetting("caddy-file", snippet().toString())
        .withSetting("caddy-test-command", String.join(" ", testCommand()))
        .withSetting("caddy-reload-command", String.join(" ", reloadCommand()));
  }

  RecordingCommandRunner runner() {
    return runner;
  }

  boolean alive() {
    return caddy.isAlive();
  }

  /** How many configurations Caddy loaded through its admin endpoint: it logs "load complete". */
  long reloads() {
    return read(dir.resolve("caddy.log"))
        .lines()
        .filter(l -> l.contains("\"load complete\""))
        .count();
  }

  /**
   * Requests from {@code from} with {@code CF-Connecting-IP: 198.51.100.7}.
   *
   * @return the visitor's address as the site sees it
   */
  String visitorSeen(String from) {
    var r =
        net.edge()
            .exec(
                "curl",
                "-s",
                "--interface",
                from,
                "--connect-timeout",
                "2",
                "-m",
                "3",
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + "/");
    if (!r.ok()) {
      throw new AssertionError("request from " + from + " failed: " + r.stderr());
    }
    return r.stdout().strip();
  }

  /** Stops Caddy (SIGTERM, then by force), makes sure it is dead, deletes everything. */
  @Override
  public void close() {
    try {
      caddy.destroy();
      if (!caddy.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        caddy.destroyForcibly().waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (caddy.isAlive()) {
        throw new AssertionError("caddy (pid " + caddy.pid() + ") is still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping caddy", e);
    } finally {
      try {
        net.close();
      } finally {
        delete(dir);
      }
    }
  }

  private void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (!caddy.isAlive()) {
        throw new AssertionError(
            "caddy exited with " + caddy.exitValue() + ": " + read(dir.resolve("caddy.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
