package io.github.cfallowlist.adapter.fail2ban;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import io.github.cfallowlist.kit.Liveness;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The fail2ban settings, declared with their types and defaults and read from {@link
 * TargetOptions#settings()} once they have been checked.
 *
 * @param file where the {@code jail.d} drop-in lives
 * @param jails the jails whose ignore list gets Cloudflare's ranges
 * @param socket the fail2ban server's socket, through which bans are read and lifted
 * @param testCommand the command that checks fail2ban's whole configuration
 * @param reloadCommand the command that makes the server load it
 */
record Fail2banSettings(
    Path file,
    List<String> jails,
    Path socket,
    List<String> testCommand,
    List<String> reloadCommand) {

  static final String OWNER = "fail2ban";

  private static final Pattern JAIL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  static final Setting<Path> FILE =
      Setting.path(
          "fail2ban-file",
          "the jail.d drop-in that adds Cloudflare's ranges to each jail's ignoreip",
          Optional.of(Path.of("/etc/fail2ban/jail.d/cloudflare-ignoreip.local")));

  static final Setting<List<String>> JAILS =
      Setting.of(
          "fail2ban-jails",
          "JAIL,...",
          "the jails that must never ban Cloudflare, separated by commas",
          Optional.of(List.of("sshd")),
          Fail2banSettings::jails);

  static final Setting<Path> SOCKET =
      Setting.path(
          "fail2ban-socket",
          "the fail2ban server's socket, to lift bans of Cloudflare addresses",
          Optional.of(Path.of("/var/run/fail2ban/fail2ban.sock")));

  static final Setting<List<String>> TEST_COMMAND =
      Setting.command(
          "fail2ban-test-command",
          "checks fail2ban's whole configuration (no shell)",
          "fail2ban-client -t");

  static final Setting<List<String>> RELOAD_COMMAND =
      Setting.command(
          "fail2ban-reload-command",
          "makes the fail2ban server load its configuration (no shell)",
          "fail2ban-client reload");

  static final List<Setting<?>> DECLARED =
      List.of(FILE, JAILS, SOCKET, TEST_COMMAND, RELOAD_COMMAND);

  Fail2banSettings {
    jails = List.copyOf(jails);
    testCommand = List.copyOf(testCommand);
    reloadCommand = List.copyOf(reloadCommand);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key fail2ban does not declare (naming the one probably
   *     meant) or a malformed value
   */
  static Fail2banSettings of(TargetOptions options) {
    Setting.check(OWNER, DECLARED, options);
    return new Fail2banSettings(
        options.get(FILE),
        options.get(JAILS),
        options.get(SOCKET),
        options.get(TEST_COMMAND),
        options.get(RELOAD_COMMAND));
  }

  /** The jail names in {@code value}, in order, each once. */
  static List<String> jails(String value) {
    List<String> names = List.of(value.strip().split("\\s*,\\s*", -1));
    for (String name : names) {
      if (!JAIL.matcher(name).matches()) {
        throw new IllegalArgumentException("is not a list of jail names separated by commas");
      }
    }
    if (names.stream().distinct().count() != names.size()) {
      throw new IllegalArgumentException("names a jail twice");
    }
    for (String name : names) {
      if (name.equals("DEFAULT") || name.equals("INCLUDES")) {
        // A section that every jail inherits, or one that names files to read: a jail's ignoreip
        // there is not what it looks like, and fail2ban -t fails on it.
        throw new IllegalArgumentException(
            "names " + name + ", a section of fail2ban's own that is not a jail; name the jails");
      }
    }
    return names;
  }

  /** Whether {@code name} is a jail name this target writes. */
  static boolean isJail(String name) {
    return JAIL.matcher(name).matches();
  }

  /** The drop-in's name in a {@code Rendered}: its file name. */
  String name() {
    return file.getFileName().toString();
  }

  /** fail2ban as the kit sees it: its commands, and the drop-in beside which the record lives. */
  FileTarget daemon() {
    return FileTarget.of(OWNER, "fail2ban", file, testCommand, reloadCommand)
        .withErrorLine(Fail2banConfig::fail2banError)
        .withStoppedCheck(stoppedCheck());
  }

  /**
   * fail2ban is stopped when nothing answers at its socket (the reload command's {@code -s}, and
   * {@code fail2ban-socket}) and {@code fail2ban-client ping}, the reload command with {@code ping}
   * for {@code reload}, does not reach a server either (its socket may be set in fail2ban.local).
   * Only for a reload command that is {@code fail2ban-client … reload}: through docker exec or ssh,
   * the socket is elsewhere.
   */
  private FileTarget.StoppedCheck stoppedCheck() {
    int last = reloadCommand.size() - 1;
    if (!Liveness.runsItself(reloadCommand, "fail2ban-client")
        || !reloadCommand.get(last).equals("reload")) {
      return FileTarget.StoppedCheck.NEVER;
    }
    List<String> ping = new ArrayList<>(reloadCommand);
    ping.set(last, "ping");
    int at = reloadCommand.indexOf("-s");
    Optional<Path> named =
        at >= 0 && at < last ? Optional.of(Path.of(reloadCommand.get(at + 1))) : Optional.empty();
    return runner -> {
      Optional<String> dead = Liveness.byUnixSocket(named.orElse(socket));
      if (dead.isEmpty() || (named.isPresent() && Liveness.byUnixSocket(socket).isEmpty())) {
        return Optional.empty();
      }
      try {
        return runner.run(Command.read(ping)).ok() ? Optional.empty() : dead;
      } catch (IOException e) {
        return Optional.empty();
      }
    };
  }
}
