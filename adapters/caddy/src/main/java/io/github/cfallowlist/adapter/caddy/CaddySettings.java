package io.github.cfallowlist.adapter.caddy;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Caddy settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param file where the Caddyfile snippet lives
 * @param testCommand the command that checks Caddy's whole configuration
 * @param reloadCommand the command that makes Caddy load it
 */
record CaddySettings(Path file, List<String> testCommand, List<String> reloadCommand) {

  static final String OWNER = "caddy";

  static final Setting<Path> FILE =
      Setting.path(
          "caddy-file",
          "the Caddyfile snippet a site block imports: CF-Connecting-IP is trusted only from the"
              + " ranges",
          Optional.of(Path.of("/etc/caddy/cloudflare-trusted-proxies.caddy")));

  static final Setting<List<String>> TEST_COMMAND =
      Setting.command(
          "caddy-test-command",
          "checks Caddy's whole configuration (no shell)",
          "caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile");

  static final Setting<List<String>> RELOAD_COMMAND =
      Setting.command(
          "caddy-reload-command",
          "makes the running Caddy load its configuration (no shell)",
          "caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile");

  static final List<Setting<?>> DECLARED = List.of(FILE, TEST_COMMAND, RELOAD_COMMAND);

  CaddySettings {
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key Caddy does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static CaddySettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    return new CaddySettings(
        options.get(FILE), options.get(TEST_COMMAND), options.get(RELOAD_COMMAND));
  }

  /** Caddy as the kit sees it: its commands, and the snippet beside which the record lives. */
  FileTarget daemon() {
    return FileTarget.of(OWNER, "caddy", file, testCommand, reloadCommand)
        .withErrorLine(CaddyConfig::caddyError)
        .withStoppedCheck(runner -> CaddyRunning.stopped(testCommand, reloadCommand, runner));
  }
}
