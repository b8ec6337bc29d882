package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import java.util.List;

/**
 * The settings the firewalld target declares, and their values for one set of options.
 *
 * @param offline whether to read and change only the permanent configuration with {@code
 *     firewall-offline-cmd}
 */
record FirewalldSettings(boolean offline) {
  /** {@code offline=true|false}: use {@code firewall-offline-cmd}, for a stopped firewalld. */
  static final Setting<Boolean> OFFLINE =
      Setting.flag(
          "offline",
          "change only the permanent configuration with firewall-offline-cmd (firewalld stopped)");

  /** Every setting the target reads. */
  static final List<Setting<?>> DECLARED = List.of(OFFLINE);

  /**
   * The settings in {@code options}.
   *
   * @throws IllegalArgumentException for a key the target does not declare (with the one it
   *     probably meant) or a malformed value such as {@code offline=TRUE}
   */
  static FirewalldSettings of(TargetOptions options) {
    Setting.check("firewalld", DECLARED, options);
    return new FirewalldSettings(OFFLINE.from(options));
  }
}
