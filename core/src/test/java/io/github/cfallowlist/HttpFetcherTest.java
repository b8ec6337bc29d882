package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import okhttp3.Dns;
import org.junit.jupiter.api.Test;

class HttpFetcherTest {
  @StartStop private final MockWebServer api = new MockWebServer();
  @StartStop private final MockWebServer plainHttpElsewhere = new MockWebServer();

  /** Resolves {@code mirror.example} to the loopback server that stands for another host. */
  private static final Dns DNS =
      host ->
          host.equals("mirror.example")
              ? List.of(InetAddress.getLoopbackAddress())
              : Dns.SYSTEM.lookup(host);

  @Test
  void aRedirectToPlainHttpOnAnotherHostIsRefusedBeforeAnyRequestReachesIt() {
    String elsewhere = "http://mirror.example:" + plainHttpElsewhere.getPort() + "/ips";
    api.enqueue(new MockResponse.Builder().code(302).addHeader("Location", elsewhere).build());
    plainHttpElsewhere.enqueue(new MockResponse.Builder().body("173.245.48.0/20\n").build());
    HttpFetcher fetcher = new HttpFetcher(HttpOptions.defaults(), DNS);

    assertThatThrownBy(() -> fetcher.get(okhttp3.HttpUrl.get(api.url("/client/v4/ips").toString())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("which is not https");
    assertThat(api.getRequestCount()).isEqualTo(1);
    assertThat(plainHttpElsewhere.getRequestCount()).isZero();
  }
}
