package io.github.cfallowlist.adapter.caddy;

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
 * <p>Reading, apply and uninstall are the kit's {@link SnippetTarget}: the file is read in place,
 * written atomically, {@code caddy validate} runs before {@code caddy reload}, and the old file is
 * put back byte for byte on any failure.
 */
public final class CaddyTarget extends SnippetTarget {
  /** The target, configured by the options passed to each call. */
  public CaddyTarget() {
    super("Caddy");
  }

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
   * What doctor adds for Caddy: in the configuration adapted to JSON ({@code caddy adapt}), the
   * sites Cloudflare reaches import the snippet, no {@code trusted_proxies} trusts an address
   * outside Cloudflare's ranges, and {@code client_ip_headers} names only {@code CF-Connecting-IP}.
   * Runs only reads.
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return CaddyDiagnosis.diagnose(CaddySettings.of(diagnosis.context().options()), diagnosis);
  }

  @Override
  protected FileTarget daemon(TargetOptions options) {
    return CaddySettings.of(options).daemon();
  }

  @Override
  protected String renderFile(RangeSnapshot snapshot, RangeSet ranges) {
    return CaddyConfig.render(snapshot, ranges);
  }

  @Override
  protected RangeSet parseFile(String name, String content, boolean live) {
    return live ? CaddyConfig.parseLive(name, content) : CaddyConfig.parse(name, content);
  }

  @Override
  protected String liveFile(String name, String content) {
    return CaddyConfig.live(name, content);
  }

  /** A site block may import the file by name. */
  @Override
  protected String uninstallAdvice(Path file) {
    return "; if a site block imports "
        + file
        + " by name (not through a glob), remove that import line first";
  }
}
