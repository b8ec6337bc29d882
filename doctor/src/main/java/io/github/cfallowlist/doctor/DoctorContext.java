package io.github.cfallowlist.doctor;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every check sees.
 *
 * @param ranges the validated list the checks compare against: the source's, or when it failed the
 *     last good list, or else the embedded one
 * @param sourceFailure why {@code ranges} is not the source's list, when it is not
 * @param source the source asked for
 * @param origin how Cloudflare reaches this origin
 * @param targets the targets to check: those given, or else those holding cf-allowlist's objects
 * @param options the target options
 * @param guards the guards a run would use
 * @param runner runs the read commands
 * @param state the state directory (the last good list)
 * @param clock the time, for ages and expiry
 * @param unreadable targets that could not be read while looking for cf-allowlist's objects because
 *     doctor does not run as root, with what they answered
 */
public record DoctorContext(
    RangeSnapshot ranges,
    Optional<String> sourceFailure,
    RangeSource source,
    Origin origin,
    List<Target> targets,
    TargetOptions options,
    Guards guards,
    CommandRunner runner,
    StateDir state,
    Clock clock,
    Map<String, String> unreadable) {

  /** Checks every component is present. */
  public DoctorContext {
    if (ranges == null
        || sourceFailure == null
        || source == null
        || origin == null
        || targets == null
        || options == null
        || guards == null
        || runner == null
        || state == null
        || clock == null
        || unreadable == null) {
      throw new IllegalArgumentException("doctor context components must not be null");
    }
    targets = List.copyOf(targets);
    unreadable = Collections.unmodifiableMap(new LinkedHashMap<>(unreadable));
  }

  /** A context in which every target could be read. */
  public DoctorContext(
      RangeSnapshot ranges,
      Optional<String> sourceFailure,
      RangeSource source,
      Origin origin,
      List<Target> targets,
      TargetOptions options,
      Guards guards,
      CommandRunner runner,
      StateDir state,
      Clock clock) {
    this(
        ranges,
        sourceFailure,
        source,
        origin,
        targets,
        options,
        guards,
        runner,
        state,
        clock,
        Map.of());
  }

  /** The context {@code target} is read with. */
  public TargetContext targetContext(Target target) {
    return new TargetContext(options.forTarget(target), runner);
  }
}
