package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;

/**
 * Applies the embedded snapshot with the real command runner in a JVM of its own, so a test can
 * kill it midway as systemd does ({@code SIGKILL} after the stop timeout).
 */
public final class ApplyInChild {
  private ApplyInChild() {}

  /**
   * Applies once; a failure ends the JVM with an exception.
   *
   * @param args nginx settings, each {@code NAME=VALUE}
   */
  public static void main(String[] args) {
    TargetOptions options = TargetOptions.defaults();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      options = options.withSetting(arg.substring(0, eq), arg.substring(eq + 1));
    }
    Sync.apply(
        new NginxTarget(),
        TestSupport.embedded(),
        new TargetContext(options, CommandRunner.system()),
        Guards.defaults());
  }
}
