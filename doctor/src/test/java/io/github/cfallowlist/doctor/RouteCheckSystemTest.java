package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The routes check on real routes in a network namespace: a default route (IPv4 and IPv6) through
 * the veth {@code up0}, and a VPC-style route for 172.0.0.0/8 through a second veth {@code vpc0}
 * (veth, because not every kernel has the dummy driver).
 */
class RouteCheckSystemTest {

  private static Netns origin() {
    Netns ns = Netns.create("dr-route");
    for (String[] cmd :
        new String[][] {
          {"ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1"},
          {"ip", "link", "add", "vpc0", "type", "veth", "peer", "name", "vpc1"},
          {"ip", "link", "set", "up0", "up"},
          {"ip", "link", "set", "up1", "up"},
          {"ip", "link", "set", "vpc0", "up"},
          {"ip", "link", "set", "vpc1", "up"},
          {"ip", "addr", "add", "10.9.0.2/24", "dev", "up0"},
          {"ip", "addr", "add", "fd00:9::2/64", "dev", "up0", "nodad"},
          {"ip", "route", "add", "default", "via", "10.9.0.1", "dev", "up0"},
          {"ip", "-6", "route", "add", "default", "via", "fd00:9::1", "dev", "up0"},
        }) {
      ns.execChecked(cmd);
    }
    return ns;
  }

  private static List<Finding> routes(RecordingCommandRunner runner) throws IOException {
    return new RouteCheck().run(Contexts.context(runner, Origin.of(TlsMode.FULL)));
  }

  @Test
  void aPrivateRouteCapturingACloudflareRangeFailsAndIsOkOnceDeleted() throws IOException {
    SystemTests.requireTools("ip");
    try (Netns ns = origin()) {
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(ns.name()));
      ns.execChecked("ip", "route", "add", "172.0.0.0/8", "dev", "vpc0");
      List<Finding> broken = routes(runner);
      assertThat(broken)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .isEqualTo(
                        "the route back to Cloudflare's 172.64.0.0/13 leaves through vpc0 ('172.0.0.0/8"
                            + " dev vpc0'), not through up0 of the default route");
                assertThat(f.remedy())
                    .isEqualTo("remove or narrow the route: 'ip route del 172.0.0.0/8 dev vpc0'");
              });
      // One batch for every range, one read of the IPv6 rules, one of the table to name the route.
      assertThat(runner.commands()).hasSize(3);
      assertThat(runner.modifyingCommands()).isEmpty();

      ns.execChecked("ip", "route", "del", "172.0.0.0/8", "dev", "vpc0");
      int ranges = Contexts.embedded().ranges().size();
      assertThat(routes(runner))
          .containsExactly(
              Finding.ok(
                  "routes",
                  "the routes back to all "
                      + ranges
                      + " Cloudflare ranges leave through up0, the default route's interface"));
    }
  }

  @Test
  void aBlackholeRouteFailsAndNoDefaultRouteWarns() throws IOException {
    SystemTests.requireTools("ip");
    try (Netns ns = origin()) {
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(ns.name()));
      ns.execChecked("ip", "-6", "route", "add", "blackhole", "2400:cb00::/32");
      assertThat(routes(runner))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .startsWith(
                        "the route back to Cloudflare's 2400:cb00::/32 is a blackhole route");
                assertThat(f.remedy())
                    .startsWith(
                        "remove or narrow the route: 'ip route del blackhole 2400:cb00::/32");
              });
      ns.execChecked("ip", "-6", "route", "del", "blackhole", "2400:cb00::/32");
      ns.execChecked("ip", "route", "del", "default");
      ns.execChecked("ip", "-6", "route", "del", "default");
      assertThat(routes(runner))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.WARN);
                assertThat(f.found())
                    .isEqualTo(
                        "there is no default route, so the routes back to Cloudflare cannot be judged");
              });
    }
  }
}
