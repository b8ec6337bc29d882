package io.github.cfallowlist.doctor;

import java.nio.file.AccessDeniedException;

/** Whether a read failed only because doctor does not run as root, and what to do then. */
final class Root {
  /** The remedy for a read the kernel or a file refused to this user. */
  static final String REMEDY =
      "run doctor as root: 'sudo cf-allowlist doctor' with the same options";

  private Root() {}

  /** Whether {@code e}, or what it names, is a refusal to this user rather than a fault. */
  static boolean denied(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AccessDeniedException || denied(t.getMessage())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code message} is the refusal nft, iptables or the kernel print to other users. */
  static boolean denied(String message) {
    return message != null
        && (message.contains("Operation not permitted")
            || message.contains("Permission denied")
            || message.contains("must be root"));
  }
}
