package io.github.cfallowlist;

/**
 * What a target needs to reach the live system.
 *
 * @param options the target options
 * @param runner runs the target's commands
 */
public record TargetContext(TargetOptions options, CommandRunner runner) {
  /** Checks both are present. */
  public TargetContext {
    if (options == null || runner == null) {
      throw new IllegalArgumentException("options and runner must not be null");
    }
  }

  /** A context running real commands with {@link CommandRunner#system()}. */
  public static TargetContext system(TargetOptions options) {
    return new TargetContext(options, CommandRunner.system());
  }
}
