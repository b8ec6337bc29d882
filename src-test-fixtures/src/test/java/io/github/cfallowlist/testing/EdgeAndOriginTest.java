package io.github.cfallowlist.testing;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V6;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeAndOriginTest {

  private static final int PORT = 8080;

  @Test
  void aFirewallInTheOriginDecidesWhichEdgeAddressesGetThrough() {
    SystemTests.requireTools("ip", "nft", "curl");
    String origin;
    String edge;
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      origin = net.origin().name();
      edge = net.edge().name();
      assertTrue(netnsList().contains(origin) && netnsList().contains(edge), netnsList());

      net.startHttpServer(PORT);
      for (String from : List.of(EDGE_CF_V4, EDGE_OTHER_V4, EDGE_CF_V6, EDGE_OTHER_V6)) {
        assertEquals(200, net.probe(from, PORT), "before the rule, from " + from);
      }

      net.origin()
          .execChecked(
              """
                    table inet cf_allowlist_test {
                      chain input {
                        type filter hook input priority 0; policy accept;
                        ip saddr 203.0.113.7 tcp dport 8080 drop
                      }
                    }
                    """,
              List.of("nft", "-f", "-"));
      assertEquals(0, net.probe(EDGE_OTHER_V4, PORT), "dropped source");
      assertEquals(200, net.probe(EDGE_CF_V4, PORT), "Cloudflare source");
      assertEquals(200, net.probe(EDGE_OTHER_V6, PORT), "the rule is IPv4 only");

      net.addEdgeAddress("104.16.0.9");
      net.addEdgeAddress("2a06:98c0::9/128");
      assertEquals(200, net.probe("104.16.0.9", PORT));
      assertEquals(200, net.probe("2a06:98c0::9", PORT));

      net.close();
      net.close(); // idempotent, and again by try-with-resources
    }
    assertFalse(netnsList().contains(origin), netnsList());
    assertFalse(netnsList().contains(edge), netnsList());
  }

  private static String netnsList() {
    return Netns.run(List.of("ip", "netns", "list"), null, Duration.ofSeconds(10)).stdout();
  }
}
