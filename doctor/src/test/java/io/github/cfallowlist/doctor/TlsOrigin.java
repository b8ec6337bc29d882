package io.github.cfallowlist.doctor;

import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import okhttp3.tls.HeldCertificate;

/**
 * A real nginx on 127.0.0.1 with its own prefix, one TLS server per certificate (each on a free
 * port) and one plain HTTP server: the origin the tls check connects to. The check runs in this
 * JVM, so nginx listens in the host's namespace, on loopback only.
 */
final class TlsOrigin implements AutoCloseable {
  private static final InetAddress LOOPBACK = loopback();

  private final Path dir;
  private final Map<String, Integer> ports;
  private final int plainPort;
  private final Process master;

  private TlsOrigin(Path dir, Map<String, Integer> ports, int plainPort, Process master) {
    this.dir = dir;
    this.ports = ports;
    this.plainPort = plainPort;
    this.master = master;
  }

  /** Starts nginx serving each named certificate on its own port. */
  static TlsOrigin start(Map<String, HeldCertificate> certificates) throws IOException {
    Path dir = Files.createTempDirectory("cf-allowlist-tls");
    Map<String, Integer> ports = new LinkedHashMap<>();
    // A port just released can be handed out again: each server gets one no other has.
    Set<Integer> taken = new HashSet<>();
    for (String name : certificates.keySet()) {
      ports.put(name, freePort(taken));
      write(dir, name, certificates.get(name));
    }
    int plain = freePort(taken);
    StringBuilder conf = new StringBuilder();
    String d = dir.toString();
    conf.append("pid ").append(d).append("/nginx.pid;\n");
    conf.append("error_log ").append(d).append("/error.log;\n");
    conf.append("events { worker_connections 64; }\nhttp {\n");
    conf.append("  access_log off;\n");
    for (String kind : new String[] {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf.append("  ").append(kind).append("_temp_path ").append(d).append("/tmp_").append(kind);
      conf.append(";\n");
    }
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      conf.append("  server {\n    listen 127.0.0.1:").append(e.getValue()).append(" ssl;\n");
      conf.append("    ssl_certificate ").append(d).append('/').append(e.getKey());
      conf.append(".crt;\n    ssl_certificate_key ").append(d).append('/').append(e.getKey());
      conf.append(".key;\n    return 200 ok;\n  }\n");
    }
    conf.append("  server {\n    listen 127.0.0.1:").append(plain).append(";\n");
    conf.append("    return 200 ok;\n  }\n}\n");
    Files.writeString(dir.resolve("nginx.conf"), conf);
    Process master =
        new ProcessBuilder(
                SystemTests.which("nginx").orElseThrow().toString(),
                "-p",
                d,
                "-c",
                d + "/nginx.conf",
                "-g",
                "daemon off;")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("nginx.out").toFile())
            .start();
    TlsOrigin origin = new TlsOrigin(dir, ports, plain, master);
    try {
      List<Integer> all = new ArrayList<>(ports.values());
      all.add(plain);
      for (int port : all) {
        origin.awaitListening(port);
      }
    } catch (RuntimeException | Error e) {
      origin.close();
      throw e;
    }
    return origin;
  }

  /** The port serving the certificate called {@code name}. */
  int port(String name) {
    return ports.get(name);
  }

  /** A port with a plain HTTP server, where a TLS handshake fails. */
  int plainPort() {
    return plainPort;
  }

  /** Serves {@code certificate} in place of the one called {@code name} and reloads nginx. */
  void replace(String name, HeldCertificate certificate) throws IOException {
    write(dir, name, certificate);
    String d = dir.toString();
    Process reload =
        new ProcessBuilder(
                SystemTests.which("nginx").orElseThrow().toString(),
                "-p",
                d,
                "-c",
                d + "/nginx.conf",
                "-s",
                "reload")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("reload.out").toFile())
            .start();
    try {
      if (!reload.waitFor(10, TimeUnit.SECONDS) || reload.exitValue() != 0) {
        throw new AssertionError("nginx -s reload failed: " + read("reload.out"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void write(Path dir, String name, HeldCertificate certificate) throws IOException {
    Files.writeString(dir.resolve(name + ".crt"), certificate.certificatePem());
    Files.writeString(dir.resolve(name + ".key"), certificate.privateKeyPkcs8Pem());
  }

  private void awaitListening(int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      if (!master.isAlive()) {
        throw new AssertionError("nginx exited: " + read("nginx.out") + read("error.log"));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(LOOPBACK, port), 200);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("nginx does not listen on " + port + ": " + read("error.log"));
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private String read(String name) {
    try {
      Path p = dir.resolve(name);
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A free port of the loopback that is not in {@code taken}, then added to it. */
  private static int freePort(Set<Integer> taken) throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      master.descendants().forEach(ProcessHandle::destroyForcibly);
      master.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
