package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code firewalld} target: ipsets {@code cloudflare-v4} and {@code cloudflare-v6} ({@code
 * hash:net}, family {@code inet} / {@code inet6}) and a zone {@code cloudflare} whose sources are
 * those ipsets and which allows the TCP {@code --ports}.
 *
 * <p>Rendered files, named as firewalld keeps them under {@code /etc/firewalld}: {@code
 * ipsets/cloudflare-v4.xml}, {@code ipsets/cloudflare-v6.xml} (each only when its family is in use)
 * and {@code zones/cloudflare.xml}, in the shape {@code firewall-cmd} itself writes, with the
 * header in an XML comment.
 *
 * <p><b>Restrict and allow.</b> A zone bound to sources admits its ports to those sources; it does
 * not refuse anyone else. Other sources fall to the zone of the interface, normally the default
 * zone, so the restriction comes from that zone not opening the ports (for example {@code
 * firewall-cmd --set-default-zone=drop}, or a {@code public} zone without the {@code http} and
 * {@code https} services). Both modes therefore put the same objects in place: {@code --mode allow}
 * admits Cloudflare ahead of the user's own zones, and {@code --mode restrict} relies on the
 * default zone to refuse the rest. Cloudflare addresses are matched by the {@code cloudflare} zone,
 * so they reach only its ports on this host.
 *
 * <p><b>Live state.</b> Both the runtime and the permanent configuration are read; an ipset shows
 * the ranges both hold, and an object on which they disagree carries a comment saying so, which
 * makes the plan apply again. The ipset of a family not in use is a {@linkplain #leftovers
 * leftover} ({@code ipset cloudflare-v6}), which apply deletes.
 *
 * <p><b>Apply.</b> Changes go to both configurations. When all objects exist, ranges and ports are
 * added before any are removed and firewalld is not reloaded (a reload would drop runtime changes
 * other tools made, such as fail2ban's); creating or deleting an object reloads once. After any
 * failure both configurations are read again and the previous state is put back from what is really
 * there; the exception's {@linkplain io.github.cfallowlist.ApplyFailedException#outcome() outcome}
 * is decided by that reading only.
 *
 * <p>Settings:
 *
 * <ul>
 *   <li>{@code offline} ({@code true|false}, default {@code false}): read and change only the
 *       permanent configuration with {@code firewall-offline-cmd}, when firewalld is not running
 *       (for example while building an image). Otherwise a stopped firewalld is an error.
 * </ul>
 */
public final class FirewalldTarget implements Target {

  /** Creates the target; it holds no state. */
  public FirewalldTarget() {}

  /** Returns {@code firewalld}. */
  @Override
  public String name() {
    return "firewalld";
  }

  /** Returns the {@code offline} setting. */
  @Override
  public List<Setting<?>> settings() {
    return FirewalldSettings.DECLARED;
  }

  /** {@code firewall-cmd} and {@code firewall-offline-cmd}, both from the package firewalld. */
  @Override
  public Map<String, String> packages() {
    return Map.of(
        FirewalldLive.ONLINE,
        "firewalld",
        FirewalldLive.OFFLINE,
        "firewalld",
        FirewalldLive.PYTHON,
        "python3-dbus");
  }

  /**
   * The ipset files of the families in use and the zone file.
   *
   * @param snapshot the ranges, already restricted to the families in use
   * @param options the ports, families and settings
   * @throws IllegalArgumentException for an unknown setting or a malformed value
   * @throws io.github.cfallowlist.CfAllowlistException in restrict mode, when a family in use has
   *     no range
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    FirewalldSettings.of(options);
    Guards.requireRangesToRestrict(name(), snapshot.ranges(), options);
    return FirewalldConfig.render(snapshot, options);
  }

  /**
   * The ranges in the ipset files of {@code config}.
   *
   * @throws io.github.cfallowlist.ConfigParseException naming the file, line number and line of
   *     anything this target does not write
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    FirewalldSettings.of(options);
    return FirewalldConfig.parse(config).ranges();
  }

  /** Returns {@code true}. */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The zone and the ipsets of the families in use, rendered like {@link #render}, from both the
   * runtime and the permanent configuration.
   *
   * @throws io.github.cfallowlist.CfAllowlistException when firewalld is not running and {@code
   *     offline} is not set
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    FirewalldLive live = FirewalldLive.of(context);
    return FirewalldLive.render(live.read(), context.options().families());
  }

  /** The ipsets of families not in use, such as {@code ipset cloudflare-v6}. */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    return FirewalldLive.of(context).leftovers(context.options().families());
  }

  /**
   * Puts {@code plan}'s desired configuration in place and deletes its leftovers; see the class
   * description.
   *
   * @throws io.github.cfallowlist.ApplyFailedException saying, from a fresh reading of both
   *     configurations, what the failure left behind
   */
  @Override
  public void apply(Plan plan, TargetContext context) {
    FirewalldApplier.of(context).apply(plan);
  }

  /**
   * Deletes the {@code cloudflare} zone and the {@code cloudflare-v4} / {@code cloudflare-v6}
   * ipsets; nothing else is touched.
   *
   * @throws io.github.cfallowlist.ApplyFailedException saying what a failure left behind
   */
  @Override
  public void uninstall(TargetContext context) {
    FirewalldApplier.of(context).uninstall();
  }

  /**
   * One finding, {@code firewalld rules}: whether the {@code cloudflare} zone holds Cloudflare's
   * ipsets and whether a rich rule that Cloudflare's traffic meets before the zone admits it (in
   * that zone, or in a policy ahead of zones) drops or rejects a Cloudflare range on the ports.
   * Reads {@code --list-all-zones} and {@code --list-all-policies}; see the doctor documentation
   * for what it does not judge.
   *
   * @throws IOException when firewall-cmd cannot be run or fails
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return List.of(FirewalldDiagnosis.finding(diagnosis));
  }
}
