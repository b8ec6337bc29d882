package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The embedded snapshot and the option variants every golden file is rendered with. */
final class Fixtures {
  private Fixtures() {}

  /** The embedded list (15 IPv4, 7 IPv6) as the guards pass it. */
  static RangeSnapshot embedded() {
    return TestSnapshots.embedded();
  }

  /** Golden file name (without {@code .nft}) to the options it is rendered with. */
  static Map<String, TargetOptions> variants() {
    TargetOptions d = TargetOptions.defaults();
    Map<String, TargetOptions> v = new LinkedHashMap<>();
    v.put("restrict-both", d);
    v.put("restrict-ipv4", d.withFamilies(Families.IPV4));
    v.put("restrict-ipv6", d.withFamilies(Families.IPV6));
    v.put("restrict-port-8080", d.withPorts(List.of(8080)));
    v.put("restrict-ports-80-443-8443", d.withPorts(List.of(8443, 443, 80)));
    v.put("nft-table-inet-filter", d.withSetting("nft-table", "inet filter"));
    v.put(
        "nft-table-ip-filter-ipv4",
        d.withSetting("nft-table", "ip filter").withFamilies(Families.IPV4));
    v.put("nft-table-allow", d.withSetting("nft-table", "inet filter").withMode(Mode.ALLOW));
    return v;
  }

  /** The golden file {@code name}, with {@code @VERSION@} replaced by the library's version. */
  static String golden(String name) {
    return TestSnapshots.golden(name + ".nft");
  }
}
