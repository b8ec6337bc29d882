package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.adapter.nginx.NginxSettings.Owned;
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.kit.FileApplier.Desired;
import io.github.cfallowlist.kit.FileTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Changes the nginx files as one step through the kit's {@link FileApplier} (record of the change
 * first, atomic writes, {@code nginx -t}, reload, every file put back on failure; see there for the
 * outcomes): nginx's part is which files, the allow file an earlier run left, nginx's own error
 * line and the advice when an uninstall is refused.
 */
final class NginxApplier {
  private static final Pattern LOG_PREFIX =
      Pattern.compile("\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[(\\w+)\\] \\d+#\\d+: (.*)");

  private final NginxSettings settings;
  private final FileApplier applier;

  NginxApplier(NginxSettings settings, CommandRunner runner) {
    this.settings = settings;
    this.applier = new FileApplier(daemon(settings), runner);
  }

  /** nginx as the kit sees it: its commands and the real-IP file, beside which the record lives. */
  static FileTarget daemon(NginxSettings settings) {
    return new FileTarget(
        NginxSettings.OWNER,
        settings.realIpFile(),
        settings.testCommand(),
        settings.reloadCommand(),
        "install the Debian package nginx (or nginx-light)",
        NginxApplier::nginxError,
        runner -> NginxRunning.stopped(settings.testCommand(), runner));
  }

  /**
   * Puts {@code desired} (every file the settings name) in place and removes the leftover allow
   * file, tests and reloads; does nothing when no byte would change and no change is pending. A
   * change an interrupted run left unfinished is finished here (see {@link FileApplier#apply}).
   */
  void apply(Rendered desired) throws IOException {
    List<Desired> files = new ArrayList<>();
    for (Owned owned : settings.owned()) {
      String content =
          desired
              .file(owned.name())
              .map(Rendered.File::content)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "the plan has no " + owned.name() + ", which the nginx settings name"));
      files.add(Desired.of(owned.path(), content));
    }
    applier.apply(files, pending -> NginxLive.leftovers(settings, pending));
  }

  /** Removes every file this target owns, the leftover allow file included, tests and reloads. */
  void uninstall() throws IOException {
    List<Path> files = settings.owned().stream().map(Owned::path).toList();
    applier.uninstall(
        files,
        pending -> NginxLive.leftovers(settings, pending),
        (removed, leftovers) -> {
          String paths = String.join(" and ", removed.stream().map(Path::toString).toList());
          boolean allowFile =
              !leftovers.isEmpty() || settings.allowFile().filter(removed::contains).isPresent();
          return "; if the nginx configuration includes "
              + paths
              + " by name (not through a wildcard)"
              + (allowFile ? " or a server still uses $cloudflare_edge" : "")
              + ", remove that first";
        });
  }

  /** nginx's first error line; warnings such as a useless {@code user} directive come first. */
  static String nginxError(CommandResult result) {
    return Printable.errorLine(
        withoutLogPrefix(
            Stream.of(result.stderr(), result.stdout())
                .flatMap(String::lines)
                .filter(l -> l.contains("[emerg]") || l.contains("[alert]") || l.contains("[crit]"))
                .map(String::strip)
                .findFirst()
                .orElse(result.firstErrorLine())));
  }

  /**
   * Once the configuration names an {@code error_log}, nginx writes its errors in the log format
   * ({@code 2026/11/24 23:58:23 [emerg] 123#123: ...}); show them as {@code nginx: [emerg] ...}
   * like the rest of its messages.
   */
  private static String withoutLogPrefix(String line) {
    Matcher m = LOG_PREFIX.matcher(line);
    return m.matches() ? "nginx: [" + m.group(1) + "] " + m.group(2) : line;
  }
}
