package io.github.cfallowlist;

import io.github.cfallowlist.internal.Sources;
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

  /** A file with one CIDR per line of either family; blank lines and {@code #} comments allowed. */
  static RangeSource file(Path path) {
    return Sources.file(path);
  }

  /** The list recorded from Cloudflare's API on 2026-10-02, shipped in the jar. */
  static RangeSource embedded() {
    return Sources.embedded();
  }
}
