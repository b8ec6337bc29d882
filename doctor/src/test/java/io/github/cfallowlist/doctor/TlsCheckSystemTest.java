package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tls check against a real nginx serving certificates made here: a test CA stands in for the
 * system trust store (which cannot hold it), and a CA named like Cloudflare's Origin CA stands in
 * for the real one.
 */
class TlsCheckSystemTest {
  static final String HOST = "origin.example";

  static HeldCertificate ca;
  static HeldCertificate originCa;
  static HeldCertificate lookAlike;
  static TlsOrigin nginx;

  @BeforeAll
  static void start() throws IOException {
    SystemTests.requireTools("nginx");
    ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("test CA").build();
    originCa =
        new HeldCertificate.Builder()
            .certificateAuthority(0)
            .organizationalUnit("CloudFlare Origin SSL Certificate Authority")
            .build();
    lookAlike =
        new HeldCertificate.Builder()
            .certificateAuthority(0)
            .organizationalUnit("CloudFlare Origin SSL Certificate Authority")
            .build();
    long now = System.currentTimeMillis();
    long day = Duration.ofDays(1).toMillis();
    Map<String, HeldCertificate> certs = new LinkedHashMap<>();
    certs.put("valid", leaf(HOST).signedBy(ca).build());
    certs.put("self-signed", leaf(HOST).build());
    certs.put(
        "expired", leaf(HOST).signedBy(ca).validityInterval(now - 30 * day, now - day).build());
    certs.put(
        "expiring", leaf(HOST).signedBy(ca).validityInterval(now - day, now + 5 * day).build());
    certs.put("other-name", leaf("other.example").signedBy(ca).build());
    certs.put("origin-ca", leaf(HOST).signedBy(originCa).build());
    certs.put("look-alike", leaf(HOST).signedBy(lookAlike).build());
    certs.put("repaired", leaf(HOST).build());
    nginx = TlsOrigin.start(certs);
  }

  @AfterAll
  static void stop() throws IOException {
    if (nginx != null) {
      nginx.close();
    }
  }

  private static HeldCertificate.Builder leaf(String name) {
    long now = System.currentTimeMillis();
    long day = Duration.ofDays(1).toMillis();
    // HeldCertificate's default lasts one day, which the check rightly warns about.
    return new HeldCertificate.Builder()
        .commonName(name)
        .addSubjectAlternativeName(name)
        .validityInterval(now - day, now + 90 * day);
  }

  /** A trust store holding only the test CA. */
  private static X509TrustManager testTrust() {
    return new HandshakeCertificates.Builder()
        .addTrustedCertificate(ca.certificate())
        .build()
        .trustManager();
  }

  private static List<Finding> check(String cert, TlsMode mode, Optional<String> hostname) {
    return check(
        new TlsCheck(testTrust(), OriginCa.cloudflare()), nginx.port(cert), mode, hostname);
  }

