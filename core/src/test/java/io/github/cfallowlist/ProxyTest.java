package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.ForwardProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fetches through a real forward proxy on loopback: https through a CONNECT tunnel to an origin
 * with its own certificate, plain http as an absolute-URL request, Basic proxy authentication, and
 * the hosts {@code no_proxy} sends direct.
 */
class ProxyTest {
  private static final String API_HOST = "api.cloudflare.test";
  private static final HeldCertificate CERT =
      new HeldCertificate.Builder().addSubjectAlternativeName(API_HOST).build();

  @StartStop private final MockWebServer tlsOrigin = tlsServer();
  @StartStop private final MockWebServer plainOrigin = new MockWebServer();
  private ForwardProxy proxy;

  private static MockWebServer tlsServer() {
    MockWebServer server = new MockWebServer();
    server.useHttps(
        new HandshakeCertificates.Builder().heldCertificate(CERT).build().sslSocketFactory());
    return server;
  }

  @AfterEach
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private Map<String, InetSocketAddress> routes() {
    return Map.of(
        API_HOST + ":443",
        new InetSocketAddress(InetAddress.getLoopbackAddress(), tlsOrigin.getPort()));
  }

  /** A fetcher that trusts the test certificate and cannot resolve the made-up API host itself. */
  private static HttpFetcher fetcher(ProxySettings proxies) {
    HandshakeCertificates trust =
        new HandshakeCertificates.Builder().addTrustedCertificate(CERT.certificate()).build();
    Dns noDns =
        host -> {
          if (host.equals(API_HOST)) {
            throw new java.net.UnknownHostException(host + " resolved by the client");
          }
          return Dns.SYSTEM.lookup(host);
        };
    return new HttpFetcher(
        HttpOptions.defaults().withRetries(1, Duration.ZERO).withProxy(proxies),
        noDns,
        b -> b.sslSocketFactory(trust.sslSocketFactory(), trust.trustManager()));
  }

  private static final HttpUrl API = HttpUrl.get("https://" + API_HOST + "/client/v4/ips");

  @Test
  void httpsProxyFromTheEnvironmentTunnelsWithConnect() throws Exception {
    proxy = ForwardProxy.open(routes());
    tlsOrigin.enqueue(new MockResponse.Builder().body("through the tunnel").build());

    String body =
        fetcher(ProxySettings.fromEnvironment(Map.of("https_proxy", proxy.url()))).get(API).text();

    assertThat(body).isEqualTo("through the tunnel");
    assertThat(proxy.received())
        .containsExactly(new ForwardProxy.Received("CONNECT", API_HOST + ":443", "", 200));
    RecordedRequest request = tlsOrigin.takeRequest();
    assertThat(request.getTarget()).isEqualTo("/client/v4/ips");
    assertThat(request.getHandshake()).isNotNull();
  }

  @Test
  void upperCaseHttpsProxyIsReadAndLowerCaseWins() throws Exception {
    proxy = ForwardProxy.open(routes());
    tlsOrigin.enqueue(new MockResponse.Builder().body("upper").build());
    tlsOrigin.enqueue(new MockResponse.Builder().body("lower").build());

    assertThat(
            fetcher(ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", proxy.url())))
                .get(API)
                .text())
        .isEqualTo("upper");
    // The upper-case variable names a port nothing listens on: only the lower-case one is used.
    String both =
        fetcher(
                ProxySettings.fromEnvironment(
                    Map.of("https_proxy", proxy.url(), "HTTPS_PROXY", "http://127.0.0.1:1")))
            .get(API)
            .text();
    assertThat(both).isEqualTo("lower");
    assertThat(proxy.received()).hasSize(2);
  }

  @Test
  void plainHttpGoesThroughHttpProxyAsAnAbsoluteUrlAndUpperCaseHttpProxyIsIgnored()
      throws Exception {
    proxy = ForwardProxy.open(Map.of());
    plainOrigin.enqueue(new MockResponse.Builder().body("forwarded").build());
    plainOrigin.enqueue(new MockResponse.Builder().body("direct").build());
    HttpUrl url = HttpUrl.get(plainOrigin.url("/ips-v4").toString());

    assertThat(
            fetcher(ProxySettings.fromEnvironment(Map.of("http_proxy", proxy.url())))
                .get(url)
                .text())
        .isEqualTo("forwarded");
    assertThat(proxy.received())
        .containsExactly(new ForwardProxy.Received("GET", url.toString(), "", 200));

    assertThat(
            fetcher(ProxySettings.fromEnvironment(Map.of("HTTP_PROXY", proxy.url())))
                .get(url)
                .text())
        .isEqualTo("direct");
    assertThat(proxy.received()).hasSize(1);
  }

  @Test
  void noProxyHostsAreFetchedDirectly() throws Exception {
    proxy = ForwardProxy.open(Map.of());
    plainOrigin.enqueue(new MockResponse.Builder().body("direct").build());
    HttpUrl url = HttpUrl.get("http://127.0.0.1:" + plainOrigin.getPort() + "/ips-v4");

    ProxySettings settings =
        ProxySettings.fromEnvironment(
            Map.of("http_proxy", proxy.url(), "no_proxy", "example.com, 127.0.0.0/8"));
    assertThat(fetcher(settings).get(url).text()).isEqualTo("direct");
    assertThat(proxy.received()).isEmpty();
    assertThat(plainOrigin.getRequestCount()).isEqualTo(1);
  }

  @Test
  void explicitProxyServesBothSchemesAndNoProxyStillApplies() throws Exception {
    proxy = ForwardProxy.open(routes());
    tlsOrigin.enqueue(new MockResponse.Builder().body("tunnelled").build());
    plainOrigin.enqueue(new MockResponse.Builder().body("forwarded").build());
    ProxySettings settings = ProxySettings.of(proxy.url(), Map.of("NO_PROXY", "other.test"));

    assertThat(fetcher(settings).get(API).text()).isEqualTo("tunnelled");
    assertThat(fetcher(settings).get(HttpUrl.get(plainOrigin.url("/x").toString())).text())
        .isEqualTo("forwarded");
    assertThat(proxy.received())
        .extracting(ForwardProxy.Received::method)
        .containsExactly("CONNECT", "GET");
    assertThat(ProxySettings.of("", Map.of()).isConfigured()).isFalse();
  }

  @Test
  void basicCredentialsFromTheUrlAnswerTheProxy() throws Exception {
    proxy = ForwardProxy.requiring("fetcher", "p@ss:word", routes());
    tlsOrigin.enqueue(new MockResponse.Builder().body("authenticated").build());
    plainOrigin.enqueue(new MockResponse.Builder().body("authenticated too").build());
    String url = "http://fetcher:p%40ss%3Aword@127.0.0.1:" + proxy.port();
    ProxySettings settings = ProxySettings.of(url, Map.of());

    assertThat(fetcher(settings).get(API).text()).isEqualTo("authenticated");
    assertThat(fetcher(settings).get(HttpUrl.get(plainOrigin.url("/x").toString())).text())
        .isEqualTo("authenticated too");
    // CONNECT sends the credentials at once; a plain request sends them after the 407.
    assertThat(proxy.received())
        .extracting(ForwardProxy.Received::method, ForwardProxy.Received::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("CONNECT", 200),
            org.assertj.core.groups.Tuple.tuple("GET", 407),
            org.assertj.core.groups.Tuple.tuple("GET", 200));
    assertThat(settings.toString()).doesNotContain("p%40ss").doesNotContain("fetcher");
  }

  @Test
  void aProxyAskingForCredentialsGivesOneClearSentence() throws Exception {
    proxy = ForwardProxy.requiring("fetcher", "secret", routes());
    ProxySettings settings = ProxySettings.of(proxy.url(), Map.of());

    assertThatThrownBy(() -> fetcher(settings).get(API))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the proxy "
                + proxy.url()
                + " asks for a user name and password (HTTP 407); give them in the proxy URL as"
                + " http://USER:PASSWORD@host:port");
    assertThatThrownBy(() -> fetcher(settings).get(HttpUrl.get(plainOrigin.url("/x").toString())))
        .hasMessageContaining("asks for a user name and password (HTTP 407)");
    assertThat(tlsOrigin.getRequestCount()).isZero();
    assertThat(plainOrigin.getRequestCount()).isZero();
  }

