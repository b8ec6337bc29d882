package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteCheckTest {
  private static final List<Cidr> RANGES =
      List.of(
          Cidr.parse("173.245.48.0/20"),
          Cidr.parse("172.64.0.0/13"),
          Cidr.parse("104.16.0.0/13"),
          Cidr.parse("141.101.64.0/18"),
          Cidr.parse("2400:cb00::/32"),
          Cidr.parse("2606:4700::/32"));

  private static final String DEFAULT4 =
      "[{\"dst\":\"default\",\"gateway\":\"10.9.0.1\",\"dev\":\"up0\",\"flags\":[]}]";
  private static final String DEFAULT6 =
      "[{\"dst\":\"default\",\"gateway\":\"fd00:9::1\",\"dev\":\"up0\",\"metric\":1024,"
          + "\"flags\":[],\"pref\":\"medium\"}]";
  private static final String RULES =
      "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},{\"priority\":32766,\"src\":\"all\","
          + "\"table\":\"main\"},{\"priority\":32767,\"src\":\"all\",\"table\":\"default\"}]";

  private static String get(String dst, String dev) {
    return "[{\"dst\":\""
        + dst
        + "\",\"dev\":\""
        + dev
        + "\",\"prefsrc\":\"10.9.0.2\",\"flags\":[],\"uid\":0,\"cache\":[]}]";
  }

  /**
   * Recorded from iproute2 6.1 in a namespace with a default route via up0, 172.0.0.0/8 through
   * vpc0, blackhole 104.16.0.0/13, prohibit 141.101.64.0/18 and unreachable 2400:cb00::/32.
   */
  private static final String BROKEN_STDOUT =
      String.join(
              "\n",
              DEFAULT4,
              DEFAULT6,
              RULES,
              get("173.245.48.0", "up0"),
              get("172.64.0.0", "vpc0"),
              get("2606:4700::", "up0"))
          + "\n";

  private static final String BROKEN_STDERR =
      """
      RTNETLINK answers: Invalid argument
      Command failed -:6
      RTNETLINK answers: Permission denied
      Command failed -:7
      RTNETLINK answers: No route to host
      Command failed -:8
      """;

  /** Recorded {@code ip -j route show table all} (main table part) of the same namespace. */
  private static final String TABLE =
      "[{\"dst\":\"default\",\"gateway\":\"10.9.0.1\",\"dev\":\"up0\",\"flags\":[]},"
          + "{\"dst\":\"10.9.0.0/24\",\"dev\":\"up0\",\"protocol\":\"kernel\",\"scope\":\"link\","
          + "\"prefsrc\":\"10.9.0.2\",\"flags\":[]},"
          + "{\"type\":\"blackhole\",\"dst\":\"104.16.0.0/13\",\"flags\":[]},"
          + "{\"type\":\"prohibit\",\"dst\":\"141.101.64.0/18\",\"flags\":[]},"
          + "{\"dst\":\"172.0.0.0/8\",\"dev\":\"vpc0\",\"scope\":\"link\",\"flags\":[]},"
          + "{\"type\":\"local\",\"dst\":\"10.9.0.2\",\"dev\":\"up0\",\"table\":\"local\","
          + "\"protocol\":\"kernel\",\"scope\":\"host\",\"prefsrc\":\"10.9.0.2\",\"flags\":[]},"
          + "{\"type\":\"unreachable\",\"dst\":\"2400:cb00::/32\",\"dev\":\"lo\",\"metric\":1024,"
          + "\"flags\":[],\"pref\":\"medium\"},"
          + "{\"dst\":\"default\",\"gateway\":\"fd00:9::1\",\"dev\":\"up0\",\"metric\":1024,"
          + "\"flags\":[],\"pref\":\"medium\"}]";

  private static List<Finding> judge(String stdout, String stderr, int rules) throws IOException {
    IpBatch batch = IpBatch.parse(stdout, stderr, 3 + RANGES.size());
    return RouteCheck.judge(RANGES, batch, rules, () -> Route.all(IpBatch.objects(TABLE)));
  }

  @Test
  void splitsTheBatchIntoAnswersAndErrorsByLine() throws IOException {
    IpBatch b = IpBatch.parse(BROKEN_STDOUT, BROKEN_STDERR, 9);
    assertThat(b.failed(5)).isFalse();
    assertThat(b.output(5))
        .singleElement()
        .satisfies(o -> assertThat(o).containsEntry("dev", "vpc0"));
    assertThat(b.failed(6)).isTrue();
    assertThat(b.error(6)).isEqualTo("Invalid argument");
    assertThat(b.output(9).get(0)).containsEntry("dst", "2606:4700::");
  }

  @Test
  void answersThatDoNotAddUpAreRefused() {
    assertThatThrownBy(() -> IpBatch.parse(BROKEN_STDOUT, "", 9))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("answered 6 of 9 commands");
  }

  @Test
  void eachCapturingRouteFailsNamingRangeRouteAndInterface() throws IOException {
    List<Finding> f = judge(BROKEN_STDOUT, BROKEN_STDERR, 0);
    assertThat(f).extracting(Finding::status).containsOnly(Status.FAIL);
    assertThat(f)
        .extracting(Finding::found)
        .containsExactly(
            "the route back to Cloudflare's 172.64.0.0/13 leaves through vpc0 ('172.0.0.0/8 dev"
                + " vpc0'), not through up0 of the default route",
            "the route back to Cloudflare's 104.16.0.0/13 is a blackhole route ('blackhole"
                + " 104.16.0.0/13'), so replies to Cloudflare are dropped",
            "the route back to Cloudflare's 141.101.64.0/18 is a prohibit route ('prohibit"
                + " 141.101.64.0/18'), so replies to Cloudflare are dropped",
            "the route back to Cloudflare's 2400:cb00::/32 is a unreachable route ('unreachable"
                + " 2400:cb00::/32 dev lo'), so replies to Cloudflare are dropped");
    assertThat(f)
        .extracting(Finding::remedy)
        .containsExactly(
            "remove or narrow the route: 'ip route del 172.0.0.0/8 dev vpc0'",
            "remove or narrow the route: 'ip route del blackhole 104.16.0.0/13'",
            "remove or narrow the route: 'ip route del prohibit 141.101.64.0/18'",
            "remove or narrow the route: 'ip route del unreachable 2400:cb00::/32 dev lo'");
  }

  @Test
  void routesThroughTheDefaultInterfaceAreOkAndPolicyRulesAreNamed() throws IOException {
    String stdout =
        String.join(
            "\n",
            DEFAULT4,
            DEFAULT6,
            RULES,
            get("173.245.48.0", "up0"),
            get("172.64.0.0", "up0"),
            get("104.16.0.0", "up0"),
            get("141.101.64.0", "up0"),
            get("2400:cb00::", "up0"),
            get("2606:4700::", "up0"));
    List<Finding> f =
        RouteCheck.judge(
            RANGES,
            IpBatch.parse(stdout, "", 9),
            2,
            () -> {
              throw new AssertionError("the table is read only to name a failing route");
            });
    assertThat(f)
        .containsExactly(
            Finding.ok(
                "routes",
                "the routes back to all 6 Cloudflare ranges leave through up0, the default"
                    + " route's interface; 2 policy rules besides local, main and default were"
                    + " applied as for a packet from this host with no source address and no"
                    + " mark"));
  }

  @Test
  void noDefaultRouteWarnsAndAMissingIpv6DefaultIsSaidInTheOk() throws IOException {
    String none = "[]\n[]\n" + RULES + "\n";
    StringBuilder e = new StringBuilder();
    for (int i = 4; i <= 9; i++) {
      e.append("RTNETLINK answers: Network is unreachable\nCommand failed -:")
          .append(i)
          .append('\n');
    }
    List<Finding> f = judge(none, e.toString(), 0);
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.WARN);
              assertThat(x.found())
                  .isEqualTo(
                      "there is no default route, so the routes back to Cloudflare cannot be judged");
            });

    StringBuilder v6err = new StringBuilder();
    for (int i = 8; i <= 9; i++) {
      v6err
          .append("RTNETLINK answers: Network is unreachable\nCommand failed -:")
          .append(i)
          .append('\n');
    }
    String v4only =
        String.join(
            "\n",
            DEFAULT4,
            "[]",
            RULES,
            get("173.245.48.0", "up0"),
            get("172.64.0.0", "up0"),
            get("104.16.0.0", "up0"),
            get("141.101.64.0", "up0"));
    List<Finding> ok = judge(v4only, v6err.toString(), 0);
    assertThat(ok)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.OK);
              assertThat(x.found()).endsWith("(IPv6 not judged: no IPv6 default route)");
            });
  }

  @Test
  void multipathDefaultRoutesAcceptEveryNextHopsInterface() throws IOException {
    String multipath =
        "[{\"dst\":\"default\",\"flags\":[],\"nexthops\":[{\"gateway\":\"10.0.0.1\",\"dev\":\"eth0\","
            + "\"weight\":1,\"flags\":[]},{\"gateway\":\"10.1.0.1\",\"dev\":\"eth1\",\"weight\":1,"
            + "\"flags\":[]}]}]";
    String stdout =
        String.join(
            "\n",
            multipath,
            DEFAULT6,
            RULES,
            get("173.245.48.0", "eth0"),
            get("172.64.0.0", "eth1"),
            get("104.16.0.0", "eth0"),
            get("141.101.64.0", "eth1"),
            get("2400:cb00::", "up0"),
            get("2606:4700::", "up0"));
    assertThat(judge(stdout, "", 0))
        .singleElement()
        .extracting(Finding::status)
        .isEqualTo(Status.OK);
  }

  @Test
  void countsOnlyNonStandardPolicyRules() throws IOException {
    assertThat(RouteCheck.extraRules(IpBatch.objects(RULES))).isZero();
    assertThat(
            RouteCheck.extraRules(
                IpBatch.objects(
                    "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},{\"priority\":100,"
                        + "\"src\":\"10.0.0.0\",\"srclen\":8,\"table\":\"vpc\"}]")))
        .isEqualTo(1);
  }
}
