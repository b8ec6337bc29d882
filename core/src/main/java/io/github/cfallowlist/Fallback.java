package io.github.cfallowlist;

/**
 * What a run installs when the source fails (no network at boot, a refused body) and a target holds
 * none of cf-allowlist's objects, for example after a reboot emptied the ruleset. A target that
 * already holds a list is never changed by a failed fetch.
 */
public enum Fallback {
  /** The last good snapshot saved in the state directory, or the embedded one when none is. */
  LAST_GOOD,
  /** The snapshot embedded in the jar. */
  EMBEDDED,
  /** Nothing: the target stays empty and the run fails. */
  NONE;

  /**
   * The policy called {@code name} ({@code last-good}, {@code embedded}, {@code none}).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Fallback parse(String name) {
    return switch (name) {
      case "last-good" -> LAST_GOOD;
      case "embedded" -> EMBEDDED;
      case "none" -> NONE;
      default ->
          throw new IllegalArgumentException(
              "--fallback '" + Printable.of(name) + "' is not one of last-good, embedded, none");
    };
  }
}
