package io.github.cfallowlist;

/** The ranges (or the body holding them) failed a guard; nothing was applied. */
public final class RejectedRangesException extends CfAllowlistException {
  private static final long serialVersionUID = 1L;

  /** Ranges refused for the reason in {@code message}. */
  public RejectedRangesException(String message) {
    super(message);
  }

  /** Ranges refused for the reason in {@code message}, caused by {@code cause}. */
  public RejectedRangesException(String message, Throwable cause) {
    super(message, cause);
  }
}
