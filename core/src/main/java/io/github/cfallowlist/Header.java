package io.github.cfallowlist;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Properties;

/** The header every rendered file starts with, as plain lines for a target to comment out. */
public final class Header {
  /** The text that ends every header; everything after it is the configuration proper. */
  public static final String MARKER = "managed by cf-allowlist, do not edit";

  private static final String VERSION = loadVersion();

  private Header() {}

  /** This library's version, as built. */
  public static String version() {
    return VERSION;
  }

  /** The header lines for {@code snapshot}, without comment markers. */
  public static List<String> lines(RangeSnapshot snapshot) {
    return List.of(
        "cf-allowlist " + VERSION + ": Cloudflare IP ranges",
        // Escaped: a source name comes from a path or URL, and a newline in it would end the
        // comment and put the rest into the rules file.
        "source: " + Printable.of(snapshot.source()),
        "etag: " + Printable.of(snapshot.etag().orElse("none")),
        "fetched: " + DateTimeFormatter.ISO_INSTANT.format(snapshot.fetchedAt()),
        MARKER + ": changes are overwritten on the next run");
  }

  /** The header lines, each prefixed with {@code commentPrefix} and ended with a newline. */
  public static String commented(RangeSnapshot snapshot, String commentPrefix) {
    StringBuilder out = new StringBuilder();
    for (String line : lines(snapshot)) {
      out.append(commentPrefix).append(line).append('\n');
    }
    return out.toString();
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
