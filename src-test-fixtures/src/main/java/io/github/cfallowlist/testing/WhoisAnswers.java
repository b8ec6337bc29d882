package io.github.cfallowlist.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Answers to {@code -i origin AS13335} in RADb's RPSL format, for {@link WhoisServer}: route and
 * route6 objects (route, descr, origin, mnt-by, created, last-modified, source) for prefixes that
 * cover every range of the embedded snapshot of 2026-10-02, plus a few more-specific ones as
 * registries hold them.
 */
public final class WhoisAnswers {
  private WhoisAnswers() {}

  /**
   * Route objects covering all 22 ranges of the embedded snapshot.
   *
   * @return the answer
   */
  public static String radb() {
    return load("radb-AS13335.txt");
  }

  /**
   * The same objects without the one for 104.24.0.0/14 (a more-specific 104.24.0.0/20 stays), so
   * that range is not covered.
   *
   * @return the answer
   */
  public static String radbWithout104_24() {
    return load("radb-AS13335-without-104.24.0.0-14.txt");
  }

  /**
   * RADb's answer when no object matches: one comment line.
   *
   * @return the answer
   */
  public static String noEntries() {
    return load("radb-no-entries.txt");
  }

  private static String load(String name) {
    try (InputStream in = WhoisAnswers.class.getResourceAsStream("whois/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing whois answer " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
