package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * In Full and Strict mode, the certificate the origin serves on each HTTPS port: the handshake
 * succeeds (else Cloudflare answers 525), in Strict mode the certificate validates against the
 * trust store or is a Cloudflare Origin CA certificate (else 526) and covers {@code --hostname},
 * and it does not expire within 14 days.
 */
final class TlsCheck implements Check {
  static final String NAME = "tls";

  /** A certificate expiring within this is a warning. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(14);

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final X509TrustManager trust;
  private final OriginCa originCa;

  /** Checks against the JDK's default trust store (on Debian, the system's) and the Origin CA. */
  TlsCheck() {
    this(systemTrust(), OriginCa.cloudflare());
  }

  /** Checks against {@code trust} and {@code originCa}. */
  TlsCheck(X509TrustManager trust, OriginCa originCa) {
    this.trust = trust;
    this.originCa = originCa;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) {
    Origin origin = c.origin();
    if (!origin.tlsMode().usesTls()) {
      return List.of(
          Finding.ok(
              NAME, "flexible mode: the edge speaks plain HTTP to port 80; TLS not checked"));
    }
    List<Integer> ports =
        origin.ports().stream().filter(p -> !Origin.HTTP_PORTS.contains(p)).toList();
    if (ports.isEmpty()) {
      return List.of(
          Finding.warn(
              NAME,
              "no HTTPS port among the ports "
                  + origin.ports()
                  + ", but in "
                  + origin.tlsMode()
                  + " mode the edge connects over TLS",
              "pass the HTTPS port the site uses, for example --ports 443"));
    }
    String host = origin.originIp().orElse("127.0.0.1");
    List<Finding> findings = new ArrayList<>();
    for (int port : ports) {
      findings.addAll(check(host, port, origin, c.clock().instant()));
    }
    return findings;
  }

  private List<Finding> check(String host, int port, Origin origin, Instant now) {
    String where = host + ":" + port;
    Served served;
    try {
      served = handshake(host, port, origin.hostname());
    } catch (IllegalArgumentException e) {
      return List.of(
          Finding.warn(
              NAME,
              "--hostname '"
                  + Printable.of(origin.hostname().orElse(""))
                  + "' cannot be sent as"
                  + " SNI: "
                  + Printable.message(e),
              "pass the site's DNS name, without a port or a trailing dot"));
    } catch (ConnectException e) {
      return List.of(
          Finding.fail(
              NAME,
              "nothing accepts connections on "
                  + where
                  + " ("
                  + Printable.message(e)
                  + "): Cloudflare answers 521",
              "start the web server with a TLS listener on port "
                  + port
                  + " ('listen "
                  + port
                  + " ssl;' in nginx)"));
    } catch (Unreachable e) {
      return List.of(
          Finding.fail(
              NAME,
              "cannot connect to "
                  + where
                  + " ("
                  + Printable.message(e.getCause())
                  + "): Cloudflare answers 522 when it cannot reach the origin",
              "check the origin's address (--origin-ip) and its routes ('ip route get "
                  + host
                  + "')"));
    } catch (SocketTimeoutException e) {
      return List.of(
          Finding.fail(
              NAME,
              "the TLS handshake with "
                  + where
                  + " timed out after "
                  + TIMEOUT.toSeconds()
                  + " s: Cloudflare answers 522 or 525",
              "check that the server on port " + port + " speaks TLS and is not overloaded"));
    } catch (IOException e) {
      return List.of(
          Finding.fail(
              NAME,
              "the TLS handshake with "
                  + where
                  + " failed ("
                  + Printable.message(e)
                  + "): Cloudflare answers 525",
              "check that port "
                  + port
                  + " is a TLS listener with a certificate and key ('listen "
                  + port
                  + " ssl;', ssl_certificate, ssl_certificate_key) and run 'nginx -t'"));
    }
    return judge(where, served, origin, now);
  }

  /** What the origin served: the chain and the key exchange it was checked with. */
  record Served(List<X509Certificate> chain, String authType) {}

