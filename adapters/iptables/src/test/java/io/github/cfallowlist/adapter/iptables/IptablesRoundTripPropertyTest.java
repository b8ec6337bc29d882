package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RoundTripProperties;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/** The render → parse properties of {@link RoundTripProperties} for the iptables target. */
class IptablesRoundTripPropertyTest extends RoundTripProperties {
  @Override
  protected Target target() {
    return new IptablesTarget();
  }

  @Override
  @Provide
  protected Arbitrary<TargetOptions> options() {
    return Arbitraries.of(List.copyOf(Fixtures.variants().values()));
  }
}
