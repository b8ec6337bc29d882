package io.github.cfallowlist.kit;

import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The two ways a daemon says it runs that a {@link FileTarget.StoppedCheck} reads: the pid file it
 * writes, and the unix socket it listens on. Each says why the daemon is known not to run, or
 * nothing when it runs or when that cannot be told.
 */
public final class Liveness {
  private Liveness() {}

  /**
   * Whether {@code command} starts one of {@code tools} itself (by name, from any directory): a
   * check reads this host's pid files and sockets, which a command run through {@code docker exec}
   * or {@code ssh} does not reach.
   */
  public static boolean runsItself(List<String> command, String... tools) {
    String program = Path.of(command.get(0)).getFileName().toString();
    return List.of(tools).contains(program);
  }

  /**
   * That {@code pidFile} does not exist, is empty, or names no running process; empty when it names
   * one, or cannot be read, or holds something other than a pid.
   */
  public static Optional<String> byPidFile(Path pidFile) {
    if (Files.notExists(pidFile)) {
      return Optional.of("there is no " + pidFile);
    }
    String text;
    try {
      text = SmallFiles.read(pidFile, "the pid file").strip();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    if (text.isEmpty()) {
      // nginx -t leaves an empty pid file behind; a running daemon writes its pid there.
      return Optional.of(pidFile + " is empty");
    }
    if (!text.matches("[0-9]{1,10}")) {
      return Optional.empty();
    }
    long pid = Long.parseLong(text);
    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    return alive
        ? Optional.empty()
        : Optional.of("no process has the pid " + pid + " that " + pidFile + " holds");
  }

  /**
   * That nothing listens on the unix socket {@code socket}: there is no such file, or connecting is
   * refused. Empty when a connection is made, or fails otherwise (access denied).
   */
  public static Optional<String> byUnixSocket(Path socket) {
    if (Files.notExists(socket)) {
      return Optional.of("there is no " + socket);
    }
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return Optional.empty();
    } catch (ConnectException e) {
      return Optional.of("nothing answers at " + socket);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
