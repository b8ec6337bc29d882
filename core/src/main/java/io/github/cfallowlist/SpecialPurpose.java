package io.github.cfallowlist;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Address blocks no published edge range may touch.
 *
 * <p>Source: the IANA IPv4 Special-Purpose Address Registry and the IANA IPv6 Special-Purpose
 * Address Registry (https://www.iana.org/assignments/iana-ipv4-special-registry/ and
 * https://www.iana.org/assignments/iana-ipv6-special-registry/), plus the multicast blocks from RFC
 * 5771 and RFC 4291, which live in their own registries. This is the only copy of the table.
 */
final class SpecialPurpose {

  /** One registry entry. */
  public record Block(Cidr cidr, String name) {}

  private static final List<Block> BLOCKS =
      List.of(
          block("0.0.0.0/8", "\"this network\" (RFC 791)"),
          block("10.0.0.0/8", "private-use (RFC 1918)"),
          block("100.64.0.0/10", "shared address space / CGNAT (RFC 6598)"),
          block("127.0.0.0/8", "loopback (RFC 1122)"),
          block("169.254.0.0/16", "link-local (RFC 3927)"),
          block("172.16.0.0/12", "private-use (RFC 1918)"),
          block("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
          block("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
          block("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
          block("192.52.193.0/24", "AMT (RFC 7450)"),
          block("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
          block("192.168.0.0/16", "private-use (RFC 1918)"),
          block("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
          block("198.18.0.0/15", "benchmarking (RFC 2544)"),
          block("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
          block("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
          block("224.0.0.0/4", "multicast (RFC 5771)"),
          block("240.0.0.0/4", "reserved (RFC 1112)"),
          block("::/128", "unspecified address (RFC 4291)"),
          block("::1/128", "loopback (RFC 4291)"),
          block("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
          block("64:ff9b::/96", "IPv4-IPv6 translation (RFC 6052)"),
          block("64:ff9b:1::/48", "local-use IPv4-IPv6 translation (RFC 8215)"),
          block("100::/64", "discard-only (RFC 6666)"),
          block("2001::/23", "IETF protocol assignments (RFC 2928)"),
          block("2001:db8::/32", "documentation (RFC 3849)"),
          block("2002::/16", "6to4 (RFC 3056)"),
          block("3fff::/20", "documentation (RFC 9637)"),
          block("5f00::/16", "segment routing SIDs (RFC 9602)"),
          block("fc00::/7", "unique-local (RFC 4193)"),
          block("fe80::/10", "link-local unicast (RFC 4291)"),
          block("ff00::/8", "multicast (RFC 4291)"));

  /**
   * The blocks of each family, so a prefix is checked against its own family's only; arrays, since
   * every range of every list is checked and a loop over a list starts an iterator each time.
   */
  private static final Map<IpFamily, Block[]> BY_FAMILY = byFamily();

  private SpecialPurpose() {}

  private static Map<IpFamily, Block[]> byFamily() {
    Map<IpFamily, Block[]> out = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      List<Block> blocks = new ArrayList<>();
      for (Block b : BLOCKS) {
        if (b.cidr().family() == family) {
          blocks.add(b);
        }
      }
      out.put(family, blocks.toArray(new Block[0]));
    }
    return out;
  }

  private static Block block(String cidr, String name) {
    return new Block(Cidr.parse(cidr), name);
  }

  /** The first special-purpose block that overlaps {@code cidr}, if any. */
  public static Optional<Block> overlapping(Cidr cidr) {
    for (Block b : BY_FAMILY.get(cidr.family())) {
      if (b.cidr().overlaps(cidr)) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }
}
