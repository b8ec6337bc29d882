package io.github.cfallowlist.adapter.caddy;

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
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.kit.FoundFile;
import io.github.cfallowlist.kit.Intent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code caddy} target: a Caddyfile snippet that makes {@code CF-Connecting-IP} the visitor's
 * address when, and only when, the connection comes from a Cloudflare range.
 *
 * <p>The file holds the generated header as {@code #} comments, a named matcher for connections
 * from none of the ranges (one {@code not remote_ip CIDR} line per range, IPv4 then IPv6), and a
 * {@code request_header} line that sets {@code CF-Connecting-IP} to the connection's own address
 * for them. The user adds {@code import /etc/caddy/cloudflare-trusted-proxies.caddy} as the first
 * line of each site block behind Cloudflare, and uses {@code
 * {http.request.header.CF-Connecting-IP}} wherever the visitor's address is wanted ({@code
 * reverse_proxy} passes the header on). It works on Caddy 2.6.2 (Debian bookworm), which has no
 * server-wide {@code trusted_proxies}.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE}:
 *
 * <ul>
 *   <li>{@code caddy-file} PATH: the snippet, default {@code
 *       /etc/caddy/cloudflare-trusted-proxies.caddy};
 *   <li>{@code caddy-test-command} CMD: checks the whole configuration, default {@code caddy
 *       validate --config /etc/caddy/Caddyfile --adapter caddyfile};
 *   <li>{@code caddy-reload-command} CMD: makes the running Caddy load it, default {@code caddy
 *       reload --config /etc/caddy/Caddyfile --adapter caddyfile} (through Caddy's admin endpoint;
 *       a configuration Caddy refuses leaves the running one in place).
 * </ul>
 *
 * <p>A command is split into words on whitespace and run without a shell. Ports and mode do not
 * apply and are ignored. An unknown or misspelled setting, or a malformed value, is refused by
 * every method, {@link #render} included.
 *
 * <p>Live state is read from the file itself (no command runs). Apply goes through the kit's {@link
 * FileApplier}: a record of the change first, the file written atomically, the test command, and
 * the reload only when it passes; on any failure the old file is put back byte for byte, and {@link
 * ApplyFailedException#outcome()} says what was left behind. A run killed midway is finished or
 * undone by the next one; while its record is there {@link #readLive} shows the file as it was
 * before and {@link #leftovers} lists {@code unfinished change PATH}. The target never overwrites
 * or removes a file that lacks its header. A hand-edited file shows in {@link #readLive} with each
 * line cf-allowlist did not write turned into a comment saying apply replaces it.
 */
public final class CaddyTarget implements Target {
  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  static final String UNFINISHED = "unfinished change ";

  /** The target, configured by the options passed to each call. */
  public CaddyTarget() {}

  /** {@return {@code caddy}} */
  @Override
  public String name() {
    return CaddySettings.OWNER;
  }

  /** {@return {@code caddy-file}, {@code caddy-test-command}, {@code caddy-reload-command}} */
  @Override
  public List<Setting<?>> settings() {
    return CaddySettings.DECLARED;
  }

  /** {@return {@code caddy}, from the Debian package {@code caddy}} */
  @Override
  public Map<String, String> packages() {
    return Map.of("caddy", "caddy");
  }

  /**
   * The snippet for the families in {@code options}, named after the file name of {@code
   * caddy-file}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when no range
   *     is left to trust
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    CaddySettings settings = CaddySettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    return Rendered.single(settings.name(), CaddyConfig.render(snapshot, ranges));
  }

  /**
   * The ranges the snippet holds, parsed strictly: any line cf-allowlist does not write is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    CaddySettings.of(options);
    return CaddyConfig.parse(only(config).name(), only(config).content());
  }

  /**
   * As {@link #parse}, but the drift notes {@link #readLive} writes are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    CaddySettings.of(options);
    return CaddyConfig.parseLive(only(live).name(), only(live).content());
  }

  private static Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          "an Caddy configuration is one file, not " + config.files().size());
    }
    return config.files().get(0);
  }

  /** {@return {@code true}: the file can be read and written in place} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The file at {@code caddy-file}, or empty when there is none; while an interrupted change is
   * pending, as it was before it. A file with the header shows each line cf-allowlist did not write
   * as a drift comment; one without is returned as it is, which {@link #parse} refuses. Runs no
   * command.
   *
   * @throws IOException also when the record of an interrupted change cannot be read
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    CaddySettings settings = CaddySettings.of(context.options());
    Optional<FoundFile> found =
        FoundFile.effective(settings.file(), Intent.read(settings.daemon()));
    return found.map(
        f ->
            Rendered.single(
                settings.name(),
                f.ours() ? CaddyConfig.live(f.path().toString(), f.text()) : f.text()));
  }

  /**
   * {@code unfinished change PATH} when an interrupted run left its record of a change, which the
   * next apply finishes. Runs no command.
   */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    CaddySettings settings = CaddySettings.of(context.options());
    List<String> out = new ArrayList<>();
    Intent.read(settings.daemon()).ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /**
   * Writes {@code plan}'s snippet atomically, runs the test command and reloads Caddy only when it
   * passes; when no byte changes (and no interrupted change is pending) nothing runs. On failure
   * the old file is put back byte for byte and read again; the outcomes are {@link FileApplier}'s:
   * {@code FAILED_RESTORED} when the test rejected the file or the reload failed, {@code
   * FAILED_UNCHANGED} when nothing was changed, {@code STATE_UNKNOWN} when putting back failed.
   *
   * @throws ApplyFailedException saying what was left behind, with Caddy's own error; {@code
   *     FAILED_UNCHANGED} also when {@code caddy-file} holds a file cf-allowlist did not write
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    CaddySettings settings = CaddySettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    String content =
        desired
            .file(settings.name())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the plan has no " + settings.name() + ", which caddy-file names"))
            .content();
    new FileApplier(settings.daemon(), context.runner())
        .apply(
            List.of(FileApplier.Desired.of(settings.file(), content)), FileApplier.Leftovers.NONE);
  }

  /**
   * Removes the snippet, runs the test command and reloads Caddy; when the test fails (a site block
   * still imports the file by name, not through a glob) the file is put back and Caddy is not
   * reloaded.
   *
   * @throws ApplyFailedException saying what was left behind; {@code FAILED_UNCHANGED} when {@code
   *     caddy-file} holds a file cf-allowlist did not write (nothing is removed)
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    CaddySettings settings = CaddySettings.of(context.options());
    new FileApplier(settings.daemon(), context.runner())
        .uninstall(
            List.of(settings.file()),
            FileApplier.Leftovers.NONE,
            (removed, leftovers) ->
                "; if a site block imports "
                    + settings.file()
                    + " by name (not through a glob), remove that import line first");
  }
}
