package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The HAProxy settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param file the ACL file: one range per line, read by HAProxy at start
 * @param socket the runtime API socket, opened with {@code level admin}
 * @param checkCommand checks HAProxy's whole configuration, which uses the file
 */
record HaproxySettings(Path file, Path socket, List<String> checkCommand) {

  static final String OWNER = "haproxy";

  /**
   * What a path may hold: it is sent as one word on HAProxy's command line, where a space, a {@code
   * ;} or a newline would end it or start another command.
   */
  private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9._/@+,=:-]+");

  static final Setting<Path> FILE =
      safePath(
          "haproxy-file",
          "the ACL file, one range per line; use it with: acl from_cloudflare src -f PATH",
          "/etc/haproxy/cloudflare.acl");

  static final Setting<Path> SOCKET =
      safePath(
          "haproxy-socket",
          "HAProxy's runtime API socket (global section: stats socket PATH level admin)",
          "/run/haproxy/admin.sock");

  static final Setting<List<String>> CHECK_COMMAND =
      Setting.command(
          "haproxy-check-command",
          "checks HAProxy's whole configuration with the file in place (no shell)",
          "haproxy -c -f /etc/haproxy/haproxy.cfg");

  static final List<Setting<?>> DECLARED = List.of(FILE, SOCKET, CHECK_COMMAND);

  HaproxySettings {
    checkCommand = List.copyOf(checkCommand);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key HAProxy does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static HaproxySettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    return new HaproxySettings(options.get(FILE), options.get(SOCKET), options.get(CHECK_COMMAND));
  }

  /** The file's name in a {@code Rendered}. */
  String fileName() {
    return file.getFileName().toString();
  }

  private static Setting<Path> safePath(String name, String help, String defaultValue) {
    return Setting.of(
        name,
        "PATH",
        help,
        Optional.of(Path.of(defaultValue)),
        v -> {
          if (!SAFE_PATH.matcher(v).matches()) {
            throw new IllegalArgumentException(
                "is not a path HAProxy's runtime API can take (letters, digits and . _ / @ + , ="
                    + " : - only)");
          }
          Path p = Path.of(v);
          if (p.getFileName() == null) {
            throw new IllegalArgumentException("does not name a file");
          }
          if (!p.isAbsolute()) {
            // HAProxy would look for it from its own working directory, the run from another.
            throw new IllegalArgumentException("is not an absolute path");
          }
          return p;
        });
  }
}
