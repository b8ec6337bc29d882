package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code nginx} target: an include file that makes nginx take the visitor's address from {@code
 * CF-Connecting-IP} when, and only when, the connection comes from a Cloudflare range, and
 * optionally a second include that tells Cloudflare's connections from everyone else's.
 *
 * <p>The real-IP file holds the generated header as {@code #} comments, one {@code set_real_ip_from
 * CIDR;} per range (IPv4, then IPv6) and {@code real_ip_header CF-Connecting-IP;}. The spoofable
 * {@code X-Forwarded-For} is never trusted. Include it in the {@code http} (or a {@code server})
 * block; Debian's default {@code include /etc/nginx/conf.d/*.conf;} already does.
 *
 * <p>The allow file holds, after the header and a comment saying how to use it, {@code geo
 * $realip_remote_addr $cloudflare_edge { default 0; CIDR 1; ... }}: {@code $cloudflare_edge} is
 * {@code 1} when the connection itself comes from a Cloudflare range and {@code 0} otherwise. It
 * keys on {@code $realip_remote_addr}, the address before the real-IP module replaced it, so it
 * works behind that module, where nginx's {@code allow}/{@code deny} would see the visitor's
 * address and refuse every real visitor. Include it in the {@code http} block (a {@code geo} block
 * is only allowed there; a file in {@code conf.d/} is) and protect a server with:
 *
 * <pre>{@code
 * if ($cloudflare_edge = 0) { return 403; }
 * }</pre>
 *
 * <p>When only one family is managed, every address of the other family gets {@code 1}, so that
 * family is neither restricted nor locked out. The real-IP file records the allow file's path in a
 * {@code # allow file: PATH} comment, so that a later run without {@code nginx-allow-file}, or with
 * another one, reports the old file as a {@linkplain #leftovers leftover} and removes it.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE} or the named flags:
 *
 * <ul>
 *   <li>{@code nginx-file} PATH: the real-IP include, default {@code
 *       /etc/nginx/conf.d/cloudflare-real-ip.conf};
 *   <li>{@code nginx-allow-file} PATH: the allow include; none unless set. Its file name must
 *       differ from the real-IP file's;
 *   <li>{@code nginx-test-command} CMD: checks the whole configuration, default {@code nginx -t};
 *   <li>{@code nginx-reload-command} CMD: makes nginx load it, default {@code nginx -s reload}.
 * </ul>
 *
 * <p>A command is split into words on whitespace and run without a shell: there is no quoting, so
 * no word may contain a space. The rendered files are named after the file names of the two paths.
 * Ports and mode do not apply to nginx and are ignored. An unknown or misspelled setting, or a
 * malformed value, is refused by every method, {@link #render} included.
 *
 * <p>Live state is read from the files themselves (no command runs). Apply writes each file
 * atomically (a path that is a symbolic link keeps its link; the new content goes to its target),
 * removes a leftover allow file in the same step, runs the test command against the configuration
 * that now includes them and reloads only when it passes. On any failure every file is put back
 * byte for byte; {@link ApplyFailedException#outcome()} says what was left behind (see {@link
 * #apply}). The target never overwrites or removes a file that lacks its header.
 */
public final class NginxTarget implements Target {

  /** The target, configured by the options passed to each call. */
  public NginxTarget() {}

  /** {@return {@code nginx}} */
  @Override
  public String name() {
    return NginxSettings.OWNER;
  }

  /**
   * {@return {@code nginx-file}, {@code nginx-allow-file}, {@code nginx-test-command}, {@code
   * nginx-reload-command}}
   */
  @Override
  public List<Setting<?>> settings() {
    return NginxSettings.DECLARED;
  }

  /** {@return {@code nginx}, from the Debian package {@code nginx} (or {@code nginx-light})} */
  @Override
  public Map<String, String> packages() {
    return Map.of("nginx", "nginx");
  }

  /**
   * The real-IP file and, when {@code nginx-allow-file} is set, the allow file for the families in
   * {@code options}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when a managed
   *     family has no range and the allow file would refuse all of it
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    NginxSettings settings = NginxSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    List<Rendered.File> files = new ArrayList<>();
    files.add(
        new Rendered.File(
            settings.realIpName(),
            NginxConfig.renderRealIp(snapshot, ranges, settings.allowFile().map(Path::toString))));
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
      RangeSet ranges = NginxConfig.parse(file.name(), file.content(), kind).ranges();
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
    return NginxLive.files(NginxSettings.of(context.options()));
  }

  /**
   * {@code file PATH} for the allow file the real-IP file records when it exists, was written by
   * cf-allowlist and is not the configured allow file. Runs no command.
   */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    return NginxLive.leftovers(NginxSettings.of(context.options())).stream()
        .map(p -> "file " + p)
        .toList();
  }

  /**
   * Writes {@code plan}'s desired files (each atomically) and removes the leftover allow file, runs
   * the test command, and reloads nginx only when it passes. When no byte changes, nothing runs.
   *
   * <p>On failure every file is put back byte for byte and read again. The outcome is {@link
   * io.github.cfallowlist.Outcome#FAILED_RESTORED} when the test rejected the files, the test
   * command could not run or timed out, or the reload failed (a failing {@code nginx -s reload}
   * never signalled nginx, so the old files match what it runs); {@link
   * io.github.cfallowlist.Outcome#FAILED_UNCHANGED} when the very first write failed; when the
   * reload timed out, the files are put back and nginx reloaded once more to load them, {@code
   * FAILED_RESTORED} if that passes; {@link io.github.cfallowlist.Outcome#STATE_UNKNOWN} whenever
   * putting back or reloading again fails.
   *
   * @throws ApplyFailedException saying what was left behind, with nginx's own first error line;
   *     {@code FAILED_UNCHANGED} also when a configured path holds a file cf-allowlist did not
   *     write
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    new NginxApplier(settings, context.runner()).apply(desired);
  }

  /**
   * Removes the files this target wrote (the leftover allow file included), runs the test command
   * and reloads nginx. When the test fails (nginx's configuration still names one of the files in
   * an {@code include} without a wildcard, or a server still uses {@code $cloudflare_edge}), the
   * files are put back and nginx is not reloaded; outcomes as for {@link #apply}.
   *
   * @throws ApplyFailedException saying what was left behind; {@code FAILED_UNCHANGED} when a
   *     configured path holds a file cf-allowlist did not write (nothing is removed)
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    new NginxApplier(NginxSettings.of(context.options()), context.runner()).uninstall();
  }
}
