package io.github.cfallowlist.testing;

import java.nio.file.Path;
import java.util.List;

/** A file system with no room left, for one process and what it starts. */
public final class FullFileSystem {
  private FullFileSystem() {}

  /**
   * The start of an argument list that mounts a full 64 KiB tmpfs ({@code rwx------}) over {@code
   * dir}, in a mount namespace of its own, then runs the arguments that follow. Needs root.
   */
  public static List<String> over(Path dir) {
    return OwnMounts.shell(
        "mount -t tmpfs -o size=64k,mode=0700 tmpfs \"$0\" && dd if=/dev/zero of=\"$0\"/fill"
            + " bs=4k count=64 2>/dev/null; exec \"$@\"",
        dir.toString());
  }
}