  @Test
  void wrongCredentialsAreRefusedWithoutShowingThem() throws Exception {
    proxy = ForwardProxy.requiring("fetcher", "secret", routes());
    ProxySettings settings =
        ProxySettings.of("http://fetcher:wrong-secret@127.0.0.1:" + proxy.port(), Map.of());

    assertThatThrownBy(() -> fetcher(settings).get(API))
        .hasMessage(
            "the proxy "
                + proxy.url()
                + " refused the user name and password of its URL (HTTP 407)")
        .hasMessageNotContaining("wrong-secret");
  }

  @Test
  void anUnreachableProxyIsNamedWithoutItsCredentials() {
    ProxySettings settings = ProxySettings.of("http://u:hunter2@127.0.0.1:1", Map.of());

    assertThatThrownBy(() -> fetcher(settings).get(API))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(
            "could not reach the proxy http://127.0.0.1:1 to fetch https://" + API_HOST)
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void badProxyUrlsAreRefusedWithoutQuotingThem() {
    assertThatThrownBy(() -> ProxySettings.of("socks5://u:hunter2@proxy:1080", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "--proxy uses socks5://; only an http:// proxy is supported (https and socks proxies"
                + " are not)");
    assertThatThrownBy(
            () -> ProxySettings.fromEnvironment(Map.of("https_proxy", "http://u:hunter2@/x y")))
        .hasMessageStartingWith("the https_proxy environment variable ")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void noProxyMatchesAsCurlDoes() {
    ProxySettings s =
        ProxySettings.fromEnvironment(
            Map.of(
                "https_proxy",
                "proxy",
                "no_proxy",
                "example.com,.internal.test, 10.0.0.0/8,192.0.2.7,[2001:db8::1],LOCALHOST"));
    assertThat(s.bypasses("example.com")).isTrue();
    assertThat(s.bypasses("api.example.com")).isTrue();
    assertThat(s.bypasses("API.Example.COM")).isTrue();
    assertThat(s.bypasses("notexample.com")).isFalse();
    assertThat(s.bypasses("internal.test")).isTrue();
    assertThat(s.bypasses("a.b.internal.test")).isTrue();
    assertThat(s.bypasses("10.20.30.40")).isTrue();
    assertThat(s.bypasses("11.0.0.1")).isFalse();
    assertThat(s.bypasses("192.0.2.7")).isTrue();
    assertThat(s.bypasses("192.0.2.8")).isFalse();
    assertThat(s.bypasses("[2001:db8::1]")).isTrue();
    assertThat(s.bypasses("2001:db8::2")).isFalse();
    assertThat(s.bypasses("localhost")).isTrue();
    assertThat(s.bypasses("api.cloudflare.com")).isFalse();
    assertThat(ProxySettings.fromEnvironment(Map.of("NO_PROXY", "*")).bypasses("any.host"))
        .isTrue();
    assertThat(s.toString())
        .isEqualTo(
            "https: http://proxy:1080, http: direct, no_proxy: example.com,.internal.test,"
                + "10.0.0.0/8,192.0.2.7,2001:db8::1,localhost");
  }
}
