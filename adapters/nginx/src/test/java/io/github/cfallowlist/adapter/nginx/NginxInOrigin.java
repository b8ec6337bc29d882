package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A real nginx in the origin namespace of an {@link EdgeAndOrigin} pair, serving {@code
 * ORIGIN_V4:PORT} and {@code ORIGIN_V4:PORT+1} behind the real-IP include (the second one guarded
 * by the allow file's {@code $cloudflare_edge} once {@link #guard} is called), and a recording
 * runner whose commands run inside the origin namespace.
 */
final class NginxInOrigin implements AutoCloseable {
  static final int PORT = 8080;
  static final int ALLOW_PORT = PORT + 1;
  static final String VISITOR = "192.0.2.44";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final EdgeAndOrigin net;
  private final NginxPrefix prefix;
  private final Process master;
  private final RecordingCommandRunner runner;
  private final AtomicInteger requests = new AtomicInteger();

  private NginxInOrigin(EdgeAndOrigin net, NginxPrefix prefix, Process master) {
    this.net = net;
    this.prefix = prefix;
    this.master = master;
    this.runner = RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(net.origin().name()));
  }

  /**
   * Creates the namespaces and a prefix, starts nginx in the foreground and waits until it listens.
   */
  static NginxInOrigin start() {
    EdgeAndOrigin net = EdgeAndOrigin.create();
    NginxPrefix prefix = null;
    try {
      prefix = NginxPrefix.create();
      prefix.writeConf(EdgeAndOrigin.ORIGIN_V4, PORT, prefix.realIpGlob(), false);
      Process master =
          net.origin()
              .start(
                  List.of(
                      "nginx",
                      "-p",
                      prefix.dir().toString(),
                      "-c",
                      prefix.conf().toString(),
                      "-g",
                      "daemon off;"),
                  prefix.dir().resolve("nginx.out"));
      NginxInOrigin nginx = new NginxInOrigin(net, prefix, master);
      nginx.awaitListening();
      return nginx;
    } catch (RuntimeException | Error e) {
      if (prefix != null) {
        prefix.close();
      }
      net.close();
      throw e;
    }
  }

  private void awaitListening() {
    await(
        "nginx to listen on ports " + PORT + " and " + ALLOW_PORT,
        () -> {
          if (!master.isAlive()) {
            throw new AssertionError(
                "nginx exited with "
                    + master.exitValue()
                    + ": "
                    + read(prefix.dir().resolve("nginx.out")));
          }
          String ss = net.origin().execChecked("ss", "-Hltn").stdout();
          return ss.contains(":" + PORT + " ")
              && ss.contains(":" + ALLOW_PORT + " ")
              && !workers().isEmpty();
        });
  }

  /**
   * Rewrites nginx.conf so the second server uses ({@code on}) or no longer uses the allow file's
   * {@code if ($cloudflare_edge = 0) { return 403; }}, and reloads nginx: what a sysadmin does once
   * the allow file is in place (or before removing it).
   */
  void guard(boolean on) {
    prefix.writeConf(EdgeAndOrigin.ORIGIN_V4, PORT, prefix.realIpGlob(), on);
    Set<Long> before = workers();
    net.origin().execChecked(null, prefix.reloadCommand());
    awaitReloadFrom(before);
  }

  NginxPrefix prefix() {
    return prefix;
  }

  RecordingCommandRunner runner() {
    return runner;
  }

  Netns origin() {
    return net.origin();
  }

  /**
   * Requests a unique path from {@code from} with {@code CF-Connecting-IP: 192.0.2.44}.
   *
   * @return the status and the path, to find the request in the access log
   */
  Response request(String from, int port) {
    String path = "/r" + requests.incrementAndGet();
    Netns.Result r =
        net.edge()
            .exec(
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--interface",
                from,
                "--connect-timeout",
                "2",
                "-m",
                "15",
                "-H",
                "CF-Connecting-IP: " + VISITOR,
                "http://" + EdgeAndOrigin.ORIGIN_V4 + ":" + port + path);
    return new Response(r.ok() ? Integer.parseInt(r.stdout().strip()) : 0, path);
  }

  /** The {@code $remote_addr} nginx logged for {@code response}'s request. */
  String remoteAddr(Response response) {
    return logged(response).split(" ", -1)[1];
  }

  /**
   * The access log line for {@code response}'s request. nginx writes it in the log phase, after the
   * response has reached curl, so the line may appear a moment after {@link #request} returned:
   * wait for it.
   */
  private String logged(Response response) {
    String[] line = new String[1];
    try {
      await(
          "the access log line for " + response.path(),
          () -> {
            line[0] =
                read(prefix.accessLog())
                    .lines()
                    .filter(l -> l.startsWith(response.path() + " "))
                    .findFirst()
                    .orElse(null);
            return line[0] != null;
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the log holds:\n" + read(prefix.accessLog()));
    }
    return line[0];
  }

  /** The pids of nginx's worker processes (the master's children). */
  Set<Long> workers() {
    return master.toHandle().children().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  /** Waits until every worker in {@code before} is gone and new ones serve: proof of a reload. */
  void awaitReloadFrom(Set<Long> before) {
    await(
        "nginx to replace workers " + before,
        () -> {
          Set<Long> now = workers();
          return !now.isEmpty() && now.stream().noneMatch(before::contains);
        });
  }

  /**
   * How often the master began a reload: it logs a line ending {@code : reconfiguring} for each.
   */
  long reconfigurations() {
    return read(prefix.errorLog()).lines().filter(l -> l.endsWith(": reconfiguring")).count();
  }

  /** Stops nginx as an admin would ({@code nginx -s quit}) and waits until the master exits. */
  void stop() throws InterruptedException {
    net.origin().execChecked(null, prefix.quitCommand());
    if (!master.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("nginx did not stop within " + WAIT);
    }
  }

  boolean masterAlive() {
    return master.isAlive();
  }

  /**
   * Stops nginx ({@code -s quit}, then by force), makes sure it is dead, and deletes everything.
   */
  @Override
  public void close() {
    try {
      if (!net.origin().exec(null, prefix.quitCommand(), WAIT).ok()) {
        master.destroy(); // the configuration may be broken on purpose: signal the master directly
      }
      if (!master.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        master.descendants().forEach(ProcessHandle::destroyForcibly);
        master.destroyForcibly().waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (master.isAlive() || master.descendants().anyMatch(ProcessHandle::isAlive)) {
        throw new AssertionError("nginx (pid " + master.pid() + ") is still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping nginx", e);
    } finally {
      try {
        net.close();
      } finally {
        prefix.close();
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

  /** One request's status and the unique path it asked for. */
  record Response(int status, String path) {}
}
