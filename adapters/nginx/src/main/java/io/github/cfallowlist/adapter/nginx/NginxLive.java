package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import io.github.cfallowlist.adapter.nginx.NginxSettings.Owned;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the target's files; runs no command and changes nothing. nginx's live state, for this
 * target, is the files: what nginx itself has loaded cannot be read back. The one exception is a
 * change an interrupted run left unfinished ({@link NginxIntent}): the files it names count as they
 * were before it, the last content nginx tested and loaded.
 *
 * <p>A file that carries cf-allowlist's header is returned as {@link NginxConfig#live} shows it:
 * each line cf-allowlist did not write (drift) becomes a comment that says apply replaces it. The
 * engine reads such a reading with {@link NginxTarget#parseLive}, which accepts those comments,
 * while {@link NginxTarget#parse} refuses them in a file given for review, a hand edit like any
 * other.
 */
final class NginxLive {
  private NginxLive() {}

  /**
   * One file as found.
   *
   * @param path where it was read (a symbolic link is followed)
   * @param text its exact content; only strict UTF-8 is read, so writing it back gives the same
   *     bytes
   * @param link what {@code path} points to when it is a symbolic link
   * @param attributes its mode and owner, when the file system has them
   */
  record Found(
      Path path, String text, Optional<Path> link, Optional<PosixFileAttributes> attributes) {

    /** Whether cf-allowlist wrote it (it carries the generated header). */
    boolean ours() {
      return NginxConfig.hasMarker(text);
    }
  }

  /** {@code bytes} as UTF-8 text; malformed input is an error, never replaced. */
  static String utf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  /** The file at {@code path}, or empty when there is none. */
  static Optional<Found> read(Path path) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
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
    return Optional.of(new Found(path, text, link, attributes));
  }

  /**
   * The file at {@code path} as the live state counts it: while a change is {@code pending}, a file
   * it names is read as it was before that change (what nginx last tested and loaded; the new
   * content on disk was never tested), with the mode and owner it has now; any other file as it is.
   */
  static Optional<Found> effective(Path path, Optional<NginxIntent> pending) throws IOException {
    Optional<NginxIntent.Before> recorded = pending.flatMap(p -> p.of(path));
    if (recorded.isEmpty()) {
      return read(path);
    }
    NginxIntent.Before before = recorded.get();
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
    return Optional.of(new Found(path, before.text().get(), before.link(), attributes));
  }

  /**
   * The files at the configured paths, or empty when none exists. When only one of the two exists,
   * only that one is returned, so a plan shows the other must be written. While a change is pending
   * ({@link NginxIntent}), the files it names are returned as they were before it.
   */
  static Optional<Rendered> files(NginxSettings settings) throws IOException {
    Optional<NginxIntent> pending = NginxIntent.read(settings);
    List<Rendered.File> files = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      Optional<Found> found = effective(owned.path(), pending);
      if (found.isPresent()) {
        files.add(new Rendered.File(owned.name(), reading(found.get(), owned.kind())));
      }
    }
    return files.isEmpty() ? Optional.empty() : Optional.of(new Rendered(files));
  }

  /**
   * {@code found} as the live state shows it: a file cf-allowlist wrote with every line it did not
   * write marked as drift; any other file as it is, which {@link NginxTarget#parse} refuses.
   */
  private static String reading(Found found, Kind kind) {
    if (!found.ours()) {
      return found.text();
    }
    return NginxConfig.live(found.path().toString(), found.text(), kind);
  }

  /** As {@link #leftovers(NginxSettings, Optional)} with the change pending now, if any. */
  static List<Path> leftovers(NginxSettings settings) throws IOException {
    return leftovers(settings, NginxIntent.read(settings));
  }

  /**
   * Allow files an earlier run wrote that these settings no longer ask for: the one the real-IP
   * file records, when it exists, carries cf-allowlist's header and is not a file these settings
   * name. Files are read as {@link #effective} reads them.
   */
  static List<Path> leftovers(NginxSettings settings, Optional<NginxIntent> pending)
      throws IOException {
    Optional<Found> realIp = effective(settings.realIpFile(), pending);
    if (realIp.isEmpty() || !realIp.get().ours()) {
      return List.of();
    }
    // A hand-edited file still names the allow file an earlier run wrote.
    String name = settings.realIpName();
    Optional<String> recorded =
        NginxConfig.parseLive(
                name, NginxConfig.live(name, realIp.get().text(), Kind.REAL_IP), Kind.REAL_IP)
            .allowFile();
    if (recorded.isEmpty()) {
      return List.of();
    }
    Path old = Path.of(recorded.get());
    Optional<Found> found = effective(old, pending);
    if (found.isEmpty() || !found.get().ours()) {
      return List.of();
    }
    for (Owned owned : settings.owned()) {
      if (sameFile(old, owned.path())) {
        return List.of();
      }
    }
    return List.of(old);
  }

  private static boolean sameFile(Path a, Path b) throws IOException {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    return Files.exists(a, LinkOption.NOFOLLOW_LINKS)
        && Files.exists(b, LinkOption.NOFOLLOW_LINKS)
        && Files.isSameFile(a, b);
  }
}
