package io.github.cfallowlist;

import java.time.Duration;

/**
 * Transport limits for the remote sources.
 *
 * @param connectTimeout time to open a connection
 * @param readTimeout longest pause between bytes
 * @param callTimeout time for a whole attempt
 * @param maxAttempts attempts in all; only 5xx answers and timeouts are retried
 * @param initialBackoff pause before the second attempt, doubled before each later one
 * @param maxBytes largest body accepted
 * @param proxy the proxy fetches go through ({@link ProxySettings#direct()} for none)
 */
public record HttpOptions(
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    int maxAttempts,
    Duration initialBackoff,
    long maxBytes,
    ProxySettings proxy) {

  /** The largest body accepted by default: 1 MiB. */
  public static final long ONE_MIB = 1024 * 1024;

  /** Checks each limit. */
  public HttpOptions {
    if (connectTimeout == null
        || readTimeout == null
        || callTimeout == null
        || initialBackoff == null) {
      throw new IllegalArgumentException("timeouts must not be null");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts (" + maxAttempts + ") must be positive");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes (" + maxBytes + ") must be positive");
    }
    if (proxy == null) {
      throw new IllegalArgumentException("proxy must not be null; ProxySettings.direct() is none");
    }
  }

  /**
   * These limits with no proxy.
   *
   * @param connectTimeout time to open a connection
   * @param readTimeout longest pause between bytes
   * @param callTimeout time for a whole attempt
   * @param maxAttempts attempts in all; only 5xx answers and timeouts are retried
   * @param initialBackoff pause before the second attempt, doubled before each later one
   * @param maxBytes largest body accepted
   */
  public HttpOptions(
      Duration connectTimeout,
      Duration readTimeout,
      Duration callTimeout,
      int maxAttempts,
      Duration initialBackoff,
      long maxBytes) {
    this(
        connectTimeout,
        readTimeout,
        callTimeout,
        maxAttempts,
        initialBackoff,
        maxBytes,
        ProxySettings.direct());
  }

  /**
   * 10 s to connect, 20 s between bytes, 60 s per attempt, 3 attempts from 1 s apart, 1 MiB, no
   * proxy.
   *
   * @return the default options
   */
  public static HttpOptions defaults() {
    return new HttpOptions(
        Duration.ofSeconds(10),
        Duration.ofSeconds(20),
        Duration.ofSeconds(60),
        3,
        Duration.ofSeconds(1),
        ONE_MIB);
  }

  /**
   * These options with other timeouts.
   *
   * @param connect time to open a connection
   * @param read longest pause between bytes
   * @param call time for a whole attempt
   * @return the new options
   */
  public HttpOptions withTimeouts(Duration connect, Duration read, Duration call) {
    return new HttpOptions(connect, read, call, maxAttempts, initialBackoff, maxBytes, proxy);
  }

  /**
   * These options with another retry policy.
   *
   * @param attempts attempts in all
   * @param backoff pause before the second attempt
   * @return the new options
   */
  public HttpOptions withRetries(int attempts, Duration backoff) {
    return new HttpOptions(
        connectTimeout, readTimeout, callTimeout, attempts, backoff, maxBytes, proxy);
  }

  /**
   * These options with another body cap.
   *
   * @param value largest body accepted, in bytes
   * @return the new options
   */
  public HttpOptions withMaxBytes(long value) {
    return new HttpOptions(
        connectTimeout, readTimeout, callTimeout, maxAttempts, initialBackoff, value, proxy);
  }

  /**
   * These options with another proxy.
   *
   * @param value the proxy, such as {@code ProxySettings.fromEnvironment(System.getenv())}
   * @return the new options
   */
  public HttpOptions withProxy(ProxySettings value) {
    return new HttpOptions(
        connectTimeout, readTimeout, callTimeout, maxAttempts, initialBackoff, maxBytes, value);
  }
}
