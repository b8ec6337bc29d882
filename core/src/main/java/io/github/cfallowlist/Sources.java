package io.github.cfallowlist;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import io.github.cfallowlist.RawRanges.RawList;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/** The built-in sources. */
final class Sources {
  /** The logger, looked up when a record is logged (see {@link SystemCommandRunner}). */
  private static System.Logger logger() {
    return System.getLogger(Sources.class.getName());
  }

  private static final String EMBEDDED = "/io/github/cfallowlist/cloudflare-ips-2026-10-02.json";

  /** The name of every file source; the path follows it in the full name. */
  private static final String FILE = "file";

  /** The comment that gives a source file's etag. */
  private static final String ETAG = "etag:";

  private Sources() {}

  /** The JSON API source. */
  public static RangeSource cloudflareApi(String apiUrl, boolean jdcloud, HttpOptions http) {
    HttpUrl base = checkUrl(apiUrl, "API URL");
    HttpUrl url =
        jdcloud ? base.newBuilder().setQueryParameter("networks", "jdcloud").build() : base;
    String name = "Cloudflare API " + display(url);
    return new Named(
        name,
        () -> {
          HttpFetcher.Body body = new HttpFetcher(http).get(url);
          RawRanges raw = parseApiBody(body.text(), name, jdcloud, Instant.now(), display(url));
          logger().log(Level.DEBUG, () -> body.describe(raw.etag()));
          return raw;
        },
        true);
  }

  /** The text-list source. */
  public static RangeSource cloudflareText(String v4Url, String v6Url, HttpOptions http) {
    HttpUrl v4 = checkUrl(v4Url, "IPv4 list URL");
    HttpUrl v6 = checkUrl(v6Url, "IPv6 list URL");
    String name = "Cloudflare text lists " + display(v4) + " " + display(v6);
    return new Named(
        name,
        () -> {
          HttpFetcher fetcher = new HttpFetcher(http);
          List<RawList> lists =
              List.of(
                  textList(fetcher.get(v4), Optional.of(IpFamily.IPV4)),
                  textList(fetcher.get(v6), Optional.of(IpFamily.IPV6)));
          return new RawRanges(lists, name, Optional.empty(), Instant.now());
        },
        true);
  }

