package io.github.cfallowlist.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of the CLI run as cron runs it: an empty environment, PATH=/usr/bin:/bin. */
final class CronCli {
  private CronCli() {}

  /**
   * {@code env -i PATH=/usr/bin:/bin java JVM_OPTIONS -cp … Main ARGS --state-dir STATE}, with this
   * test JVM's own java and class path.
   */
  static List<String> argv(List<String> jvmOptions, Path state, String... args) {
    List<String> argv = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin"));
    argv.add(ProcessHandle.current().info().command().orElseThrow());
    argv.addAll(jvmOptions);
    argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    argv.addAll(List.of(args));
    argv.addAll(List.of("--state-dir", state.toString()));
    return argv;
  }
}
