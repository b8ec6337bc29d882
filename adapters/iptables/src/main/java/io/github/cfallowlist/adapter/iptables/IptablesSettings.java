package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The settings this target declares, and the options it reads, checked once.
 *
 * @param parentChain the filter chain that jumps to {@code CF-ALLOWLIST}
 * @param ipset whether the ranges live in ipsets matched by one rule
 * @param mode restrict or allow
 * @param ports the TCP ports, sorted
 * @param families the families in use
 */
record IptablesSettings(
    String parentChain, boolean ipset, Mode mode, List<Integer> ports, Families families) {

  static final String DEFAULT_CHAIN = "INPUT";

  // iptables allows up to 28 characters; the name ends up in a restore file, so nothing else.
  private static final Pattern CHAIN_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}");

  /** {@code chain}: the filter chain that jumps to {@code CF-ALLOWLIST}. */
  static final Setting<String> CHAIN =
      Setting.of(
          "chain",
          "CHAIN",
          "the filter chain that jumps to "
              + Rules.CHAIN
              + " (INPUT, or DOCKER-USER for ports Docker publishes)",
          Optional.of(DEFAULT_CHAIN),
          IptablesSettings::checkChain);

  /** {@code ipset}: keep the ranges in hash:net ipsets matched by one rule per family. */
  static final Setting<Boolean> IPSET =
      Setting.flag(
          "ipset",
          "keep the ranges in the hash:net ipsets cf-allowlist-v4/-v6, matched by one rule");

  /** Every setting this target reads. */
  static final List<Setting<?>> DECLARED = List.of(CHAIN, IPSET);

  IptablesSettings {
    checkChain(parentChain);
    ports = List.copyOf(ports);
  }

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for an unknown key (naming the one probably meant) or a
   *     malformed value
   */
  static IptablesSettings of(TargetOptions options) {
    Setting.check("iptables", DECLARED, options);
    return new IptablesSettings(
        options.get(CHAIN),
        options.get(IPSET),
        options.mode(),
        options.ports(),
        options.families());
  }

  private static String checkChain(String chain) {
    if (!CHAIN_NAME.matcher(chain).matches()) {
      throw new IllegalArgumentException(
          "is not an iptables chain name (letters, digits, '_', '.', '-'; at most 28)");
    }
    if (chain.equals(Rules.CHAIN)) {
      throw new IllegalArgumentException(
          "is this target's own chain; name the chain that jumps to " + Rules.CHAIN);
    }
    // OUTPUT carries the host's own connections: matching --dports there would cut them off.
    if (chain.toUpperCase(Locale.ROOT).equals("OUTPUT")) {
      throw new IllegalArgumentException(
          "holds outgoing traffic; use INPUT, DOCKER-USER or a chain jumped to from INPUT");
    }
    return chain;
  }
}
