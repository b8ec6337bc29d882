package io.github.cfallowlist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way this library replaces a file: write a temporary file in the same directory, flush it
 * to disk, then rename it over the old one, so a reader (or a crash) sees the old content or the
 * new, never a mix. Used for the state files, rendered output and the web-server files targets own.
 */
public final class AtomicFiles {
  private static final Set<PosixFilePermission> DEFAULT_MODE =
      PosixFilePermissions.fromString("rw-r--r--");

  /** A temporary file's mode until it is complete. */
  private static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rw-------");

  private AtomicFiles() {}

  /**
   * Replaces {@code file} with {@code content}. An existing file keeps its mode, owner and group; a
   * new one gets {@code rw-r--r--}. When {@code file} is a symbolic link the link stays and its
   * target is replaced.
   */
  public static void write(Path file, String content) throws IOException {
    write(file, content, DEFAULT_MODE);
  }

  /** As {@link #write(Path, String)}, with {@code newMode} for a file that does not exist yet. */
  public static void write(Path file, String content, Set<PosixFilePermission> newMode)
      throws IOException {
    writeAt(resolveLink(file), content, newMode);
  }

  /**
   * Replaces the path {@code file} itself with {@code content}, never what a symbolic link there
   * points to: a link put in its place (between a check and this write, say) is replaced by the
   * file, and its target is not touched. Links in the directories above it are followed as {@link
   * #resolveLink} follows them (only root's and this user's). An existing regular file keeps its
   * mode, owner and group.
   */
  public static void replace(Path file, String content) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path parent = absolute.getParent();
    Path real = parent == null ? absolute : resolveLink(parent).resolve(absolute.getFileName());
    writeAt(real, content, DEFAULT_MODE);
  }

  private static void writeAt(Path real, String content, Set<PosixFilePermission> newMode)
      throws IOException {
    Path parent = real.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    boolean exists = Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> mode =
        exists ? Files.getPosixFilePermissions(real, LinkOption.NOFOLLOW_LINKS) : newMode;
    // Created and written through one descriptor, then given its mode and owner without following
    // a link at its name: in a directory another user can write, a link renamed over the temporary
    // file must not send the content, a chmod or a chown to the file it points to.
    Path tmp = null;
    try {
      for (int attempt = 0; tmp == null; attempt++) {
        Path candidate =
            parent.resolve(
                "."
                    + real.getFileName()
                    + "."
                    + (ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                    + ".tmp");
        try (FileChannel ch =
            FileChannel.open(
                candidate,
                Set.of(
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PRIVATE))) {
          tmp = candidate;
          ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          ch.force(true);
        } catch (FileAlreadyExistsException e) {
          if (attempt >= 100) {
            throw e;
          }
        }
      }
      // Set after creation: a create mode is cut by umask.
      Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setPermissions(mode);
      if (exists) {
        keepOwner(real, tmp);
      }
      try {
        Files.move(tmp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, real, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Gives {@code tmp} the owner and group of {@code real} (a file root keeps for a service). */
  private static void keepOwner(Path real, Path tmp) throws IOException {
    for (String attribute : new String[] {"unix:uid", "unix:gid"}) {
      Object want = Files.getAttribute(real, attribute, LinkOption.NOFOLLOW_LINKS);
      if (!want.equals(Files.getAttribute(tmp, attribute, LinkOption.NOFOLLOW_LINKS))) {
        Files.setAttribute(tmp, attribute, want, LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  /**
   * Where writing {@code file} should really go: the path with every symbolic link on it resolved
   * as the kernel resolves it (a link that config management placed keeps pointing where it did),
   * component by component, so that a {@code ..} in a link's target climbs from where the link
   * really is. Only links that belong to root or to the user running are followed, at the file and
   * in the directories above it: another user's link (planted in a directory others can write)
   * would send the write wherever that user chose. Components that do not exist yet are kept as
   * they are.
   *
   * @throws IOException naming the link when it belongs to another user, or for a loop of links
   */
  public static Path resolveLink(Path file) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path resolved = absolute.getRoot();
    Deque<Path> pending = new ArrayDeque<>();
    absolute.forEach(pending::addLast);
    int me = -1;
    int hops = 0;
    while (!pending.isEmpty()) {
      String name = pending.removeFirst().toString();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        // What is resolved so far holds no link, so its parent is where ".." leads.
        Path up = resolved.getParent();
        resolved = up == null ? resolved : up;
        continue;
      }
      Path next = resolved.resolve(name);
      if (!Files.isSymbolicLink(next)) {
        resolved = next;
        continue;
      }
      if (++hops > 40) {
        throw new IOException(file + " is a loop of symbolic links");
      }
      int owner = (Integer) Files.getAttribute(next, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (me < 0) {
        me = Uid.current();
      }
      if (owner != 0 && owner != me) {
        throw new IOException(
            next
                + " is a symbolic link that belongs to another user (uid "
                + owner
                + "); cf-allowlist follows only links of root's or its own user's, so remove it");
      }
      Path target = Files.readSymbolicLink(next);
      List<Path> names = new ArrayList<>();
      target.forEach(names::add);
      for (int i = names.size() - 1; i >= 0; i--) {
        pending.addFirst(names.get(i));
      }
      if (target.isAbsolute()) {
        resolved = target.getRoot();
      }
    }
    return resolved;
  }
}
