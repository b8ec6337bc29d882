package io.github.cfallowlist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one way this library reads a file it is handed (a {@code file:} source, a {@code --current}
 * file, a state file): it must be a regular file (a FIFO, a device or a directory is refused before
 * it is opened, so nothing hangs or fills memory), at most {@link HttpOptions#ONE_MIB} bytes (a
 * list of ranges: at most {@link #MAX_LIST_BYTES}; a configuration rendered from one: at most
 * {@link #MAX_CONFIG_BYTES}), and UTF-8.
 */
public final class SmallFiles {
  /** The most bytes read from one file, the same cap as an HTTP body. */
  public static final long MAX_BYTES = HttpOptions.ONE_MIB;

  /**
   * The most bytes read from a file holding a list of ranges (a {@code file:} source, the last good
   * snapshot): 64 MiB, room for a million IPv6 prefixes.
   */
  public static final long MAX_LIST_BYTES = 64 * HttpOptions.ONE_MIB;

  /**
   * The most bytes read from a file holding a configuration rendered from a list (a {@code
   * --current} file, a file {@code render --output} would replace, a target's own file read back):
   * 256 MiB, room for a million ranges in any target's format. Such a file grows with the list: the
   * 1 MiB cap of {@link #MAX_BYTES} would refuse what the tool itself wrote from a list of 25,000
   * to 60,000 ranges, depending on the target.
   */
  public static final long MAX_CONFIG_BYTES = 256 * HttpOptions.ONE_MIB;

  private SmallFiles() {}

  /**
   * The text of {@code file}.
   *
   * @param what what the file is, for messages ({@code --current}, {@code the source file})
   * @throws IOException naming the path and what is wrong, never quoting its content
   */
  public static String read(Path file, String what) throws IOException {
    return read(file, what, true);
  }

  /** As {@link #read(Path, String)}; with {@code followLinks} false a symbolic link is refused. */
  public static String read(Path file, String what, boolean followLinks) throws IOException {
    return read(file, what, followLinks, MAX_BYTES);
  }

  /**
   * As {@link #read(Path, String)}, for a list of ranges: at most {@link #MAX_LIST_BYTES} bytes.
   */
  public static String readList(Path file, String what, boolean followLinks) throws IOException {
    return read(file, what, followLinks, MAX_LIST_BYTES);
  }

  /**
   * As {@link #read(Path, String)}, for a configuration rendered from a list of ranges: at most
   * {@link #MAX_CONFIG_BYTES} bytes.
   */
  public static String readConfig(Path file, String what) throws IOException {
    return read(file, what, true, MAX_CONFIG_BYTES);
  }

  /**
   * The bytes of a file a target wrote (a configuration rendered from a list of ranges, or its
   * record of a change): a regular file, links followed, of at most {@link #MAX_CONFIG_BYTES}
   * bytes, not decoded. A FIFO or a device is refused before it is opened.
   *
   * @throws NoSuchFileException when there is no such file (a dangling link included)
   * @throws IOException naming {@code what} and the file when it is a directory, not a regular
   *     file, too large or cannot be read
   */
  public static byte[] readConfigBytes(Path file, String what) throws IOException {
    return bytes(file, what, true, MAX_CONFIG_BYTES);
  }

  /** {@code bytes} as UTF-8 text; malformed input is an error, never replaced. */
  public static String utf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  private static String read(Path file, String what, boolean followLinks, long maxBytes)
      throws IOException {
    byte[] bytes = bytes(file, what, followLinks, maxBytes);
    try {
      return utf8(bytes);
    } catch (CharacterCodingException e) {
      throw new IOException(what + " " + file + " is not UTF-8 text", e);
    }
  }

  /**
   * Checks, without opening it, that {@code file} is a regular file, links followed: what every
   * reading here checks first.
   *
   * @param what what the file is, for messages ({@code the source file})
   * @throws NoSuchFileException saying {@code what} does not exist
   * @throws IOException naming {@code what} and the file when it is a directory, a FIFO or a device
   */
  public static void requireRegularFile(Path file, String what) throws IOException {
    requireKind(file, what, new LinkOption[0]);
  }

  private static byte[] bytes(Path file, String what, boolean followLinks, long maxBytes)
      throws IOException {
    LinkOption[] links =
        followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    requireKind(file, what, links);
    if (Files.size(file) > maxBytes) {
      // Refused before it is read; the limit below holds for a file that grows meanwhile.
      throw tooLarge(file, what, maxBytes);
    }
    byte[] bytes;
    try (InputStream in =
        followLinks
            ? Files.newInputStream(file, StandardOpenOption.READ)
            : Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes((int) maxBytes + 1);
    }
    if (bytes.length > maxBytes) {
      throw tooLarge(file, what, maxBytes);
    }
    return bytes;
  }

  private static void requireKind(Path file, String what, LinkOption[] links) throws IOException {
    boolean followLinks = links.length == 0;
    if (!Files.exists(file, links)) {
      if (!followLinks && Files.isSymbolicLink(file)) {
        throw new IOException(
            what + " " + file + " is a symbolic link, which is not accepted here");
      }
      throw new Missing(file, what);
    }
    if (!followLinks && Files.isSymbolicLink(file)) {
      throw new IOException(what + " " + file + " is a symbolic link, which is not accepted here");
    }
    if (Files.isDirectory(file, links)) {
      throw new IOException(what + " " + file + " is a directory, not a file");
    }
    if (!Files.isRegularFile(file, links)) {
      throw new IOException(what + " " + file + " is not a regular file (a FIFO or a device)");
    }
  }

  private static IOException tooLarge(Path file, String what, long maxBytes) {
    return new IOException(
        what + " " + file + " is larger than the limit of " + maxBytes + " bytes");
  }

  /** A missing file whose message says what the file was for. */
  private static final class Missing extends NoSuchFileException {
    private static final long serialVersionUID = 1L;

    private final String message;

    Missing(Path file, String what) {
      super(file.toString(), null, "does not exist");
      this.message = what + " " + file + " does not exist";
    }

    @Override
    public String getMessage() {
      return message;
    }
  }
}
