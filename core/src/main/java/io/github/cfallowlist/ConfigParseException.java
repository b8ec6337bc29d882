package io.github.cfallowlist;

/** A configuration could not be read back: it holds a line the target did not write. */
public final class ConfigParseException extends CfAllowlistException {
  private static final long serialVersionUID = 1L;

  /** A configuration refused for the reason in {@code message}. */
  public ConfigParseException(String message) {
    super(message);
  }
}
