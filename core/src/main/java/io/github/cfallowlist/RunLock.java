package io.github.cfallowlist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The one lock per host that keeps runs that change things from overlapping, whatever state
 * directory each uses: {@code /run/cf-allowlist.lock} for root, else {@code
 * $XDG_RUNTIME_DIR/cf-allowlist.lock} (or the state directory's {@code lock}).
 *
 * <p>The file is opened without following links and must be a regular file owned by the running
 * user with a single link, so a symlink or hard link planted in a shared directory cannot make a
 * root run write into another file; the pid is written only into such a file.
 */
public final class RunLock implements AutoCloseable {
  /** The lock's mode: read and written by its owner alone. */
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Where the lock lives for this user: see the class comment. */
  public static Path defaultLocation(StateDir state) {
    if (Uid.isRoot()) {
      // Not /run/lock: anyone may create files there, and a lock file planted by another user
      // would keep every root run out.
      return Path.of("/run/cf-allowlist.lock");
    }
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isBlank()) {
      return Path.of(runtime, "cf-allowlist.lock");
    }
    return state.path().resolve("lock");
  }

  /**
   * Takes the lock at {@code file}, waiting up to {@code timeout} for another run to release it.
   *
   * @throws CfAllowlistException naming the holder's pid when the wait runs out, or when the file
   *     is a link, not a regular file, or not owned by the running user
   */
  public static RunLock acquire(Path file, Duration timeout) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent);
    }
    FileChannel channel;
    try {
      channel =
          FileChannel.open(
              file,
              Set.<OpenOption>of(
                  StandardOpenOption.CREATE,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (IOException e) {
      if (Files.isSymbolicLink(file)) {
        throw new CfAllowlistException(
            "the lock " + file + " is a symbolic link; remove it (nothing was changed)", e);
      }
      throw e;
    }
    try {
      int mode = requireOwnRegularFile(file);
      // No one else may open it: a reader could take a shared lock and keep every run out.
      if ((mode & 0777) != 0600) {
        Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setPermissions(OWNER_ONLY);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null;
        }
        if (lock != null) {
          byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
          channel.write(ByteBuffer.wrap(pid), 0);
          channel.truncate(pid.length);
          return new RunLock(channel, lock);
        }
        if (System.nanoTime() >= deadline) {
          throw new CfAllowlistException(
              "another cf-allowlist run (pid "
                  + holder(channel)
                  + ") holds the lock "
                  + file
                  + "; waited "
                  + timeout.toSeconds()
                  + " s and changed nothing");
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException | ClosedByInterruptException e) {
      // An interrupted thread's lock attempt closes the channel and says nothing more.
      channel.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock " + file, e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Checks the lock is a regular file of this user's with one link; returns its mode. */
  private static int requireOwnRegularFile(Path file) throws IOException {
    Map<String, Object> attrs =
        Files.readAttributes(file, "unix:uid,nlink,mode", LinkOption.NOFOLLOW_LINKS);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new CfAllowlistException(
          "the lock " + file + " is not a regular file; remove it (nothing was changed)");
    }
    int uid = (Integer) attrs.get("uid");
    int nlink = (Integer) attrs.get("nlink");
    int me = Uid.current();
    if (uid != me || nlink != 1) {
      throw new CfAllowlistException(
          "the lock "
              + file
              + (uid != me ? " belongs to another user" : " has other hard links")
              + "; remove it (nothing was changed)");
    }
    return (Integer) attrs.get("mode");
  }

  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    channel.read(buf, 0);
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
    return text.matches("[0-9]{1,10}") ? text : "unknown";
  }

  /** Releases the lock; the file stays, so the next run does not have to create it. */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
