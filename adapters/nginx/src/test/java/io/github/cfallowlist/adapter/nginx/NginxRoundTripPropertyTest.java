package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RoundTripProperties;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/** The render → parse properties of {@link RoundTripProperties} for the nginx target. */
class NginxRoundTripPropertyTest extends RoundTripProperties {
  @Override
  protected Target target() {
    return new NginxTarget();
  }

  @Override
  @Provide
  protected Arbitrary<TargetOptions> options() {
    List<TargetOptions> all = new ArrayList<>();
    for (Families families : Families.values()) {
      all.add(TestSupport.options(families));
      all.add(TestSupport.withAllow(families));
    }
    return Arbitraries.of(all);
  }
}
