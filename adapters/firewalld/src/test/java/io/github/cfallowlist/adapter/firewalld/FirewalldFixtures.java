package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.testing.TestSnapshots;

/** Inputs shared by the tests. */
final class FirewalldFixtures {
  private FirewalldFixtures() {}

  /** The embedded snapshot (15 IPv4 + 7 IPv6 ranges, recorded 2026-10-02), validated. */
  static RangeSnapshot embedded() {
    return TestSnapshots.embedded();
  }
}
