package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private nginx prefix in a temporary directory: its own nginx.conf, pid, logs and temp paths, so
 * nginx runs with {@code -p PREFIX -c CONF} without touching the host's configuration.
 *
 * <p>The http block includes {@code real-ip.d/*.conf} and {@code allow.d/*.conf}; server 1 is open
 * to all, server 2 may be guarded by the allow file's {@code $cloudflare_edge}.
 */
final class NginxPrefix implements AutoCloseable {
  static final String REAL_IP_NAME = "cloudflare-real-ip.conf";
  static final String ALLOW_NAME = "cloudflare-allow.conf";

  private final Path dir;

  private NginxPrefix(Path dir) {
    this.dir = dir;
  }

  /** The http-level temp paths nginx needs when it runs without root's default directories. */
  static String tempPaths(String dir) {
    StringBuilder out = new StringBuilder();
    for (String kind : new String[] {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      String sub = kind.equals("client_body") ? "body" : kind;
      out.append("  ").append(kind).append("_temp_path ").append(dir).append("/tmp/").append(sub);
      out.append(";\n");
    }
    return out.toString();
  }

  static NginxPrefix create() {
    try {
      Path dir = Files.createTempDirectory("cf-allowlist-nginx");
      NginxPrefix prefix = new NginxPrefix(dir);
      for (String sub : List.of("www", "tmp", "real-ip.d", "allow.d")) {
        Files.createDirectories(dir.resolve(sub));
      }
      Files.writeString(dir.resolve("www/index.html"), "ok\n");
      // Workers run as an unprivileged user and must reach the document root.
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.toList()) {
          Files.setPosixFilePermissions(
              p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
      return prefix;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path dir() {
    return dir;
  }

  Path conf() {
    return dir.resolve("nginx.conf");
  }

  Path realIpFile() {
    return dir.resolve("real-ip.d").resolve(REAL_IP_NAME);
  }

  Path allowFile() {
    return dir.resolve("allow.d").resolve(ALLOW_NAME);
  }

  Path errorLog() {
    return dir.resolve("error.log");
  }

  Path accessLog() {
    return dir.resolve("access.log");
  }

  List<String> testCommand() {
    return List.of("nginx", "-t", "-p", dir.toString(), "-c", conf().toString());
  }

  /** The test command with {@code -T}: what the apply reads the pid file's path from. */
  List<String> dumpCommand() {
    return List.of("nginx", "-T", "-p", dir.toString(), "-c", conf().toString());
  }

  List<String> reloadCommand() {
    return List.of("nginx", "-p", dir.toString(), "-c", conf().toString(), "-s", "reload");
  }

  List<String> quitCommand() {
    return List.of("nginx", "-p", dir.toString(), "-c", conf().toString(), "-s", "quit");
  }

  /** Target options pointing at this prefix's files and commands. */
  TargetOptions options(Families families) {
    return TargetOptions.defaults()
        .withFamilies(families)
        .withSetting("nginx-file", realIpFile().toString())
        .withSetting("nginx-allow-file", allowFile().toString())
        .withSetting("nginx-test-command", String.join(" ", testCommand()))
        .withSetting("nginx-reload-command", String.join(" ", reloadCommand()));
  }

  /**
   * Writes nginx.conf with two servers on {@code address}, both behind the real-IP include: {@code
   * port} open to all, {@code port + 1} guarded, when {@code guarded}, by the allow file's variable
   * ({@code if ($cloudflare_edge = 0) { return 403; }}). Both includes are in the {@code http}
   * block, as a file in Debian's {@code conf.d} is; the access log shows {@code $remote_addr}.
   *
   * @param includeRealIp what the http block includes for the real-IP file: a glob or one path
   * @param guarded whether the second server uses {@code $cloudflare_edge}, which then must be
   *     defined (by the allow file) for nginx to accept the configuration
   */
  void writeConf(String address, int port, String includeRealIp, boolean guarded) {
    String d = dir.toString();
    String conf =
        "pid "
            + d
            + "/nginx.pid;\n"
            + "error_log "
            + d
            + "/error.log notice;\n"
            + "events { worker_connections 64; }\n"
            + "http {\n"
            + NginxPrefix.tempPaths(d)
            + "  log_format cfa '$request_uri $remote_addr $realip_remote_addr $status';\n"
            + "  access_log "
            + d
            + "/access.log cfa;\n"
            + "  include "
            + includeRealIp
            + ";\n"
            + "  include "
            + d
            + "/allow.d/*.conf;\n"
            + "  server {\n"
            + "    listen "
            + address
            + ":"
            + port
            + ";\n"
            + "    root "
            + d
            + "/www;\n"
            + "    location / { try_files /index.html =404; }\n"
            + "  }\n"
            + "  server {\n"
            + "    listen "
            + address
            + ":"
            + (port + 1)
            + ";\n"
            + (guarded ? "    " + NginxConfig.GUARD + "\n" : "")
            + "    root "
            + d
            + "/www;\n"
            + "    location / { try_files /index.html =404; }\n"
            + "  }\n"
            + "}\n";
    try {
      Files.writeString(conf(), conf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The include line for every file in {@code real-ip.d}. */
  String realIpGlob() {
    return dir.resolve("real-ip.d") + "/*.conf";
  }

  @Override
  public void close() {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
