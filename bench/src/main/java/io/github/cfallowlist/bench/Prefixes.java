package io.github.cfallowlist.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic lists of public IPv4 and IPv6 prefixes, about two thirds IPv4, as a list file or a
 * firewall's set holds them. The current state shares about 95% of its entries with the desired
 * list, so a diff has something to add and to remove.
 */
final class Prefixes {
  /** First octets outside every special-purpose IPv4 block. */
  private static final int[] FIRST_OCTETS = firstOctets();

  private Prefixes() {}

  private static int[] firstOctets() {
    List<Integer> ok = new ArrayList<>();
    for (int o = 1; o < 224; o++) {
      if (o != 10 && o != 100 && o != 127 && o != 169 && o != 172 && o != 192 && o != 198
          && o != 203) {
        ok.add(o);
      }
    }
    return ok.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The list to put in place: {@code n} entries. */
  static List<String> desired(int n) {
    return generate(n, 1, 0);
  }

  /**
   * The state in place now: {@code n} entries, of which every twentieth differs from {@link
   * #desired}'s entry at the same index.
   */
  static List<String> current(int n) {
    return generate(n, 1, 20);
  }

  private static List<String> generate(int n, long seed, int changeEvery) {
    SplittableRandom shared = new SplittableRandom(seed);
    SplittableRandom other = new SplittableRandom(seed + 7919);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String mine = prefix(shared);
      if (changeEvery > 0 && i % changeEvery == 0) {
        mine = prefix(other);
      }
      out.add(mine);
    }
    return out;
  }

  private static String prefix(SplittableRandom r) {
    return r.nextInt(3) < 2 ? ipv4(r) : ipv6(r);
  }

  private static String ipv4(SplittableRandom r) {
    int length = 16 + r.nextInt(17);
    int address = FIRST_OCTETS[r.nextInt(FIRST_OCTETS.length)] << 24 | r.nextInt(1 << 24);
    address &= length == 32 ? -1 : ~(-1 >>> length);
    return (address >>> 24)
        + "."
        + (address >>> 16 & 0xff)
        + "."
        + (address >>> 8 & 0xff)
        + "."
        + (address & 0xff)
        + "/"
        + length;
  }

  private static String ipv6(SplittableRandom r) {
    int length = 24 + r.nextInt(41);
    int[] groups = new int[8];
    groups[0] = 0x2400 + r.nextInt(0x800);
    for (int g = 1; g < 4; g++) {
      groups[g] = r.nextInt(0x10000);
    }
    StringBuilder text = new StringBuilder();
    int kept = (length + 15) / 16;
    for (int g = 0; g < kept; g++) {
      int bits = Math.min(16, length - 16 * g);
      int value = groups[g] & (0xffff << (16 - bits)) & 0xffff;
      if (g > 0) {
        text.append(':');
      }
      text.append(Integer.toHexString(value));
    }
    return text.append(kept < 8 ? "::/" : "/").append(length).toString();
  }
}
