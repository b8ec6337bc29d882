package io.github.cfallowlist.adapter.apache;

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
 * The {@code apache} target: a mod_remoteip snippet that makes Apache take the visitor's address
 * from {@code CF-Connecting-IP} when, and only when, the connection comes from a Cloudflare range.
 *
 * <p>The file holds the generated header as {@code #} comments, {@code RemoteIPHeader
 * CF-Connecting-IP} and one {@code RemoteIPTrustedProxy CIDR} per range (IPv4, then IPv6). On
 * Debian it lives in {@code conf-available/}; enable it once with {@code a2enmod remoteip &&
 * a2enconf cloudflare-remoteip}. Log {@code %a} (the visitor) instead of {@code %h} to see the
 * visitor's address in the access log.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE}:
 *
 * <ul>
 *   <li>{@code apache-file} PATH: the snippet, default {@code
 *       /etc/apache2/conf-available/cloudflare-remoteip.conf};
 *   <li>{@code apache-test-command} CMD: checks the whole configuration, default {@code apachectl
 *       -t};
 *   <li>{@code apache-reload-command} CMD: makes Apache load it, default {@code apachectl graceful}
 *       (a graceful restart: connections in progress finish).
 * </ul>
 *
 * <p>A command is split into words on whitespace and run without a shell. Ports and mode do not
 * apply and are ignored. An unknown or misspelled setting, or a malformed value, is refused by
 * every method, {@link #render} included.
 *
 * <p>Live state is read from the file itself (no command runs). Apply goes through the kit's {@link
 * FileApplier}: a record of the change first, the file written atomically, the test command, and
 * the graceful reload only when it passes; on any failure the old file is put back byte for byte,
 * and {@link ApplyFailedException#outcome()} says what was left behind. A run killed midway is
 * finished or undone by the next one; while its record is there {@link #readLive} shows the file as
 * it was before and {@link #leftovers} lists {@code unfinished change PATH}. The target never
 * overwrites or removes a file that lacks its header. A hand-edited file shows in {@link #readLive}
 * with each line cf-allowlist did not write turned into a comment saying apply replaces it.
 */
public final class ApacheTarget implements Target {
  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  static final String UNFINISHED = "unfinished change ";

  /** The target, configured by the options passed to each call. */
  public ApacheTarget() {}

  /** {@return {@code apache}} */
  @Override
  public String name() {
    return ApacheSettings.OWNER;
  }

  /** {@return {@code apache-file}, {@code apache-test-command}, {@code apache-reload-command}} */
  @Override
  public List<Setting<?>> settings() {
    return ApacheSettings.DECLARED;
  }

  /** {@return {@code apachectl}, from the Debian package {@code apache2}} */
  @Override
  public Map<String, String> packages() {
    return Map.of("apachectl", "apache2");
  }

  /**
   * The snippet for the families in {@code options}, named after the file name of {@code
   * apache-file}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when no range
   *     is left to trust
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    ApacheSettings settings = ApacheSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    return Rendered.single(settings.name(), ApacheConfig.render(snapshot, ranges));
  }

  /**
   * The ranges the snippet holds, parsed strictly: any line cf-allowlist does not write is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    ApacheSettings.of(options);
    return ApacheConfig.parse(only(config).name(), only(config).content());
  }

  /**
   * As {@link #parse}, but the drift notes {@link #readLive} writes are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    ApacheSettings.of(options);
    return ApacheConfig.parseLive(only(live).name(), only(live).content());
  }

  private static Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          "an Apache configuration is one file, not " + config.files().size());
    }
    return config.files().get(0);
  }

  /** {@return {@code true}: the file can be read and written in place} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The file at {@code apache-file}, or empty when there is none; while an interrupted change is
   * pending, as it was before it. A file with the header shows each line cf-allowlist did not write
   * as a drift comment; one without is returned as it is, which {@link #parse} refuses. Runs no
   * command.
   *
   * @throws IOException also when the record of an interrupted change cannot be read
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    ApacheSettings settings = ApacheSettings.of(context.options());
    Optional<FoundFile> found =
        FoundFile.effective(settings.file(), Intent.read(settings.daemon()));
    return found.map(
        f ->
            Rendered.single(
                settings.name(),
                f.ours() ? ApacheConfig.live(f.path().toString(), f.text()) : f.text()));
  }

  /**
   * {@code unfinished change PATH} when an interrupted run left its record of a change, which the
   * next apply finishes. Runs no command.
   */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    ApacheSettings settings = ApacheSettings.of(context.options());
    List<String> out = new ArrayList<>();
    Intent.read(settings.daemon()).ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /**
   * Writes {@code plan}'s snippet atomically, runs the test command and reloads Apache only when it
   * passes; when no byte changes (and no interrupted change is pending) nothing runs. On failure
   * the old file is put back byte for byte and read again; the outcomes are {@link FileApplier}'s:
   * {@code FAILED_RESTORED} when the test rejected the file or the reload failed, {@code
   * FAILED_UNCHANGED} when nothing was changed, {@code STATE_UNKNOWN} when putting back failed.
   *
   * @throws ApplyFailedException saying what was left behind, with Apache's own error; {@code
   *     FAILED_UNCHANGED} also when {@code apache-file} holds a file cf-allowlist did not write
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    ApacheSettings settings = ApacheSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    String content =
        desired
            .file(settings.name())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the plan has no " + settings.name() + ", which apache-file names"))
            .content();
    new FileApplier(settings.daemon(), context.runner())
        .apply(
            List.of(FileApplier.Desired.of(settings.file(), content)), FileApplier.Leftovers.NONE);
  }

  /**
   * Removes the snippet, runs the test command and reloads Apache; when the test fails (the
   * configuration still names the file in an {@code Include} without a wildcard) the file is put
   * back and Apache is not reloaded.
   *
   * @throws ApplyFailedException saying what was left behind; {@code FAILED_UNCHANGED} when {@code
   *     apache-file} holds a file cf-allowlist did not write (nothing is removed)
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    ApacheSettings settings = ApacheSettings.of(context.options());
    new FileApplier(settings.daemon(), context.runner())
        .uninstall(
            List.of(settings.file()),
            FileApplier.Leftovers.NONE,
            (removed, leftovers) ->
                "; if the Apache configuration includes "
                    + settings.file()
                    + " by name (not through a wildcard), remove that first"
                    + " (on Debian: a2disconf "
                    + confName(settings)
                    + ")");
  }

  private static String confName(ApacheSettings settings) {
    String name = settings.name();
    return name.endsWith(".conf") ? name.substring(0, name.length() - ".conf".length()) : name;
  }
}
