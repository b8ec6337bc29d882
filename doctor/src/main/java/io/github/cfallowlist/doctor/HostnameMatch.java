package io.github.cfallowlist.doctor;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Whether a certificate names a host, as a TLS client checks it: the DNS names of the subject
 * alternative name, or the subject's common name when there is none; a {@code *} only as the whole
 * left-most label, matching exactly one label.
 */
final class HostnameMatch {
  private HostnameMatch() {}

  /** The names {@code cert} is for: its DNS subject alternative names, else its common name. */
  static List<String> names(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> alt = cert.getSubjectAlternativeNames();
      if (alt != null) {
        for (List<?> entry : alt) {
          if (entry.size() == 2 && Integer.valueOf(2).equals(entry.get(0))) {
            names.add(String.valueOf(entry.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      return names;
    }
    if (names.isEmpty()) {
      try {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            names.add(String.valueOf(rdn.getValue()));
          }
        }
      } catch (InvalidNameException e) {
        return names;
      }
    }
    return names;
  }

  /** Whether {@code pattern} (a certificate's name) covers {@code host}. */
  static boolean matches(String pattern, String host) {
    String p = trimDot(pattern).toLowerCase(Locale.ROOT);
    String h = trimDot(host).toLowerCase(Locale.ROOT);
    if (p.isEmpty() || h.isEmpty()) {
      return false;
    }
    if (!p.startsWith("*.")) {
      return p.equals(h);
    }
    int dot = h.indexOf('.');
    // A wildcard covers one label only, and never a bare top-level suffix ("*.com").
    return dot > 0 && p.indexOf('.', 2) > 0 && h.substring(dot).equals(p.substring(1));
  }

  /** Whether any of {@code cert}'s names covers {@code host}. */
  static boolean matches(X509Certificate cert, String host) {
    return names(cert).stream().anyMatch(n -> matches(n, host));
  }

  private static String trimDot(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }
}
