package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;

/** Applies the embedded snapshot in a JVM of its own, so a test can kill it midway. */
public final class HaproxyApplyInChild {
  private HaproxyApplyInChild() {}

  /**
   * Applies once; a failure ends the JVM with an exception.
   *
   * @param args HAProxy settings, each {@code NAME=VALUE}
   */
  public static void main(String[] args) {
    TargetOptions options = TargetOptions.defaults();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      options = options.withSetting(arg.substring(0, eq), arg.substring(eq + 1));
    }
    Sync.apply(
        new HaproxyTarget(),
        TestSnapshots.embedded(),
        new TargetContext(options, CommandRunner.system()),
        Guards.defaults());
  }
}
