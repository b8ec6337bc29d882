package io.github.cfallowlist;

import java.io.IOException;
import java.util.Optional;

/**
 * Where the ranges go: a firewall or a web server. Implementations are found with {@link
 * java.util.ServiceLoader} and picked by {@link #name()} through {@link Targets}.
 *
 * <p>A target manages only objects it owns (a table, chain, set or file named for cf-allowlist) and
 * never reads or changes anything else.
 */
public interface Target {

  /** The name used on the command line: {@code nftables}, {@code iptables}, … */
  String name();

  /** The full configuration holding {@code snapshot}'s ranges; same input, same bytes. */
  Rendered render(RangeSnapshot snapshot, TargetOptions options);

  /**
   * The ranges held by a configuration this target rendered.
   *
   * @throws ConfigParseException naming the first line it does not recognise
   */
  RangeSet parse(Rendered config, TargetOptions options);

  /** Whether this target can read and change the live system. */
  default boolean supportsLive() {
    return false;
  }

  /**
   * The configuration in place on the live system, rendered the way {@link #render} would render
   * it, or empty when none of the target's objects exist.
   *
   * @throws IOException when the system cannot be read
   */
  default Optional<Rendered> readLive(TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot read the live system yet");
  }

  /**
   * Puts {@code plan}'s desired configuration in place in one atomic step. On failure the previous
   * state must still be (or again be) in place when this throws.
   *
   * @throws IOException when a command or file operation fails
   */
  default void apply(Plan plan, TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot apply to the live system yet");
  }

  /**
   * Removes every object this target owns, and nothing else. Does nothing when none exists.
   *
   * @throws IOException when a command or file operation fails
   */
  default void uninstall(TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot uninstall yet");
  }
}
