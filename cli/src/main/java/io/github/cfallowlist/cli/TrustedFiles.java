package io.github.cfallowlist.cli;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.github.cfallowlist.Printable;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Files whose content decides what a run does (the configuration file names the commands it runs; a
 * {@code file:} source lists the addresses an apply lets in): whoever can change one acts with the
 * rights of the user running cf-allowlist, so only root and that user may.
 */
final class TrustedFiles {
  /** The file type bits of a mode, and the type of a symbolic link. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFLNK = 0120000;

  private TrustedFiles() {}

  /**
   * Refuses {@code file} unless it, after symbolic links, is a regular file that belongs to root or
   * to this user and is writable by its owner alone, and so is every directory above it, except
   * that a directory with the sticky bit (such as {@code /tmp}) may be writable by everyone. A
   * missing file, a FIFO, a device or a directory is refused too: another user could put a file of
   * theirs there between this check and the reading.
   *
   * @param what what the file is, for the message ({@code configuration file})
   * @param because why it must be trusted, as a clause ({@code it names the commands …})
   * @return the file's real path, to be read: the very file that was checked, in directories only
   *     root or this user can change, so nothing can be swapped in before it is read
   * @throws java.nio.file.NoSuchFileException saying the file does not exist
   * @throws IOException naming the file when it is not a regular file or has no path (a deleted
   *     file behind {@code /dev/stdin})
   * @throws IllegalArgumentException naming the file or directory and what is wrong
   */
  static Path require(Path file, String what, String because) throws IOException {
    Path real;
    try {
      real = file.toRealPath();
    } catch (NoSuchFileException e) {
      SmallFiles.requireRegularFile(file, what);
      throw new IOException(
          what
              + " "
              + Printable.of(file.toString())
              + " is a file without a path (deleted, or open only as a descriptor), so who may"
              + " change it cannot be checked",
          e);
    }
    SmallFiles.requireRegularFile(real, what);
    checkOwners(real, what + " " + Printable.of(file.toString()), because);
    return real;
  }

  /**
   * Walks {@code real}, a path with no symbolic link on it, from the file up to the root: each must
   * belong to root or to this user and not be writable by others (a sticky directory excepted).
   * Nothing is followed: a link found on the way was swapped in after the path was resolved
   * (another user exchanging a directory of theirs for a link), and is refused.
   *
   * @param shown the file as messages name it ({@code configuration file /etc/x.toml})
   * @throws IOException when a part of the path changed while it was checked
   * @throws IllegalArgumentException naming the file or directory and what is wrong
   */
  static void checkOwners(Path real, String shown, String because) throws IOException {
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    for (Path p = real; p != null; p = p.getParent()) {
      int uid;
      int mode;
      try {
        Map<String, Object> unix = Files.readAttributes(p, "unix:uid,mode", NOFOLLOW_LINKS);
        uid = (Integer) unix.get("uid");
        mode = (Integer) unix.get("mode");
      } catch (NoSuchFileException e) {
        throw new IOException(shown + " was moved or removed while it was checked", e);
      }
      if ((mode & S_IFMT) == S_IFLNK) {
        throw new IOException(
            shown
                + " changed while it was checked: "
                + Printable.of(p.toString())
                + " became a symbolic link");
      }
      boolean isFile = p.equals(real);
      String which = isFile ? shown : "directory " + Printable.of(p.toString()) + " above " + shown;
      if (uid != 0 && uid != me) {
        throw new IllegalArgumentException(
            which
                + " belongs to another user (uid "
                + uid
                + "); "
                + because
                + ", so only root or the user that runs cf-allowlist may own it");
      }
      boolean sticky = !isFile && (mode & 01000) != 0;
      if ((mode & 022) != 0 && !sticky) {
        throw new IllegalArgumentException(
            which
                + " can be written by other users ("
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(p, NOFOLLOW_LINKS))
                + "); "
                + because
                + ": chmod go-w "
                + Printable.of(p.toString()));
      }
    }
  }
}
