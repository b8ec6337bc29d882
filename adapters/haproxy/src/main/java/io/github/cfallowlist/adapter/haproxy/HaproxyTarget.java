package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.kit.FileTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code haproxy} target: an ACL file of Cloudflare's ranges for HAProxy, kept in step in the
 * running process through its runtime API, without a reload.
 *
 * <p>The file holds the generated header as {@code #} comments, then one CIDR per line, IPv4 then
 * IPv6. The user's configuration loads it and trusts {@code CF-Connecting-IP} only from those
 * ranges:
 *
 * <pre>{@code
 * global
 *     stats socket /run/haproxy/admin.sock mode 660 level admin
 * frontend www
 *     acl from_cloudflare src -f /etc/haproxy/cloudflare.acl
 *     http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare
 * }</pre>
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE} or the named flags:
 *
 * <ul>
 *   <li>{@code haproxy-file} PATH: the ACL file, default {@code /etc/haproxy/cloudflare.acl},
 *       written in HAProxy's configuration exactly as given here (HAProxy names the ACL by it);
 *   <li>{@code haproxy-socket} PATH: the runtime API socket with {@code level admin}, default
 *       {@code /run/haproxy/admin.sock};
 *   <li>{@code haproxy-check-command} CMD: checks the whole configuration with the file in place,
 *       default {@code haproxy -c -f /etc/haproxy/haproxy.cfg} (split into words, no shell).
 * </ul>
 *
 * <p>The live state is the running ACL (read with {@code show acl}), with a note when the file on
 * disk differs from it: an entry added at runtime by hand, or a file edited by hand, is a change a
 * plan shows and apply replaces. When the runtime API cannot be reached (HAProxy stopped, no admin
 * socket), plan, status, apply and uninstall fail for this target with that message and change
 * nothing: keeping only the file would leave a running HAProxy on an old list without a sign. When
 * HAProxy runs but its configuration does not load the file, the file alone is the state and every
 * run warns with the two lines to add. A file at the path that lacks cf-allowlist's header is never
 * overwritten or removed.
 *
 * <p>Apply writes the file atomically and runs the check command (on failure the file is put back),
 * then swaps the running ACL in one step: {@code prepare acl} makes a new version, {@code add
 * acl @VERSION} fills it with every range (one connection, sent as one batch), {@code commit acl}
 * makes it current. Until the commit, lookups see the old entries; a failure before it puts the
 * file back, clears the uncommitted version and leaves the running ACL as it was. When nothing
 * differs, nothing is written and no runtime command but reads is sent. Uninstall removes the file
 * (only when the check command still passes without it, so the next start does not fail) and
 * empties the running ACL with a committed empty version.
 */
public final class HaproxyTarget implements Target {
  private static final System.Logger LOG = System.getLogger(HaproxyTarget.class.getName());

  /** The files this target has warned the running HAProxy does not load. */
  private final Set<Path> toldNotUsed = ConcurrentHashMap.newKeySet();

  /** The target, configured by the options passed to each call. */
  public HaproxyTarget() {}

  /** {@return {@code haproxy}} */
  @Override
  public String name() {
    return HaproxySettings.OWNER;
  }

  /** {@return {@code haproxy-file}, {@code haproxy-socket}, {@code haproxy-check-command}} */
  @Override
  public List<Setting<?>> settings() {
    return HaproxySettings.DECLARED;
  }

  /** {@return {@code haproxy}, from the Debian package {@code haproxy}} */
  @Override
  public Map<String, String> packages() {
    return Map.of("haproxy", "haproxy");
  }

  /**
   * The ACL file for the families in {@code options}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    HaproxySettings settings = HaproxySettings.of(options);
    return Rendered.single(
        settings.fileName(),
        HaproxyConfig.render(snapshot, snapshot.ranges().restrictTo(options.families())));
  }

  /**
   * The ranges in an ACL file cf-allowlist wrote; any other line is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    HaproxySettings.of(options);
    Rendered.File file = only(config);
    return HaproxyConfig.parse(file.name(), file.content());
  }

  /** As {@link #parse}, also accepting the drift notes {@link #readLive} writes. */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    HaproxySettings.of(options);
    Rendered.File file = only(live);
    return HaproxyConfig.parseLive(file.name(), file.content());
  }

  private static Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          "an HAProxy configuration is one ACL file, not " + config.files().size());
    }
    return config.files().get(0);
  }

  /** {@return {@code true}: the running ACL and the file can be read and changed} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The running ACL as the file would render it, with drift marked (see the class comment), or
   * empty when it is empty and there is no file. Runs only reads.
   *
   * @throws IOException when the runtime API cannot be reached or the file is not cf-allowlist's
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    return HaproxyLive.read(HaproxySettings.of(context.options()), this::notUsed);
  }

  /**
   * Warns, once per file for this target (a run reads and applies it several times), that the
   * running HAProxy does not load {@code file}, naming the lines to add.
   */
  private void notUsed(Path file) {
    if (toldNotUsed.add(file)) {
      LOG.log(System.Logger.Level.WARNING, HaproxyLive.notUsed(file));
    }
  }

  /**
   * That the ACL file's directory does not exist (or is read-only): a mistyped path is refused, its
   * directory never created; the change would fail unchanged.
   */
  @Override
  public Optional<String> obstacle(TargetContext context) throws IOException {
    return FileTarget.missingDirectory(HaproxySettings.of(context.options()).file());
  }

  /**
   * Doctor's {@code haproxy} findings: the running process loads the ACL file and holds its entries
   * (runtime API), and no {@code http-request set-src} in the configuration files of the check
   * command trusts a client outside Cloudflare's ranges. Runs only reads.
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return HaproxyDiagnosis.diagnose(HaproxySettings.of(diagnosis.context().options()), diagnosis);
  }

  /**
   * Writes the file and swaps the running ACL (see the class comment).
   *
   * @throws io.github.cfallowlist.ApplyFailedException {@code FAILED_UNCHANGED} when nothing was
   *     changed (the socket cannot be reached, the file is not cf-allowlist's, HAProxy refused a
   *     step and the file had not changed); {@code FAILED_RESTORED} when the file was put back (the
   *     check failed, or HAProxy refused a step before the commit); {@code STATE_UNKNOWN} when the
   *     commit's reply was an error or did not come, or putting the file back failed
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    RangeSet ranges = parse(desired, context.options());
    new HaproxyApplier(HaproxySettings.of(context.options()), context.runner(), this::notUsed)
        .apply(only(desired).content(), ranges);
  }

  /**
   * Removes the file and empties the running ACL; when the check command fails without the file
   * (the configuration still loads it), the file is put back and the running ACL left as it was.
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    new HaproxyApplier(HaproxySettings.of(context.options()), context.runner(), this::notUsed)
        .uninstall();
  }
}
