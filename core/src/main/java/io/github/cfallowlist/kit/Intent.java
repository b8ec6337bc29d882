package io.github.cfallowlist.kit;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The record of a change in progress: written (atomically) before any file changes, holding every
 * file the change touches as it was before, and removed only once the daemon tested and loaded the
 * new files, or once they were put back. A record still there means a run was interrupted (killed
 * while the test or reload command ran, or the machine stopped): the files may hold content the
 * daemon never tested and never loaded, so the next run must not take them for its own. {@link
 * FileApplier} writes, reads and removes it; a target reads it ({@link #read}) to show the files as
 * they were before ({@link FoundFile#effective}) and to list the unfinished change.
 *
 * <p>It lives next to the {@linkplain FileTarget#primaryFile primary file} as {@code
 * .NAME.cf-allowlist-intent}: the leading dot keeps it out of the daemons' {@code include}
 * wildcards ({@code *.conf} and {@code *} alike).
 *
 * <p>Format, one item a line after the {@code #} comment lines: {@code stage writing} or {@code
 * stage reloading} (whether the daemon may have been told to load the new files), then per file
 * {@code absent PATH}, {@code file PATH CONTENT} or {@code link PATH TARGET CONTENT}, each field
 * base64 (so any path or byte survives a line-based format).
 *
 * @param file where this record lives
 * @param daemon the daemon's name, for messages
 * @param reloading whether the interrupted run had started reloading the daemon
 * @param before every file the change touches, as it was before, by absolute normalized path
 */
public record Intent(Path file, String daemon, boolean reloading, Map<Path, Before> before) {
  /** How the record's file name ends, after {@code .} and the primary file's name. */
  public static final String SUFFIX = ".cf-allowlist-intent";

  private static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-------");
  private static final String STAGE = "stage";
  private static final String WRITING = "writing";
  private static final String RELOADING = "reloading";

  /** Copies {@code before}. */
  public Intent {
    before = Map.copyOf(before);
  }

  /**
   * One file as it was before the change.
   *
   * @param path where it lives
   * @param text its content, empty when there was no file
   * @param link what {@code path} pointed to when it was a symbolic link
   */
  public record Before(Path path, Optional<String> text, Optional<Path> link) {}

  /** Where the record for changes of {@code primaryFile} lives. */
  public static Path location(Path primaryFile) {
    return primaryFile.resolveSibling("." + primaryFile.getFileName() + SUFFIX);
  }

  /** The key {@link #before} uses for {@code path}. */
  public static Path key(Path path) {
    return path.toAbsolutePath().normalize();
  }

  /** How {@code path} was before the recorded change, when the record names it. */
  public Optional<Before> of(Path path) {
    return Optional.ofNullable(before.get(key(path)));
  }

  /**
   * The change in progress, or empty when none is recorded.
   *
   * @throws IOException when a record is there but cannot be read back as one cf-allowlist wrote
   */
  public static Optional<Intent> read(FileTarget target) throws IOException {
    Path file = location(target.primaryFile());
    String daemon = target.daemon();
    if (Files.isSymbolicLink(file)) {
      throw unreadable(file, daemon, "it is a symbolic link", null);
    }
    byte[] bytes;
    try {
      bytes = SmallFiles.readConfigBytes(file, "the record of an unfinished change");
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    String text;
    try {
      text = SmallFiles.utf8(bytes);
    } catch (CharacterCodingException e) {
      throw unreadable(file, daemon, "it is not UTF-8 text", e);
    }
    if (!FoundFile.hasHeader(text)) {
      throw unreadable(file, daemon, "it has no '" + Header.MARKER + "' line", null);
    }
    Optional<Boolean> reloading = Optional.empty();
    Map<Path, Before> before = new LinkedHashMap<>();
    int number = 0;
    for (String line : text.split("\n", -1)) {
      number++;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.split(" ", -1);
      try {
        Before b;
        switch (words[0]) {
          case STAGE -> {
            if (words.length != 2 || !(words[1].equals(WRITING) || words[1].equals(RELOADING))) {
              throw new IllegalArgumentException("unknown stage");
            }
            reloading = Optional.of(words[1].equals(RELOADING));
            continue;
          }
          case "absent" -> {
            expect(words, 2);
            b = new Before(Path.of(decode(words[1])), Optional.empty(), Optional.empty());
          }
          case "file" -> {
            expect(words, 3);
            b =
                new Before(
                    Path.of(decode(words[1])), Optional.of(decode(words[2])), Optional.empty());
          }
          case "link" -> {
            expect(words, 4);
            b =
                new Before(
                    Path.of(decode(words[1])),
                    Optional.of(decode(words[3])),
                    Optional.of(Path.of(decode(words[2]))));
          }
          default -> throw new IllegalArgumentException("unknown item");
        }
        before.put(key(b.path()), b);
      } catch (IllegalArgumentException e) {
        // Base64 and Path.of report bad input this way too.
        throw unreadable(file, daemon, "line " + number + " is not one it writes", e);
      }
    }
    if (reloading.isEmpty()) {
      throw unreadable(file, daemon, "it has no stage line", null);
    }
    return Optional.of(new Intent(file, daemon, reloading.get(), before));
  }

  private static void expect(String[] words, int count) {
    if (words.length != count) {
      throw new IllegalArgumentException("wrong number of fields");
    }
  }

  private static IOException unreadable(Path file, String daemon, String why, Throwable cause) {
    return new IOException(
        file
            + " should record "
            + article(daemon)
            + " "
            + daemon
            + " change cf-allowlist left unfinished, but "
            + why
            + "; check the "
            + daemon
            + " files it names against what "
            + daemon
            + " runs, then remove it",
        cause);
  }

  /**
   * Writes this record atomically (mode {@code 0600}: it holds copies of configuration files) and
   * flushes the directory, so the record is on disk before any file it describes changes.
   *
   * @throws NoSuchFileException when the directory does not exist (it is never created)
   */
  public void write() throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "the directory does not exist");
    }
    if (Files.isSymbolicLink(file)) {
      throw unreadable(file, daemon, "it is a symbolic link", null);
    }
    StringBuilder out = new StringBuilder();
    out.append("# ").append(Header.MARKER).append('\n');
    out.append("# ")
        .append(article(daemon).equals("an") ? "An" : "A")
        .append(' ')
        .append(daemon)
        .append(" change cf-allowlist has not finished: the files below as they were\n");
    out.append("# before it. The next cf-allowlist run finishes the change or puts them back.\n");
    out.append(STAGE).append(' ').append(reloading ? RELOADING : WRITING).append('\n');
    for (Before b : sorted()) {
      String path = encode(b.path().toString());
      if (b.text().isEmpty()) {
        out.append("absent ").append(path);
      } else if (b.link().isPresent()) {
        out.append("link ").append(path).append(' ').append(encode(b.link().get().toString()));
        out.append(' ').append(encode(b.text().get()));
      } else {
        out.append("file ").append(path).append(' ').append(encode(b.text().get()));
      }
      out.append('\n');
    }
    AtomicFiles.write(file, out.toString(), MODE);
    syncDirectory(dir);
  }

  /** The same record with {@code reloading} set. */
  public Intent reloading(boolean value) {
    return new Intent(file, daemon, value, before);
  }

  /** Removes this record: the change is finished or undone. */
  public void clear() throws IOException {
    Files.deleteIfExists(file);
    syncDirectory(file.toAbsolutePath().getParent());
  }

  private List<Before> sorted() {
    List<Before> out = new ArrayList<>(before.values());
    out.sort(Comparator.comparing((Before b) -> key(b.path())));
    return out;
  }

  /** Flushes a directory's entries (a rename is durable only then); best effort. */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      // Some file systems refuse to open or flush a directory; the rename itself is done.
    }
  }

  /** {@code a} or {@code an}, as the daemon's name is said. */
  private static String article(String daemon) {
    return !daemon.isEmpty() && "aeiou".indexOf(Character.toLowerCase(daemon.charAt(0))) >= 0
        ? "an"
        : "a";
  }

  private static String encode(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String s) {
    byte[] bytes = Base64.getDecoder().decode(s);
    try {
      return SmallFiles.utf8(bytes);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not UTF-8", e);
    }
  }
}
