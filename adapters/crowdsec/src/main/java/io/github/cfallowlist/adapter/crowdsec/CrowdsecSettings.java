package io.github.cfallowlist.adapter.crowdsec;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The CrowdSec settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param file where the whitelist parser lives
 * @param config the configuration file the running crowdsec was started with
 * @param testCommand the command that checks CrowdSec's whole configuration
 * @param reloadCommand the command that makes the running crowdsec load it
 */
record CrowdsecSettings(
    Path file, Path config, List<String> testCommand, List<String> reloadCommand) {

  static final String OWNER = "crowdsec";

  static final Setting<Path> FILE =
      Setting.path(
          "crowdsec-file",
          "the whitelist parser holding Cloudflare's ranges, in the s02-enrich stage directory",
          Optional.of(Path.of("/etc/crowdsec/parsers/s02-enrich/cloudflare-whitelist.yaml")));

  static final Setting<Path> CONFIG =
      Setting.path(
          "crowdsec-config",
          "the configuration file crowdsec runs with, tested as 'crowdsec -c PATH -t'",
          Optional.of(Path.of("/etc/crowdsec/config.yaml")));

  static final Setting<List<String>> TEST_COMMAND =
      Setting.of(
          "crowdsec-test-command",
          "CMD",
          "checks CrowdSec's whole configuration (no shell; default: crowdsec -c"
              + " CROWDSEC-CONFIG -t)",
          Optional.empty(),
          CrowdsecSettings::words);

  static final Setting<List<String>> RELOAD_COMMAND =
      Setting.command(
          "crowdsec-reload-command",
          "makes a running crowdsec reload (SIGHUP through systemd; nothing when it is stopped; no"
              + " shell)",
          "systemctl try-reload-or-restart crowdsec");

  static final List<Setting<?>> DECLARED = List.of(FILE, CONFIG, TEST_COMMAND, RELOAD_COMMAND);

  CrowdsecSettings {
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  /**
   * The settings in {@code options}; without {@code crowdsec-test-command}, the test is {@code
   * crowdsec -c CONFIG -t}.
   *
   * @throws IllegalArgumentException for a key CrowdSec does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static CrowdsecSettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    Path config = options.get(CONFIG);
    return new CrowdsecSettings(
        options.get(FILE),
        config,
        TEST_COMMAND.in(options).orElse(List.of("crowdsec", "-c", config.toString(), "-t")),
        options.get(RELOAD_COMMAND));
  }

  private static List<String> words(String value) {
    String stripped = value.strip();
    if (stripped.isEmpty() || stripped.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("is not a command");
    }
    return List.of(stripped.split("\\s+", -1));
  }

  /** CrowdSec as the kit sees it: its commands, and the file beside which the record lives. */
  FileTarget daemon() {
    return FileTarget.of(OWNER, "crowdsec", file, testCommand, reloadCommand)
        .withErrorLine(CrowdsecConfig::crowdsecError);
  }
}
