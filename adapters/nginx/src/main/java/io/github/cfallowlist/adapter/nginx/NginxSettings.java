package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.TargetOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The nginx settings read from {@link TargetOptions#settings()}, checked once.
 *
 * @param realIpFile where the real-IP include lives
 * @param allowFile where the optional allow-list include lives
 * @param testCommand the command that checks nginx's whole configuration
 * @param reloadCommand the command that makes nginx load it
 */
record NginxSettings(
    Path realIpFile,
    Optional<Path> allowFile,
    List<String> testCommand,
    List<String> reloadCommand) {

  static final String FILE = "nginx-file";
  static final String ALLOW_FILE = "nginx-allow-file";
  static final String TEST_COMMAND = "nginx-test-command";
  static final String RELOAD_COMMAND = "nginx-reload-command";

  static final String DEFAULT_FILE = "/etc/nginx/conf.d/cloudflare-real-ip.conf";
  static final String DEFAULT_TEST_COMMAND = "nginx -t";
  static final String DEFAULT_RELOAD_COMMAND = "nginx -s reload";

  NginxSettings {
    allowFile.ifPresent(
        allow -> {
          if (allow.getFileName().equals(realIpFile.getFileName())) {
            // Rendered files are told apart by file name alone, so the two must differ.
            throw new IllegalArgumentException(
                FILE
                    + " ("
                    + realIpFile
                    + ") and "
                    + ALLOW_FILE
                    + " ("
                    + allow
                    + ") must have different file names");
          }
        });
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  static NginxSettings of(TargetOptions options) {
    Path realIp = path(FILE, options.setting(FILE).orElse(DEFAULT_FILE));
    Optional<Path> allow = options.setting(ALLOW_FILE).map(v -> path(ALLOW_FILE, v));
    return new NginxSettings(
        realIp,
        allow,
        words(TEST_COMMAND, options.setting(TEST_COMMAND).orElse(DEFAULT_TEST_COMMAND)),
        words(RELOAD_COMMAND, options.setting(RELOAD_COMMAND).orElse(DEFAULT_RELOAD_COMMAND)));
  }

  private static Path path(String key, String value) {
    if (value.isBlank()) {
      throw new IllegalArgumentException(key + " is blank");
    }
    Path p = Path.of(value.strip());
    if (p.getFileName() == null) {
      throw new IllegalArgumentException(key + " (" + value + ") does not name a file");
    }
    return p;
  }

  /** Splits on whitespace only: the command never reaches a shell, so there is no quoting. */
  private static List<String> words(String key, String value) {
    String stripped = value.strip();
    if (stripped.isEmpty()) {
      throw new IllegalArgumentException(key + " is blank");
    }
    return List.of(stripped.split("\\s+"));
  }

  String realIpName() {
    return realIpFile.getFileName().toString();
  }

  Optional<String> allowName() {
    return allowFile.map(p -> p.getFileName().toString());
  }

  /** The files this target owns, each with the name it has in a {@code Rendered}. */
  List<Owned> owned() {
    List<Owned> out = new ArrayList<>();
    out.add(new Owned(realIpName(), realIpFile));
    allowFile.ifPresent(p -> out.add(new Owned(p.getFileName().toString(), p)));
    return out;
  }

  /**
   * One file the target owns.
   *
   * @param name its name in a {@code Rendered}
   * @param path where it lives
   */
  record Owned(String name, Path path) {}
}
