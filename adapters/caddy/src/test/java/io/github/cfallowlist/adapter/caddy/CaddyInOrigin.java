package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.OriginDaemon;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

  private final OriginDaemon caddy;
  private final RecordingCommandRunner runner;

  private CaddyInOrigin(OriginDaemon caddy) {
    this.caddy = caddy;
    this.runner = RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(caddy.origin().name()));
  }

  /** Creates the namespaces and the Caddyfile, starts {@code caddy run}, waits until it serves. */
  static CaddyInOrigin start() {
    return start("");
  }

  /**
   * As {@link #start()}, with {@code extra} (lines of the site block) before the site's import of
   * {@code sites/*.caddy}.
   */
  static CaddyInOrigin start(String extra) {
    OriginDaemon daemon =
        OriginDaemon.start(
            OriginDaemon.Spec.of("caddy", "caddy.log"),
            dir -> {
              Files.createDirectories(dir.resolve("sites"));
              Files.writeString(dir.resolve("Caddyfile"), caddyfile(dir, extra));
              return List.of(
                  "env",
                  "XDG_CONFIG_HOME=" + dir.resolve("config"),
                  "XDG_DATA_HOME=" + dir.resolve("data"),
                  "caddy",
                  "run",
                  "--config",
                  dir.resolve("Caddyfile").toString(),
                  "--adapter",
                  "caddyfile");
            },
            d -> Files.exists(d.dir().resolve("admin.sock")) && d.listens(PORT));
    return new CaddyInOrigin(daemon);
  }

  private static String caddyfile(Path dir, String extra) {
    String d = dir.toString();
    return String.join(
        "\n",
        "{",
        "\tadmin unix/" + d + "/admin.sock",
        "\tstorage file_system " + d + "/data",
        "}",
        "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + " {",
        "\tbind " + EdgeAndOrigin.ORIGIN_V4,
        extra,
        "\timport " + d + "/sites/*.caddy",
        "\trespond \"{http.request.header.CF-Connecting-IP}\"",
        "}",
        "");
  }

  Path dir() {
    return caddy.dir();
  }

  Path snippet() {
    return dir().resolve("sites").resolve(SNIPPET);
  }

  Path caddyfile() {
    return dir().resolve("Caddyfile");
  }

  List<String> testCommand() {
    return List.of(
        "caddy", "validate", "--config", caddyfile().toString(), "--adapter", "caddyfile");
  }

  List<String> reloadCommand() {
    return List.of("caddy", "reload", "--config", caddyfile().toString(), "--adapter", "caddyfile");
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

  Netns origin() {
    return caddy.origin();
  }

  boolean alive() {
    return caddy.alive();
  }

  /** Caddy's admin endpoint, as {@code --address} takes it. */
  String adminAddress() {
    return "unix/" + dir().resolve("admin.sock");
  }

  /** Stops Caddy through its admin endpoint ({@code caddy stop}) and waits until it has exited. */
  void stop() throws InterruptedException {
    origin().execChecked(null, List.of("caddy", "stop", "--address", adminAddress()));
    for (int i = 0; i < 750 && caddy.alive(); i++) {
      Thread.sleep(20);
    }
    if (caddy.alive()) {
      throw new AssertionError("Caddy did not stop within 15 s");
    }
  }

  /**
   * Starts Caddy again in the background ({@code caddy start}, which returns once it runs), as an
   * admin would after a first apply; stop it with {@link #stop()}'s command.
   */
  Netns.Result startInBackground() {
    return origin()
        .exec(
            null,
            List.of(
                "env",
                "XDG_CONFIG_HOME=" + dir().resolve("config"),
                "XDG_DATA_HOME=" + dir().resolve("data"),
                "caddy",
                "start",
                "--config",
                caddyfile().toString(),
                "--adapter",
                "caddyfile"));
  }

  /** Stops a Caddy {@link #startInBackground} started, if one answers. */
  void stopInBackground() {
    origin().exec(null, List.of("caddy", "stop", "--address", adminAddress()));
  }

  /** How many configurations Caddy loaded through its admin endpoint: it logs "load complete". */
  long reloads() {
    return caddy.read("caddy.log").lines().filter(l -> l.contains("\"load complete\"")).count();
  }

  /**
   * Requests from {@code from} with {@code CF-Connecting-IP: 198.51.100.7}.
   *
   * @return the visitor's address as the site sees it
   */
  String visitorSeen(String from) {
    return visitorSeen(caddy.net().edge(), from);
  }

  /**
   * As {@link #visitorSeen(String)}, from {@code from} in the namespace {@code client} (the
   * origin's own, for an address added to its loopback).
   */
  String visitorSeen(Netns client, String from) {
    Netns.Result r =
        client.exec(
            "curl",
            "-s",
            "--interface",
            from,
            "--connect-timeout",
            "2",
            "-m",
            "15",
            "-H",
            "CF-Connecting-IP: " + VISITOR,
            "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + "/");
    if (!r.ok()) {
      throw new AssertionError("request from " + from + " failed: " + r.stderr());
    }
    return r.stdout().strip();
  }

  /** Waits until no configuration has been loaded for a moment. */
  void settle() {
    long[] seen = {-1};
    caddy.await(
        "Caddy to settle",
        () -> {
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
          }
          long now = reloads();
          boolean stable = now == seen[0];
          seen[0] = now;
          return stable;
        });
  }

  /** Stops Caddy (SIGTERM, then by force), makes sure it is dead, deletes everything. */
  @Override
  public void close() {
    caddy.close();
  }
}
