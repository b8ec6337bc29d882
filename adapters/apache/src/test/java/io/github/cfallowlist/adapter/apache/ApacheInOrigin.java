package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
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
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final EdgeAndOrigin net;
  private final Path dir;
  private final Process parent;
  private final RecordingCommandRunner runner;
  private final AtomicInteger requests = new AtomicInteger();

  private ApacheInOrigin(EdgeAndOrigin net, Path dir, Process parent) {
    this.net = net;
    this.dir = dir;
    this.parent = parent;
    this.runner = RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(net.origin().name()));
  }

  /** Creates the namespaces and a ServerRoot, starts Apache in the foreground, waits for it. */
  static ApacheInOrigin start() {
    EdgeAndOrigin net = EdgeAndOrigin.create();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("cf-allowlist-apache");
      Files.createDirectories(dir.resolve("www"));
      Files.createDirectories(dir.resolve("conf.d"));
      Files.writeString(dir.resolve("www/index.html"), "ok\n");
      Files.writeString(dir.resolve("httpd.conf"), conf(dir));
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.toList()) {
          // Children run as www-data and must reach the document root.
          Files.setPosixFilePermissions(
              p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
      Process parent =
          net.origin()
              .start(
                  List.of(
                      "apache2",
                      "-d",
                      dir.toString(),
                      "-f",
                      dir.resolve("httpd.conf").toString(),
                      "-DFOREGROUND"),
                  dir.resolve("apache.out"));
      ApacheInOrigin apache = new ApacheInOrigin(net, dir, parent);
      apache.awaitGeneration(1);
      return apache;
    } catch (IOException e) {
      net.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      if (dir != null) {
        delete(dir);
      }
      net.close();
      throw e;
    }
  }

  private static String conf(Path dir) {
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
        "IncludeOptional " + d + "/conf.d/*.conf",
        "");
  }

  Path dir() {
    return dir;
  }

  Path snippet() {
    return dir.resolve("conf.d").resolve(SNIPPET);
  }

  List<String> testCommand() {
    return List.of(
        "apache2", "-t", "-d", dir.toString(), "-f", dir.resolve("httpd.conf").toString());
  }

  List<String> reloadCommand() {
    return List.of(
        "apache2",
        "-d",
        dir.toString(),
        "-f",
        dir.resolve("httpd.conf").toString(),
        "-k",
        "graceful");
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
    return net.origin();
  }

  boolean parentAlive() {
    return parent.isAlive();
  }

  long parentPid() {
    return parent.pid();
  }

  /** How many graceful restarts Apache began: it logs AH00493 for each. */
  long gracefulRestarts() {
    return errorLog().lines().filter(l -> l.contains("AH00493")).count();
  }

  /**
   * Waits until Apache has (re)started {@code n} times in all and listens: it logs "resuming normal
   * operations" once it serves with a configuration.
   */
  void awaitGeneration(long n) {
    await(
        "Apache configuration number " + n,
        () -> {
          if (!parent.isAlive()) {
            throw new AssertionError(
                "apache2 exited with "
                    + parent.exitValue()
                    + ": "
                    + read(dir.resolve("apache.out"))
                    + errorLog());
          }
          long started =
              errorLog().lines().filter(l -> l.contains("resuming normal operations")).count();
          return started >= n
              && net.origin().execChecked("ss", "-Hltn").stdout().contains(":" + PORT + " ");
        });
  }

  /**
   * Requests a unique path from {@code from} with {@code CF-Connecting-IP: 198.51.100.7}.
   *
   * @return the client address Apache logged ({@code %a}) for that request
   */
  String clientAddressLogged(String from) {
    String path = "/r" + requests.incrementAndGet();
    Netns.Result r =
        net.edge()
            .exec(
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "--interface",
                from,
                "--connect-timeout",
                "2",
                "-m",
                "3",
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + PORT + path);
    if (!r.ok()) {
      throw new AssertionError("request from " + from + " failed: " + r.stderr());
    }
    String[] line = new String[1];
    await(
        "the access log line for " + path,
        () -> {
          line[0] =
              read(dir.resolve("access.log"))
                  .lines()
                  .filter(l -> l.startsWith(path + " "))
                  .findFirst()
                  .orElse(null);
          return line[0] != null;
        });
    return line[0].split(" ", -1)[1];
  }

  private String errorLog() {
    return read(dir.resolve("error.log"));
  }

  /** Stops Apache ({@code -k stop}, then by force), makes sure it is dead, deletes everything. */
  @Override
  public void close() {
    try {
      net.origin()
          .exec(
              null,
              List.of(
                  "apache2",
                  "-d",
                  dir.toString(),
                  "-f",
                  dir.resolve("httpd.conf").toString(),
                  "-k",
                  "stop"),
              WAIT);
      if (!parent.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        parent.descendants().forEach(ProcessHandle::destroyForcibly);
        parent.destroyForcibly().waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (parent.isAlive()) {
        throw new AssertionError("apache2 (pid " + parent.pid() + ") is still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping apache2", e);
    } finally {
      try {
        net.close();
      } finally {
        delete(dir);
      }
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
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
