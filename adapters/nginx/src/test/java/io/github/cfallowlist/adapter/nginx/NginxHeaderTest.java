package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.HeaderContract;
import java.util.ArrayList;
import java.util.List;

/** The rendered header's guarantees of {@link HeaderContract} for the nginx target. */
class NginxHeaderTest extends HeaderContract {
  @Override
  protected Target target() {
    return new NginxTarget();
  }

  @Override
  protected List<TargetOptions> variants() {
    List<TargetOptions> all = new ArrayList<>();
    for (Families families : Families.values()) {
      all.add(TestSupport.options(families));
      all.add(TestSupport.withAllow(families));
    }
    return all;
  }
}
