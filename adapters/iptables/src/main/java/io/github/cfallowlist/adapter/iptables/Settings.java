package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.TargetOptions;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The options this target reads, checked once.
 *
 * @param parentChain the filter chain that jumps to {@code CF-ALLOWLIST}
 * @param ipset whether the ranges live in ipsets matched by one rule
 * @param mode restrict or allow
 * @param ports the TCP ports, sorted
 * @param families the families in use
 */
record Settings(
    String parentChain, boolean ipset, Mode mode, List<Integer> ports, Families families) {

  static final String CHAIN_KEY = "chain";
  static final String IPSET_KEY = "ipset";
  static final String DEFAULT_CHAIN = "INPUT";

  // iptables allows up to 28 characters; the name ends up in a restore file, so nothing else.
  private static final Pattern CHAIN_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}");

  Settings {
    if (!CHAIN_NAME.matcher(parentChain).matches()) {
      throw new IllegalArgumentException(
          "setting chain '" + parentChain + "' is not an iptables chain name");
    }
    if (parentChain.equals(Rules.CHAIN)) {
      throw new IllegalArgumentException(
          "setting chain must name the chain that jumps to " + Rules.CHAIN + ", not itself");
    }
    // OUTPUT carries the host's own connections: matching --dports there would cut them off.
    if (parentChain.toUpperCase(Locale.ROOT).equals("OUTPUT")) {
      throw new IllegalArgumentException(
          "setting chain OUTPUT holds outgoing traffic; use INPUT, DOCKER-USER or a chain jumped"
              + " to from INPUT");
    }
  }

  static Settings of(TargetOptions options) {
    return new Settings(
        options.setting(CHAIN_KEY).orElse(DEFAULT_CHAIN),
        options.flag(IPSET_KEY),
        options.mode(),
        options.ports(),
        options.families());
  }
}
