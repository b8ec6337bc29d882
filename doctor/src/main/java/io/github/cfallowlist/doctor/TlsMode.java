package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Printable;
import java.util.Locale;

/** Cloudflare's SSL/TLS encryption mode for the zone: how the edge connects to this origin. */
public enum TlsMode {
  /** The edge connects over plain HTTP, to port 80. */
  FLEXIBLE(80),
  /** The edge connects over TLS to port 443 and accepts any certificate. */
  FULL(443),
  /**
   * The edge connects over TLS to port 443 and needs a valid or Cloudflare Origin CA certificate.
   */
  STRICT(443);

  private final int port;

  TlsMode(int port) {
    this.port = port;
  }

  /** The port the edge connects to in this mode unless the site says otherwise. */
  public int port() {
    return port;
  }

  /** Whether the edge speaks TLS to the origin in this mode. */
  public boolean usesTls() {
    return this != FLEXIBLE;
  }

  /**
   * The mode a name stands for: {@code flexible}, {@code full} or {@code strict}.
   *
   * @throws IllegalArgumentException naming the accepted names
   */
  public static TlsMode parse(String name) {
    for (TlsMode m : values()) {
      if (m.name().toLowerCase(Locale.ROOT).equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "--tls-mode '" + Printable.of(name) + "' is not one of flexible, full, strict");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
