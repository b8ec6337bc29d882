package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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
 * <p><b>Apply.</b> Changes go to both the runtime and the permanent configuration. When all objects
 * exist, ranges and ports are added before any are removed and firewalld is not reloaded (a reload
 * would drop runtime changes other tools made, such as fail2ban's). Creating or deleting an object
 * (install, uninstall, a family added or dropped) changes the permanent configuration and reloads
 * once, since firewalld creates ipsets and zones only there. On failure every change made is
 * undone.
 *
 * <p>Settings read from {@link TargetOptions#settings()}:
 *
 * <ul>
 *   <li>{@code offline}: {@code true} to read and change only the permanent configuration with
 *       {@code firewall-offline-cmd}, when firewalld is not running (for example while building an
 *       image). Otherwise a stopped firewalld is an error.
 * </ul>
 */
public final class FirewalldTarget implements Target {
  /** The setting that selects {@code firewall-offline-cmd}. */
  static final String OFFLINE = "offline";

  /** Creates the target; it holds no state. */
  public FirewalldTarget() {}

  /** Returns {@code firewalld}. */
  @Override
  public String name() {
    return "firewalld";
  }

  /**
   * The ipset files of the families in use and the zone file.
   *
   * @param snapshot the ranges, already restricted to the families in use
   * @param options the ports and families
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Map<IpFamily, List<Cidr>> entries = new EnumMap<>(IpFamily.class);
    for (IpFamily family : options.families().members()) {
      entries.put(family, snapshot.ranges().get(family));
    }
    return FirewalldXml.render(FirewalldConfig.desired(options.ports(), entries), snapshot);
  }

  /**
   * The ranges in the ipset files of {@code config}.
   *
   * @throws io.github.cfallowlist.ConfigParseException naming the file, line number and line of
   *     anything this target does not write
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return FirewalldXml.parse(config).ranges();
  }

  /** Returns {@code true}. */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The zone and ipsets firewalld holds, rendered like {@link #render}. Reads both the runtime and
   * the permanent configuration; an ipset shows the ranges both hold, and an object on which they
   * disagree carries a comment saying so, which makes the plan apply again.
   *
   * @throws io.github.cfallowlist.CfAllowlistException when firewalld is not running and {@code
   *     offline} is not set
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    FirewallCmd fw = firewall(context);
    FirewallCmd.State permanent;
    FirewallCmd.State runtime;
    if (fw.offline()) {
      permanent = fw.readState(true);
      runtime = permanent;
    } else {
      runtime = fw.readState(false);
      permanent = fw.readState(true);
    }
    if (runtime.isEmpty() && permanent.isEmpty()) {
      return Optional.empty();
    }
    FirewalldConfig live = merge(runtime, permanent);
    List<Cidr> ranges = new ArrayList<>();
    for (FirewalldConfig.Ipset ipset : live.ipsets().values()) {
      for (String entry : ipset.entries()) {
        try {
          ranges.add(Cidr.parse(entry));
        } catch (IllegalArgumentException notCidr) {
          // shown in the file as firewalld holds it; parse then names it
        }
      }
    }
    RangeSnapshot header =
        new RangeSnapshot(RangeSet.of(ranges), "live " + name(), Optional.empty(), Instant.EPOCH);
    return Optional.of(FirewalldXml.render(live, header));
  }

  private static FirewalldConfig merge(FirewallCmd.State runtime, FirewallCmd.State permanent) {
    Optional<FirewalldConfig.Zone> zone;
    if (runtime.zone().isPresent() && permanent.zone().isPresent()) {
      zone =
          Optional.of(
              FirewalldConfig.Zone.merge(
                  runtime.zone().get().toConfig(), permanent.zone().get().toConfig()));
    } else {
      // Present in one configuration only: show it, flagged, so the next apply settles it.
      zone =
          runtime
              .zone()
              .or(permanent::zone)
              .map(FirewallCmd.ZoneInfo::toConfig)
              .map(z -> new FirewalldConfig.Zone(z.target(), z.items(), true));
    }
    Map<IpFamily, FirewalldConfig.Ipset> ipsets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      FirewallCmd.IpsetInfo r = runtime.ipsets().get(family);
      FirewallCmd.IpsetInfo p = permanent.ipsets().get(family);
      if (r != null && p != null) {
        ipsets.put(family, FirewalldConfig.Ipset.merge(r.toConfig(), p.toConfig()));
      } else if (r != null || p != null) {
        FirewalldConfig.Ipset one = (r != null ? r : p).toConfig();
        ipsets.put(
            family, new FirewalldConfig.Ipset(one.type(), one.options(), one.entries(), true));
      }
    }
    return new FirewalldConfig(zone, ipsets);
  }

  /**
   * Puts {@code plan}'s desired configuration in place: see the class description for the order of
   * changes. The desired ports and families come from the plan's files, so putting a previous
   * configuration back works the same way.
   *
   * @throws IOException naming the firewall-cmd command that failed and its message, after every
   *     change made was undone
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    FirewalldXml.Parsed want = FirewalldXml.parse(plan.desiredConfig());
    converge(firewall(context), want, knownState(plan));
  }

  /**
   * The live state the plan was computed from, when it tells both configurations exactly: nothing
   * installed, or objects on which runtime and permanent agree. Saves reading firewalld again (each
   * firewall-cmd costs a Python start-up); when in doubt, apply reads it again.
   */
  private static Optional<FirewallCmd.State> knownState(Plan plan) {
    if (plan.currentConfig().isEmpty()) {
      return Optional.of(new FirewallCmd.State(Optional.empty(), Map.of()));
    }
    Rendered current = plan.currentConfig().get();
    if (current.files().stream().anyMatch(f -> f.content().contains(FirewalldXml.DRIFT))) {
      return Optional.empty();
    }
    FirewalldXml.Parsed parsed = FirewalldXml.parse(current);
    Optional<FirewallCmd.ZoneInfo> zone =
        parsed
            .zone()
            .map(
                z ->
                    new FirewallCmd.ZoneInfo(
                        "default",
                        Map.of(
                            "ports", z.ports().stream().map(p -> p + "/tcp").toList(),
                            "sources",
                                z.sources().stream()
                                    .map(f -> "ipset:" + Names.ipset(f))
                                    .toList())));
    Map<IpFamily, FirewallCmd.IpsetInfo> ipsets = new EnumMap<>(IpFamily.class);
    parsed
        .ipsets()
        .forEach(
            (family, entries) ->
                ipsets.put(
                    family,
                    new FirewallCmd.IpsetInfo(
                        Names.IPSET_TYPE,
                        List.of("family=" + Names.ipsetFamily(family)),
                        entries.stream().map(Cidr::toString).toList())));
    return Optional.of(new FirewallCmd.State(zone, ipsets));
  }

  /**
   * Deletes the {@code cloudflare} zone and the {@code cloudflare-v4} / {@code cloudflare-v6}
   * ipsets from the permanent configuration and reloads once; nothing else is touched.
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    converge(
        firewall(context), new FirewalldXml.Parsed(Optional.empty(), Map.of()), Optional.empty());
  }

  private static void converge(
      FirewallCmd fw, FirewalldXml.Parsed want, Optional<FirewallCmd.State> known)
      throws IOException {
    FirewallCmd.State permanent = known.isPresent() ? known.get() : fw.readState(true);
    FirewallCmd.State runtime = known.isPresent() || fw.offline() ? permanent : fw.readState(false);
    Set<String> wanted = objects(want);
    boolean structural =
        !objects(permanent).equals(wanted)
            || (!fw.offline() && !objects(runtime).equals(objects(permanent)));
    Converger converger = new Converger(fw);
    try {
      if (structural) {
        converger.converge(true, permanent, want, true);
        if (!fw.offline()) {
          converger.reload();
        }
      } else {
        // Runtime first: that is what filters traffic now.
        for (boolean inPermanent : fw.configurations()) {
          converger.converge(inPermanent, inPermanent ? permanent : runtime, want, false);
        }
      }
    } catch (IOException | RuntimeException e) {
      String restored = converger.rollback(structural && !fw.offline());
      throw new IOException(e.getMessage() + "; " + restored, e);
    }
  }

  private static Set<String> objects(FirewallCmd.State state) {
    Set<String> out = new TreeSet<>();
    state.zone().ifPresent(z -> out.add(Names.ZONE_FILE));
    state.ipsets().keySet().forEach(f -> out.add(Names.ipsetFile(f)));
    return out;
  }

  private static Set<String> objects(FirewalldXml.Parsed parsed) {
    Set<String> out = new TreeSet<>();
    parsed.zone().ifPresent(z -> out.add(Names.ZONE_FILE));
    parsed.ipsets().keySet().forEach(f -> out.add(Names.ipsetFile(f)));
    return out;
  }

  private static FirewallCmd firewall(TargetContext context) {
    return new FirewallCmd(context.runner(), context.options().flag(OFFLINE));
  }
}
