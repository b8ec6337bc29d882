package io.github.cfallowlist;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the ranges go: a firewall or a web server. This is the SPI a new target implements;
 * implementations are found with {@link java.util.ServiceLoader} (a {@code
 * META-INF/services/io.github.cfallowlist.Target} file in the jar) and picked by {@link #name()}
 * through {@link Targets}, so a jar on the class path adds a target with no change to the CLI.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>A target manages only objects it owns (a table, chain, set or file named for cf-allowlist)
 *       and never reads or changes anything else.
 *   <li>{@link #render} is a pure function: the same snapshot and options give the same bytes.
 *       {@link #parse} is its strict inverse and refuses anything the target does not write.
 *   <li>{@link #readLive} runs only reads and returns the live state rendered the way {@link
 *       #render} would render it, so that equal states compare equal; anything inside the owned
 *       objects that the target did not write must show up as a difference (drift), never be
 *       hidden. It returns empty when none of the owned objects exist.
 *   <li>{@link #apply} puts the plan's desired configuration in place in one atomic step and
 *       removes the plan's {@linkplain Plan#leftovers() leftovers}. On failure it throws {@link
 *       ApplyFailedException} whose {@link ApplyFailedException#outcome() outcome} says what it
 *       left behind: {@link Outcome#FAILED_UNCHANGED} (nothing was changed), {@link
 *       Outcome#FAILED_RESTORED} (the previous state was put back) or {@link Outcome#STATE_UNKNOWN}
 *       (a command timed out, was killed or lost its reply). Any other exception counts as state
 *       unknown until the live state is read again. The engine ({@link Sync}) never trusts either:
 *       after a failure it reads the live state again and reports what it finds, putting the
 *       previous state back when it is neither old nor new, and verifying that by reading back,
 *       also when putting it back throws. Only a {@link Outcome#STATE_UNKNOWN} the target throws is
 *       kept over a reading that shows the old state: a target whose reading cannot see everything
 *       (what a daemon has loaded) must throw that when it may have changed it; once it has put
 *       back all a reading shows ({@link ApplyFailedException#unknownAfterPutBack}), a leftover it
 *       adds (a record of the change for the next run) does not make the engine put anything back,
 *       since that would only run the failing change again. So a target whose daemon did not load a
 *       file it wrote (a failed reload) must put the old file back, or make {@link #readLive} show
 *       the old state (as the kit's intent record does): a reading that shows the new file is
 *       reported {@link Outcome#APPLIED}, and the next run {@link Outcome#IN_SYNC}. An interrupt of
 *       the applying thread or a {@link LinkageError} from the target (a class missing from its
 *       jar) is a failure like any other.
 *   <li>{@link #uninstall} removes every owned object, leftovers included, and nothing else.
 *   <li>Settings are declared in {@link #settings()}; {@link TargetOptions} carries them as text
 *       and the engine refuses unknown keys and malformed values before calling the target.
 * </ul>
 *
 * <p>A {@link Run} reads its first target while its list loads: {@link #readLive} and {@link
 * #leftovers} may be called on a thread of the run's own while {@link #render} runs on the caller's
 * thread, so a target that keeps state between calls must keep it safe for that.
 *
 * <p>Targets never print: they return data and throw exceptions whose messages a sysadmin can act
 * on, and log through {@link System.Logger}.
 */
public interface Target {

  /** The name used on the command line: {@code nftables}, {@code iptables}, … */
  String name();

  /** The settings this target reads, with their types, defaults and help. None by default. */
  default List<Setting<?>> settings() {
    return List.of();
  }

  /**
   * The programs this target runs, each with the Debian package that provides it, so a missing tool
   * is reported with the package to install.
   */
  default Map<String, String> packages() {
    return Map.of();
  }

  /** The full configuration holding {@code snapshot}'s ranges; same input, same bytes. */
  Rendered render(RangeSnapshot snapshot, TargetOptions options);

  /**
   * The ranges held by a configuration this target rendered.
   *
   * @throws ConfigParseException naming the first line it does not recognise
   */
  RangeSet parse(Rendered config, TargetOptions options);

  /**
   * The ranges held by a live reading ({@link #readLive}'s result). The default is {@link #parse};
   * a target whose live reading marks drift (lines it did not write, shown as notes so that they
   * count as a change) accepts those marks here, while {@link #parse} keeps refusing them in a file
   * given for review.
   *
   * @throws ConfigParseException naming the first line it does not recognise
   */
  default RangeSet parseLive(Rendered live, TargetOptions options) {
    return parse(live, options);
  }

  /** Whether this target can read and change the live system. */
  default boolean supportsLive() {
    return false;
  }

  /**
   * The configuration in place on the live system, rendered the way {@link #render} would render
   * it, or empty when none of the target's objects exist. Runs only reads.
   *
   * @throws IOException when the system cannot be read
   */
  default Optional<Rendered> readLive(TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot read the live system yet");
  }

  /**
   * Why a change would fail before anything is changed, found by reading only: a table or chain the
   * options name that the live system does not hold. Empty when nothing stands in the way. A plan
   * with changes asks it before it is applied or reported as a change a run would make, so that a
   * dry run judges as apply does; {@link #apply} keeps its own check.
   *
   * @throws IOException when the system cannot be read
   */
  default Optional<String> obstacle(TargetContext context) throws IOException {
    return Optional.empty();
  }

  /**
   * Objects this target owns that the context's options would not create (the other layout of a
   * firewall, a file no longer asked for), each described in a few words such as {@code table inet
   * cf_allowlist}. {@link #apply} and {@link #uninstall} remove them. Runs only reads.
   *
   * @throws IOException when the system cannot be read
   */
  default List<String> leftovers(TargetContext context) throws IOException {
    return List.of();
  }

  /**
   * Puts {@code plan}'s desired configuration in place in one atomic step and removes its
   * leftovers; see the class comment for what a failure must report.
   *
   * @throws ApplyFailedException saying what the failure left behind
   * @throws IOException when a command or file operation fails (treated as state unknown)
   */
  default void apply(Plan plan, TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot apply to the live system yet");
  }

  /**
   * What this target can tell {@code cf-allowlist doctor} beyond whether it is in sync (the engine
   * checks that itself with the same plan {@code status} makes): objects outside its own that
   * refuse Cloudflare before its rules do, a configuration that does not use its file, and the
   * like. Each finding names this target in its {@link Finding#check() check}. Runs only reads;
   * none by default.
   *
   * @throws IOException when the system cannot be read (doctor reports the check as not judged)
   */
  default List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return List.of();
  }

  /**
   * Removes every object this target owns, leftovers included, and nothing else. Does nothing when
   * none exists.
   *
   * @throws IOException when a command or file operation fails
   */
  default void uninstall(TargetContext context) throws IOException {
    throw new UnsupportedOperationException(name() + " cannot uninstall yet");
  }
}
