package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads what HAProxy holds: the running ACL through the runtime API and the file on disk. Runs only
 * reads.
 */
final class HaproxyLive {

  private HaproxyLive() {}

  /**
   * The live state rendered as the file would be (see {@link HaproxyConfig#live}), or empty when
   * the running ACL is empty and there is no file. When the running configuration does not load the
   * file, the file alone is the state, and {@code notUsed} is told (to warn which lines to add).
   *
   * @throws IOException when the runtime API cannot be reached, or the file exists but was not
   *     written by cf-allowlist
   */
  static Optional<Rendered> read(HaproxySettings settings, Consumer<Path> notUsed)
      throws IOException {
    Optional<String> onDisk = file(settings.file());
    try (HaproxySocket socket = HaproxySocket.open(settings.socket())) {
      HaproxyAcl acl = new HaproxyAcl(socket, settings.file());
      Optional<String> id = acl.id();
      if (id.isEmpty()) {
        notUsed.accept(settings.file());
        return onDisk.map(text -> Rendered.single(settings.fileName(), text));
      }
      List<String> entries = acl.entries(id.get());
      if (entries.isEmpty() && onDisk.isEmpty()) {
        return Optional.empty();
      }
      List<Cidr> ranges = new ArrayList<>();
      entries.forEach(e -> HaproxyConfig.canonical(e).ifPresent(ranges::add));
      RangeSnapshot running = RangeSnapshot.live(RangeSet.of(ranges), HaproxySettings.OWNER);
      String header = Header.commented(running, "# ");
      String clean = HaproxyConfig.render(running, running.ranges());
      Optional<String> differs =
          onDisk.isEmpty()
              ? Optional.of(settings.file() + " is missing")
              : body(onDisk.get()).equals(body(clean))
                  ? Optional.empty()
                  : Optional.of(settings.file() + " holds other lines");
      return Optional.of(
          Rendered.single(settings.fileName(), HaproxyConfig.live(header, entries, differs)));
    }
  }

  /** The plain words for a running configuration that does not load the file. */
  static String notUsed(Path file) {
    return "the running HAProxy does not use "
        + file
        + ": add 'acl from_cloudflare src -f "
        + file
        + "' and 'http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare' to its"
        + " frontend and reload it once; until then only the file is kept in step";
  }

  /**
   * The file's text, or empty when there is none.
   *
   * @throws IOException when it exists but cf-allowlist did not write it (it is never overwritten)
   */
  static Optional<String> file(Path path) throws IOException {
    String text;
    try {
      text = SmallFiles.readConfig(path, "the HAProxy ACL file");
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (!Header.isIn(text)) {
      throw new IOException(
          path
              + " exists and was not written by cf-allowlist (no '"
              + Header.MARKER
              + "' line): move it away or set haproxy-file to another path");
    }
    return Optional.of(text);
  }

  private static String body(String text) {
    return new Rendered.File("f", text).body();
  }
}
