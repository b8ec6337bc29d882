package io.github.cfallowlist.adapter.apache;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import io.github.cfallowlist.kit.SnippetTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
 * <p>Reading, apply and uninstall are the kit's {@link SnippetTarget}: the file is read in place,
 * written atomically, {@code apachectl -t} runs before the graceful reload, and the old file is put
 * back byte for byte on any failure.
 */
public final class ApacheTarget extends SnippetTarget {
  /** The target, configured by the options passed to each call. */
  public ApacheTarget() {
    super("Apache");
  }

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
   * What doctor adds for Apache: the snippet is among the files Apache includes ({@code apachectl
   * -t -D DUMP_INCLUDES}), no other included file sets {@code RemoteIPHeader} to another header,
   * and none trusts, with {@code RemoteIPTrustedProxy} or {@code RemoteIPInternalProxy}, an address
   * outside Cloudflare's ranges. Runs only reads.
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return ApacheDiagnosis.diagnose(ApacheSettings.of(diagnosis.context().options()), diagnosis);
  }

  @Override
  protected FileTarget daemon(TargetOptions options) {
    return ApacheSettings.of(options).daemon();
  }

  @Override
  protected String renderFile(RangeSnapshot snapshot, RangeSet ranges) {
    return ApacheConfig.render(snapshot, ranges);
  }

  @Override
  protected RangeSet parseFile(String name, String content, boolean live) {
    return live ? ApacheConfig.parseLive(name, content) : ApacheConfig.parse(name, content);
  }

  @Override
  protected String liveFile(String name, String content) {
    return ApacheConfig.live(name, content);
  }

  /** The file may be named by an {@code Include}: a2disconf on Debian. */
  @Override
  protected String uninstallAdvice(Path file) {
    String name = file.getFileName().toString();
    String conf =
        name.endsWith(".conf") ? name.substring(0, name.length() - ".conf".length()) : name;
    return "; if the Apache configuration includes "
        + file
        + " by name (not through a wildcard), remove that first"
        + " (on Debian: a2disconf "
        + conf
        + ")";
  }
}
