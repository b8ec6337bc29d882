package io.github.cfallowlist;

/**
 * An apply did not complete. The message says what failed and whether the previous state was put
 * back.
 */
public final class ApplyFailedException extends CfAllowlistException {
  private static final long serialVersionUID = 1L;

  /** An apply failure described by {@code message}. */
  public ApplyFailedException(String message) {
    super(message);
  }

  /** An apply failure described by {@code message}, caused by {@code cause}. */
  public ApplyFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
