package io.github.cfallowlist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An immutable, normalized set of prefixes, kept per family: sorted by address, with duplicates and
 * prefixes covered by a broader one removed.
 */
public record RangeSet(List<Cidr> ipv4, List<Cidr> ipv6) {

  /** Normalizes both lists and checks each holds only its own family. */
  public RangeSet {
    ipv4 = normalize(ipv4, IpFamily.IPV4);
    ipv6 = normalize(ipv6, IpFamily.IPV6);
  }

  /** The set holding {@code ranges}, split by family. */
  public static RangeSet of(Collection<Cidr> ranges) {
    if (ranges == null) {
      throw new IllegalArgumentException("ranges == null");
    }
    List<Cidr> v4 = new ArrayList<>();
    List<Cidr> v6 = new ArrayList<>();
    for (Cidr c : ranges) {
      if (c == null) {
        throw new IllegalArgumentException("ranges holds a null prefix");
      }
      (c.family() == IpFamily.IPV4 ? v4 : v6).add(c);
    }
    return new RangeSet(v4, v6);
  }

  /** Parses each text with {@link Cidr#parse(String)}. */
  public static RangeSet parse(String... cidrs) {
    return of(Stream.of(cidrs).map(Cidr::parse).toList());
  }

  /**
   * Whether {@code other} is a set holding the same prefixes. Written out rather than left to the
   * record: every run compares two sets, and the record's generated method would spin method
   * handles for it at each start.
   */
  @Override
  public boolean equals(Object other) {
    return other instanceof RangeSet that && ipv4.equals(that.ipv4) && ipv6.equals(that.ipv6);
  }

  @Override
  public int hashCode() {
    return 31 * ipv4.hashCode() + ipv6.hashCode();
  }

  /** The empty set. */
  public static RangeSet empty() {
    return new RangeSet(List.of(), List.of());
  }

  private static List<Cidr> normalize(List<Cidr> list, IpFamily family) {
    if (list == null) {
      throw new IllegalArgumentException(family + " list == null");
    }
    if (isNormal(list, family)) {
      // Already sorted with nothing covered (another set's list, a list read back in order).
      return List.copyOf(list);
    }
    for (Cidr c : list) {
      if (c == null) {
        throw new IllegalArgumentException(family + " list holds a null prefix");
      }
    }
    List<Cidr> sorted = Cidr.sorted(list);
    List<Cidr> out = new ArrayList<>(sorted.size());
    for (Cidr c : sorted) {
      if (c.family() != family) {
        throw new IllegalArgumentException(c + " is not an " + family + " prefix");
      }
      // Sorted by low address then broader first, so a covered prefix follows its cover.
      if (!out.isEmpty() && out.get(out.size() - 1).contains(c)) {
        continue;
      }
      out.add(c);
    }
    return List.copyOf(out);
  }

  /**
   * Whether {@code list} is already normalized: all of {@code family}, each after the one before it
   * and not inside it (so no later prefix is inside an earlier one either).
   */
  private static boolean isNormal(List<Cidr> list, IpFamily family) {
    Cidr previous = null;
    for (Cidr c : list) {
      if (c == null
          || c.family() != family
          || (previous != null && (previous.compareTo(c) >= 0 || previous.contains(c)))) {
        return false;
      }
      previous = c;
    }
    return true;
  }

  /** The prefixes of {@code family}. */
  public List<Cidr> get(IpFamily family) {
    return family == IpFamily.IPV4 ? ipv4 : ipv6;
  }

  /** All prefixes, IPv4 first. */
  public List<Cidr> all() {
    List<Cidr> all = new ArrayList<>(ipv4);
    all.addAll(ipv6);
    return List.copyOf(all);
  }

  /** Number of prefixes in both families. */
  public int size() {
    return ipv4.size() + ipv6.size();
  }

  /** Whether the set holds no prefix at all. */
  public boolean isEmpty() {
    return size() == 0;
  }

  /** This set restricted to {@code families}. */
  public RangeSet restrictTo(Families families) {
    boolean v4 = families.includes(IpFamily.IPV4) || ipv4.isEmpty();
    boolean v6 = families.includes(IpFamily.IPV6) || ipv6.isEmpty();
    if (v4 && v6) {
      // Nothing to leave out (a list restricted when it was fetched): no copy of a long list.
      return this;
    }
    return new RangeSet(
        families.includes(IpFamily.IPV4) ? ipv4 : List.of(),
        families.includes(IpFamily.IPV6) ? ipv6 : List.of());
  }

  /** The range holding {@code address} (a host from {@link Cidr#host}, or any prefix), if any. */
  public Optional<Cidr> find(Cidr address) {
    return get(address.family()).stream().filter(c -> c.contains(address)).findFirst();
  }
}
