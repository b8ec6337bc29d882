package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Printable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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

  /** A DNS name: labels of letters, digits and inner hyphens, at most 253 characters. */
  private static final Pattern HOSTNAME =
      Pattern.compile(
          "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*"
              + "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  /**
   * Checks every component is present and well formed; no ports means the TLS mode's port.
   *
   * @throws IllegalArgumentException naming the option when the hostname is not a DNS name, the
   *     origin address is not an IP address, or a port is outside 1–65535
   */
  public Origin {
    if (ports == null || tlsMode == null || hostname == null || originIp == null) {
      throw new IllegalArgumentException("origin components must not be null");
    }
    ports = ports.isEmpty() ? List.of(tlsMode.port()) : List.copyOf(ports);
    for (int port : ports) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("--ports " + port + " is not a TCP port (1-65535)");
      }
    }
    hostname.ifPresent(
        name -> {
          if (!HOSTNAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                "--hostname '"
                    + Printable.of(name)
                    + "' is not a DNS name (letters, digits, hyphens and dots, such as"
                    + " www.example.com)");
          }
        });
    originIp.ifPresent(
        address -> {
          if (Cidr.host(address).isEmpty()) {
            throw new IllegalArgumentException(
                "--origin-ip '"
                    + Printable.of(address)
                    + "' is not an IP address (such as 203.0.113.10 or 2001:db8::10)");
          }
        });
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
