package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.testing.OwnMounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A scratch copy of the host's {@code /etc/firewalld} that commands see in its place: each runs
 * under {@code unshare --mount} with the copy bind-mounted over {@code /etc/firewalld} (and a tmpfs
 * over {@code /run} and {@code /var/log}), so {@code firewall-offline-cmd} can never write the
 * host's configuration.
 */
final class OfflineConfig implements AutoCloseable {
  private final Path dir;

  OfflineConfig() {
    try {
      dir = Files.createTempDirectory("cf-allowlist-offline");
      FirewalldSandbox.copyTree(Path.of("/etc/firewalld"), dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path dir() {
    return dir;
  }

  /** Writes {@code content} to {@code name} relative to the scratch configuration. */
  void write(String name, String content) {
    try {
      Path p = dir.resolve(name);
      Files.createDirectories(p.getParent());
      Files.writeString(p, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs each command with the scratch copy mounted over {@code /etc/firewalld}. */
  CommandRunner runner() {
    // The script takes the directory and the command as positional parameters: nothing is
    // interpolated into shell text.
    String script =
        "mount -t tmpfs cf-allowlist-run /run && mount -t tmpfs cf-allowlist-log /var/log"
            + " && mount --bind \"$0\" /etc/firewalld && exec \"$@\"";
    return command -> {
      List<String> argv = new ArrayList<>(OwnMounts.shell(script, dir.toString()));
      argv.addAll(command.argv());
      return CommandRunner.system()
          .run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
    };
  }

  /** The files of the scratch configuration without firewalld's {@code .old} backups. */
  Map<String, String> files() {
    return FirewalldSandbox.configFiles(dir);
  }

  @Override
  public void close() {
    FirewalldSandbox.deleteTree(dir);
  }
}