  /** The file source. */
  public static RangeSource file(Path path) {
    if (path == null) {
      throw new IllegalArgumentException("path == null");
    }
    String name = FILE + " " + path;
    return new Named(
        name,
        () -> {
          String text = SmallFiles.readList(path, "the source file", true);
          if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // the byte order mark some Windows editors put first
          }
          List<String> entries = new ArrayList<>();
          List<Integer> numbers = new ArrayList<>();
          Optional<String> etag = Optional.empty();
          String[] lines = text.split("\n", -1);
          for (int i = 0; i < lines.length; i++) {
            int hash = lines[i].indexOf('#');
            String entry = (hash >= 0 ? lines[i].substring(0, hash) : lines[i]).strip();
            if (!entry.isEmpty()) {
              entries.add(entry);
              numbers.add(i + 1);
            } else if (hash >= 0 && etag.isEmpty()) {
              etag = etagLine(lines[i].substring(hash + 1).strip(), path, i + 1);
            }
          }
          return new RawRanges(
              List.of(new RawList(path.toString(), Optional.empty(), entries, numbers)),
              name,
              etag,
              Files.getLastModifiedTime(path).toInstant());
        });
  }

  /**
   * The etag a comment line of a source file names ({@code # etag: 38f79d05...}), the etag of the
   * list the file was saved from, so a snapshot copied to many hosts keeps it.
   */
  private static Optional<String> etagLine(String comment, Path path, int line) {
    if (!comment.regionMatches(true, 0, ETAG, 0, ETAG.length())) {
      return Optional.empty();
    }
    String etag = comment.substring(ETAG.length()).strip();
    if (etag.isEmpty()
        || !etag.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-')
        || etag.length() > 128) {
      throw new RejectedRangesException(
          "the source file " + path + " names an etag that is not hexadecimal on line " + line);
    }
    return Optional.of(etag);
  }

  /**
   * The part of a source's name that stays the same from run to run, for rendered headers: a file
   * source is {@code file}, without the path (the same list copied elsewhere renders the same
   * bytes); every other name is already stable (a URL, the embedded snapshot's recording date).
   */
  static String stableName(String source) {
    return source.startsWith(FILE + " ") ? FILE : source;
  }

  /** The embedded snapshot. */
  public static RangeSource embedded() {
    return new Named(
        "embedded snapshot",
        () -> {
          try (InputStream in = Sources.class.getResourceAsStream(EMBEDDED)) {
            if (in == null) {
              throw new IOException(
                  "the embedded snapshot " + EMBEDDED + " is missing from the jar");
            }
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<?, ?> root = (Map<?, ?>) JsonValues.read(body);
            String text = String.valueOf(root.get("recorded_at"));
            Instant recorded = recordedAt(text);
            // The text as given: recordedAt takes only the form Instant.toString would print.
            return parseApiBody(
                root,
                "embedded snapshot recorded " + text,
                false,
                recorded,
                "the embedded snapshot");
          }
        });
  }

  /** How the embedded snapshot gives its recording time: whole seconds, UTC. */
  private static final String RECORDED =
      "([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z";

  /**
   * The embedded snapshot's {@code recorded_at} ({@code 2026-10-02T00:00:00Z}), read field by field
   * rather than with {@link Instant#parse}, whose formatter machinery costs a cold start a few
   * milliseconds (every run from the embedded snapshot reads it).
   *
   * @throws IOException when it is not a date and time of that form
   */
  static Instant recordedAt(String text) throws IOException {
    // Compiled here, not when the class loads: only a run from the embedded snapshot reads it.
    Matcher m = Pattern.compile(RECORDED).matcher(text);
    try {
      if (m.matches()) {
        return LocalDateTime.of(
                Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4)),
                Integer.parseInt(m.group(5)),
                Integer.parseInt(m.group(6)))
            .toInstant(ZoneOffset.UTC);
      }
    } catch (DateTimeException e) {
      // Out of range, such as a 13th month: refused below.
    }
    throw new IOException(
        "the embedded snapshot's recorded_at is not a UTC time such as 2026-10-02T00:00:00Z");
  }

  /** Reads the lists; may fail with an I/O error. */
  private interface Fetch {
    RawRanges get() throws IOException;
  }

  /** The last good snapshot saved in a state directory. */
  public static RangeSource lastGood(io.github.cfallowlist.StateDir state) {
    String name = "last good list in " + state.path();
    return new Named(
        name,
        () -> {
          io.github.cfallowlist.RangeSnapshot saved =
              state
                  .loadLastGood()
                  .orElseThrow(
                      () ->
                          new NoSuchFileException(
                              state.path().resolve("last-good.json").toString(),
                              null,
                              "no last good list saved yet (a run with a network source saves one)"));
          List<RawList> lists = new ArrayList<>();
          for (IpFamily family : IpFamily.values()) {
            lists.add(
                new RawList(
                    name,
                    Optional.of(family),
                    saved.ranges().get(family).stream().map(Object::toString).toList()));
          }
          return new RawRanges(lists, saved.source(), saved.etag(), saved.fetchedAt());
        });
  }

  /** A source that reads another once and keeps what it read. */
  public static RangeSource fetchedOnce(RangeSource source) {
    if (source == null) {
      throw new IllegalArgumentException("source == null");
    }
    return new Once(source);
  }

  /** {@link #fetchedOnce}: the first good read, kept. */
  private static final class Once implements RangeSource {
    private final RangeSource source;
    private RawRanges kept; // guarded by this

    Once(RangeSource source) {
      this.source = source;
    }

    @Override
    public String name() {
      return source.name();
    }

    @Override
    public boolean isRemote() {
      return source.isRemote();
    }

    @Override
    public synchronized RawRanges fetch() throws IOException {
      if (kept == null) {
        kept = source.fetch();
      }
      return kept;
    }
  }

  /** A source made of its name and how it fetches. */
  private record Named(String name, Fetch reader, boolean isRemote) implements RangeSource {
    Named(String name, Fetch reader) {
      this(name, reader, false);
    }

    @Override
    public RawRanges fetch() throws IOException {
      return reader.get();
    }
  }

  /**
   * Parses a body of Cloudflare's JSON API.
   *
   * @throws RejectedRangesException when it is not a successful answer with string lists
   */
  public static RawRanges parseApiBody(
      String body, String source, boolean jdcloud, Instant fetchedAt, String where) {
    Object parsed;
    try {
      parsed = JsonValues.read(body);
    } catch (IOException | RuntimeException e) {
      throw new RejectedRangesException(
          where + " did not answer with JSON (" + describe(body) + "); nothing was changed", e);
    }
    return parseApiBody(parsed, source, jdcloud, fetchedAt, where);
  }

  private static RawRanges parseApiBody(
      Object parsed, String source, boolean jdcloud, Instant fetchedAt, String where) {
    if (!(parsed instanceof Map<?, ?> root)) {
      throw new RejectedRangesException(where + " answered with JSON that is not an object");
    }
    if (!Boolean.TRUE.equals(root.get("success"))) {
      throw new RejectedRangesException(
          where
              + " answered success: "
              + Printable.of(String.valueOf(root.get("success")))
              + errors(root.get("errors")));
    }
    if (!(root.get("result") instanceof Map<?, ?> result)) {
      throw new RejectedRangesException(where + " answered without a result object");
    }
    List<RawList> lists = new ArrayList<>();
    lists.add(
        new RawList(
            "ipv4_cidrs", Optional.of(IpFamily.IPV4), strings(result, "ipv4_cidrs", where)));
    lists.add(
        new RawList(
            "ipv6_cidrs", Optional.of(IpFamily.IPV6), strings(result, "ipv6_cidrs", where)));
    if (jdcloud) {
      lists.add(
          new RawList("jdcloud_cidrs", Optional.empty(), strings(result, "jdcloud_cidrs", where)));
    }
    Optional<String> etag =
        result.get("etag") instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    etag.ifPresent(
        e -> {
          if (!e.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-')) {
            throw new RejectedRangesException(where + " answered an etag that is not hexadecimal");
          }
        });
    return new RawRanges(lists, source, etag, fetchedAt);
  }

  private static List<String> strings(Map<?, ?> result, String key, String where) {
    Object value = result.get(key);
    if (value == null) {
      throw new RejectedRangesException(
          where + " answered " + (result.containsKey(key) ? "null for " : "no ") + key);
    }
    if (!(value instanceof List<?> list)) {
      throw new RejectedRangesException(where + " answered " + key + " that is not a list");
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw new RejectedRangesException(
            where
                + " answered "
                + key
                + " with an entry that is not a string: "
                + Printable.of(String.valueOf(o)));
      }
      out.add(s);
    }
    return out;
  }

  private static String errors(Object errors) {
    if (errors instanceof List<?> list && !list.isEmpty()) {
      List<String> messages = new ArrayList<>();
      for (Object e : list) {
        messages.add(
            e instanceof Map<?, ?> m && m.get("message") != null
                ? String.valueOf(m.get("message"))
                : String.valueOf(e));
      }
      return " (" + AddressParsing.printable(String.join("; ", messages)) + ")";
    }
    return "";
  }

  private static RawList textList(HttpFetcher.Body body, Optional<IpFamily> family) {
    RawList list = textList(body.text(), body.url(), family);
    logger().log(Level.DEBUG, () -> body.describe(Optional.empty()));
    return list;
  }

  /**
   * Splits a text list into lines: a missing final newline is fine, but each line must hold one
   * entry.
   */
  static RawList textList(String body, String where, Optional<IpFamily> family) {
    String head = body.stripLeading();
    if (head.startsWith("<")) {
      throw new RejectedRangesException(
          where + " answered an HTML page (" + describe(body) + "), not a list of CIDRs");
    }
    List<String> entries = new ArrayList<>();
    List<Integer> numbers = new ArrayList<>();
    String[] lines = body.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line =
          lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      if (line.isEmpty()) {
        continue;
      }
      entries.add(line);
      numbers.add(i + 1);
    }
    return new RawList(where, family, entries, numbers);
  }

  private static String describe(String body) {
    String start = body.stripLeading();
    if (start.isEmpty()) {
      return "the body is empty";
    }
    if (start.startsWith("<")) {
      return "it starts with '"
          + AddressParsing.printable(start.substring(0, Math.min(30, start.length())))
          + "', an HTML page such as a bot challenge";
    }
    return "it starts with '"
        + AddressParsing.printable(start.substring(0, Math.min(30, start.length())))
        + "'";
  }

  /** Parses a URL and allows plain http only to a loopback address. */
  static HttpUrl checkUrl(String text, String what) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    HttpUrl url = HttpUrl.parse(text);
    if (url == null) {
      // Not quoted: a mistyped URL may still hold a password.
      throw new IllegalArgumentException(what + " is not an http(s) URL");
    }
    if (!url.isHttps() && !isLoopback(url.host())) {
      throw new IllegalArgumentException(
          what
              + " "
              + display(url)
              + " must use https; plain http is accepted only for a loopback address");
    }
    return url;
  }

  /**
   * {@code url} as messages, headers and logs show it: without user name and password, and with a
   * query string (which may hold a token) replaced, except the JD Cloud switch.
   */
  static String display(HttpUrl url) {
    HttpUrl.Builder b = url.newBuilder().username("").password("").fragment(null);
    String query = url.encodedQuery();
    if (query != null && !query.equals("networks=jdcloud")) {
      b.encodedQuery("REDACTED");
    }
    return b.build().toString();
  }

  static boolean isLoopback(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    IPAddress address = new IPAddressString(host).getAddress();
    return address != null && address.isLoopback();
  }
}
