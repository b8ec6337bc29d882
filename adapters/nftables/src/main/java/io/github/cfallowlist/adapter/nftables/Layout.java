package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.TargetOptions;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the sets live: the table cf-allowlist owns ({@code inet cf_allowlist}, with a chain), or a
 * table the user names with the {@code nft-table} setting (sets only).
 *
 * @param family the nftables address family of the table
 * @param table the table name
 * @param ownTable whether cf-allowlist owns the whole table (and may delete it)
 */
record Layout(String family, String table, boolean ownTable) {

  static final String SETTING = "nft-table";
  static final String OWN_FAMILY = "inet";
  static final String OWN_TABLE = "cf_allowlist";
  static final String CHAIN = "input";

  private static final Set<String> FAMILIES = Set.of("ip", "ip6", "inet", "bridge", "netdev");
  // nft's own identifier grammar is a little wider; this subset needs no quoting anywhere.
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  /** The layout {@code options} ask for. */
  static Layout of(TargetOptions options) {
    if (options.setting(SETTING).isEmpty()) {
      return new Layout(OWN_FAMILY, OWN_TABLE, true);
    }
    String value = options.setting(SETTING).get();
    String[] words = value.strip().split("\\s+", -1);
    if (words.length != 2 || !FAMILIES.contains(words[0]) || !NAME.matcher(words[1]).matches()) {
      throw new CfAllowlistException(
          "nftables: --nft-table '"
              + printable(value)
              + "' must be a table family (ip, ip6, inet, bridge or netdev) and a table name,"
              + " such as 'inet filter'");
    }
    return new Layout(words[0], words[1], false);
  }

  /** The table as nft commands name it, such as {@code inet cf_allowlist}. */
  String ref() {
    return family + " " + table;
  }

  static String setName(IpFamily family) {
    return family == IpFamily.IPV4 ? "cloudflare_v4" : "cloudflare_v6";
  }

  static String setType(IpFamily family) {
    return family == IpFamily.IPV4 ? "ipv4_addr" : "ipv6_addr";
  }

  /** The match keyword for a source address of {@code family}. */
  static String saddrProtocol(IpFamily family) {
    return family == IpFamily.IPV4 ? "ip" : "ip6";
  }

  /** {@code text} with anything but plain printable ASCII replaced, for messages. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().limit(200).forEach(c -> out.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
    return out.toString();
  }
}
