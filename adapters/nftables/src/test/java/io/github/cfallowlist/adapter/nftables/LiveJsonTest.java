package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.adapter.nftables.NftConfig.Rule;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading {@code nft -j} output as nft 1.0.6 prints it. */
class LiveJsonTest {
  private static final Layout OWN = new Layout("inet", "cf_allowlist", true);
  private static final String META =
      "{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\":\"Lester Gooch #5\","
          + "\"json_schema_version\":1}}";
  private static final String TABLE =
      "{\"table\":{\"family\":\"inet\",\"name\":\"cf_allowlist\",\"handle\":1}}";
  private static final String CHAIN =
      "{\"chain\":{\"family\":\"inet\",\"table\":\"cf_allowlist\",\"name\":\"input\",\"handle\":1,"
          + "\"type\":\"filter\",\"hook\":\"input\",\"prio\":-10,\"policy\":\"accept\"}}";

  private static String set(String name, String type, String elems) {
    return "{\"set\":{\"family\":\"inet\",\"name\":\""
        + name
        + "\",\"table\":\"cf_allowlist\","
        + "\"type\":\""
        + type
        + "\",\"handle\":2,\"flags\":[\"interval\"],\"elem\":["
        + elems
        + "]}}";
  }

  private static String rule(int handle, String dportRight, String proto, String set) {
    return "{\"rule\":{\"family\":\"inet\",\"table\":\"cf_allowlist\",\"chain\":\"input\","
        + "\"handle\":"
        + handle
        + ",\"expr\":["
        + "{\"match\":{\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"iifname\"}},"
        + "\"right\":\"lo\"}},"
        + "{\"match\":{\"op\":\"==\",\"left\":"
        + "{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},"
        + "\"right\":"
        + dportRight
        + "}},"
        + "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\""
        + proto
        + "\","
        + "\"field\":\"saddr\"}},\"right\":\"@"
        + set
        + "\"}},{\"drop\":null}]}}";
  }

  private static String listing(String... items) {
    return "{\"nftables\":[" + META + "," + String.join(",", items) + "]}";
  }

  @Test
  void readsPrefixesPlainAddressesAndPortsOfOurRules() throws Exception {
    String json =
        listing(
            TABLE,
            set(
                "cloudflare_v4",
                "ipv4_addr",
                "\"1.2.3.4\",{\"prefix\":{\"addr\":\"173.245.48.0\",\"len\":20}}"),
            set("cloudflare_v6", "ipv6_addr", "{\"prefix\":{\"addr\":\"2400:cb00::\",\"len\":32}}"),
            CHAIN,
            rule(8, "{\"set\":[80,443]}", "ip", "cloudflare_v4"),
            rule(9, "8080", "ip6", "cloudflare_v6"));

    NftConfig config = LiveJson.table(OWN, json);

    assertThat(config.ranges())
        .isEqualTo(RangeSet.parse("1.2.3.4/32", "173.245.48.0/20", "2400:cb00::/32"));
    assertThat(config.chain())
        .contains(
            List.of(
                new Rule(IpFamily.IPV4, List.of(80, 443)), new Rule(IpFamily.IPV6, List.of(8080))));
    assertThat(config.notes()).isEmpty();
  }

  @Test
  void splitsRangesIntoPrefixesAndUnwrapsElementsWithComments() {
    assertThat(LiveJson.prefixes(Map.of("range", List.of("10.0.0.0", "10.0.1.255"))))
        .extracting(Object::toString)
        .containsExactly("10.0.0.0/23");
    assertThat(LiveJson.prefixes(Map.of("range", List.of("10.0.0.1", "10.0.0.2"))))
        .extracting(Object::toString)
        .containsExactly("10.0.0.1/32", "10.0.0.2/32");
    assertThat(
            LiveJson.prefixes(
                Map.of(
                    "elem",
                    Map.of(
                        "val",
                        Map.of("prefix", Map.of("addr", "10.1.0.0", "len", 16)),
                        "comment",
                        "x"))))
        .extracting(Object::toString)
        .containsExactly("10.1.0.0/16");
    assertThat(LiveJson.prefixes("not an address")).isEmpty();
    assertThat(LiveJson.prefixes(Map.of("prefix", Map.of("addr", "10.1.2.3", "len", 16))))
        .isEmpty();
  }

  @Test
  void notesEverythingItDidNotWriteSoThatItShowsAsAChange() throws Exception {
    String foreignRule =
        "{\"rule\":{\"family\":\"inet\",\"table\":\"cf_allowlist\",\"chain\":\"input\","
            + "\"handle\":7,"
            + "\"expr\":[{\"accept\":null}]}}";
    String json =
        listing(
            "{\"table\":{\"family\":\"inet\",\"name\":\"cf_allowlist\",\"handle\":1,"
                + "\"flags\":[\"dormant\"]}}",
            set("cloudflare_v4", "ipv4_addr", "\"garbage\""),
            set("other", "ipv4_addr", ""),
            CHAIN,
            foreignRule,
            rule(9, "{\"set\":[80,443]}", "ip", "cloudflare_v4"),
            "{\"map\":{\"family\":\"inet\",\"name\":\"m\",\"table\":\"cf_allowlist\"}}");

    NftConfig config = LiveJson.table(OWN, json);

    assertThat(config.notes())
        .containsExactly(
            "table properties flags",
            "1 element(s) of set cloudflare_v4 that are not IPv4 prefixes",
            "set other",
            "rule handle 7 in chain input",
            "map m");
    assertThat(config.chain()).contains(List.of(new Rule(IpFamily.IPV4, List.of(80, 443))));
    String rendered = config.render("");
    assertThat(NftConfig.parse("live", rendered, OWN)).isEqualTo(config);
  }

  @Test
  void aChainWithAnotherPolicyIsNotOurs() throws Exception {
    String json = listing(TABLE, CHAIN.replace("\"accept\"", "\"drop\""));

    NftConfig config = LiveJson.table(OWN, json);

    assertThat(config.chain()).isEqualTo(Optional.empty());
    assertThat(config.notes())
        .containsExactly("chain input with another type, hook, priority or policy");
  }
}
