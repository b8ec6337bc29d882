package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.OriginDaemon;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Apache (Debian's apache2) in the origin namespace of an {@link EdgeAndOrigin} pair, with
 * its own ServerRoot in a temporary directory: a minimal {@code httpd.conf} loading mod_remoteip,
 * logging {@code %a} (the client address after mod_remoteip) and {@code %{c}a} (the connection's
 * own), listening on {@code ORIGIN_V4:PORT} and including {@code conf.d/*.conf}, where the snippet
 * goes. The host's Apache configuration is neither read nor touched.
 */
final class ApacheInOrigin implements AutoCloseable {
  static final int PORT = 8080;
  static final String VISITOR = "198.51.100.7";
  static final String SNIPPET = "cloudflare-remoteip.conf";
  private static final String MODULES = "/usr/lib/apache2/modules/";

  private final OriginDaemon apache;
  private final RecordingCommandRunner runner;
  private final AtomicInteger requests = new AtomicInteger();

  private ApacheInOrigin(OriginDaemon apache) {
    this.apache = apache;
    this.runner =
        RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(apache.origin().name()));
  }

  /** Creates the namespaces and a ServerRoot, starts Apache in the foreground, waits for it. */
  static ApacheInOrigin start() {
    return start("");
  }

  /**
   * As {@link #start()}, with {@code extra} (directives, one a line) added to {@code httpd.conf}
   * before the include of {@code conf.d}.
   */
  static ApacheInOrigin start(String extra) {
    OriginDaemon.Spec spec =
        OriginDaemon.Spec.of("apache2", "apache.out", "error.log")
            .stoppedBy(dir -> apache2(dir, "-k", "stop"));
    OriginDaemon daemon =
        OriginDaemon.start(
            spec,
            dir -> {
              Files.createDirectories(dir.resolve("www"));
              Files.createDirectories(dir.resolve("conf.d"));
              Files.writeString(dir.resolve("www/index.html"), "ok\n");
              Files.writeString(dir.resolve("httpd.conf"), conf(dir, extra));
              try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.toList()) {
                  // Children run as www-data and must reach the document root.
                  Files.setPosixFilePermissions(
                      p,
                      PosixFilePermissions.fromString(
                          Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
                }
              }
              return apache2(dir, "-DFOREGROUND");
            },
            d -> started(d) >= 1 && d.listens(PORT));
    return new ApacheInOrigin(daemon);
  }

  /** {@code apache2} with this ServerRoot and configuration, then {@code args}. */
  private static List<String> apache2(Path dir, String... args) {
    List<String> argv =
        new java.util.ArrayList<>(
            List.of("apache2", "-d", dir.toString(), "-f", dir.resolve("httpd.conf").toString()));
    argv.addAll(List.of(args));
    return argv;
  }

  private static String conf(Path dir, String extra) {
    String d = dir.toString();
    return String.join(
        "\n",
        "ServerRoot " + d,
        "ServerName origin.test",
        "LoadModule mpm_event_module " + MODULES + "mod_mpm_event.so",
        "LoadModule authz_core_module " + MODULES + "mod_authz_core.so",
        "LoadModule remoteip_module " + MODULES + "mod_remoteip.so",
        "User www-data",
        "Group www-data",
        "PidFile " + d + "/apache2.pid",
        "Mutex file:" + d,
        "ErrorLog " + d + "/error.log",
        "LogLevel info",
        "LogFormat \"%U %a %{c}a %>s\" cfa",
        "CustomLog " + d + "/access.log cfa",
        "Listen " + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT,
        "DocumentRoot " + d + "/www",
        extra,
        "IncludeOptional " + d + "/conf.d/*.conf",
        "");
  }

  Path dir() {
    return apache.dir();
  }

  Path snippet() {
    return dir().resolve("conf.d").resolve(SNIPPET);
  }

  List<String> testCommand() {
    List<String> argv = apache2(dir());
    argv.add(1, "-t");
    return argv;
  }

  List<String> reloadCommand() {
    return apache2(dir(), "-k", "graceful");
  }

  /** Options pointing the target at this ServerRoot's snippet and commands. */
  TargetOptions options() {
    return TargetOptions.defaults()
        .withFamilies(Families.BOTH)
        .withSetting("apache-file", snippet().toString())
        .withSetting("apache-test-command", String.join(" ", testCommand()))
        .withSetting("apache-reload-command", String.join(" ", reloadCommand()));
  }

  RecordingCommandRunner runner() {
    return runner;
  }

  Netns origin() {
    return apache.origin();
  }

  boolean parentAlive() {
    return apache.alive();
  }

  long parentPid() {
    return apache.pid();
  }

  /** The file Apache writes its pid to while it runs. */
  Path pidFile() {
    return dir().resolve("apache2.pid");
  }

  /** Stops Apache as an admin would ({@code apache2 -k stop}) and waits until it has exited. */
  void stop() throws InterruptedException {
    origin().execChecked(null, apache2(dir(), "-k", "stop"));
    for (int i = 0; i < 750 && apache.alive(); i++) {
      Thread.sleep(20);
    }
    if (apache.alive()) {
      throw new AssertionError("Apache did not stop within 15 s");
    }
  }

  /** How many graceful restarts Apache began: it logs AH00493 for each. */
  long gracefulRestarts() {
    return apache.read("error.log").lines().filter(l -> l.contains("AH00493")).count();
  }

  /** How many times Apache started serving a configuration: "resuming normal operations". */
  private static long started(OriginDaemon apache) {
    return apache
        .read("error.log")
        .lines()
        .filter(l -> l.contains("resuming normal operations"))
        .count();
  }

  /**
   * Waits until Apache has (re)started {@code n} times in all and listens: it logs "resuming normal
   * operations" once it serves with a configuration.
   */
  void awaitGeneration(long n) {
    apache.await(
        "Apache configuration number " + n, () -> started(apache) >= n && apache.listens(PORT));
  }

  /**
   * Requests a unique path from {@code from} with {@code CF-Connecting-IP: 198.51.100.7}.
   *
   * @return the client address Apache logged ({@code %a}) for that request
   */
  String clientAddressLogged(String from) {
    return clientAddressLogged(apache.net().edge(), from);
  }

  /**
   * As {@link #clientAddressLogged(String)}, from {@code from} in the namespace {@code client} (the
   * origin's own, for an address added to its loopback).
   */
  String clientAddressLogged(Netns client, String from) {
    String path = "/r" + requests.incrementAndGet();
    Netns.Result r =
        client.exec(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--interface",
            from,
            "--connect-timeout",
            "2",
            "-m",
            "15",
            "-H",
            "CF-Connecting-IP: " + VISITOR,
            "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + path);
    if (!r.ok()) {
      throw new AssertionError("request from " + from + " failed: " + r.stderr());
    }
    String[] line = new String[1];
    apache.await(
        "the access log line for " + path,
        () -> {
          line[0] =
              apache
                  .read("access.log")
                  .lines()
                  .filter(l -> l.startsWith(path + " "))
                  .findFirst()
                  .orElse(null);
          return line[0] != null;
        });
    return line[0].split(" ", -1)[1];
  }

  /** How many times Apache started serving a configuration since it started. */
  long generations() {
    return started(apache);
  }

  /**
   * Waits until a graceful restart Apache was told to do has finished: no new generation for a
   * moment, and Apache listens.
   */
  void settle() {
    long[] seen = {-1};
    apache.await(
        "Apache to settle",
        () -> {
          // Long enough for a loaded machine's Apache to log a graceful restart it was told of.
          pause(600);
          long now = started(apache);
          boolean stable = now == seen[0] && apache.listens(PORT);
          seen[0] = now;
          return stable;
        });
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Stops Apache ({@code -k stop}, then by force), makes sure it is dead, deletes everything. */
  @Override
  public void close() {
    apache.close();
  }
}
