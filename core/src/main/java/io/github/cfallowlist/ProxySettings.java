package io.github.cfallowlist;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import okhttp3.HttpUrl;

/**
 * Which HTTP proxy a fetch goes through, read the way curl reads it.
 *
 * <p>{@link #fromEnvironment(Map)} takes {@code https_proxy} (or {@code HTTPS_PROXY}) for https
 * URLs and {@code http_proxy} for plain http ones (only the lowercase name, as curl does: a CGI
 * request's {@code Proxy:} header arrives as {@code HTTP_PROXY}), and {@code no_proxy} (or {@code
 * NO_PROXY}) for the hosts reached directly. {@link #of(String, Map)} is an explicit proxy for both
 * schemes ({@code --proxy}); {@code no_proxy} still applies to it, and an empty URL means no proxy.
 *
 * <p>A proxy URL is {@code http://[user:password@]host[:port]} (the scheme may be left out; the
 * port defaults to 1080, as in curl); the user name and password, percent-decoded, answer a proxy's
 * request for Basic authentication. They are never shown: {@link #toString()} and every message
 * give the proxy as {@code http://host:port}.
 *
 * <p>{@code no_proxy} is a comma-separated list: {@code *} alone matches every host; a name matches
 * itself and every name under it ({@code example.com} and {@code .example.com} both match {@code
 * api.example.com}); an IP address matches that address and a CIDR such as {@code 10.0.0.0/8} every
 * address in it. Names compare case-insensitively; ports are ignored.
 */
public final class ProxySettings {
  private static final int DEFAULT_PORT = 1080;

  private final Optional<Proxy> https;
  private final Optional<Proxy> http;
  private final List<String> noProxy;

  /**
   * One proxy: where it is and the credentials it may ask for.
   *
   * @param url the proxy as shown, {@code http://host:port}, without credentials
   * @param host the proxy's host name or address
   * @param port the proxy's port
   * @param user the user name for Basic authentication, empty for none
   * @param password the password for Basic authentication
   */
  record Proxy(String url, String host, int port, String user, String password) {
    boolean hasCredentials() {
      return !user.isEmpty();
    }

    @Override
    public String toString() {
      return url;
    }
  }

  private ProxySettings(Optional<Proxy> https, Optional<Proxy> http, List<String> noProxy) {
    this.https = https;
    this.http = http;
    this.noProxy = List.copyOf(noProxy);
  }

  /**
   * No proxy: every fetch connects directly.
   *
   * @return settings without a proxy
   */
  public static ProxySettings direct() {
    return new ProxySettings(Optional.empty(), Optional.empty(), List.of());
  }

  /**
   * The proxy the environment names, as curl reads it.
   *
   * @param env the environment, such as {@code System.getenv()}
   * @return the settings; direct when no variable is set
   * @throws IllegalArgumentException when a variable holds something that is not an http proxy URL
   */
  public static ProxySettings fromEnvironment(Map<String, String> env) {
    Optional<Proxy> https =
        first(env, "https_proxy", "HTTPS_PROXY")
            .flatMap(v -> parse(v.value(), "the " + v.name() + " environment variable"));
    Optional<Proxy> http =
        first(env, "http_proxy")
            .flatMap(v -> parse(v.value(), "the " + v.name() + " environment variable"));
    return new ProxySettings(https, http, noProxy(env));
  }

  /**
   * One proxy for https and http alike, as {@code curl --proxy} takes it; {@code no_proxy} in
   * {@code env} still names the hosts reached directly.
   *
   * @param url the proxy URL; empty for no proxy at all
   * @param env the environment, for {@code no_proxy}
   * @return the settings
   * @throws IllegalArgumentException when {@code url} is not an http proxy URL
   */
  public static ProxySettings of(String url, Map<String, String> env) {
    Optional<Proxy> proxy = parse(url == null ? "" : url, "--proxy");
    return new ProxySettings(proxy, proxy, noProxy(env));
  }

  /**
   * Whether a proxy is configured for any scheme.
   *
   * @return true when some fetch would go through a proxy
   */
  public boolean isConfigured() {
    return https.isPresent() || http.isPresent();
  }

  /** The proxy for {@code url}, or empty to connect directly. */
  Optional<Proxy> forUrl(HttpUrl url) {
    Optional<Proxy> proxy = url.isHttps() ? https : http;
    return proxy.isPresent() && !bypasses(url.host()) ? proxy : Optional.empty();
  }

  /** Whether {@code no_proxy} names {@code host}. */
  boolean bypasses(String host) {
    String h = stripBrackets(host).toLowerCase(Locale.ROOT);
    IPAddress address = new IPAddressString(h).getAddress();
    for (String entry : noProxy) {
      if (entry.equals("*")) {
        return true;
      }
      IPAddress range =
          entry.chars().anyMatch(c -> c == ':' || Character.isDigit(c))
              ? new IPAddressString(entry).getAddress()
              : null;
      if (range != null) {
        if (address != null && range.contains(address)) {
          return true;
        }
        continue;
      }
      String domain = entry.startsWith(".") ? entry.substring(1) : entry;
      if (!domain.isEmpty() && (h.equals(domain) || h.endsWith("." + domain))) {
        return true;
      }
    }
    return false;
  }

  private record Var(String name, String value) {}

  private static Optional<Var> first(Map<String, String> env, String... names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return Optional.of(new Var(name, value.strip()));
      }
    }
    return Optional.empty();
  }

  private static List<String> noProxy(Map<String, String> env) {
    List<String> entries = new ArrayList<>();
    first(env, "no_proxy", "NO_PROXY")
        .ifPresent(
            v -> {
              for (String part : v.value().split(",", -1)) {
                String entry = stripBrackets(part.strip()).toLowerCase(Locale.ROOT);
                if (!entry.isEmpty()) {
                  entries.add(entry);
                }
              }
            });
    return entries;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * Parses a proxy URL. Messages never quote the URL: it may hold a password.
   *
   * @param what where the URL came from, for messages
   */
  private static Optional<Proxy> parse(String text, String what) {
    String value = text.strip();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.contains("://")) {
      value = "http://" + value;
    }
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(what + " is not a proxy URL such as http://host:3128");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      throw new IllegalArgumentException(
          what
              + " uses "
              + Printable.of(scheme)
              + "://; only an http:// proxy is supported (https and socks proxies are not)");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(what + " has no host; give it as http://host:3128");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
      throw new IllegalArgumentException(
          what + " has a path or query; a proxy URL is only http://[user:password@]host:port");
    }
    int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
    String user = "";
    String password = "";
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? "" : decode(info.substring(colon + 1));
    }
    HttpUrl shown = new HttpUrl.Builder().scheme("http").host(uri.getHost()).port(port).build();
    String url = Sources.display(shown);
    if (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    return Optional.of(new Proxy(url, shown.host(), port, user, password));
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    if (!isConfigured()) {
      return "direct";
    }
    return "https: "
        + https.map(Proxy::url).orElse("direct")
        + ", http: "
        + http.map(Proxy::url).orElse("direct")
        + (noProxy.isEmpty() ? "" : ", no_proxy: " + String.join(",", noProxy));
  }
}
