package io.github.cfallowlist;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The header every rendered file starts with, as plain lines for a target to comment out.
 *
 * <p>It is a function of the list only: the tool's name, the source's stable name, the list's etag
 * (or, when the source has none, a SHA-256 digest of the ranges) and the {@link #MARKER} line. The
 * fetch time, a source file's path or modification time and this library's version stay out, so the
 * same list always renders the same bytes; they belong in JSON output and logs. Files written with
 * older headers (which held a version and a {@code fetched:} line) are still read: parsers look
 * only for the marker.
 */
public final class Header {
  /** The text that ends every header; everything after it is the configuration proper. */
  public static final String MARKER = "managed by cf-allowlist, do not edit";

  private static final String VERSION = loadVersion();

  /** The last list {@link #digest} hashed, and its digest. */
  private static final AtomicReference<Digested> LAST = new AtomicReference<>();

  private record Digested(RangeSet ranges, String hex) {}

  private Header() {}

  /** This library's version, as built. */
  public static String version() {
    return VERSION;
  }

  /** The header lines for {@code snapshot}, without comment markers. */
  public static List<String> lines(RangeSnapshot snapshot) {
    return List.of(
        "cf-allowlist: Cloudflare IP ranges",
        // Escaped: a source name may come from a URL, and a newline in it would end the comment
        // and put the rest into the rules file.
        "source: " + Printable.of(Sources.stableName(snapshot.source())),
        snapshot
            .etag()
            .map(etag -> "etag: " + Printable.of(etag))
            .orElseGet(() -> identity(snapshot)),
        MARKER + ": changes are overwritten on the next run");
  }

  /**
   * What names a list without an etag: its digest, except for a reading of the live system, whose
   * ranges the configuration below the header holds already (plans and diffs leave the header out,
   * and a start-up spent loading the JDK's digest providers buys nothing there).
   */
  private static String identity(RangeSnapshot snapshot) {
    return snapshot.isLive() ? "read from the live system" : "sha256: " + digest(snapshot.ranges());
  }

  /** The header lines, each prefixed with {@code commentPrefix} and ended with a newline. */
  public static String commented(RangeSnapshot snapshot, String commentPrefix) {
    StringBuilder out = new StringBuilder();
    for (String line : lines(snapshot)) {
      out.append(commentPrefix).append(line).append('\n');
    }
    return out.toString();
  }

  /**
   * Whether {@code content} carries a header cf-allowlist wrote (this one or an older one): a line
   * holding {@link #MARKER}.
   */
  public static boolean isIn(String content) {
    return content.lines().anyMatch(line -> line.contains(MARKER));
  }

  /**
   * SHA-256 of the ranges, one per line, IPv4 then IPv6, in lower-case hex.
   *
   * <p>A run renders the same list several times (its plan, the plan that verifies the apply, the
   * reading of what it applied), and hashing a large list costs more than comparing it: the last
   * list hashed is kept with its digest.
   */
  static String digest(RangeSet ranges) {
    Digested last = LAST.get();
    if (last != null && last.ranges().equals(ranges)) {
      return last.hex();
    }
    String hex = sha256(ranges);
    LAST.set(new Digested(ranges, hex));
    return hex;
  }

  private static String sha256(RangeSet ranges) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
    // Each range's text goes straight into a buffer the digest reads: a large list is not built
    // into one string first.
    byte[] buffer = new byte[8192];
    int at = 0;
    for (Cidr cidr : ranges.all()) {
      if (at > buffer.length - Cidr.MAX_TEXT - 1) {
        sha256.update(buffer, 0, at);
        at = 0;
      }
      at = cidr.writeText(buffer, at);
      buffer[at++] = '\n';
    }
    sha256.update(buffer, 0, at);
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static String loadVersion() {
    try (InputStream in = Header.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
