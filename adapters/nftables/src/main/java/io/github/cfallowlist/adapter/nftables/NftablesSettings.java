package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The settings the nftables target reads, declared and typed.
 *
 * @param layout the table the sets go into: the own table, or the one {@code nft-table} names
 */
record NftablesSettings(Layout layout) {

  private static final Set<String> FAMILIES = Set.of("ip", "ip6", "inet", "bridge", "netdev");
  // nft's own identifier grammar is a little wider; this subset needs no quoting anywhere.
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  /** {@code nft-table}: an existing table of the user's that receives only the two sets. */
  static final Setting<Layout> NFT_TABLE =
      Setting.of(
          "nft-table",
          "FAMILY NAME",
          "put only the sets cloudflare_v4/cloudflare_v6 into this existing table (such as"
              + " 'inet filter') for your own rules, instead of the table inet cf_allowlist",
          Optional.empty(),
          NftablesSettings::parseTable);

  /** Every setting this target reads. */
  static final List<Setting<?>> DECLARED = List.of(NFT_TABLE);

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for an unknown or misspelled key or a malformed value
   */
  static NftablesSettings of(TargetOptions options) {
    Setting.check("nftables", DECLARED, options);
    return new NftablesSettings(NFT_TABLE.in(options).orElse(Layout.OWN));
  }

  private static Layout parseTable(String value) {
    String[] words = value.strip().split("\\s+", -1);
    if (words.length != 2 || !FAMILIES.contains(words[0]) || !NAME.matcher(words[1]).matches()) {
      throw new IllegalArgumentException(
          "is not a table family (ip, ip6, inet, bridge or netdev) and a table name of letters,"
              + " digits, '_', '.' and '-', such as 'inet filter'");
    }
    if (words[0].equals(Layout.OWN_FAMILY) && words[1].equals(Layout.OWN_TABLE)) {
      throw new IllegalArgumentException(
          "names cf-allowlist's own table; leave nft-table unset to use it");
    }
    return Layout.userTable(words[0], words[1]);
  }
}
