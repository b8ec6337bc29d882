package io.github.cfallowlist;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the ranges come from. A source only reads; {@link Guards#validate(RawRanges)} decides
 * whether what it read may be used.
 */
public interface RangeSource {

  /** Cloudflare's JSON API. */
  String DEFAULT_API_URL = "https://api.cloudflare.com/client/v4/ips";

  /** Cloudflare's text list of IPv4 ranges. */
  String DEFAULT_TEXT_V4_URL = "https://www.cloudflare.com/ips-v4";

  /** Cloudflare's text list of IPv6 ranges. */
  String DEFAULT_TEXT_V6_URL = "https://www.cloudflare.com/ips-v6";

  /** A short description used in headers and messages. */
  String name();

  /**
   * Reads the lists.
   *
   * @throws IOException when they cannot be fetched (network, HTTP status, timeout, size)
   * @throws RejectedRangesException when the body is not a list (HTML, bad JSON, {@code success:
   *     false}, a missing or null list)
   */
  RawRanges fetch() throws IOException;

  /** Cloudflare's JSON API with the default transport limits. */
  static RangeSource cloudflare() {
    return cloudflare(DEFAULT_API_URL, false, HttpOptions.defaults());
  }

  /**
   * Cloudflare's JSON API at {@code apiUrl}.
   *
   * @param jdcloud also fetch the JD Cloud China network's ranges ({@code ?networks=jdcloud})
   * @throws IllegalArgumentException when the URL is not https (plain http only for loopback)
   */
  static RangeSource cloudflare(String apiUrl, boolean jdcloud, HttpOptions http) {
    return Sources.cloudflareApi(apiUrl, jdcloud, http);
  }

  /** Cloudflare's text lists with the default transport limits. */
  static RangeSource cloudflareText() {
    return cloudflareText(DEFAULT_TEXT_V4_URL, DEFAULT_TEXT_V6_URL, HttpOptions.defaults());
  }

  /**
   * Text lists at {@code v4Url} and {@code v6Url}, one CIDR per line; redirects are followed.
   *
   * @throws IllegalArgumentException when a URL is not https (plain http only for loopback)
   */
  static RangeSource cloudflareText(String v4Url, String v6Url, HttpOptions http) {
    return Sources.cloudflareText(v4Url, v6Url, http);
  }

  /**
   * A file with one CIDR per line of either family; blank lines and {@code #} comments allowed. A
   * comment line {@code # etag: HEX} gives the list's etag (that of the list the file was saved
   * from); without one the list has none.
   */
  static RangeSource file(Path path) {
    return Sources.file(path);
  }

  /** The list recorded from Cloudflare's API on 2026-10-02, shipped in the jar. */
  static RangeSource embedded() {
    return Sources.embedded();
  }

  /**
   * The last good snapshot saved in {@code state}: for a run that should use it on purpose (and,
   * through {@link Fallback}, when the network is down at boot). It is validated again like any
   * other source.
   */
  static RangeSource lastGood(StateDir state) {
    return Sources.lastGood(state);
  }

  /**
   * A source that reads {@code source} once and answers every later fetch with the lists that read
   * returned: a caller that plans with it and then applies applies the list it planned, where two
   * fetches could bring two lists. A read that failed is not kept (the next fetch reads again); the
   * guards still check the lists in every run. Its name, and whether it is remote, are {@code
   * source}'s.
   *
   * @throws IllegalArgumentException when {@code source} is null
   */
  static RangeSource fetchedOnce(RangeSource source) {
    return Sources.fetchedOnce(source);
  }

  /**
   * Whether a good list from this source is saved as the last good snapshot (true for the
   * Cloudflare sources, which need the network; false for files and the embedded list).
   */
  default boolean isRemote() {
    return false;
  }

  /**
   * The source a name stands for, with the default transport: {@code cloudflare}, {@code
   * cloudflare-text}, {@code embedded}, {@code last-good} (from {@code state}) or {@code
   * file:PATH}.
   *
   * @throws IllegalArgumentException naming the accepted names when {@code spec} is none of them
   */
  static RangeSource parse(String spec, StateDir state) {
    if (spec == null) {
      throw new IllegalArgumentException("spec == null");
    }
    return switch (spec) {
      case "cloudflare" -> cloudflare();
      case "cloudflare-text" -> cloudflareText();
      case "embedded" -> embedded();
      case "last-good" -> lastGood(state);
      default -> {
        if (spec.startsWith("file:") && spec.length() > "file:".length()) {
          yield file(Path.of(spec.substring("file:".length())));
        }
        throw new IllegalArgumentException(
            "--source '"
                + Printable.of(spec)
                + "' is not one of cloudflare, cloudflare-text, embedded, last-good, file:PATH");
      }
    };
  }
}
