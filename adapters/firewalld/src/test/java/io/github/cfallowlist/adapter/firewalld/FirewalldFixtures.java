package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Inputs shared by the tests. */
final class FirewalldFixtures {
  private FirewalldFixtures() {}

  /** The embedded snapshot (15 IPv4 + 7 IPv6 ranges, recorded 2026-10-02), validated. */
  static RangeSnapshot embedded() {
    try {
      return Guards.defaults().validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
