package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import io.github.cfallowlist.adapter.nginx.NginxSettings.Owned;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code nginx} target: an include file that makes nginx take the visitor's address from {@code
 * CF-Connecting-IP} when, and only when, the connection comes from a Cloudflare range, and
 * optionally a second include that allows only Cloudflare's ranges.
 *
 * <p>The real-IP file holds the generated header as {@code #} comments, one {@code set_real_ip_from
 * CIDR;} per range (IPv4, then IPv6) and {@code real_ip_header CF-Connecting-IP;}. The spoofable
 * {@code X-Forwarded-For} is never trusted. Include it in the {@code http} (or a {@code server})
 * block; Debian's default {@code include /etc/nginx/conf.d/*.conf;} already does.
 *
 * <p>The allow file holds one {@code allow CIDR;} per range and then {@code deny all;} (or {@code
 * deny 0.0.0.0/0;} / {@code deny ::/0;} when only one family is managed, so the other family is
 * neither restricted nor locked out). nginx checks {@code allow} against the client address
 * <em>after</em> the real-IP module replaced it, so include the allow file only in a {@code server}
 * or {@code location} where the real-IP file does not apply.
 *
 * <p>Settings read from {@link TargetOptions#settings()}:
 *
 * <ul>
 *   <li>{@code nginx-file}: path of the real-IP include, default {@code
 *       /etc/nginx/conf.d/cloudflare-real-ip.conf};
 *   <li>{@code nginx-allow-file}: path of the allow include; none unless set. Its file name must
 *       differ from the real-IP file's;
 *   <li>{@code nginx-test-command}: checks the whole configuration, default {@code nginx -t};
 *   <li>{@code nginx-reload-command}: makes nginx load it, default {@code nginx -s reload}.
 * </ul>
 *
 * <p>A command setting is split into words on whitespace and run without a shell: there is no
 * quoting, so no word may contain a space. The rendered files are named after the file names of the
 * two paths. Ports and mode do not apply to nginx and are ignored.
 *
 * <p>Live state is read from the files themselves (no command runs). Apply writes each file through
 * a temporary file and an atomic rename, runs the test command against the configuration that now
 * includes them and reloads only when it passes; on any failure the previous files are put back
 * byte for byte and nginx is not reloaded. The target never overwrites or removes a file that lacks
 * its header.
 */
public final class NginxTarget implements Target {
  private static final System.Logger LOG = System.getLogger(NginxTarget.class.getName());
  private static final Pattern LOG_PREFIX =
      Pattern.compile("\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[(\\w+)\\] \\d+#\\d+: (.*)");

  /** The target, configured by the options passed to each call. */
  public NginxTarget() {}

  /** {@return {@code nginx}} */
  @Override
  public String name() {
    return "nginx";
  }

  /**
   * The real-IP file and, when {@code nginx-allow-file} is set, the allow file for the families in
   * {@code options}.
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    NginxSettings settings = NginxSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    List<Rendered.File> files = new ArrayList<>();
    files.add(new Rendered.File(settings.realIpName(), NginxConfig.renderRealIp(snapshot, ranges)));
    settings
        .allowName()
        .ifPresent(
            name ->
                files.add(
                    new Rendered.File(
                        name, NginxConfig.renderAllow(snapshot, ranges, options.families()))));
    return new Rendered(files);
  }

  /**
   * The ranges held by the real-IP file, or by the allow file when only that one is present. Files
   * are recognised by their configured names; a file with another name is read as whichever kind
   * its first directive shows.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    NginxSettings settings = NginxSettings.of(options);
    Map<Kind, RangeSet> held = new EnumMap<>(Kind.class);
    for (Rendered.File file : config.files()) {
      Kind kind;
      if (file.name().equals(settings.realIpName())) {
        kind = Kind.REAL_IP;
      } else if (settings.allowName().filter(file.name()::equals).isPresent()) {
        kind = Kind.ALLOW;
      } else {
        kind = NginxConfig.guessKind(file.name(), file.content());
      }
      RangeSet ranges = NginxConfig.parse(file.name(), file.content(), kind);
      if (held.put(kind, ranges) != null) {
        throw new ConfigParseException(
            file.name()
                + " is a second "
                + (kind == Kind.REAL_IP ? "real-IP" : "allow")
                + " file in the same configuration");
      }
    }
    return held.containsKey(Kind.REAL_IP) ? held.get(Kind.REAL_IP) : held.get(Kind.ALLOW);
  }

  /** {@return {@code true}: the files can be read and written in place} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The files at the configured paths, or empty when none exists. When only one of the two
   * configured files exists, only that one is returned, so a plan shows the other must be written.
   * Runs no command.
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    List<Rendered.File> files = new ArrayList<>();
    for (Owned owned : NginxSettings.of(context.options()).owned()) {
      Optional<LiveFile> live = LiveFile.read(owned.path());
      if (live.isPresent()) {
        files.add(new Rendered.File(owned.name(), live.get().text()));
      }
    }
    return files.isEmpty() ? Optional.empty() : Optional.of(new Rendered(files));
  }

  /**
   * Writes {@code plan}'s desired files (each atomically), runs the test command, and reloads nginx
   * only when it passes. A configured file missing from the desired configuration is removed (this
   * is how a restore takes back a file that did not exist before). When no file's bytes change,
   * nothing runs.
   *
   * @throws ApplyFailedException when a write, the test or the reload failed; the previous files
   *     are back in place and the message carries nginx's own first error line
   * @throws CfAllowlistException when a configured path holds a file cf-allowlist did not write
   *     (nothing is changed)
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    List<Owned> owned = settings.owned();
    for (Rendered.File file : desired.files()) {
      if (owned.stream().noneMatch(o -> o.name().equals(file.name()))) {
        throw new IllegalArgumentException(
            "the plan holds " + file.name() + ", which is not a file the nginx settings name");
      }
    }
    // Never write what this target could not read back as its own.
    parse(desired, context.options());

    List<Change> changes = new ArrayList<>();
    for (Owned o : owned) {
      Optional<LiveFile> before = LiveFile.read(o.path());
      refuseForeign(before, "overwrite");
      Optional<String> after = desired.file(o.name()).map(Rendered.File::content);
      boolean same =
          after.isPresent()
              ? before.isPresent() && before.get().holds(after.get())
              : before.isEmpty();
      if (!same) {
        changes.add(new Change(o, before, after));
      }
    }
    if (changes.isEmpty()) {
      return;
    }
    List<Change> done = putAll(changes, "write");
    testAndReload(settings, context, done, "the new configuration", "");
    LOG.log(Level.DEBUG, "nginx reloaded after {0}", plan.summary());
  }

  /**
   * Removes the files this target wrote, runs the test command and reloads nginx. When the test
   * fails (nginx's configuration still names one of the files in an {@code include} without a
   * wildcard), the files are put back and nginx is not reloaded.
   *
   * @throws CfAllowlistException when a configured path holds a file cf-allowlist did not write
   *     (nothing is removed)
   * @throws ApplyFailedException when the test or the reload failed (the files are back)
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    List<Change> changes = new ArrayList<>();
    for (Owned o : settings.owned()) {
      Optional<LiveFile> before = LiveFile.read(o.path());
      refuseForeign(before, "remove");
      if (before.isPresent()) {
        changes.add(new Change(o, before, Optional.empty()));
      }
    }
    if (changes.isEmpty()) {
      return;
    }
    List<Change> done = putAll(changes, "remove");
    String paths = String.join(" and ", done.stream().map(c -> c.owned.path().toString()).toList());
    testAndReload(
        settings,
        context,
        done,
        "the configuration without " + paths,
        "; if the nginx configuration includes "
            + paths
            + " by name (not through a wildcard), remove that include first");
  }

  /** Makes every change, or none: a failure undoes the ones made and throws. */
  private static List<Change> putAll(List<Change> changes, String verb) {
    List<Change> done = new ArrayList<>();
    try {
      for (Change change : changes) {
        change.put();
        done.add(change);
      }
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          "cannot "
              + verb
              + " "
              + changes.get(done.size()).owned.path()
              + ": "
              + e.getMessage()
              + "; "
              + undo(done)
              + " and nginx was not reloaded",
          e);
    }
    return done;
  }

  private static void refuseForeign(Optional<LiveFile> file, String action) throws IOException {
    if (file.isPresent() && !NginxConfig.hasMarker(file.get().text())) {
      throw new CfAllowlistException(
          "cf-allowlist will not "
              + action
              + " "
              + file.get().path()
              + ": it has no '"
              + Header.MARKER
              + "' header, so cf-allowlist did not write it; nothing was changed");
    }
  }

  /** Tests the configuration now in place and reloads; any failure puts {@code done} back. */
  private static void testAndReload(
      NginxSettings settings, TargetContext context, List<Change> done, String what, String advice)
      throws IOException {
    Command test = Command.read(settings.testCommand());
    CommandResult tested;
    try {
      tested = context.runner().run(test);
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          "cannot run '"
              + test.display()
              + "': "
              + e.getMessage()
              + "; "
              + undo(done)
              + " and nginx was not reloaded",
          e);
    }
    if (!tested.ok()) {
      throw new ApplyFailedException(
          "'"
              + test.display()
              + "' rejected "
              + what
              + ": "
              + nginxError(tested)
              + "; "
              + undo(done)
              + " and nginx was not reloaded"
              + advice);
    }
    Command reload = Command.modify(settings.reloadCommand());
    CommandResult reloaded;
    try {
      reloaded = context.runner().run(reload);
    } catch (IOException | RuntimeException e) {
      throw new ApplyFailedException(
          "cannot run '" + reload.display() + "': " + e.getMessage() + "; " + undo(done), e);
    }
    if (!reloaded.ok()) {
      throw new ApplyFailedException(
          "'" + reload.display() + "' failed: " + nginxError(reloaded) + "; " + undo(done));
    }
  }

  /** nginx's first error line; warnings such as a useless {@code user} directive come first. */
  static String nginxError(CommandResult result) {
    return withoutLogPrefix(
        Stream.of(result.stderr(), result.stdout())
            .flatMap(String::lines)
            .filter(l -> l.contains("[emerg]") || l.contains("[alert]") || l.contains("[crit]"))
            .map(String::strip)
            .findFirst()
            .orElse(result.firstErrorLine()));
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

  /** Puts every changed file back as it was, and says what happened in words. */
  private static String undo(List<Change> done) {
    List<String> said = new ArrayList<>();
    for (int i = done.size() - 1; i >= 0; i--) {
      Change change = done.get(i);
      try {
        said.add(0, change.undo());
      } catch (IOException | RuntimeException e) {
        said.add(0, "putting " + change.owned.path() + " back also failed: " + e.getMessage());
      }
    }
    return said.isEmpty() ? "no file was changed" : String.join(", ", said);
  }

  /** One file going from {@code before} to {@code after} (empty: absent). */
  private static final class Change {
    final Owned owned;
    final Optional<LiveFile> before;
    final Optional<String> after;

    Change(Owned owned, Optional<LiveFile> before, Optional<String> after) {
      this.owned = owned;
      this.before = before;
      this.after = after;
    }

    void put() throws IOException {
      if (after.isPresent()) {
        LiveFile.write(owned.path(), after.get(), before);
      } else {
        Files.deleteIfExists(owned.path());
      }
    }

    String undo() throws IOException {
      if (before.isPresent()) {
        before.get().restore();
        return "the previous " + owned.path() + " was put back";
      }
      Files.deleteIfExists(owned.path());
      return "the new " + owned.path() + " was removed";
    }
  }
}
