package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.HeaderContract;
import java.util.List;

/** The rendered header's guarantees of {@link HeaderContract} for the iptables target. */
class IptablesHeaderTest extends HeaderContract {
  @Override
  protected Target target() {
    return new IptablesTarget();
  }

  @Override
  protected List<TargetOptions> variants() {
    return List.copyOf(Fixtures.variants().values());
  }
}
