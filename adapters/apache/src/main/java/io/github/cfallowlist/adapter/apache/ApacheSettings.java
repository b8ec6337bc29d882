package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Apache settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param file where the mod_remoteip snippet lives
 * @param testCommand the command that checks Apache's whole configuration
 * @param reloadCommand the command that makes Apache load it
 */
record ApacheSettings(Path file, List<String> testCommand, List<String> reloadCommand) {

  static final String OWNER = "apache";

  static final Setting<Path> FILE =
      Setting.path(
          "apache-file",
          "the mod_remoteip snippet: RemoteIPHeader CF-Connecting-IP and RemoteIPTrustedProxy for"
              + " every range",
          Optional.of(Path.of("/etc/apache2/conf-available/cloudflare-remoteip.conf")));

  static final Setting<List<String>> TEST_COMMAND =
      Setting.command(
          "apache-test-command", "checks Apache's whole configuration (no shell)", "apachectl -t");

  static final Setting<List<String>> RELOAD_COMMAND =
      Setting.command(
          "apache-reload-command",
          "makes Apache load its configuration gracefully (no shell)",
          "apachectl graceful");

  static final List<Setting<?>> DECLARED = List.of(FILE, TEST_COMMAND, RELOAD_COMMAND);

  ApacheSettings {
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key Apache does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static ApacheSettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    return new ApacheSettings(
        options.get(FILE), options.get(TEST_COMMAND), options.get(RELOAD_COMMAND));
  }

  /** Apache as the kit sees it: its commands, and the snippet beside which the record lives. */
  FileTarget daemon() {
    return FileTarget.of(OWNER, "apache2", file, testCommand, reloadCommand)
        .withErrorLine(ApacheConfig::apacheError)
        .withStoppedCheck(runner -> ApacheRunning.stopped(testCommand, runner));
  }
}
