package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import io.github.cfallowlist.adapter.nginx.NginxSettings.Owned;
import io.github.cfallowlist.kit.FoundFile;
import io.github.cfallowlist.kit.Intent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the target's files; runs no command and changes nothing. nginx's live state, for this
 * target, is the files: what nginx itself has loaded cannot be read back. The one exception is a
 * change an interrupted run left unfinished ({@link Intent}): the files it names count as they were
 * before it, the last content nginx tested and loaded.
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
   * The files at the configured paths, or empty when none exists. When only one of the two exists,
   * only that one is returned, so a plan shows the other must be written. While a change is pending
   * ({@link Intent}), the files it names are returned as they were before it.
   */
  static Optional<Rendered> files(NginxSettings settings) throws IOException {
    Optional<Intent> pending = NginxIntent.read(settings);
    List<Rendered.File> files = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      Optional<FoundFile> found = FoundFile.effective(owned.path(), pending);
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
  private static String reading(FoundFile found, Kind kind) {
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
   * name. Files are read as {@link FoundFile#effective} reads them.
   */
  static List<Path> leftovers(NginxSettings settings, Optional<Intent> pending) throws IOException {
    Optional<FoundFile> realIp = FoundFile.effective(settings.realIpFile(), pending);
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
    Optional<FoundFile> found = FoundFile.effective(old, pending);
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
