package io.github.cfallowlist;

import java.util.Locale;

/** What a firewall target does with traffic to the managed ports. */
public enum Mode {
  /** Only Cloudflare's ranges may reach the ports; everyone else is refused. The default. */
  RESTRICT,
  /** Cloudflare's ranges are accepted ahead of the user's own rules; nobody is refused. */
  ALLOW;

  /** Parses {@code restrict} or {@code allow}, ignoring case. */
  public static Mode parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("mode '" + text + "' is not one of restrict, allow", e);
    }
  }

  /** The name as the CLI spells it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
