package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.testing.TestSnapshots;
import java.util.ArrayList;
import java.util.List;

/** Inputs shared by the tests. */
final class FirewalldFixtures {
  // Read once: every test uses it, and the jar it comes from need not be opened again.
  private static final RangeSnapshot EMBEDDED = TestSnapshots.embedded();

  private FirewalldFixtures() {}

  /** The embedded snapshot (15 IPv4 + 7 IPv6 ranges, recorded 2026-10-02), validated. */
  static RangeSnapshot embedded() {
    return EMBEDDED;
  }

  /** {@link #embedded()} with the IPv4 ranges {@code remove} taken out and {@code add} put in. */
  static RangeSnapshot changedV4(List<String> remove, List<String> add) {
    RangeSnapshot snapshot = embedded();
    List<Cidr> v4 = new ArrayList<>(snapshot.ranges().ipv4());
    remove.forEach(r -> v4.remove(Cidr.parse(r)));
    add.forEach(a -> v4.add(Cidr.parse(a)));
    return snapshot.withRanges(new RangeSet(v4, snapshot.ranges().ipv6()));
  }
}
