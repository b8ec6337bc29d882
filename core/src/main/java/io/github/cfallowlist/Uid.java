package io.github.cfallowlist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The user id this process runs as, for the checks of who owns a file, a link or a directory. */
final class Uid {
  private Uid() {}

  /** The running user's id: the owner of {@code /proc/self}. */
  static int current() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * Whether this process runs as root: its user id, which the JVM's {@code user.name} property (a
   * {@code -Duser.name=} in the environment's Java options) does not change.
   */
  static boolean isRoot() {
    try {
      return current() == 0;
    } catch (IOException | RuntimeException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }
}
