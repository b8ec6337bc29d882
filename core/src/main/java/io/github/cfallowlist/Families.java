package io.github.cfallowlist;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Which families a run manages: {@code ipv4}, {@code ipv6} or {@code both} (the default). */
public enum Families {
  IPV4(EnumSet.of(IpFamily.IPV4)),
  IPV6(EnumSet.of(IpFamily.IPV6)),
  BOTH(EnumSet.allOf(IpFamily.class));

  private final Set<IpFamily> members;

  Families(Set<IpFamily> members) {
    this.members = members;
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
    return members.contains(family);
  }

  /** The families selected, in order IPv4 then IPv6. */
  public Set<IpFamily> members() {
    return EnumSet.copyOf(members);
  }
}
