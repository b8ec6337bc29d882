package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;
import java.util.LinkedHashMap;
import java.util.Map;

/** The embedded snapshot and the option variants every test class shares. */
final class Fixtures {
  private Fixtures() {}

  static RangeSnapshot embedded() {
    return TestSnapshots.embedded();
  }

  /** Each option variant by the golden file prefix that holds its rendering. */
  static Map<String, TargetOptions> variants() {
    TargetOptions restrict = TargetOptions.defaults();
    Map<String, TargetOptions> variants = new LinkedHashMap<>();
    variants.put("restrict", restrict);
    variants.put("allow", restrict.withMode(Mode.ALLOW));
    variants.put("ipset-restrict", restrict.withSetting("ipset", "true"));
    variants.put("ipset-allow", restrict.withMode(Mode.ALLOW).withSetting("ipset", "true"));
    variants.put("docker-user", restrict.withSetting("chain", "DOCKER-USER"));
    variants.put("ipv4-only", restrict.withFamilies(io.github.cfallowlist.Families.IPV4));
    return variants;
  }

  /** A golden file with {@code @VERSION@} replaced by this build's version. */
  static String golden(String name) {
    return TestSnapshots.golden(name);
  }
}