  private List<Finding> judge(String where, Served served, Origin origin, Instant now) {
    X509Certificate leaf = served.chain().get(0);
    boolean strict = origin.tlsMode() == TlsMode.STRICT;
    String cert =
        "the certificate on "
            + where
            + " ("
            + leaf.getSubjectX500Principal().getName()
            + ", issued by "
            + leaf.getIssuerX500Principal().getName()
            + ")";
    List<Finding> problems = new ArrayList<>();
    List<String> good = new ArrayList<>();

    Optional<String> untrusted = validates(served);
    boolean origined = originCa.signed(served.chain());
    if (untrusted.isEmpty()) {
      good.add("validates against the trust store");
    } else if (origined) {
      good.add("is a Cloudflare Origin CA certificate");
    } else if (strict) {
      String lookAlike =
          OriginCa.claims(leaf)
              ? "its issuer is named like Cloudflare's Origin CA but did not sign it, and it"
              : "it is not a Cloudflare Origin CA certificate and";
      problems.add(
          Finding.fail(
              NAME,
              cert
                  + " is not trusted: "
                  + lookAlike
                  + " does not validate ("
                  + untrusted.get()
                  + "): in strict mode Cloudflare answers 526",
              "install a certificate from a public CA or a Cloudflare Origin CA certificate"
                  + " (dashboard: SSL/TLS, Origin Server), or set the zone to Full"));
    } else {
      good.add("is accepted in full mode (Cloudflare does not validate it, self-signed is fine)");
    }

    Optional<String> hostname = origin.hostname();
    if (hostname.isEmpty()) {
      if (strict) {
        problems.add(
            Finding.warn(
                NAME,
                cert
                    + ": the name was not checked and no SNI was sent, as no --hostname was"
                    + " given; strict mode needs the certificate to cover the site's name",
                "run doctor again with --hostname NAME"));
      } else {
        good.add("(name not checked: no --hostname; full mode does not need it)");
      }
    } else if (HostnameMatch.matches(leaf, hostname.get())) {
      good.add("covers " + hostname.get());
    } else {
      String found =
          cert
              + " does not cover "
              + hostname.get()
              + " (it names "
              + String.join(", ", HostnameMatch.names(leaf))
              + ")";
      String remedy =
          "serve a certificate for "
              + hostname.get()
              + " in the server block with server_name "
              + hostname.get();
      problems.add(
          strict
              ? Finding.fail(NAME, found + ": in strict mode Cloudflare answers 526", remedy)
              : Finding.warn(NAME, found + "; full mode accepts it, strict would not", remedy));
    }

    Instant notAfter = leaf.getNotAfter().toInstant();
    Instant notBefore = leaf.getNotBefore().toInstant();
    String renew = "renew the certificate and reload the web server ('nginx -s reload')";
    if (notAfter.isBefore(now)) {
      String found = cert + " expired on " + day(notAfter);
      problems.add(
          strict
              ? Finding.fail(NAME, found + ": in strict mode Cloudflare answers 526", renew)
              : Finding.warn(NAME, found + "; full mode accepts it, strict would not", renew));
    } else if (notBefore.isAfter(now)) {
      String found = cert + " is not valid before " + day(notBefore);
      String fix = "check this host's clock, or serve a certificate valid now";
      problems.add(
          strict
              ? Finding.fail(NAME, found + ": in strict mode Cloudflare answers 526", fix)
              : Finding.warn(NAME, found + "; full mode accepts it, strict would not", fix));
    } else if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
      problems.add(
          Finding.warn(
              NAME,
              cert
                  + " expires on "
                  + day(notAfter)
                  + ", within "
                  + EXPIRY_WARNING.toDays()
                  + " days",
              renew));
    } else {
      good.add("valid until " + day(notAfter));
    }
    if (!problems.isEmpty()) {
      return problems;
    }
    return List.of(Finding.ok(NAME, cert + " " + String.join(", ", good)));
  }

  /** Why the trust store refuses the chain, or empty when it accepts it. */
  private Optional<String> validates(Served served) {
    try {
      trust.checkServerTrusted(served.chain().toArray(X509Certificate[]::new), served.authType());
      return Optional.empty();
    } catch (CertificateException | RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      return Optional.of(Printable.message(root));
    }
  }

  private static String day(Instant instant) {
    return LocalDate.ofInstant(instant, ZoneOffset.UTC).toString();
  }

  /**
   * Connects to {@code host:port} and completes a handshake that accepts any certificate, to see
   * what is served; the certificate is judged afterwards.
   */
  static Served handshake(String host, int port, Optional<String> sni) throws IOException {
    Capture capture = new Capture();
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {capture}, new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make TLS connections", e);
    }
    int millis = (int) TIMEOUT.toMillis();
    try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket()) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(sni.isPresent() ? List.of(new SNIHostName(sni.get())) : List.of());
      socket.setSSLParameters(parameters);
      try {
        socket.connect(new InetSocketAddress(host, port), millis);
      } catch (ConnectException e) {
        throw e;
      } catch (SocketTimeoutException e) {
        // No answer to the SYN (a firewall drops it): no connection, so no handshake either.
        throw new Unreachable(
            new SocketTimeoutException("no answer within " + TIMEOUT.toSeconds() + " s"));
      } catch (IOException e) {
        // No route, an unreachable network: no TCP connection at all, so no handshake either.
        throw new Unreachable(e);
      }
      socket.setSoTimeout(millis);
      socket.startHandshake();
      if (capture.chain.isEmpty()) {
        throw new SSLException("the server sent no certificate");
      }
      return new Served(capture.chain, capture.authType);
    }
  }

  /**
   * A TCP connection that could not be made: no route, an unreachable network, or no answer at all.
   */
  static final class Unreachable extends IOException {
    private static final long serialVersionUID = 1L;

    Unreachable(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private static X509TrustManager systemTrust() {
    try {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((KeyStore) null);
      for (TrustManager m : factory.getTrustManagers()) {
        if (m instanceof X509TrustManager x) {
          return x;
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the system trust store cannot be read", e);
    }
    throw new IllegalStateException("the JDK has no X.509 trust manager");
  }

  /**
   * Accepts any chain and keeps it: the check judges it after the handshake. Extended, so that JSSE
   * adds no checks of its own around it.
   */
  private static final class Capture extends X509ExtendedTrustManager {
    private List<X509Certificate> chain = List.of();
    private String authType = "UNKNOWN";

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      this.chain = List.copyOf(Arrays.asList(chain));
      this.authType = authType;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
