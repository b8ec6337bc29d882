package io.github.cfallowlist.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cloudflare's Origin CA: the two roots (RSA and ECC) that sign the certificates the dashboard
 * issues for origins (SSL/TLS, Origin Server), shipped as resources. Full (strict) accepts a
 * certificate they signed although no browser trusts them.
 *
 * <p>A certificate counts as an Origin CA certificate when a certificate of the served chain is
 * signed by one of these roots' keys. Only the signature is checked, not the root's own validity
 * dates: Cloudflare keeps accepting certificates signed by these keys, and an issuer that merely
 * calls itself "CloudFlare Origin SSL Certificate Authority" is refused.
 */
final class OriginCa {
  private static final List<String> RESOURCES =
      List.of("origin-ca-rsa-root.pem", "origin-ca-ecc-root.pem");

  private final List<X509Certificate> roots;

  private OriginCa(List<X509Certificate> roots) {
    this.roots = List.copyOf(roots);
  }

  /** Cloudflare's Origin CA roots. */
  static OriginCa cloudflare() {
    List<X509Certificate> roots = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (String name : RESOURCES) {
        try (InputStream in = OriginCa.class.getResourceAsStream(name)) {
          if (in == null) {
            throw new IllegalStateException(name + " is missing from the jar");
          }
          roots.add((X509Certificate) factory.generateCertificate(in));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the Origin CA roots cannot be read", e);
    }
    return new OriginCa(roots);
  }

  /** Roots other than Cloudflare's, for tests. */
  static OriginCa of(List<X509Certificate> roots) {
    return new OriginCa(roots);
  }

  /**
   * Whether {@code chain} (leaf first) leads to one of the roots: each certificate is signed by the
   * next, and one of them by a root whose subject is its issuer.
   */
  boolean signed(List<X509Certificate> chain) {
    for (int i = 0; i < chain.size(); i++) {
      X509Certificate c = chain.get(i);
      for (X509Certificate root : roots) {
        if (root.getSubjectX500Principal().equals(c.getIssuerX500Principal())
            && verifies(c, root)
            && linked(chain.subList(0, i + 1))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether {@code cert}'s issuer calls itself Cloudflare's Origin CA. */
  static boolean claims(X509Certificate cert) {
    return cert.getIssuerX500Principal()
        .getName()
        .toLowerCase(Locale.ROOT)
        .contains("cloudflare origin ssl");
  }

  private static boolean linked(List<X509Certificate> chain) {
    for (int i = 0; i + 1 < chain.size(); i++) {
      if (!verifies(chain.get(i), chain.get(i + 1))) {
        return false;
      }
    }
    return true;
  }

  private static boolean verifies(X509Certificate cert, X509Certificate by) {
    try {
      cert.verify(by.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
