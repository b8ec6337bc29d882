package io.github.cfallowlist;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state directory: the last good snapshot (written atomically) and the lock that keeps runs
 * from overlapping.
 */
public final class StateDir {
  static final String LAST_GOOD = "last-good.json";
  static final String LOCK = "lock";

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
    if ("root".equals(System.getProperty("user.name"))) {
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
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
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
      throw new IOException(
          file + " is not a snapshot saved by cf-allowlist: " + e.getMessage(), e);
    }
  }

  /**
   * Saves {@code snapshot} as the last good one, atomically, and only when its ranges differ from
   * the saved ones (so a run that changes nothing writes nothing).
   *
   * @return whether the file was written
   */
  public boolean saveLastGood(RangeSnapshot snapshot) throws IOException {
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
   * Takes the run lock, waiting up to {@code timeout} for another run to release it.
   *
   * @throws CfAllowlistException naming the holder's pid when the wait runs out
   */
  public Lock lock(Duration timeout) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(LOCK);
    FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null;
        }
        if (lock != null) {
          channel.truncate(0);
          channel.write(
              ByteBuffer.wrap(
                  (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
              0);
          return new Lock(channel, lock);
        }
        if (System.nanoTime() >= deadline) {
          String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
          throw new CfAllowlistException(
              "another cf-allowlist run (pid "
                  + (holder.isEmpty() ? "unknown" : holder)
                  + ") holds the lock "
                  + file
                  + "; waited "
                  + timeout.toSeconds()
                  + " s and changed nothing");
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      channel.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock " + file, e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** A held run lock; {@link #close()} releases it. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }
}
