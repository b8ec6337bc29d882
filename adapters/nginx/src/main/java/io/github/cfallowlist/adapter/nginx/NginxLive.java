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
 * Reads the target's files as they are on disk; runs no command and changes nothing. nginx's live
 * state, for this target, is the files: what nginx itself has loaded cannot be read back.
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
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
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
   * The files at the configured paths, or empty when none exists. When only one of the two exists,
   * only that one is returned, so a plan shows the other must be written.
   */
  static Optional<Rendered> files(NginxSettings settings) throws IOException {
    List<Rendered.File> files = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      Optional<Found> found = read(owned.path());
      if (found.isPresent()) {
        files.add(new Rendered.File(owned.name(), found.get().text()));
      }
    }
    return files.isEmpty() ? Optional.empty() : Optional.of(new Rendered(files));
  }

  /**
   * Allow files an earlier run wrote that these settings no longer ask for: the one the real-IP
   * file records, when it exists, carries cf-allowlist's header and is not a file these settings
   * name.
   *
   * @throws io.github.cfallowlist.ConfigParseException when the real-IP file is not one
   *     cf-allowlist wrote
   */
  static List<Path> leftovers(NginxSettings settings) throws IOException {
    Optional<Found> realIp = read(settings.realIpFile());
    if (realIp.isEmpty() || !realIp.get().ours()) {
      return List.of();
    }
    Optional<String> recorded =
        NginxConfig.parse(settings.realIpName(), realIp.get().text(), Kind.REAL_IP).allowFile();
    if (recorded.isEmpty()) {
      return List.of();
    }
    Path old = Path.of(recorded.get());
    Optional<Found> found = read(old);
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
