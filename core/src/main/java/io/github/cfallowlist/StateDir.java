package io.github.cfallowlist;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The state directory ({@code rwx------}, owned by the running user): the last good snapshot,
 * written atomically and read back with the same limits as any other input.
 */
public final class StateDir {
  static final String LAST_GOOD = "last-good.json";

  /** The saved whois answer for an AS: {@code whois-AS13335.json}. */
  static String whoisFile(String as) {
    return "whois-" + as + ".json";
  }

  private final Path dir;

  private StateDir(Path dir) {
    this.dir = dir;
  }

  /** The state directory at {@code dir}; nothing is created until it is written. */
  public static StateDir at(Path dir) {
    if (dir == null) {
      throw new IllegalArgumentException("dir == null");
    }
    return new StateDir(dir);
  }

  /**
   * The default location: {@code /var/lib/cf-allowlist} for root, else {@code
   * $XDG_STATE_HOME/cf-allowlist} or {@code ~/.local/state/cf-allowlist}.
   */
  public static Path defaultLocation() {
    if (Uid.isRoot()) {
      return Path.of("/var/lib/cf-allowlist");
    }
    String xdg = System.getenv("XDG_STATE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "cf-allowlist");
    }
    return Path.of(System.getProperty("user.home"), ".local", "state", "cf-allowlist");
  }

  /** The directory. */
  public Path path() {
    return dir;
  }

  /** The last snapshot saved with {@link #saveLastGood}, if any. */
  public Optional<RangeSnapshot> loadLastGood() throws IOException {
    Path file = dir.resolve(LAST_GOOD);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    checkSafe();
    String text;
    try {
      text = SmallFiles.readList(file, "the last good snapshot", false);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      Map<String, Object> map = JSON.std.mapFrom(text);
      List<Cidr> cidrs = new ArrayList<>();
      for (String key : List.of("ipv4", "ipv6")) {
        for (Object o : (List<?>) map.get(key)) {
          cidrs.add(Cidr.parse((String) o));
        }
      }
      Object etag = map.get("etag");
      return Optional.of(
          new RangeSnapshot(
              RangeSet.of(cidrs),
              (String) map.get("source"),
              Optional.ofNullable((String) etag),
              Instant.parse((String) map.get("fetched_at"))));
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + " is not a snapshot saved by cf-allowlist", e);
    }
  }

  /**
   * Saves {@code snapshot} as the last good one, atomically, and only when its ranges differ from
   * the saved ones (so a run that changes nothing writes nothing).
   *
   * @return whether the file was written
   */
  public boolean saveLastGood(RangeSnapshot snapshot) throws IOException {
    ensureSafe();
    Optional<RangeSnapshot> saved;
    try {
      saved = loadLastGood();
    } catch (IOException e) {
      saved = Optional.empty();
    }
    if (saved.isPresent()
        && saved.get().ranges().equals(snapshot.ranges())
        && saved.get().etag().equals(snapshot.etag())) {
      return false;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("source", snapshot.source());
    map.put("etag", snapshot.etag().orElse(null));
    map.put("fetched_at", snapshot.fetchedAt().toString());
    map.put("ipv4", snapshot.ranges().ipv4().stream().map(Cidr::toString).toList());
    map.put("ipv6", snapshot.ranges().ipv6().stream().map(Cidr::toString).toList());
    AtomicFiles.write(dir.resolve(LAST_GOOD), JSON.std.asString(map) + "\n");
    return true;
  }

  /**
   * The route objects saved with {@link #saveRouteObjects} for {@code as}, if any.
   *
   * @throws IOException when the file is a symbolic link, too large, or not an answer saved by
   *     cf-allowlist
   */
  Optional<RouteObjects> loadRouteObjects(String as) throws IOException {
    Path file = dir.resolve(whoisFile(as));
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    ensureSafe();
    String text;
    try {
      text = SmallFiles.read(file, "the saved whois answer", false);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      Map<String, Object> map = JSON.std.mapFrom(text);
      List<Cidr> routes = new ArrayList<>();
      for (Object o : (List<?>) map.get("routes")) {
        routes.add(Cidr.parse((String) o));
      }
      if (routes.isEmpty() || !as.equals(map.get("as"))) {
        throw new IOException("no route of " + as);
      }
      return Optional.of(
          new RouteObjects(
              as,
              (String) map.get("server"),
              Instant.parse((String) map.get("fetched_at")),
              routes));
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + " is not a whois answer saved by cf-allowlist", e);
    }
  }

  /**
   * Saves {@code routes} atomically ({@code rw-------}); a symbolic link in its place is refused.
   */
  void saveRouteObjects(RouteObjects routes) throws IOException {
    ensureSafe();
    Path file = dir.resolve(whoisFile(routes.as()));
    if (Files.isSymbolicLink(file)) {
      throw new IOException(file + " is a symbolic link, which is not accepted here");
    }
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("as", routes.as());
    map.put("server", routes.server());
    map.put("fetched_at", routes.fetchedAt().toString());
    map.put("routes", routes.routes().stream().map(Cidr::toString).toList());
    AtomicFiles.write(
        file, JSON.std.asString(map) + "\n", PosixFilePermissions.fromString("rw-------"));
  }

  /**
   * Creates the directory ({@code rwx------}) when missing, and refuses one that is a symbolic
   * link, is not a directory, belongs to another user, or can be written by other users: a file
   * planted there would be read or replaced by a root run.
   *
   * @throws CfAllowlistException naming the directory and what is wrong
   */
  public void ensureSafe() throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      try {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileSystemException e) {
        throw new CfAllowlistException(
            "cannot create the state directory "
                + dir
                + " ("
                + why(dir, e)
                + "); choose a directory this user may write with --state-dir",
            e);
      }
      return;
    }
    check(false);
  }

  /**
   * Refuses, creating and changing nothing, a state directory that exists and that a run could be
   * misled by: one {@link #ensureSafe} refuses, except that a directory of root's may be read by
   * another user. A missing one is fine: a run creates it. A dry run checks this, so that it fails
   * where the run it stands for would.
   *
   * @throws CfAllowlistException naming the directory and what is wrong
   */
  public void checkSafe() throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      check(true);
    }
  }

  private void check(boolean rootsMayBeRead) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      // A link planted in a shared directory could send a root run's files anywhere.
      throw new CfAllowlistException(
          "state directory "
              + dir
              + " is a symbolic link; give the directory's real path with --state-dir");
    }
    if (!Files.isDirectory(dir)) {
      throw new CfAllowlistException(
          "state directory " + dir + " is not a directory; choose another --state-dir");
    }
    Path real = dir.toRealPath();
    int uid = (Integer) Files.getAttribute(real, "unix:uid");
    int me = Uid.current();
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(real);
    if (uid != me && !(rootsMayBeRead && uid == 0)) {
      throw new CfAllowlistException(
          "state directory " + dir + " belongs to another user; choose another --state-dir");
    }
    if (mode.contains(PosixFilePermission.GROUP_WRITE)
        || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new CfAllowlistException(
          "state directory "
              + dir
              + " can be written by other users ("
              + PosixFilePermissions.toString(mode)
              + "); make it rwx------ (chmod 700) or choose another --state-dir");
    }
  }

  /** Why {@code dir} could not be created, in words: denied, or a file in the way. */
  private static String why(Path dir, FileSystemException e) {
    String at = e.getFile() == null ? "" : " at " + e.getFile();
    if (e instanceof AccessDeniedException) {
      return "permission denied" + at;
    }
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p) && !Files.isDirectory(p)) {
        return p + " is not a directory";
      }
    }
    return (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason()) + at;
  }
}
