package io.github.cfallowlist;

/**
 * One result of {@code cf-allowlist doctor}: what a check found on this host and, when it is not
 * {@link Status#OK}, the one thing to do about it.
 *
 * @param check the check's short name, such as {@code listen} or {@code nftables rules}
 * @param status how bad it is
 * @param found what was found, in one sentence a sysadmin can read while the site is down
 * @param remedy what to do, in one sentence; empty when the status is {@link Status#OK}
 */
public record Finding(String check, Status status, String found, String remedy) {

  /** How bad a finding is. */
  public enum Status {
    /** Nothing wrong was found. */
    OK,
    /** Something may stop Cloudflare, or could not be judged. */
    WARN,
    /** Something stops Cloudflare from reaching the origin. */
    FAIL;

    /** The worse of this and {@code other}. */
    public Status worse(Status other) {
      return compareTo(other) >= 0 ? this : other;
    }
  }

  /** Checks every component is present and an OK finding has no remedy. */
  public Finding {
    if (check == null || check.isBlank()) {
      throw new IllegalArgumentException("check is blank");
    }
    if (status == null || found == null || remedy == null) {
      throw new IllegalArgumentException("status, found and remedy must not be null");
    }
    if (status != Status.OK && remedy.isBlank()) {
      throw new IllegalArgumentException(check + ": a " + status + " finding needs a remedy");
    }
  }

  /** Nothing wrong: {@code found} says what was looked at. */
  public static Finding ok(String check, String found) {
    return new Finding(check, Status.OK, found, "");
  }

  /** Something that may stop Cloudflare, or that could not be judged. */
  public static Finding warn(String check, String found, String remedy) {
    return new Finding(check, Status.WARN, found, remedy);
  }

  /** Something that stops Cloudflare from reaching the origin. */
  public static Finding fail(String check, String found, String remedy) {
    return new Finding(check, Status.FAIL, found, remedy);
  }
}
