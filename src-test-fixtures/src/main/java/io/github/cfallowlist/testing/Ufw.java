package io.github.cfallowlist.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's ufw in one namespace, reading and writing only a private copy of its files under {@code
 * root}: the host's ufw configuration is never read back or changed.
 *
 * @param ns the namespace whose firewall ufw manages
 * @param root where the copy of ufw's files lives ({@code --rootdir} and {@code --datadir})
 */
public record Ufw(Netns ns, Path root) {

  /**
   * Copies ufw's configuration, rules and scripts under {@code root}.
   *
   * @param ns the namespace ufw will manage
   * @param root an empty directory
   * @return ufw working on the copy
   * @throws IOException if the copy cannot be made
   */
  public static Ufw privateCopy(Netns ns, Path root) throws IOException {
    for (String d : List.of("etc/default", "lib", "usr/share")) {
      Files.createDirectories(root.resolve(d));
    }
    copy("/etc/ufw", root.resolve("etc"));
    copy("/lib/ufw", root.resolve("lib"));
    copy("/usr/share/ufw", root.resolve("usr/share"));
    copy("/etc/default/ufw", root.resolve("etc/default"));
    // ufw-init applies this sysctl file by absolute path: point it at the copy.
    Path defaults = root.resolve("etc/default/ufw");
    Files.writeString(
        defaults,
        Files.readString(defaults)
            .replaceAll(
                "(?m)^IPT_SYSCTL=.*$", "IPT_SYSCTL=" + root.resolve("etc/ufw/sysctl.conf")));
    return new Ufw(ns, root);
  }

  private static void copy(String from, Path into) {
    List<String> cp = List.of("cp", "-a", from, into.toString());
    Netns.Result r = Netns.run(cp, null, Duration.ofSeconds(30));
    if (!r.ok()) {
      throw new AssertionError(cp + ": " + r.stderr());
    }
  }

  /**
   * Runs {@code ufw ARGS} on the private copy inside the namespace.
   *
   * @param args ufw's arguments, e.g. {@code allow 443/tcp}
   * @return what it printed
   * @throws AssertionError if it fails
   */
  public Netns.Result run(String... args) {
    List<String> argv = new ArrayList<>(List.of("ufw", "--rootdir=" + root, "--datadir=" + root));
    argv.addAll(List.of(args));
    return ns.execChecked(null, argv);
  }
}