  private static List<Finding> check(
      TlsCheck tls, int port, TlsMode mode, Optional<String> hostname) {
    Origin origin = new Origin(List.of(port), mode, hostname, Optional.empty());
    return tls.run(Contexts.of(origin));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Status worst(List<Finding> findings) {
    return findings.stream().map(Finding::status).reduce(Status.OK, Status::worse);
  }

  @Test
  void strictFailsOnASelfSignedCertificateAndPassesOnceOneTheTrustStoreValidatesIsServed()
      throws IOException {
    TlsCheck tls = new TlsCheck(testTrust(), OriginCa.cloudflare());
    int port = nginx.port("repaired");
    List<Finding> broken = check(tls, port, TlsMode.STRICT, Optional.of(HOST));
    assertThat(worst(broken)).isEqualTo(Status.FAIL);
    assertThat(broken.get(0).found()).contains("is not trusted", "526");

    nginx.replace("repaired", leaf(HOST).signedBy(ca).build());

    // The old workers finish their connections; wait until the new certificate is served.
    List<Finding> repaired = check(tls, port, TlsMode.STRICT, Optional.of(HOST));
    for (int i = 0; i < 100 && worst(repaired) != Status.OK; i++) {
      sleep(50);
      repaired = check(tls, port, TlsMode.STRICT, Optional.of(HOST));
    }
    assertThat(repaired)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found()).contains("validates against the trust store", "covers " + HOST);
            });
  }

  @Test
  void fullModeAcceptsASelfSignedCertificate() {
    List<Finding> found = check("self-signed", TlsMode.FULL, Optional.of(HOST));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found()).contains("self-signed is fine");
            });
  }

  @Test
  void anExpiredCertificateFailsInStrictAndWarnsInFull() {
    List<Finding> strict = check("expired", TlsMode.STRICT, Optional.of(HOST));
    assertThat(strict).extracting(Finding::status).contains(Status.FAIL);
    assertThat(strict).anySatisfy(f -> assertThat(f.found()).contains("expired on"));
    List<Finding> full = check("expired", TlsMode.FULL, Optional.of(HOST));
    assertThat(full)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found()).contains("expired on", "full mode accepts it");
            });
  }

  @Test
  void aCertificateExpiringWithinFourteenDaysWarns() {
    List<Finding> found = check("expiring", TlsMode.STRICT, Optional.of(HOST));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found()).contains("within 14 days");
              assertThat(f.remedy()).contains("renew");
            });
  }

  @Test
  void aCertificateForAnotherNameFailsInStrictAndWarnsInFull() {
    List<Finding> strict = check("other-name", TlsMode.STRICT, Optional.of(HOST));
    assertThat(strict)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found()).contains("does not cover " + HOST, "other.example");
            });
    assertThat(check("other-name", TlsMode.FULL, Optional.of(HOST)))
        .singleElement()
        .extracting(Finding::status)
        .isEqualTo(Status.WARN);
  }

  @Test
  void theServedCertificateIsChosenBySni() {
    // nginx serves one certificate per port whatever the SNI, so a name that does not match is seen
    assertThat(check("valid", TlsMode.STRICT, Optional.of("www.other.example")))
        .extracting(Finding::status)
        .containsExactly(Status.FAIL);
  }

  @Test
  void strictWithoutHostnameWarnsThatTheNameWasNotChecked() {
    assertThat(check("valid", TlsMode.STRICT, Optional.empty()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found()).contains("name was not checked");
            });
    assertThat(check("valid", TlsMode.FULL, Optional.empty()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found()).contains("name not checked");
            });
  }

  @Test
  void aCertificateSignedByAnOriginCaRootPassesStrictWithoutTheTrustStore() {
    TlsCheck tls = new TlsCheck(testTrust(), OriginCa.of(List.of(originCa.certificate())));
    List<Finding> found = check(tls, nginx.port("origin-ca"), TlsMode.STRICT, Optional.of(HOST));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found()).contains("is a Cloudflare Origin CA certificate");
            });
  }

  @Test
  void anIssuerNamedLikeTheOriginCaThatCloudflareDidNotSignWithIsRefused() {
    List<Finding> found = check("look-alike", TlsMode.STRICT, Optional.of(HOST));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found())
                  .contains("named like Cloudflare's Origin CA but did not sign it");
            });
  }

  @Test
  void theRealTrustStoreRefusesATestCertificateInStrictMode() {
    List<Finding> found =
        check(new TlsCheck(), nginx.port("valid"), TlsMode.STRICT, Optional.of(HOST));
    assertThat(found).singleElement().extracting(Finding::status).isEqualTo(Status.FAIL);
  }

  @Test
  void aPortThatDoesNotSpeakTlsFailsNamingTheHandshake() {
    List<Finding> found =
        check(
            new TlsCheck(testTrust(), OriginCa.cloudflare()),
            nginx.plainPort(),
            TlsMode.FULL,
            Optional.of(HOST));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found())
                  .contains("TLS handshake with 127.0.0.1:" + nginx.plainPort(), "525");
            });
  }

  @Test
  void anAddressNoRouteReachesFailsAsNoConnectionNotAsAHandshake() {
    // The kernel refuses a TCP connection to a multicast address: "Network is unreachable".
    Origin origin =
        new Origin(List.of(443), TlsMode.FULL, Optional.empty(), Optional.of("224.0.0.1"));

    List<Finding> found = new TlsCheck(testTrust(), OriginCa.cloudflare()).run(Contexts.of(origin));

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found())
                  .startsWith("cannot connect to 224.0.0.1:443 (")
                  .endsWith("): Cloudflare answers 522 when it cannot reach the origin")
                  .doesNotContain("handshake", "answers 525", "or 525");
            });
  }

  @Test
  void aConnectionThatIsNeverAnsweredFailsAsNoConnectionNotAsAHandshake() throws IOException {
    // A listener whose accept queue is full: the kernel drops further SYNs without an answer, as a
    // firewall that drops them would.
    try (java.net.ServerSocket full =
            new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        java.net.Socket first = new java.net.Socket();
        java.net.Socket second = new java.net.Socket()) {
      first.connect(full.getLocalSocketAddress(), 1000);
      second.connect(full.getLocalSocketAddress(), 1000);
      List<Finding> found =
          check(
              new TlsCheck(testTrust(), OriginCa.cloudflare()),
              full.getLocalPort(),
              TlsMode.STRICT,
              Optional.of(HOST));

      assertThat(found)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .startsWith("cannot connect to 127.0.0.1:" + full.getLocalPort() + " (")
                    .contains("no answer within 5 s")
                    .endsWith("Cloudflare answers 522 when it cannot reach the origin")
                    .doesNotContain("handshake", "answers 525", "or 525");
                assertThat(f.remedy()).contains("--origin-ip").doesNotContain("speaks TLS");
              });
    }
  }

  @Test
  void aClosedPortFailsAs521() throws IOException {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    List<Finding> found =
        check(
            new TlsCheck(testTrust(), OriginCa.cloudflare()),
            closed,
            TlsMode.FULL,
            Optional.empty());
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found()).contains("nothing accepts connections", "521");
            });
  }

  @Test
  void flexibleModeChecksNoTls() {
    assertThat(new TlsCheck().run(Contexts.of(Origin.of(TlsMode.FLEXIBLE))))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found())
                  .startsWith("flexible mode: the edge speaks plain HTTP to port 80");
            });
  }
}
