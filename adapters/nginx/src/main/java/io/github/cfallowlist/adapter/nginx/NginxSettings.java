package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The nginx settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param realIpFile where the real-IP include lives
 * @param allowFile where the optional allow include (the {@code geo} block) lives
 * @param testCommand the command that checks nginx's whole configuration
 * @param reloadCommand the command that makes nginx load it
 */
record NginxSettings(
    Path realIpFile,
    Optional<Path> allowFile,
    List<String> testCommand,
    List<String> reloadCommand) {

  static final String OWNER = "nginx";

  static final Setting<Path> FILE =
      Setting.path(
          "nginx-file",
          "the real-IP include: set_real_ip_from for every range and real_ip_header"
              + " CF-Connecting-IP",
          Optional.of(Path.of("/etc/nginx/conf.d/cloudflare-real-ip.conf")));

  static final Setting<Path> ALLOW_FILE =
      Setting.path(
          "nginx-allow-file",
          "also write an http-level geo block setting $cloudflare_edge to 1 for connections from"
              + " Cloudflare; guard a server with: if ($cloudflare_edge = 0) { return 403; }",
          Optional.empty());

  static final Setting<List<String>> TEST_COMMAND =
      Setting.command(
          "nginx-test-command", "checks nginx's whole configuration (no shell)", "nginx -t");

  static final Setting<List<String>> RELOAD_COMMAND =
      Setting.command(
          "nginx-reload-command",
          "makes nginx load its configuration (no shell)",
          "nginx -s reload");

  static final List<Setting<?>> DECLARED = List.of(FILE, ALLOW_FILE, TEST_COMMAND, RELOAD_COMMAND);

  NginxSettings {
    allowFile.ifPresent(
        allow -> {
          if (allow.getFileName().equals(realIpFile.getFileName())) {
            // Rendered files are told apart by file name alone, so the two must differ.
            throw new IllegalArgumentException(
                FILE.name()
                    + " ("
                    + realIpFile
                    + ") and "
                    + ALLOW_FILE.name()
                    + " ("
                    + allow
                    + ") must have different file names");
          }
        });
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key nginx does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static NginxSettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    return new NginxSettings(
        options.get(FILE),
        ALLOW_FILE.in(options),
        options.get(TEST_COMMAND),
        options.get(RELOAD_COMMAND));
  }

  String realIpName() {
    return realIpFile.getFileName().toString();
  }

  Optional<String> allowName() {
    return allowFile.map(p -> p.getFileName().toString());
  }

  /** The files these settings ask for, each with the name it has in a {@code Rendered}. */
  List<Owned> owned() {
    List<Owned> out = new ArrayList<>();
    out.add(new Owned(realIpName(), realIpFile, Kind.REAL_IP));
    allowFile.ifPresent(p -> out.add(new Owned(p.getFileName().toString(), p, Kind.ALLOW)));
    return out;
  }

  /**
   * One file the target owns.
   *
   * @param name its name in a {@code Rendered}
   * @param path where it lives
   * @param kind which of the two files it is
   */
  record Owned(String name, Path path, Kind kind) {}
}
