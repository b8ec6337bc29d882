package io.github.cfallowlist;

/** An IP address family: the firewall and nginx keep one list per family. */
public enum IpFamily {
  IPV4("IPv4"),
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
