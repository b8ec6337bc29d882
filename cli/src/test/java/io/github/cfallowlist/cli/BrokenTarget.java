package io.github.cfallowlist.cli;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.util.Optional;

/**
 * A live target that holds nothing and refuses every change, leaving nothing behind: the target of
 * a run that fails, beside others that succeed, without root.
 */
public final class BrokenTarget implements Target {
  @Override
  public String name() {
    return "broken";
  }

  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    StringBuilder out = new StringBuilder();
    snapshot.ranges().all().forEach(c -> out.append(c).append('\n'));
    return Rendered.single("broken.txt", out.toString());
  }

  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return RangeSet.parse(config.text().lines().toArray(String[]::new));
  }

  @Override
  public boolean supportsLive() {
    return true;
  }

  @Override
  public Optional<Rendered> readLive(TargetContext context) {
    return Optional.empty();
  }

  @Override
  public void apply(Plan plan, TargetContext context) {
    throw new ApplyFailedException("the device is read-only", Outcome.FAILED_UNCHANGED);
  }

  @Override
  public void uninstall(TargetContext context) {}
}
