package io.github.cfallowlist;

/** An IP address family: the firewall and nginx keep one list per family. */
public enum IpFamily {
  /** IPv4. */
  IPV4("IPv4"),
  /** IPv6. */
  IPV6("IPv6");

  private final String label;

  IpFamily(String label) {
    this.label = label;
  }

  /** The family as people write it: {@code IPv4} or {@code IPv6}. */
  public String label() {
    return label;
  }

  @Override
  public String toString() {
    return label;
  }
}
