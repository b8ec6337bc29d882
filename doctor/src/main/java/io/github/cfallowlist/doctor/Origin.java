package io.github.cfallowlist.doctor;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How Cloudflare reaches this origin, as the user describes it to doctor.
 *
 * @param ports the TCP ports the edge connects to
 * @param tlsMode the zone's SSL/TLS mode
 * @param hostname the site's name, for SNI and DNS, when given
 * @param originIp the address Cloudflare's DNS record points at, when given
 */
public record Origin(
    List<Integer> ports, TlsMode tlsMode, Optional<String> hostname, Optional<String> originIp) {

  /** The HTTP ports Cloudflare proxies. */
  public static final Set<Integer> HTTP_PORTS = Set.of(80, 8080, 8880, 2052, 2082, 2086, 2095);

  /** The HTTPS ports Cloudflare proxies. */
  public static final Set<Integer> HTTPS_PORTS = Set.of(443, 2053, 2083, 2087, 2096, 8443);

  /** Checks every component is present; no ports means the TLS mode's port. */
  public Origin {
    if (ports == null || tlsMode == null || hostname == null || originIp == null) {
      throw new IllegalArgumentException("origin components must not be null");
    }
    ports = ports.isEmpty() ? List.of(tlsMode.port()) : List.copyOf(ports);
  }

  /** The TLS mode's port, no hostname and no origin address. */
  public static Origin of(TlsMode tlsMode) {
    return new Origin(List.of(), tlsMode, Optional.empty(), Optional.empty());
  }

  /** Whether Cloudflare proxies {@code port} at all. */
  public static boolean proxied(int port) {
    return HTTP_PORTS.contains(port) || HTTPS_PORTS.contains(port);
  }
}
