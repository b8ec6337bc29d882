package io.github.cfallowlist.cli;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.HttpOptions;
import io.github.cfallowlist.ProxySettings;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Where the ranges come from and the guards they must pass. */
final class SourceOptions {
  private static final String FILE = "file:";

  final String source;
  private final String apiUrl;
  private final List<String> textUrls;
  private final boolean jdcloud;
  private final String proxy;

  /** {@code ipv4}, {@code ipv6} or {@code both}, as given. */
  final String family;

  private final int minRanges;
  private final int shortestV4;
  private final int shortestV6;

  /** The network options typed on the command line, which only the network sources use. */
  private final List<String> typedForAnotherSource;

  private SourceOptions(CommandSpec spec) {
    typedForAnotherSource = typedForAnotherSource(spec);
    source = Declared.value(spec, "--source");
    apiUrl = Declared.value(spec, "--api-url");
    textUrls = Declared.value(spec, "--text-urls");
    jdcloud = Declared.given(spec, "--jdcloud");
    proxy = Declared.value(spec, "--proxy");
    family = Declared.value(spec, "--family");
    minRanges = Declared.value(spec, "--min-ranges");
    shortestV4 = Declared.value(spec, "--shortest-prefix-v4");
    shortestV6 = Declared.value(spec, "--shortest-prefix-v6");
  }

  /**
   * The options among {@code --api-url}, {@code --text-urls} and {@code --proxy} given on the
   * command line itself; a configuration file may name them all, as a profile for either source.
   */
  private static List<String> typedForAnotherSource(CommandSpec spec) {
    List<String> typed = new ArrayList<>();
    for (String name : List.of("--api-url", "--text-urls", "--proxy")) {
      OptionSpec option = spec.findOption(name);
      if (option != null && !option.originalStringValues().isEmpty()) {
        typed.add(name);
      }
    }
    return typed;
  }

  /** Adds the options to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.option(
                "--source",
                String.class,
                "S",
                "cloudflare (the JSON API, default), cloudflare-text (the ips-v4/ips-v6 lists),"
                    + " embedded (the list shipped in the jar), last-good (the list the last"
                    + " apply saved), or file:PATH (for an apply, a file only root or this user"
                    + " can change).")
            .defaultValue("cloudflare")
            .build());
    spec.addOption(
        Declared.option(
                "--api-url",
                String.class,
                "URL",
                "Base of the JSON API (default: ${DEFAULT-VALUE}); plain http only for loopback.")
            .defaultValue(RangeSource.DEFAULT_API_URL)
            .build());
    spec.addOption(
        Declared.listOption(
                "--text-urls",
                String.class,
                "V4URL,V6URL",
                "The two text lists for --source cloudflare-text (default: Cloudflare's ips-v4 and"
                    + " ips-v6); plain http only for loopback.")
            .splitRegex(",")
            .build());
    spec.addOption(
        Declared.flag(
            "--jdcloud", "Also use the JD Cloud China network's ranges (JSON API only)."));
    spec.addOption(
        Declared.option(
                "--proxy",
                String.class,
                "URL",
                "HTTP proxy for the fetch, http://[USER:PASSWORD@]HOST[:PORT] (port 1080 by"
                    + " default); \"\" for none. Without it, https_proxy/HTTPS_PROXY and"
                    + " http_proxy are used, as curl does; no_proxy/NO_PROXY applies to both.")
            .build());
    spec.addOption(
        Declared.option("--family", String.class, "F", "ipv4, ipv6 or both (default).")
            .defaultValue("both")
            .build());
    spec.addOption(
        Declared.option(
                "--min-ranges",
                int.class,
                "N",
                "Refuse a list with fewer ranges than this in a family in use (default: 5).")
            .defaultValue("5")
            .build());
    spec.addOption(
        Declared.option(
                "--shortest-prefix-v4",
                int.class,
                "LEN",
                "Refuse IPv4 ranges broader than this prefix length (default: 8).")
            .defaultValue("8")
            .build());
    spec.addOption(
        Declared.option(
                "--shortest-prefix-v6",
                int.class,
                "LEN",
                "Refuse IPv6 ranges broader than this prefix length (default: 16).")
            .defaultValue("16")
            .build());
  }

  /** The options as {@code spec} holds them. */
  static SourceOptions of(CommandSpec spec) {
    return new SourceOptions(spec);
  }

  Families families() {
    return Families.parse(family);
  }

  /**
   * The guards the options ask for.
   *
   * @throws IllegalArgumentException naming the option whose value is out of range
   */
  Guards guards() {
    // Checked here as well as by Guards, so the message names the option rather than the field.
    if (minRanges < 1) {
      throw new IllegalArgumentException("--min-ranges " + minRanges + " must be at least 1");
    }
    if (shortestV4 < 1 || shortestV4 > 32) {
      throw new IllegalArgumentException(
          "--shortest-prefix-v4 " + shortestV4 + " must be between 1 and 32");
    }
    if (shortestV6 < 1 || shortestV6 > 128) {
      throw new IllegalArgumentException(
          "--shortest-prefix-v6 " + shortestV6 + " must be between 1 and 128");
    }
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
    // Typed for a source this run does not use, it would be ignored without a word.
    for (String option : typedForAnotherSource) {
      String uses =
          switch (option) {
            case "--api-url" -> "cloudflare";
            case "--text-urls" -> "cloudflare-text";
            default -> source.startsWith("cloudflare") ? source : "cloudflare or cloudflare-text";
          };
      if (!uses.equals(source)) {
        throw new IllegalArgumentException(option + " works only with --source " + uses);
      }
    }
    return switch (source) {
      case "cloudflare" -> RangeSource.cloudflare(apiUrl, jdcloud, httpOptions());
      case "cloudflare-text" -> textSource();
      default -> RangeSource.parse(source, state);
    };
  }

  /**
   * As {@link #rangeSource}, for a run that changes the live system: a {@code file:} source lists
   * the addresses the apply lets in, so when the run reads it, it must be a file only root or this
   * user can change ({@link TrustedFiles#require}), and its real path is what is read. Anything
   * else there (another user's file, a missing one, a FIFO) fails the source as a missing file
   * does: only targets holding nothing get the fallback list, and the metrics count the failure.
   */
  RangeSource trustedRangeSource(StateDir state) {
    RangeSource named = rangeSource(state);
    if (file().isEmpty()) {
      return named;
    }
    return new RangeSource() {
      @Override
      public String name() {
        return named.name();
      }

      @Override
      public RawRanges fetch() throws IOException {
        // Checked when read, so a file put there after the run started is checked too.
        return RangeSource.file(trustedFile().orElseThrow()).fetch();
      }
    };
  }

  /**
   * For a {@code file:} source, its real path once {@link TrustedFiles#require} lets it pass; empty
   * for any other source.
   *
   * @throws IllegalArgumentException naming the file, or a directory above it, and what is wrong
   * @throws IOException when it is missing or not a regular file
   */
  Optional<Path> trustedFile() throws IOException {
    Optional<Path> file = file();
    return file.isEmpty()
        ? file
        : Optional.of(
            TrustedFiles.require(
                file.get(), "the source file", "it lists the addresses an apply lets in"));
  }

  /** The path of a {@code file:} source, as given; empty for any other source. */
  private Optional<Path> file() {
    return source.startsWith(FILE) && source.length() > FILE.length()
        ? Optional.of(Path.of(source.substring(FILE.length())))
        : Optional.empty();
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
