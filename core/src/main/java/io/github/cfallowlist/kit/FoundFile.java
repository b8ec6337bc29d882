package io.github.cfallowlist.kit;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Optional;

/**
 * One file a target owns, as found on disk (or, while a change is pending, as it was before that
 * change). Reading runs no command and changes nothing.
 *
 * @param path where it was read (a symbolic link is followed)
 * @param text its exact content; only strict UTF-8 is read, so writing it back gives the same bytes
 * @param link what {@code path} points to when it is a symbolic link
 * @param attributes its mode and owner, when the file system has them
 */
public record FoundFile(
    Path path, String text, Optional<Path> link, Optional<PosixFileAttributes> attributes) {

  /**
   * Whether cf-allowlist wrote it: it carries the generated header (see {@link #hasHeader}). A
   * target never overwrites or removes a file that does not.
   */
  public boolean ours() {
    return hasHeader(text);
  }

  /**
   * Whether {@code content} carries the header cf-allowlist writes in a {@code #}-commented file: a
   * line that, without its surrounding blanks, starts with {@code #} and holds {@link
   * Header#MARKER}.
   */
  public static boolean hasHeader(String content) {
    for (String line : content.split("\n", -1)) {
      String s = line.strip();
      if (s.startsWith("#") && s.contains(Header.MARKER)) {
        return true;
      }
    }
    return false;
  }

  /** {@code bytes} as UTF-8 text; malformed input is an error, never replaced. */
  public static String utf8(byte[] bytes) throws CharacterCodingException {
    return SmallFiles.utf8(bytes);
  }

  /**
   * The file at {@code path}, or empty when there is none.
   *
   * @throws IOException when it cannot be read, or is not UTF-8 text (so cf-allowlist did not write
   *     it)
   */
  public static Optional<FoundFile> read(Path path) throws IOException {
    byte[] bytes;
    try {
      // Another user's link is not followed (what it points to could be any file root can read),
      // and a FIFO or a device is refused unopened (it would hang the run or fill its memory).
      bytes = SmallFiles.readConfigBytes(AtomicFiles.resolveLink(path), "file");
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    String text;
    try {
      text = utf8(bytes);
    } catch (CharacterCodingException e) {
      throw new IOException(path + " is not UTF-8 text, so cf-allowlist did not write it", e);
    }
    Optional<PosixFileAttributes> attributes;
    try {
      attributes = Optional.of(Files.readAttributes(path, PosixFileAttributes.class));
    } catch (UnsupportedOperationException e) {
      attributes = Optional.empty();
    }
    Optional<Path> link =
        Files.isSymbolicLink(path) ? Optional.of(Files.readSymbolicLink(path)) : Optional.empty();
    return Optional.of(new FoundFile(path, text, link, attributes));
  }

  /**
   * The file at {@code path} as the live state counts it: while a change is {@code pending}, a file
   * it names is read as it was before that change (what the daemon last tested and loaded; the new
   * content on disk was never tested), with the mode and owner it has now; any other file as it is.
   */
  public static Optional<FoundFile> effective(Path path, Optional<Intent> pending)
      throws IOException {
    Optional<Intent.Before> recorded = pending.flatMap(p -> p.of(path));
    if (recorded.isEmpty()) {
      return read(path);
    }
    Intent.Before before = recorded.get();
    if (before.text().isEmpty()) {
      return Optional.empty();
    }
    Optional<PosixFileAttributes> attributes = Optional.empty();
    if (Files.exists(path)) {
      try {
        attributes = Optional.of(Files.readAttributes(path, PosixFileAttributes.class));
      } catch (UnsupportedOperationException e) {
        attributes = Optional.empty();
      }
    }
    return Optional.of(new FoundFile(path, before.text().get(), before.link(), attributes));
  }
}
