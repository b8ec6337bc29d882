package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.IpFamily;
import java.util.Optional;

/** The names of the firewalld objects this target owns, and of the files that hold them. */
final class Names {
  static final String ZONE = "cloudflare";
  static final String ZONE_FILE = "zones/" + ZONE + ".xml";
  static final String IPSET_TYPE = "hash:net";

  private Names() {}

  static String ipset(IpFamily family) {
    return family == IpFamily.IPV4 ? "cloudflare-v4" : "cloudflare-v6";
  }

  static String ipsetFile(IpFamily family) {
    return "ipsets/" + ipset(family) + ".xml";
  }

  /** The value of the ipset's {@code family} option, as firewalld spells it. */
  static String ipsetFamily(IpFamily family) {
    return family == IpFamily.IPV4 ? "inet" : "inet6";
  }

  /** The family whose ipset is called {@code name}, if it is one of ours. */
  static Optional<IpFamily> familyOfIpset(String name) {
    for (IpFamily family : IpFamily.values()) {
      if (ipset(family).equals(name)) {
        return Optional.of(family);
      }
    }
    return Optional.empty();
  }
}
