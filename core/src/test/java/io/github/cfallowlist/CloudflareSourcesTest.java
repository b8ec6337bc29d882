package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.Bodies;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;

class CloudflareSourcesTest {
  /** Quick retries, and timeouts a loaded machine's local server always answers within. */
  private static final HttpOptions FAST =
      HttpOptions.defaults()
          .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10))
          .withRetries(3, Duration.ofMillis(10));

  @StartStop private final MockWebServer server = new MockWebServer();

  private RangeSource api() {
    return RangeSource.cloudflare(server.url("/client/v4/ips").toString(), false, FAST);
  }

  private RangeSnapshot fetchApi() throws IOException {
    return Guards.defaults().validate(api().fetch());
  }

  private static MockResponse ok(String body) {
    return new MockResponse.Builder().code(200).body(body).build();
  }

  @Test
  void apiBodyGivesFifteenIpv4AndSevenIpv6RangesWithEtag() throws Exception {
    server.enqueue(ok(Bodies.api()));
    RangeSnapshot snapshot = fetchApi();
    assertThat(snapshot.ranges().ipv4()).hasSize(15);
    assertThat(snapshot.ranges().ipv6()).hasSize(7);
    assertThat(snapshot.ranges().ipv4().get(0)).hasToString("103.21.244.0/22");
    assertThat(snapshot.etag()).contains("38f79d050aa027e3be3865e495dcc9bc");
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/client/v4/ips");
  }

  @Test
  void serverErrorIsRetriedThenSucceeds() throws Exception {
    server.enqueue(new MockResponse.Builder().code(500).body("oops").build());
    server.enqueue(new MockResponse.Builder().code(503).body("oops").build());
    server.enqueue(ok(Bodies.api()));
    assertThat(fetchApi().ranges().size()).isEqualTo(22);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void serverErrorOnEveryAttemptFailsNamingTheStatus() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(502).build());
    }
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 502")
        .hasMessageContaining("after 3 attempts");
  }

  @Test
  void clientErrorIsNotRetried() {
    server.enqueue(new MockResponse.Builder().code(404).build());
    server.enqueue(ok(Bodies.api()));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 404");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void successFalseWithStatus200IsRejectedWithTheApiMessage() {
    server.enqueue(ok(Bodies.apiFailure()));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("success: false")
        .hasMessageContaining("Authentication error");
  }

  @Test
  void htmlChallengePageIsRejected() {
    server.enqueue(ok(Bodies.challengePage()));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("did not answer with JSON")
        .hasMessageContaining("HTML page");
  }

  @Test
  void aListGivenTwiceIsRejectedRatherThanOneOfThemPicked() {
    String body = Bodies.api();
    server.enqueue(
        ok(body.replaceFirst("\"ipv4_cidrs\"", "\"ipv4_cidrs\":[\"0.0.0.0/0\"],\"ipv4_cidrs\"")));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("did not answer with JSON");
  }

  @Test
  void jsonFollowedByMoreTextIsRejected() {
    server.enqueue(ok(Bodies.api() + "{}"));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("did not answer with JSON");
  }

  @Test
  void truncatedJsonIsRejected() {
    String body = Bodies.api();
    server.enqueue(ok(body.substring(0, body.length() / 2)));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("did not answer with JSON");
  }

  @Test
  void nullListIsRejected() {
    server.enqueue(
        ok(Bodies.api().replaceFirst("\"ipv6_cidrs\":\\[[^]]*]", "\"ipv6_cidrs\":null")));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("null for ipv6_cidrs");
  }

  @Test
  void emptyListIsRejectedByTheMinimumCount() {
    server.enqueue(ok(Bodies.apiWithIpv4()));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("0 IPv4 ranges, fewer than the minimum of 5");
  }

  @Test
  void bodyOverTheCapIsRejected() {
    server.enqueue(ok(" ".repeat((int) HttpOptions.ONE_MIB) + Bodies.api()));
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("more than the limit of 1048576");
  }

  @Test
  void chunkedBodyOverTheCapIsRejected() {
    server.enqueue(
        new MockResponse.Builder()
            .chunkedBody(" ".repeat((int) HttpOptions.ONE_MIB) + Bodies.api(), 64 * 1024)
            .build());
    assertThatThrownBy(this::fetchApi)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("more than the limit of 1048576 bytes");
  }

  @Test
  void stallingServerTimesOutAfterRetries() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(
          new MockResponse.Builder().body(Bodies.api()).headersDelay(3, TimeUnit.SECONDS).build());
    }
    HttpOptions impatient =
        FAST.withTimeouts(Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofSeconds(2));
    RangeSource source =
        RangeSource.cloudflare(server.url("/client/v4/ips").toString(), false, impatient);

    assertThatThrownBy(source::fetch)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not answer in time (3 attempts)");
  }

  @Test
  void jdCloudListIsSplitByFamily() throws Exception {
    server.enqueue(ok(Bodies.apiWithJdCloud()));
    RangeSource source =
        RangeSource.cloudflare(server.url("/client/v4/ips").toString(), true, FAST);
    RangeSnapshot snapshot = Guards.defaults().validate(source.fetch());
    assertThat(server.takeRequest().getUrl().queryParameter("networks")).isEqualTo("jdcloud");
    assertThat(snapshot.ranges().ipv4())
        .hasSize(17)
        .extracting(Cidr::toString)
        .contains("116.196.112.0/21", "116.196.120.0/21");
    assertThat(snapshot.ranges().ipv6())
        .hasSize(8)
        .extracting(Cidr::toString)
        .contains("2400:b0c0:3::/48");
  }

  @Test
  void plainHttpToANonLoopbackHostIsRefused() {
    assertThatThrownBy(() -> RangeSource.cloudflare("http://api.example.com/ips", false, FAST))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must use https");
  }

  @Test
  void redirectToPlainHttpElsewhereIsRefused() {
    server.enqueue(
        new MockResponse.Builder()
            .code(302)
            .addHeader("Location", "http://example.com/ips")
            .build());
    assertThatThrownBy(this::fetchApi).isInstanceOf(IOException.class);
  }

  @Test
  void textListsWithAndWithoutFinalNewlineGiveAllRanges() throws Exception {
    server.enqueue(ok(Bodies.textV4()));
    server.enqueue(ok(Bodies.textV6()));
    RangeSnapshot snapshot = Guards.defaults().validate(text().fetch());
    assertThat(snapshot.ranges().ipv4()).hasSize(15);
    assertThat(snapshot.ranges().ipv6()).hasSize(7);
    assertThat(snapshot.ranges().ipv6()).extracting(Cidr::toString).contains("2c0f:f248::/32");
  }

  @Test
  void textListsFollowRedirects() throws Exception {
    server.enqueue(new MockResponse.Builder().code(301).addHeader("Location", "/moved-v4").build());
    server.enqueue(ok(Bodies.textV4()));
    server.enqueue(ok(Bodies.textV6()));
    assertThat(Guards.defaults().validate(text().fetch()).ranges().size()).isEqualTo(22);
  }

  @Test
  void gluedCidrsInTextListAreRejectedNamingTheLine() {
    server.enqueue(ok(Bodies.textV4().replace("131.0.72.0/22\n", "131.0.72.0/222400:cb00::/32\n")));
    server.enqueue(ok(Bodies.textV6()));
    assertThatThrownBy(() -> Guards.defaults().validate(text().fetch()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("'131.0.72.0/222400:cb00::/32' is not a valid CIDR");
  }

  @Test
  void htmlInsteadOfTextListIsRejected() {
    server.enqueue(ok(Bodies.challengePage()));
    assertThatThrownBy(() -> text().fetch())
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("HTML page");
  }

  private RangeSource text() {
    return RangeSource.cloudflareText(
        server.url("/ips-v4").toString(), server.url("/ips-v6").toString(), FAST);
  }

  @Test
  void credentialsAndQueryStringsNeverReachMessagesOrTheSnapshotsName() throws Exception {
    String secretUrl =
        server
            .url("/client/v4/ips")
            .newBuilder()
            .username("ops")
            .password("s3cret")
            .addQueryParameter("token", "abc123")
            .build()
            .toString();
    RangeSource source = RangeSource.cloudflare(secretUrl, false, FAST);
    server.enqueue(ok(Bodies.api()));
    RangeSnapshot snapshot = Guards.defaults().validate(source.fetch());
    assertThat(snapshot.source())
        .doesNotContain("s3cret")
        .doesNotContain("abc123")
        .contains("REDACTED");
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(503).build());
    }
    assertThatThrownBy(source::fetch)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("answered HTTP 503")
        .hasMessageNotContaining("s3cret")
        .hasMessageNotContaining("abc123");
    assertThatThrownBy(() -> RangeSource.cloudflare("http://ops:s3cret@example.com/x", false, FAST))
        .hasMessageNotContaining("s3cret")
        .hasMessageContaining("must use https");
  }
}
