package io.github.cfallowlist.adapter.crowdsec;

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
 * The {@code crowdsec} target: a CrowdSec whitelist parser holding Cloudflare's ranges, so that no
 * scenario counts an event from a Cloudflare edge and CrowdSec never bans one (which would cut off
 * every visitor behind it).
 *
 * <p>The file (see {@link CrowdsecConfig}) lives in the {@code s02-enrich} stage directory, which
 * CrowdSec reads by itself: nothing needs to be included or enabled.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE}:
 *
 * <ul>
 *   <li>{@code crowdsec-file} PATH: the whitelist parser, default {@code
 *       /etc/crowdsec/parsers/s02-enrich/cloudflare-whitelist.yaml};
 *   <li>{@code crowdsec-config} PATH: the configuration crowdsec runs with, default {@code
 *       /etc/crowdsec/config.yaml};
 *   <li>{@code crowdsec-test-command} CMD: checks the whole configuration, default {@code crowdsec
 *       -c CROWDSEC-CONFIG -t};
 *   <li>{@code crowdsec-reload-command} CMD: makes the running crowdsec reload, default {@code
 *       systemctl try-reload-or-restart crowdsec} (the unit's reload sends SIGHUP; a stopped
 *       crowdsec is left stopped and reads the file when it starts).
 * </ul>
 *
 * <p>Live state is read from the file itself (no command runs). Apply goes through the kit's {@link
 * FileApplier}: a record of the change first, the file written atomically, the test command, and
 * the reload only when it passes; on any failure the old file is put back byte for byte. A run
 * killed midway is finished or undone by the next one. The target never overwrites or removes a
 * file that lacks its header, and a hand-edited file shows in {@link #readLive} with each line
 * cf-allowlist did not write turned into a comment saying apply replaces it.
 */
public final class CrowdsecTarget implements Target {
  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  static final String UNFINISHED = "unfinished change ";

  /** The target, configured by the options passed to each call. */
  public CrowdsecTarget() {}

  /** {@return {@code crowdsec}} */
  @Override
  public String name() {
    return CrowdsecSettings.OWNER;
  }

  /** {@return the file, config, test and reload command settings} */
  @Override
  public List<Setting<?>> settings() {
    return CrowdsecSettings.DECLARED;
  }

  /** {@return {@code crowdsec}, from the Debian package {@code crowdsec}} */
  @Override
  public Map<String, String> packages() {
    return Map.of("crowdsec", "crowdsec");
  }

  /**
   * The whitelist parser for the families in {@code options}, named after the file name of {@code
   * crowdsec-file}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when no range
   *     is left to whitelist
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    CrowdsecSettings settings = CrowdsecSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    return Rendered.single(settings.name(), CrowdsecConfig.render(snapshot, ranges));
  }

  /**
   * The ranges the parser holds, parsed strictly: any line cf-allowlist does not write is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    CrowdsecSettings.of(options);
    return CrowdsecConfig.parse(only(config).name(), only(config).content());
  }

  /**
   * As {@link #parse}, but the drift notes {@link #readLive} writes are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    CrowdsecSettings.of(options);
    return CrowdsecConfig.parseLive(only(live).name(), only(live).content());
  }

  private static Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          "a CrowdSec whitelist is one file, not " + config.files().size());
    }
    return config.files().get(0);
  }

  /** {@return {@code true}: the file can be read and written in place} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The file at {@code crowdsec-file}, or empty when there is none; while an interrupted change is
   * pending, as it was before it. Runs no command.
   *
   * @throws IOException also when the record of an interrupted change cannot be read
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    CrowdsecSettings settings = CrowdsecSettings.of(context.options());
    Optional<FoundFile> found =
        FoundFile.effective(settings.file(), Intent.read(settings.daemon()));
    return found.map(
        f ->
            Rendered.single(
                settings.name(),
                f.ours() ? CrowdsecConfig.live(f.path().toString(), f.text()) : f.text()));
  }

  /** {@code unfinished change PATH} when an interrupted run left its record. Runs no command. */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    CrowdsecSettings settings = CrowdsecSettings.of(context.options());
    List<String> out = new ArrayList<>();
    Intent.read(settings.daemon()).ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /**
   * Writes {@code plan}'s parser atomically, runs the test command and reloads crowdsec only when
   * it passes; when no byte changes (and no interrupted change is pending) nothing runs. On failure
   * the old file is put back byte for byte.
   *
   * @throws ApplyFailedException saying what was left behind, with CrowdSec's own error; {@code
   *     FAILED_UNCHANGED} also when {@code crowdsec-file} holds a file cf-allowlist did not write
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    CrowdsecSettings settings = CrowdsecSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    String content =
        desired
            .file(settings.name())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the plan has no " + settings.name() + ", which crowdsec-file names"))
            .content();
    new FileApplier(settings.daemon(), context.runner())
        .apply(
            List.of(FileApplier.Desired.of(settings.file(), content)), FileApplier.Leftovers.NONE);
  }

  /**
   * Removes the parser, runs the test command and reloads crowdsec; on failure the file is put
   * back. Other files in the stage directory are never touched.
   *
   * @throws ApplyFailedException saying what was left behind
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    CrowdsecSettings settings = CrowdsecSettings.of(context.options());
    new FileApplier(settings.daemon(), context.runner())
        .uninstall(
            List.of(settings.file()), FileApplier.Leftovers.NONE, (removed, leftovers) -> "");
  }
}
