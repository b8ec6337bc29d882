package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.HeaderContract;
import java.util.List;

/** The rendered header's guarantees of {@link HeaderContract} for the firewalld target. */
class FirewalldHeaderTest extends HeaderContract {
  @Override
  protected Target target() {
    return new FirewalldTarget();
  }

  @Override
  protected List<TargetOptions> variants() {
    return FirewalldRenderTest.variants().map(a -> (TargetOptions) a.get()[1]).toList();
  }
}
