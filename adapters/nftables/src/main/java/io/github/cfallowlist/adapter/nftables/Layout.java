package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.IpFamily;

/**
 * Where the sets live: the table cf-allowlist owns ({@code inet cf_allowlist}, with a chain), or a
 * table the user names with the {@code nft-table} setting (sets only).
 *
 * @param family the nftables address family of the table
 * @param table the table name
 * @param ownTable whether cf-allowlist owns the whole table (and may delete it)
 */
record Layout(String family, String table, boolean ownTable) {

  static final String OWN_FAMILY = "inet";
  static final String OWN_TABLE = "cf_allowlist";
  static final String CHAIN = "input";

  /** The table cf-allowlist owns. */
  static final Layout OWN = new Layout(OWN_FAMILY, OWN_TABLE, true);

  /** The table {@code family name}, which the user owns. */
  static Layout userTable(String family, String name) {
    return new Layout(family, name, false);
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
}
