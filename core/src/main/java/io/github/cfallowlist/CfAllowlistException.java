package io.github.cfallowlist;

/**
 * A domain failure whose message a sysadmin can act on: ranges refused by a guard, a configuration
 * that cannot be read back, an apply that was rolled back, a lock held by another run.
 */
public class CfAllowlistException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}: one sentence, no stack trace needed. */
  public CfAllowlistException(String message) {
    super(message);
  }

  /** A failure described by {@code message}, caused by {@code cause}. */
  public CfAllowlistException(String message, Throwable cause) {
    super(message, cause);
  }
}
