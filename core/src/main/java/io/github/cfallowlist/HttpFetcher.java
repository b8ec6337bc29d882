package io.github.cfallowlist;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import okhttp3.Call;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * GETs a body with the transport guards: timeouts, a size cap, retries with backoff on 5xx and
 * timeouts only, and no redirect away from https.
 */
final class HttpFetcher {
  private static final System.Logger LOG = System.getLogger(HttpFetcher.class.getName());

  private final HttpOptions options;
  private final OkHttpClient client;

  HttpFetcher(HttpOptions options) {
    this(options, Dns.SYSTEM);
  }

  /** With {@code dns} resolving host names: tests point a name at a loopback server. */
  HttpFetcher(HttpOptions options, Dns dns) {
    this.options = options;
    this.client =
        new OkHttpClient.Builder()
            .dns(dns)
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
            .retryOnConnectionFailure(false)
            .build();
  }

  String get(HttpUrl target) throws IOException {
    String url = Sources.display(target);
    long backoff = options.initialBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt >= options.maxAttempts();
      Request request =
          new Request.Builder().url(target).header("User-Agent", "cf-allowlist").get().build();
      Call call = client.newCall(request);
      try (Response response = call.execute()) {
        int code = response.code();
        if (code >= 500 && !last) {
          LOG.log(Level.INFO, "{0} answered HTTP {1}, retrying", url, code);
        } else if (code >= 300) {
          throw new IOException(
              url
                  + " answered HTTP "
                  + code
                  + (attempt > 1 ? " after " + attempt + " attempts" : ""));
        } else {
          return read(response.body(), url);
        }
      } catch (InterruptedIOException e) {
        if (last) {
          throw new IOException(
              url + " did not answer in time (" + attempts(attempt) + "): " + e.getMessage(), e);
        }
        LOG.log(Level.INFO, "{0} timed out, retrying", url);
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

  private static String attempts(int n) {
    return n == 1 ? "1 attempt" : n + " attempts";
  }

  private String read(ResponseBody body, String url) throws IOException {
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
    return source.getBuffer().readString(StandardCharsets.UTF_8);
  }
}
