package io.github.cfallowlist;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import okhttp3.Call;
import okhttp3.Credentials;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * GETs a body with the transport guards: timeouts, a size cap, retries with backoff on 5xx and
 * timeouts only, and no redirect away from https; through the proxy {@link HttpOptions#proxy()}
 * names, answering its request for Basic authentication with the credentials of its URL. Every
 * request asks the server to close the connection after answering: a list is fetched once or twice
 * a run, and a kept-alive connection that a server (an HTTP/1.0 mirror) has already closed would
 * fail the next request with "unexpected end of stream".
 */
final class HttpFetcher {
  /**
   * A body as received.
   *
   * @param text the body, decoded as UTF-8
   * @param url where it came from, as logs show it
   * @param status the HTTP status
   * @param bytes the body's size
   * @param etag the ETag header, if any
   * @param millis how long the fetch took, retries included
   */
  record Body(String text, String url, int status, long bytes, Optional<String> etag, long millis) {
    /** One line for the log: URL, status, size, the list's etag ({@code etag} when given). */
    String describe(Optional<String> listEtag) {
      return "fetched "
          + url
          + ": HTTP "
          + status
          + ", "
          + bytes
          + " bytes, etag "
          + listEtag.or(() -> etag).map(Printable::of).orElse("none")
          + ", "
          + millis
          + " ms";
    }
  }

  private static final System.Logger LOG = System.getLogger(HttpFetcher.class.getName());

  private final HttpOptions options;
  private final OkHttpClient client;

  HttpFetcher(HttpOptions options) {
    this(options, Dns.SYSTEM);
  }

  /** With {@code dns} resolving host names: tests point a name at a loopback server. */
  HttpFetcher(HttpOptions options, Dns dns) {
    this(options, dns, UnaryOperator.identity());
  }

  /** With {@code tweak} applied last: tests make the client trust their own certificate. */
  HttpFetcher(HttpOptions options, Dns dns, UnaryOperator<OkHttpClient.Builder> tweak) {
    this.options = options;
    ProxySettings proxies = options.proxy();
    OkHttpClient.Builder builder =
        new OkHttpClient.Builder()
            .dns(dns)
            .proxySelector(new Selector(proxies))
            .proxyAuthenticator(
                (route, response) -> {
                  HttpUrl url = response.request().url();
                  Optional<ProxySettings.Proxy> proxy = proxies.forUrl(url);
                  if (proxy.isEmpty()) {
                    return null;
                  }
                  ProxySettings.Proxy p = proxy.get();
                  boolean preemptive =
                      "OkHttp-Preemptive".equals(response.header("Proxy-Authenticate"));
                  if (!p.hasCredentials()) {
                    if (preemptive) {
                      return null;
                    }
                    throw new IOException(
                        "the proxy "
                            + p
                            + " asks for a user name and password (HTTP 407); give them in the"
                            + " proxy URL as http://USER:PASSWORD@host:port");
                  }
                  if (!preemptive && response.request().header("Proxy-Authorization") != null) {
                    throw new IOException(
                        "the proxy "
                            + p
                            + " refused the user name and password of its URL (HTTP 407)");
                  }
                  return response
                      .request()
                      .newBuilder()
                      .header(
                          "Proxy-Authorization",
                          Credentials.basic(p.user(), p.password(), StandardCharsets.UTF_8))
                      .build();
                })
            // Checked on every hop before its request is sent, so nothing is ever asked of a
            // plain-http host a redirect points at.
            .addNetworkInterceptor(
                chain -> {
                  HttpUrl hop = chain.request().url();
                  if (!hop.isHttps() && !Sources.isLoopback(hop.host())) {
                    throw new IOException(
                        "a redirect led to " + Sources.display(hop) + ", which is not https");
                  }
                  return chain.proceed(chain.request());
                })
            .connectTimeout(options.connectTimeout())
            .readTimeout(options.readTimeout())
            .callTimeout(options.callTimeout())
            .followRedirects(true)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false);
    this.client = tweak.apply(builder).build();
  }

  /** Picks the proxy for each URL; {@code no_proxy} hosts and unproxied schemes go direct. */
  private static final class Selector extends ProxySelector {
    private final ProxySettings proxies;

    Selector(ProxySettings proxies) {
      this.proxies = proxies;
    }

    @Override
    public List<Proxy> select(URI uri) {
      HttpUrl url = HttpUrl.get(uri.toString());
      return List.of(
          proxies
              .forUrl(url)
              .map(
                  p ->
                      new Proxy(
                          Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.host(), p.port())))
              .orElse(Proxy.NO_PROXY));
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException e) {}
  }

  Body get(HttpUrl target) throws IOException {
    String url = Sources.display(target);
    long start = System.nanoTime();
    Optional<ProxySettings.Proxy> proxy = options.proxy().forUrl(target);
    proxy.ifPresent(p -> LOG.log(Level.DEBUG, "fetching {0} through the proxy {1}", url, p));
    long backoff = options.initialBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt >= options.maxAttempts();
      Request request =
          new Request.Builder()
              .url(target)
              .header("User-Agent", "cf-allowlist")
              .header("Connection", "close")
              .get()
              .build();
      Call call = client.newCall(request);
      try (Response response = call.execute()) {
        int code = response.code();
        if (code >= 500 && !last) {
          LOG.log(Level.INFO, () -> url + " answered HTTP " + code + ", retrying");
        } else if (code >= 300) {
          throw new IOException(
              url
                  + " answered HTTP "
                  + code
                  + (attempt > 1 ? " after " + attempt + " attempts" : ""));
        } else {
          byte[] body = read(response.body(), url);
          return new Body(
              new String(body, StandardCharsets.UTF_8),
              url,
              code,
              body.length,
              Optional.ofNullable(response.header("ETag")),
              (System.nanoTime() - start) / 1_000_000);
        }
      } catch (InterruptedIOException e) {
        if (last) {
          throw new IOException(
              url + " did not answer in time (" + attempts(attempt) + "): " + e.getMessage(), e);
        }
        LOG.log(Level.INFO, () -> url + " did not answer in time, retrying");
      } catch (ConnectException | UnknownHostException e) {
        if (proxy.isPresent()) {
          throw new IOException(
              "could not reach the proxy "
                  + proxy.get()
                  + " to fetch "
                  + url
                  + ": "
                  + e.getMessage(),
              e);
        }
        throw new IOException("could not connect to " + url + ": " + why(e), e);
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting to retry " + url);
      }
      backoff *= 2;
    }
  }

  /**
   * Why a connection failed, in a few words: the client names only an address ({@code Failed to
   * connect to /127.0.0.1:1}), the innermost cause says why ("connection refused").
   */
  private static String why(IOException e) {
    if (e instanceof UnknownHostException) {
      return "its host name could not be resolved";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return Printable.message(root).toLowerCase(Locale.ROOT);
  }

  private static String attempts(int n) {
    return n == 1 ? "1 attempt" : n + " attempts";
  }

  private byte[] read(ResponseBody body, String url) throws IOException {
    long cap = options.maxBytes();
    if (body.contentLength() > cap) {
      throw new IOException(
          url + " sent " + body.contentLength() + " bytes, more than the limit of " + cap);
    }
    BufferedSource source = body.source();
    source.request(cap + 1);
    if (source.getBuffer().size() > cap) {
      throw new IOException(url + " sent more than the limit of " + cap + " bytes");
    }
    return source.getBuffer().readByteArray();
  }
}
