package io.github.cfallowlist.cli;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.HttpOptions;
import io.github.cfallowlist.ProxySettings;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Option;

/** Where the ranges come from and the guards they must pass. */
final class SourceOptions {
  @Option(
      names = "--source",
      paramLabel = "S",
      defaultValue = "cloudflare",
      description =
          "cloudflare (the JSON API, default), cloudflare-text (the ips-v4/ips-v6 lists),"
              + " embedded (the list shipped in the jar), last-good (the list the last apply"
              + " saved), or file:PATH.")
  String source;

  @Option(
      names = "--api-url",
      paramLabel = "URL",
      defaultValue = RangeSource.DEFAULT_API_URL,
      description =
          "Base of the JSON API (default: ${DEFAULT-VALUE}); plain http only for loopback.")
  String apiUrl;

  @Option(
      names = "--text-urls",
      paramLabel = "V4URL,V6URL",
      split = ",",
      description =
          "The two text lists for --source cloudflare-text (default: Cloudflare's ips-v4 and"
              + " ips-v6); plain http only for loopback.")
  List<String> textUrls;

  @Option(
      names = "--jdcloud",
      description = "Also use the JD Cloud China network's ranges (JSON API only).")
  boolean jdcloud;

  @Option(
      names = "--proxy",
      paramLabel = "URL",
      description =
          "HTTP proxy for the fetch, http://[USER:PASSWORD@]HOST[:PORT] (port 1080 by default);"
              + " \"\" for none. Without it, https_proxy/HTTPS_PROXY and http_proxy are used, as"
              + " curl does; no_proxy/NO_PROXY applies to both.")
  String proxy;

  @Option(
      names = "--family",
      paramLabel = "F",
      defaultValue = "both",
      description = "ipv4, ipv6 or both (default).")
  String family;

  @Option(
      names = "--min-ranges",
      paramLabel = "N",
      defaultValue = "5",
      description = "Refuse a list with fewer ranges than this in a family in use (default: 5).")
  int minRanges;

  @Option(
      names = "--shortest-prefix-v4",
      paramLabel = "LEN",
      defaultValue = "8",
      description = "Refuse IPv4 ranges broader than this prefix length (default: 8).")
  int shortestV4;

  @Option(
      names = "--shortest-prefix-v6",
      paramLabel = "LEN",
      defaultValue = "16",
      description = "Refuse IPv6 ranges broader than this prefix length (default: 16).")
  int shortestV6;

  Families families() {
    return Families.parse(family);
  }

  Guards guards() {
    return Guards.defaults()
        .withMinRanges(minRanges)
        .withShortestPrefixes(shortestV4, shortestV6)
        .withFamilies(families());
  }

  /** The source the options name; {@code last-good} reads {@code state}. */
  RangeSource rangeSource(StateDir state) {
    if (jdcloud && !source.equals("cloudflare")) {
      throw new IllegalArgumentException("--jdcloud works only with --source cloudflare");
    }
    return switch (source) {
      case "cloudflare" -> RangeSource.cloudflare(apiUrl, jdcloud, httpOptions());
      case "cloudflare-text" -> textSource();
      default -> RangeSource.parse(source, state);
    };
  }

  /** The transport limits with the proxy from {@code --proxy} or the environment. */
  private HttpOptions httpOptions() {
    ProxySettings proxies =
        proxy != null
            ? ProxySettings.of(proxy, System.getenv())
            : ProxySettings.fromEnvironment(System.getenv());
    return HttpOptions.defaults().withProxy(proxies);
  }

  private RangeSource textSource() {
    if (textUrls == null) {
      return RangeSource.cloudflareText(
          RangeSource.DEFAULT_TEXT_V4_URL, RangeSource.DEFAULT_TEXT_V6_URL, httpOptions());
    }
    if (textUrls.size() != 2) {
      throw new IllegalArgumentException(
          "--text-urls takes two URLs, the IPv4 list then the IPv6 list, separated by a comma");
    }
    return RangeSource.cloudflareText(textUrls.get(0), textUrls.get(1), httpOptions());
  }

  /**
   * Fetches and validates the ranges, for the commands that only show them ({@code fetch}, {@code
   * render}, {@code plan --current}); only {@code apply} saves the last good snapshot.
   */
  RangeSnapshot load(StateDir state) throws IOException {
    return guards().validate(rangeSource(state).fetch());
  }
}
