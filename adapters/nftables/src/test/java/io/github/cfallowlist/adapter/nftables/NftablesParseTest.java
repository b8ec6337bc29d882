package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nftables.NftablesConfig.Rule;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Strict parsing: of the rendered script (anything cf-allowlist does not write is refused, naming
 * its line) and of {@code nft -j list ...} output as nft 1.0.6 prints it (anything cf-allowlist did
 * not write becomes a note, so that it shows as a change).
 */
class NftablesParseTest {
  private final NftablesTarget target = new NftablesTarget();
  private final RangeSnapshot snapshot = Fixtures.embedded();
  private final TargetOptions defaults = TargetOptions.defaults();

  private static final Layout OWN = Layout.OWN;
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

  static Stream<Arguments> variants() {
    return Fixtures.variants().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void parseReturnsExactlyTheRenderedRanges(String name, TargetOptions options) {
    Rendered rendered = target.render(snapshot, options);

    assertThat(target.parse(rendered, options))
        .isEqualTo(snapshot.ranges().restrictTo(options.families()));
  }

  @Test
  void anElementLineThatIsNotAPrefixIsShownOnceEscapedNeverSaidToBeHidden() {
    String text =
        target
            .render(snapshot, defaults)
            .text()
            .replace("\t173.245.48.0/20,", "\t0.0.0.0/1, 128.0.0.0/1,");
    int line = lineOf(text, "\t0.0.0.0/1, 128.0.0.0/1,");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessage(
            "cf_allowlist.nft line "
                + line
                + ": not a prefix (it contains whitespace): '\\x090.0.0.0/1, 128.0.0.0/1,'");
  }

  @Test
  void parseNamesFileLineNumberAndLineOfAHandEditedElement() {
    String text =
        target
            .render(snapshot, defaults)
            .text()
            .replace("\t173.245.48.0/20,", "\t173.245.48.1/20,");
    int line = lineOf(text, "\t173.245.48.1/20,");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("cf_allowlist.nft line " + line + ": ")
        .hasMessageContaining("173.245.48.1/20");
  }

  @Test
  void parseRefusesAForeignRuleNamingItsLine() {
    String foreign = "add rule inet cf_allowlist input tcp dport 22 accept";
    String text = target.render(snapshot, defaults).text() + foreign + "\n";
    int line = lineOf(text, foreign);

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessage(
            "cf_allowlist.nft line "
                + line
                + ": not a rule cf-allowlist writes: '"
                + foreign
                + "'");
  }

  @Test
  void parseRefusesAScriptForAnotherTable() {
    Rendered other = target.render(snapshot, defaults.withSetting("nft-table", "inet filter"));

    assertThatThrownBy(() -> target.parse(other, defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("line 5: expected 'table inet cf_allowlist {'");
  }

  @Test
  void parseRefusesAMissingFlushThatWouldLetStaleRangesAccumulate() {
    String text =
        target
            .render(snapshot, defaults)
            .text()
            .replace("flush set inet cf_allowlist cloudflare_v6\n", "");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("cf_allowlist.nft line")
        .hasMessageContaining("add element inet cf_allowlist cloudflare_v6 {");
  }

  @Test
  void parseRefusesACommentAddedInTheMiddle() {
    String text =
        target.render(snapshot, defaults).text().replace("flush chain", "# hand edit\nflush chain");
    int line = lineOf(text, "# hand edit");

    assertThatThrownBy(() -> target.parse(Rendered.single("cf_allowlist.nft", text), defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageStartingWith("cf_allowlist.nft line " + line + ": ");
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

    NftablesConfig config = listed(OWN, json);

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

    NftablesConfig config = listed(OWN, json);

    assertThat(config.notes())
        .containsExactly(
            "table properties flags",
            "1 element(s) of set cloudflare_v4 that are not IPv4 prefixes",
            "set other",
            "rule handle 7 in chain input",
            "map m");
    assertThat(config.chain()).contains(List.of(new Rule(IpFamily.IPV4, List.of(80, 443))));
    String rendered = config.render("");
    assertThat(NftablesConfig.parse("live", rendered, OWN)).isEqualTo(config);
  }

  @Test
  void aSetsElementsOfEveryShapeAreReadWhereverTheyStandInTheListing() throws Exception {
    String elements =
        "{\"prefix\":{\"addr\":\"10.2.0.0\",\"len\":16}},"
            + "{\"prefix\":{\"addr\":\"10.3.2.1\",\"len\":16}},"
            + "{\"prefix\":{\"addr\":\"2400:cb00::\",\"len\":32}},"
            + "{\"elem\":{\"val\":{\"prefix\":{\"addr\":\"10.4.0.0\",\"len\":16}},"
            + "\"comment\":\"x\"}},"
            + "{\"range\":[\"10.5.0.0\",\"10.5.1.255\"]},"
            + "\"10.6.0.1\","
            + "{\"prefix\":{\"len\":16,\"addr\":\"10.7.0.0\"}},"
            + "{\"prefix\":{\"addr\":\"10.8.0.0\",\"len\":16},\"counter\":{\"packets\":0}},"
            + "{\"prefix\":{\"addr\":\"10.9.0.0\",\"len\":16,\"x\":[1,{\"y\":2}]}}";
    // The set's "elem" list comes before its type and flags, and the table after the set.
    String set =
        "{\"set\":{\"elem\":["
            + elements
            + "],\"family\":\"inet\",\"name\":\"cloudflare_v4\",\"table\":\"cf_allowlist\","
            + "\"type\":\"ipv4_addr\",\"handle\":2,\"flags\":[\"interval\"]}}";

    NftablesConfig config = listed(OWN, listing(set, TABLE));

    assertThat(config.ranges())
        .isEqualTo(
            RangeSet.parse(
                "10.2.0.0/16",
                "10.4.0.0/16",
                "10.5.0.0/23",
                "10.6.0.1/32",
                "10.7.0.0/16",
                "10.8.0.0/16",
                "10.9.0.0/16"));
    assertThat(config.notes())
        .containsExactly("2 element(s) of set cloudflare_v4 that are not IPv4 prefixes");
    assertThatThrownBy(() -> listed(OWN, listing(set, TABLE).substring(0, 200)))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("nft printed JSON that cannot be read");
    // A key given twice, where it is read and where it is skipped, is refused as it always was.
    for (String twice :
        List.of(
            listing(set.replace("\"handle\":2,", "\"handle\":2,\"name\":\"x\","), TABLE),
            listing(set, TABLE).replace("{\"nftables\":", "{\"nftables\":[],\"nftables\":"),
            "{\"x\":{\"a\":1,\"a\":2}," + listing(set, TABLE).substring(1),
            "",
            "  ")) {
      assertThatThrownBy(() -> listed(OWN, twice))
          .isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("nft printed JSON that cannot be read");
    }
  }

  @Test
  void aListingReadAsNftPrintsItGivesWhatItsWholeTextGives() throws Exception {
    // Elements that are not plain prefixes are read again from their own text; the comments put
    // characters of several bytes before them, so bytes and characters part ways.
    String elements =
        "{\"elem\":{\"val\":{\"prefix\":{\"addr\":\"10.4.0.0\",\"len\":16}},"
            + "\"comment\":\"caf\u00e9 \u2713\"}},"
            + "{\"prefix\":{\"addr\":\"10.2.0.0\",\"len\":16}},"
            + "{\"elem\":{\"val\":{\"range\":[\"10.5.0.0\",\"10.5.1.255\"]},"
            + "\"comment\":\"\u00fcber \ud83d\ude00\"}},"
            + "\"10.6.0.1\","
            + "{\"prefix\":{\"addr\":\"10.3.2.1\",\"len\":16}}";
    String json =
        listing(
            TABLE,
            set("cloudflare_v4", "ipv4_addr", elements),
            CHAIN,
            rule(9, "{\"set\":[80,443]}", "ip", "cloudflare_v4"));

    NftablesConfig whole = listed(OWN, json);
    NftablesConfig streamed = LiveJson.table(OWN, trickle(json));

    assertThat(streamed).isEqualTo(whole);
    assertThat(streamed.ranges())
        .isEqualTo(RangeSet.parse("10.2.0.0/16", "10.4.0.0/16", "10.5.0.0/23", "10.6.0.1/32"));
    assertThat(streamed.notes())
        .containsExactly("1 element(s) of set cloudflare_v4 that are not IPv4 prefixes");
    // Elements read again by the bytes they stand at need bytes in UTF-8.
    assertThat(
            failure(
                () ->
                    LiveJson.table(
                        OWN,
                        new java.io.ByteArrayInputStream(
                            json.getBytes(java.nio.charset.StandardCharsets.UTF_16BE)))))
        .isEqualTo("nft printed JSON that is not in UTF-8");
    for (String bad : List.of(json.substring(0, 200), "", "{\"other\":[]}")) {
      // The same refusal; the parser's own words after the colon differ for bytes and text.
      String expected = failure(() -> listed(OWN, bad)).split(": ", 2)[0];
      assertThat(failure(() -> LiveJson.table(OWN, trickle(bad)))).startsWith(expected);
    }
  }

  /** The model of a table listing held as text, read as nft's output is. */
  private static NftablesConfig listed(Layout layout, String json) throws java.io.IOException {
    return LiveJson.table(
        layout,
        new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** {@code json} as a stream that hands out a few bytes at a time, as a pipe may. */
  private static java.io.InputStream trickle(String json) {
    return new java.io.ByteArrayInputStream(
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 7));
      }
    };
  }

  private interface Reading {
    Object read() throws java.io.IOException;
  }

  /** The message of the error {@code reading} throws. */
  private static String failure(Reading reading) {
    try {
      reading.read();
    } catch (java.io.IOException e) {
      return e.getMessage();
    }
    throw new AssertionError("the reading did not fail");
  }

  @Test
  void aChainWithAnotherPolicyIsNotOurs() throws Exception {
    String json = listing(TABLE, CHAIN.replace("\"accept\"", "\"drop\""));

    NftablesConfig config = listed(OWN, json);

    assertThat(config.chain()).isEqualTo(Optional.empty());
    assertThat(config.notes())
        .containsExactly("chain input with another type, hook, priority or policy");
  }

  @Test
  void readsTheTablesOfTheRuleset() throws Exception {
    String json =
        listing(
            TABLE,
            "{\"table\":{\"family\":\"ip\",\"name\":\"filter\",\"handle\":3}}",
            "{\"table\":{\"family\":\"inet\",\"name\":\"filter\",\"handle\":4}}");

    assertThat(LiveJson.tables(json))
        .containsExactly("inet cf_allowlist", "inet filter", "ip filter");
    assertThat(LiveJson.tables("{\"nftables\":[" + META + "]}")).isEmpty();
  }

  @Test
  void liveJsonThatIsNotAnNftListingIsAnError() {
    assertThatThrownBy(() -> LiveJson.tables("<html>"))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("nft printed JSON that cannot be read");
    assertThatThrownBy(() -> listed(Layout.OWN, "{\"other\":[]}"))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("without an \"nftables\" list");
  }

  @Test
  void aSetTheUserDeclaredWithTheirOwnPropertiesIsReadWithoutNotes() throws Exception {
    String set =
        "{\"nftables\":["
            + META
            + ",{\"set\":{\"family\":\"inet\",\"name\":\"cloudflare_v4\",\"table\":\"filter\","
            + "\"type\":\"ipv4_addr\",\"handle\":2,\"flags\":[\"interval\"],\"size\":64,"
            + "\"auto-merge\":true,\"elem\":[{\"prefix\":{\"addr\":\"173.245.48.0\",\"len\":20}}]}}]}";

    NftablesConfig config = LiveJson.sets(Layout.userTable("inet", "filter"), List.of(set));

    assertThat(config.notes()).isEmpty();
    assertThat(config.chain()).isEmpty();
    assertThat(config.ranges()).isEqualTo(RangeSet.parse("173.245.48.0/20"));
  }

  @Test
  void parseRefusesAFileItDoesNotWrite() {
    Rendered two =
        new Rendered(
            List.of(
                new Rendered.File("cf_allowlist.nft", target.render(snapshot, defaults).text()),
                new Rendered.File("other.nft", "")));

    assertThatThrownBy(() -> target.parse(two, defaults))
        .isInstanceOf(ConfigParseException.class)
        .hasMessageContaining("unexpected file other.nft");
  }

  private static int lineOf(String text, String line) {
    List<String> lines = text.lines().toList();
    assertThat(lines).contains(line);
    return lines.indexOf(line) + 1;
  }
}
