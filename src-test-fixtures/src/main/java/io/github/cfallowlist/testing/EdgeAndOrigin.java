package io.github.cfallowlist.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An origin server and a "Cloudflare edge" client in two network namespaces joined by a veth pair:
 * the recipe of DESIGN.md, "Testing with the real thing".
 *
 * <p>The origin has {@value #ORIGIN_V4} and {@value #ORIGIN_V6}; the edge has addresses inside
 * Cloudflare's ranges ({@value #EDGE_CF_V4}, {@value #EDGE_CF_V6}) and outside them ({@value
 * #EDGE_OTHER_V4}, {@value #EDGE_OTHER_V6}), each with a host route both ways. A firewall under
 * test goes into {@link #origin()}; {@link #probe} tells which sources get through.
 */
public final class EdgeAndOrigin implements AutoCloseable {

  /** The origin's IPv4 address. */
  public static final String ORIGIN_V4 = "198.51.100.10";

  /** The origin's IPv6 address. */
  public static final String ORIGIN_V6 = "2001:db8:10::10";

  /** An edge address inside Cloudflare's 173.245.48.0/20. */
  public static final String EDGE_CF_V4 = "173.245.48.5";

  /** An edge address outside Cloudflare's IPv4 ranges. */
  public static final String EDGE_OTHER_V4 = "203.0.113.7";

  /** An edge address inside Cloudflare's 2400:cb00::/32. */
  public static final String EDGE_CF_V6 = "2400:cb00::5";

  /** An edge address outside Cloudflare's IPv6 ranges. */
  public static final String EDGE_OTHER_V6 = "2001:db8:99::7";

  private static final String VETH =
      "veth0"; // same name on both sides: each lives in its own namespace
  private static final Duration SERVER_START = Duration.ofSeconds(20);

  private final Netns origin;
  private final Netns edge;
  private final Path workDir;

  private EdgeAndOrigin(Netns origin, Netns edge, Path workDir) {
    this.origin = origin;
    this.edge = edge;
    this.workDir = workDir;
  }

  /**
   * Creates and wires both namespaces; on failure removes whatever was created.
   *
   * @return the pair, ready for {@link #startHttpServer(int)}
   */
  public static EdgeAndOrigin create() {
    List<AutoCloseable> created = new ArrayList<>();
    try {
      Netns origin = Netns.create("cfo-");
      created.add(origin);
      Netns edge = Netns.create("cfe-");
      created.add(edge);
      Path workDir = tempDirectory();
      created.add(() -> Netns.deleteTree(workDir));
      EdgeAndOrigin net = new EdgeAndOrigin(origin, edge, workDir);
      net.wire();
      return net;
    } catch (RuntimeException | Error e) {
      for (AutoCloseable c : created) {
        try {
          c.close();
        } catch (Exception | Error suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static Path tempDirectory() {
    try {
      return Files.createTempDirectory("cf-allowlist-origin");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void wire() {
    origin.execChecked(
        "ip", "link", "add", VETH, "type", "veth", "peer", "name", VETH, "netns", edge.name());
    origin.execChecked("ip", "-4", "addr", "add", ORIGIN_V4 + "/32", "dev", VETH);
    origin.execChecked("ip", "-6", "addr", "add", ORIGIN_V6 + "/128", "dev", VETH, "nodad");
    origin.execChecked("ip", "link", "set", VETH, "up");
    edge.execChecked("ip", "link", "set", VETH, "up");
    edge.execChecked("ip", "-4", "route", "add", ORIGIN_V4 + "/32", "dev", VETH);
    edge.execChecked("ip", "-6", "route", "add", ORIGIN_V6 + "/128", "dev", VETH);
    for (String a : List.of(EDGE_CF_V4, EDGE_OTHER_V4, EDGE_CF_V6, EDGE_OTHER_V6)) {
      addEdgeAddress(a);
    }
  }

  /** Returns the origin's namespace, where the firewall under test belongs. */
  public Netns origin() {
    return origin;
  }

  /** Returns the edge (client) namespace. */
  public Netns edge() {
    return edge;
  }

  /**
   * Gives the edge one more source address, with a host route back to it from the origin.
   *
   * @param address an IPv4 or IPv6 host address, optionally suffixed {@code /32} or {@code /128}
   */
  public void addEdgeAddress(String address) {
    boolean v6 = address.contains(":");
    String host = address.replaceFirst("/(32|128)$", "") + (v6 ? "/128" : "/32");
    String family = v6 ? "-6" : "-4";
    List<String> add = new ArrayList<>(List.of("ip", family, "addr", "add", host, "dev", VETH));
    if (v6) {
      add.add("nodad"); // usable at once, no duplicate address detection delay
    }
    edge.execChecked(null, add);
    origin.execChecked("ip", family, "route", "add", host, "dev", VETH);
  }

  /**
   * Starts an HTTP server in the origin answering 200 on {@value #ORIGIN_V4} and [{@value
   * #ORIGIN_V6}], and waits until it listens. It uses {@code python3 -m http.server} when
   * installed, else {@link OkHttpServer} on this JVM.
   *
   * @param port the TCP port
   * @throws IllegalStateException if something already listens on the port
   * @throws AssertionError if the server is not listening within 20 seconds
   */
  public void startHttpServer(int port) {
    if (listening(port)) {
      throw new IllegalStateException("port " + port + " is already in use in the origin");
    }
    Path log = workDir.resolve("http-" + port + ".log");
    Process p = origin.start(serverCommand(port), log);
    long deadline = System.nanoTime() + SERVER_START.toNanos();
    // Ask the kernel rather than connecting, so a firewall already loaded cannot hide the server.
    while (!listening(port)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "HTTP server on port "
                + port
                + " did not start"
                + (p.isAlive() ? " within " + SERVER_START : ", exit code " + p.exitValue())
                + "; its log:\n"
                + readQuietly(log));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while starting the HTTP server", e);
      }
    }
  }

  private boolean listening(int port) {
    return !origin.execChecked("ss", "-Hltn", "sport", "=", ":" + port).stdout().isBlank();
  }

  private List<String> serverCommand(int port) {
    var python = SystemTests.which("/usr/bin/python3").or(() -> SystemTests.which("python3"));
    if (python.isPresent()) {
      Path docroot = workDir.resolve("www");
      try {
        Files.createDirectories(docroot);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // On "::" http.server clears IPV6_V6ONLY, so IPv4 clients are served too.
      return List.of(
          python.get().toString(),
          "-u",
          "-m",
          "http.server",
          "--bind",
          "::",
          "--directory",
          docroot.toString(),
          String.valueOf(port));
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath =
        OkHttpServer.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    return List.of(java, "-cp", classpath, OkHttpServer.class.getName(), String.valueOf(port));
  }

  /**
   * Requests {@code http://ORIGIN:port/} from the edge with {@code curl --interface fromAddress},
   * to the origin's IPv6 address when {@code fromAddress} is IPv6.
   *
   * @param fromAddress one of the edge's addresses
   * @param port the origin's port
   * @return the HTTP status, or 0 when the connection was refused, reset or not accepted within 2 s
   *     (an accepted request may take up to 15 s, so a loaded machine's slow answer still counts)
   */
  public int probe(String fromAddress, int port) {
    String url =
        fromAddress.contains(":")
            ? "http://[" + ORIGIN_V6 + "]:" + port + "/"
            : "http://" + ORIGIN_V4 + ":" + port + "/";
    Netns.Result r =
        edge.exec(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--interface",
            fromAddress,
            "--connect-timeout",
            "2",
            "-m",
            "15",
            url);
    return r.ok() ? Integer.parseInt(r.stdout().strip()) : 0;
  }

  /**
   * Probes from every address at once (a refused probe waits for curl's timeout).
   *
   * @param port the origin's port
   * @param from edge addresses
   * @return each address's {@link #probe} result, in the order given
   */
  public List<Integer> probeAll(int port, String... from) {
    ExecutorService pool = Executors.newFixedThreadPool(from.length);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (String address : from) {
        results.add(pool.submit(() -> probe(address, port)));
      }
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> f : results) {
        out.add(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while probing", e);
    } catch (ExecutionException e) {
      throw new AssertionError("a probe failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Probes from one address again and again while {@code going} holds, and at least five times.
   *
   * @param fromAddress one of the edge's addresses
   * @param port the origin's port
   * @param going cleared when the probing may stop
   * @return every {@link #probe} result with when it ran, in order
   */
  public List<Probe> probeWhile(String fromAddress, int port, AtomicBoolean going) {
    List<Probe> probes = new ArrayList<>();
    while (going.get() || probes.size() < 5) {
      long started = System.nanoTime();
      int code = probe(fromAddress, port);
      probes.add(new Probe(code, started, System.nanoTime()));
    }
    return probes;
  }

  /**
   * One {@link #probe}: its HTTP status (0 when refused) and when it began and ended ({@link
   * System#nanoTime()}).
   */
  public record Probe(int code, long started, long ended) {
    /** Whether this probe ran at some moment between {@code from} and {@code to}. */
    public boolean overlaps(long from, long to) {
      return started <= to && ended >= from;
    }
  }

  /** Stops the servers and deletes both namespaces; calling it again does nothing. */
  @Override
  public void close() {
    AssertionError failure = null;
    for (Netns ns : List.of(origin, edge)) { // origin.close() also stops the servers
      try {
        ns.close();
      } catch (RuntimeException | AssertionError e) {
        if (failure == null) {
          failure = new AssertionError("cannot clean up the namespaces", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    Netns.deleteTree(workDir);
    if (failure != null) {
      throw failure;
    }
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
