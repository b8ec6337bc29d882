package io.github.cfallowlist.adapter.crowdsec;

import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import io.github.cfallowlist.kit.SnippetTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
 * <p>Reading, apply and uninstall are the kit's {@link SnippetTarget}: live state is read from the
 * file itself (no command runs); a record of the change first, the file written atomically, the
 * test command, and the reload only when it passes; on any failure the old file is put back byte
 * for byte. A run killed midway is finished or undone by the next one. The target never overwrites
 * or removes a file that lacks its header, and a hand-edited file shows in {@link #readLive} with
 * each line cf-allowlist did not write turned into a comment saying apply replaces it.
 */
public final class CrowdsecTarget extends SnippetTarget {
  /** The target, configured by the options passed to each call. */
  public CrowdsecTarget() {
    super("CrowdSec");
  }

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

  @Override
  protected FileTarget daemon(TargetOptions options) {
    return CrowdsecSettings.of(options).daemon();
  }

  @Override
  protected String renderFile(RangeSnapshot snapshot, RangeSet ranges) {
    return CrowdsecConfig.render(snapshot, ranges);
  }

  @Override
  protected RangeSet parseFile(String name, String content, boolean live) {
    return live ? CrowdsecConfig.parseLive(name, content) : CrowdsecConfig.parse(name, content);
  }

  @Override
  protected String liveFile(String name, String content) {
    return CrowdsecConfig.live(name, content);
  }

  /** CrowdSec reads every parser in its stage directories: nothing names the file. */
  @Override
  protected String uninstallAdvice(Path file) {
    return "";
  }
}
