package io.github.cfallowlist;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A check that a fetched list really is the network's own: every range must be equal to or inside a
 * route object that a route registry holds for the AS (Cloudflare's is AS13335). The registry is
 * asked over whois ({@code -i origin AS13335}); its answer is kept in the state directory and used
 * again while younger than {@link #CACHE_MAX_AGE}.
 *
 * <pre>{@code
 * Run.builder()
 *     .source(RangeSource.cloudflare())
 *     .target(Targets.byName("nftables"))
 *     .originCheck(OriginCheck.of("AS13335"))
 *     .build()
 *     .execute();
 * }</pre>
 *
 * <p>A range no route object covers refuses the whole list. A registry that cannot be asked (no
 * connection, no answer in time, an answer that is not RPSL or holds no route object) refuses it
 * too, unless the check is {@link #optional()}: then the list is used and a warning says why it was
 * not checked.
 *
 * @param asn the AS number, 1 to 4294967295
 * @param host the registry's host name or address
 * @param port the registry's whois port
 * @param optional whether a registry that cannot be asked is only a warning
 * @param timeout how long to wait for the connection, and then for each part of the answer
 */
public record OriginCheck(long asn, String host, int port, boolean optional, Duration timeout) {
  /** The registry asked by default: RADb, which mirrors the other IRR databases. */
  public static final String DEFAULT_SERVER = "whois.radb.net";

  /** The whois port. */
  public static final int DEFAULT_PORT = 43;

  /** How long a saved answer is used before the registry is asked again. */
  public static final Duration CACHE_MAX_AGE = Duration.ofHours(24);

  private static final System.Logger LOG = System.getLogger(OriginCheck.class.getName());
  private static final long MAX_ASN = 4_294_967_295L;

  /** Checks every component. */
  public OriginCheck {
    if (asn < 1 || asn > MAX_ASN) {
      throw new IllegalArgumentException("AS number " + asn + " is not between 1 and " + MAX_ASN);
    }
    if (host == null || host.isBlank() || !Printable.of(host).equals(host) || host.contains(" ")) {
      throw new IllegalArgumentException(
          "whois server '" + Printable.of(host) + "' is not a host name or address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("whois port " + port + " is not between 1 and 65535");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("whois timeout must be positive");
    }
  }

  /**
   * The check for {@code as} ({@code 13335} or {@code AS13335}) at {@link #DEFAULT_SERVER}, not
   * optional, with a 10 s timeout.
   *
   * @throws IllegalArgumentException when {@code as} is not an AS number
   */
  public static OriginCheck of(String as) {
    return new OriginCheck(
        parseAsn(as), DEFAULT_SERVER, DEFAULT_PORT, false, Duration.ofSeconds(10));
  }

  /**
   * The number in {@code 13335} or {@code AS13335} (any case).
   *
   * @throws IllegalArgumentException naming the text when it is neither
   */
  public static long parseAsn(String text) {
    String digits =
        text != null && text.toUpperCase(Locale.ROOT).startsWith("AS") ? text.substring(2) : text;
    boolean ok =
        digits != null
            && !digits.isEmpty()
            && digits.length() <= 10
            && digits.chars().allMatch(c -> c >= '0' && c <= '9')
            && !(digits.length() > 1 && digits.charAt(0) == '0');
    if (ok) {
      long n = Long.parseLong(digits);
      if (n >= 1 && n <= MAX_ASN) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        "'" + Printable.of(text) + "' is not an AS number; give it as 13335 or AS13335");
  }

  /**
   * This check asking {@code hostPort} ({@code HOST}, {@code HOST:PORT}, or {@code [ADDRESS]:PORT}
   * for IPv6) instead.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not one of those
   */
  public OriginCheck withServer(String hostPort) {
    if (hostPort == null || hostPort.isBlank()) {
      throw new IllegalArgumentException("the whois server is empty; give HOST or HOST:PORT");
    }
    String h = hostPort;
    int p = DEFAULT_PORT;
    String portText = null;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw badServer(hostPort);
      }
      h = hostPort.substring(1, close);
      String rest = hostPort.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw badServer(hostPort);
        }
        portText = rest.substring(1);
      }
    } else if (hostPort.indexOf(':') >= 0 && hostPort.indexOf(':') == hostPort.lastIndexOf(':')) {
      int colon = hostPort.indexOf(':');
      h = hostPort.substring(0, colon);
      portText = hostPort.substring(colon + 1);
    }
    if (portText != null) {
      if (portText.isEmpty()
          || portText.length() > 5
          || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw badServer(hostPort);
      }
      p = Integer.parseInt(portText);
    }
    if (h.isEmpty()) {
      throw badServer(hostPort);
    }
    return new OriginCheck(asn, h, p, optional, timeout);
  }

  private static IllegalArgumentException badServer(String text) {
    return new IllegalArgumentException(
        "whois server '" + Printable.of(text) + "' is not HOST, HOST:PORT or [ADDRESS]:PORT");
  }

  /** This check, with a registry that cannot be asked only a warning when {@code value}. */
  public OriginCheck withOptional(boolean value) {
    return new OriginCheck(asn, host, port, value, timeout);
  }

  /** This check with another timeout for the connection and for each part of the answer. */
  public OriginCheck withTimeout(Duration value) {
    return new OriginCheck(asn, host, port, optional, value);
  }

  /** {@code AS13335}. */
  public String asName() {
    return "AS" + asn;
  }

  /** {@code host:port}, the address in brackets when it is an IPv6 one. */
  public String server() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Checks {@code ranges} against the route objects of the AS: the saved answer when it is from
   * this registry and younger than {@link #CACHE_MAX_AGE}, else the registry's answer (saved in
   * {@code state} when {@code save}).
   *
   * @return warnings that do not fail the check: the registry could not be asked and the check is
   *     optional, or the answer could not be saved
   * @throws RejectedRangesException naming the first range no route object covers
   * @throws CfAllowlistException when the registry cannot be asked and the check is not optional
   */
  public List<String> verify(RangeSet ranges, StateDir state, Clock clock, boolean save) {
    List<String> warnings = new ArrayList<>();
    Optional<RouteObjects> saved = fresh(state, clock);
    if (saved.isPresent() && saved.get().firstUncovered(ranges).isEmpty()) {
      return warnings;
    }
    // No saved answer, or one that may predate a new route object: ask.
    RouteObjects routes;
    boolean asked = true;
    try {
      routes = WhoisRegistry.query(this, clock);
    } catch (IOException e) {
      String failure =
          "asking the whois server "
              + server()
              + " for the route objects of "
              + asName()
              + " failed: "
              + Printable.message(e);
      if (saved.isPresent()) {
        // The saved answer already leaves a range uncovered: the refusal below stands.
        warnings.add(failure + "; judging by the saved answer");
        routes = saved.get();
        asked = false;
      } else if (optional) {
        warnings.add(failure + "; the list is used unchecked (--verify-origin-as-optional)");
        return warnings;
      } else {
        throw new CfAllowlistException(failure, e);
      }
    }
    if (save && asked) {
      try {
        state.saveRouteObjects(routes);
      } catch (IOException | RuntimeException e) {
        warnings.add(
            "the whois answer could not be saved in " + state.path() + ": " + Printable.message(e));
      }
    }
    Optional<Cidr> uncovered = routes.firstUncovered(ranges);
    if (uncovered.isPresent()) {
      throw new RejectedRangesException(
          uncovered.get()
              + " is not covered by any of the "
              + routes.routes().size()
              + " route objects of "
              + asName()
              + " at "
              + server()
              + ", so the whole list was refused");
    }
    return warnings;
  }

  /** The saved answer of this registry for this AS, when younger than {@link #CACHE_MAX_AGE}. */
  private Optional<RouteObjects> fresh(StateDir state, Clock clock) {
    try {
      Optional<RouteObjects> saved = state.loadRouteObjects(asName());
      if (saved.isEmpty() || !saved.get().server().equals(server())) {
        return Optional.empty();
      }
      Instant now = clock.instant();
      Instant at = saved.get().fetchedAt();
      Duration age = Duration.between(at, now);
      if (age.isNegative() || age.compareTo(CACHE_MAX_AGE) >= 0) {
        return Optional.empty();
      }
      return saved;
    } catch (IOException | RuntimeException e) {
      // A damaged or planted file is never trusted: ask the registry instead.
      LOG.log(Level.DEBUG, "the saved whois answer is not used: {0}", e.getMessage());
      return Optional.empty();
    }
  }
}
