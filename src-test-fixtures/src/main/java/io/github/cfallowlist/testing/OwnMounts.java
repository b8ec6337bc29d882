package io.github.cfallowlist.testing;

import java.util.ArrayList;
import java.util.List;

/** Commands run in a mount namespace of their own, whose mounts stay out of the host's. */
public final class OwnMounts {
  private OwnMounts() {}

  /**
   * The command line running the shell {@code script} in a mount namespace of its own (private
   * propagation), with {@code args} as its {@code $0}, {@code $1}, …; a script ending in {@code
   * exec "$@"} then runs what the caller appends. Needs root.
   */
  public static List<String> shell(String script, String... args) {
    List<String> argv =
        new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c"));
    argv.add(script);
    argv.addAll(List.of(args));
    return List.copyOf(argv);
  }
}
