package io.github.cfallowlist;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Which families a run manages: {@code ipv4}, {@code ipv6} or {@code both} (the default). */
public enum Families {
  /** IPv4 only. */
  IPV4(true, false),
  /** IPv6 only. */
  IPV6(false, true),
  /** IPv4 and IPv6. */
  BOTH(true, true);

  private final boolean ipv4;
  private final boolean ipv6;

  Families(boolean ipv4, boolean ipv6) {
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
  }

  /** Parses {@code ipv4}, {@code ipv6} or {@code both}, ignoring case. */
  public static Families parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("family == null");
    }
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("family '" + text + "' is not one of ipv4, ipv6, both", e);
    }
  }

  /** Whether this selection includes {@code family}. */
  public boolean includes(IpFamily family) {
    return family == IpFamily.IPV4 ? ipv4 : ipv6;
  }

  /** The families selected, in order IPv4 then IPv6. */
  public Set<IpFamily> members() {
    Set<IpFamily> members = EnumSet.noneOf(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      if (includes(family)) {
        members.add(family);
      }
    }
    return members;
  }
}
