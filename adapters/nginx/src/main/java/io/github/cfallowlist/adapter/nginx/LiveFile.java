package io.github.cfallowlist.adapter.nginx;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * One of the target's files as found on disk: its exact bytes and its owner and mode, kept so that
 * a failed apply can put it back byte for byte.
 */
final class LiveFile {
  private static final System.Logger LOG = System.getLogger(LiveFile.class.getName());

  /** nginx reads its configuration as root, but {@code rw-r--r--} is what packages install. */
  static final Set<PosixFilePermission> DEFAULT_MODE = PosixFilePermissions.fromString("rw-r--r--");

  private final Path path;
  private final byte[] bytes;
  private final Optional<PosixFileAttributes> attributes;

  private LiveFile(Path path, byte[] bytes, Optional<PosixFileAttributes> attributes) {
    this.path = path;
    this.bytes = bytes;
    this.attributes = attributes;
  }

  /** The file at {@code path}, or empty when there is none. */
  static Optional<LiveFile> read(Path path) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Optional<PosixFileAttributes> attributes;
    try {
      attributes = Optional.of(Files.readAttributes(path, PosixFileAttributes.class));
    } catch (UnsupportedOperationException e) {
      attributes = Optional.empty();
    }
    return Optional.of(new LiveFile(path, bytes, attributes));
  }

  Path path() {
    return path;
  }

  /** The content as text. */
  String text() throws IOException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IOException(path + " is not UTF-8 text, so cf-allowlist did not write it", e);
    }
  }

  boolean holds(String content) {
    return Arrays.equals(bytes, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes this file's original bytes, owner and mode back in place. */
  void restore() throws IOException {
    write(path, bytes, Optional.of(this));
  }

  /**
   * Replaces {@code path} with {@code content} through a temporary file in the same directory and
   * an atomic rename, so nginx never reads half a file. The mode and owner of {@code like} are
   * kept; a new file gets {@code rw-r--r--}.
   */
  static void write(Path path, String content, Optional<LiveFile> like) throws IOException {
    write(path, content.getBytes(StandardCharsets.UTF_8), like);
  }

  private static void write(Path path, byte[] content, Optional<LiveFile> like) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(
          dir.toString(), null, "the directory for " + path + " does not exist");
    }
    // A dot name ending in .tmp never matches an "include conf.d/*.conf" glob.
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(content));
        ch.force(true);
      }
      Optional<PosixFileAttributes> attrs = like.flatMap(l -> l.attributes);
      // Set explicitly: the mode given at creation would be cut by the umask.
      Files.setPosixFilePermissions(
          tmp, attrs.map(PosixFileAttributes::permissions).orElse(DEFAULT_MODE));
      if (attrs.isPresent()) {
        keepOwner(tmp, attrs.get().owner(), attrs.get().group());
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void keepOwner(Path tmp, UserPrincipal owner, GroupPrincipal group) {
    PosixFileAttributeView view =
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    try {
      view.setOwner(owner);
      view.setGroup(group);
    } catch (IOException e) {
      // Only root may give a file away; nginx reads its configuration as root in any case.
      LOG.log(Level.WARNING, "cannot keep the owner of {0}: {1}", tmp, e.getMessage());
    }
  }
}
