package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
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
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@code iptables} target: a chain {@code CF-ALLOWLIST} in the {@code filter} table of iptables
 * (IPv4) and ip6tables (IPv6), jumped to from {@code INPUT} for the managed TCP ports.
 *
 * <p>The chain accepts each Cloudflare range, then ends in {@code RETURN} (allow mode: the rest of
 * the parent chain decides) or {@code REJECT --reject-with tcp-reset} (restrict mode). The jump is
 * inserted at the top of the parent chain and carries the comment {@code cf-allowlist}, which is
 * how this target recognises it; in {@code INPUT} it spares the loopback interface. Nothing else in
 * the ruleset is read or changed.
 *
 * <p>Rendered files: {@code cf-allowlist.rules.v4} and {@code cf-allowlist.rules.v6} ({@code
 * iptables-restore --noflush} input, one per family in use) and, with ipsets, {@code
 * cf-allowlist.ipset} ({@code ipset restore} input). Apply is one {@code ipset restore} per set
 * (fill a temporary set, {@code swap}), then one {@code iptables-restore --noflush} per family:
 * redeclaring the chain flushes and refills it in the same commit, so no packet sees a partial
 * list. A rule in the chain that this target did not write (drift) shows in the live rendering as a
 * comment line, so the plan reports a change, and apply replaces it in that same commit.
 *
 * <p>Settings ({@code --set KEY=VALUE}):
 *
 * <ul>
 *   <li>{@code chain}: the filter chain that jumps to {@code CF-ALLOWLIST} (default {@code INPUT}).
 *       {@code DOCKER-USER} is for ports Docker publishes, which never pass {@code INPUT}; there
 *       the jump matches the published port on the connection's original destination ({@code
 *       conntrack --ctstate DNAT --ctorigdstport}), one rule per port.
 *   <li>{@code ipset}: {@code true} to keep the ranges in the hash:net ipsets {@code
 *       cf-allowlist-v4} / {@code cf-allowlist-v6}, matched by one rule per family, instead of one
 *       rule per range (default {@code false}).
 * </ul>
 *
 * <p>Leftovers: our ipsets when {@code ipset} is not set, a scratch set an interrupted run left,
 * and jumps from a parent chain other than {@code chain} (after moving from {@code INPUT} to {@code
 * DOCKER-USER}). Apply removes them: the jumps in the same {@code iptables-restore} commit, the
 * sets once no rule uses them. Families not in use that still hold this target's chain are removed
 * by apply too (the shrink guard then asks for {@code --allow-shrink}).
 *
 * <p>On failure apply reports {@link io.github.cfallowlist.Outcome#FAILED_UNCHANGED} when the first
 * step was refused, {@link io.github.cfallowlist.Outcome#FAILED_RESTORED} when steps already taken
 * (IPv4 before a refused IPv6) were put back and a re-read confirms it, and {@link
 * io.github.cfallowlist.Outcome#STATE_UNKNOWN} when a command timed out or was killed and a re-read
 * finds neither the old state nor the new, or when putting back failed.
 */
public final class IptablesTarget implements Target {

  /**
   * The last live reading: {@link #parseLive} of the very rendering {@link #readLive} returned
   * gives the ranges already read instead of parsing that text again, and the {@link #leftovers}
   * call that follows a reading with the same context (as every plan makes it) judges that reading
   * instead of running every read command again. Taken once: any later call reads again.
   */
  private final AtomicReference<LiveReading> lastReading = new AtomicReference<>();

  private volatile LiveReading lastRendered;

  private record LiveReading(
      TargetContext context, IptablesConfig all, Optional<Rendered> rendered, RangeSet ranges) {}

  /** Creates the target; it holds nothing but its last live reading. */
  public IptablesTarget() {}

  /** Returns {@code iptables}. */
  @Override
  public String name() {
    return "iptables";
  }

  /** The settings {@code chain} and {@code ipset}. */
  @Override
  public List<Setting<?>> settings() {
    return IptablesSettings.DECLARED;
  }

  /**
   * The iptables tools come from the Debian package {@code iptables}; {@code ipset} from its own.
   */
  @Override
  public Map<String, String> packages() {
    return Map.of(
        "iptables", "iptables",
        "ip6tables", "iptables",
        "iptables-save", "iptables",
        "ip6tables-save", "iptables",
        "iptables-restore", "iptables",
        "ip6tables-restore", "iptables",
        "ipset", "ipset");
  }

  /**
   * The restore inputs holding {@code snapshot}'s ranges for the families in use.
   *
   * @throws io.github.cfallowlist.CfAllowlistException when restrict mode would leave a family in
   *     use with no range, which would refuse Cloudflare too
   * @throws IllegalArgumentException for an unknown setting or a malformed value
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    IptablesSettings settings = IptablesSettings.of(options);
    Guards.requireRangesToRestrict(name(), snapshot.ranges(), options);
    return IptablesConfig.desired(snapshot.ranges(), settings).render(snapshot);
  }

  /**
   * The ranges in {@code config}'s rules and ipset files.
   *
   * @throws io.github.cfallowlist.ConfigParseException naming the file, line number and line it
   *     does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    IptablesSettings.of(options);
    return IptablesConfig.parse(config);
  }

  /** Returns {@code true}: this target reads and changes the live firewall. */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * Reads our chain and jumps with {@code iptables-save -t filter} / {@code ip6tables-save -t
   * filter} and our sets with {@code ipset save}, rendered as {@link #render} would render them;
   * rules in our chain that this target does not write are rendered as comment lines, so they show
   * as a change.
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    IptablesSettings settings = IptablesSettings.of(context.options());
    IptablesConfig all = IptablesLive.read(context, settings);
    IptablesConfig live = all.owned(settings);
    RangeSet ranges = live.ranges();
    Optional<Rendered> rendered =
        live.isEmpty()
            ? Optional.empty()
            : Optional.of(live.render(RangeSnapshot.live(ranges, "iptables")));
    LiveReading reading = new LiveReading(context, all, rendered, ranges);
    lastReading.set(reading);
    lastRendered = reading;
    return rendered;
  }

  /**
   * The ranges of a live reading: those {@link #readLive} read when it is that very rendering,
   * otherwise as {@link #parse} reads them.
   */
  @Override
  @SuppressWarnings("ReferenceEquality") // the very object readLive returned, not an equal one
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    LiveReading last = lastRendered;
    if (last != null && last.rendered().isPresent() && last.rendered().get() == live) {
      return last.ranges();
    }
    return parse(live, options);
  }

  /**
   * That the chain {@code --chain} names, when it is not a built-in one, is missing from a family's
   * filter table (DOCKER-USER before Docker has started): the jumps cannot be added to it. Runs
   * {@code iptables-save -t filter}, for a change only.
   */
  @Override
  public Optional<String> obstacle(TargetContext context) throws IOException {
    IptablesSettings settings = IptablesSettings.of(context.options());
    String parent = settings.parentChain();
    if (List.of("INPUT", "FORWARD").contains(parent)) {
      return Optional.empty();
    }
    for (IpFamily family : settings.families().members()) {
      Command save = Command.read(IptablesLive.saveCommand(family), "-t", "filter");
      CommandResult result = context.runner().run(save);
      boolean tableMissing = !result.ok() && result.stderr().contains("Table does not exist");
      if (!result.ok() && !tableMissing) {
        throw result.failure(save);
      }
      if (tableMissing
          || result.stdout().lines().noneMatch(l -> l.startsWith(":" + parent + " "))) {
        return Optional.of(
            "chain "
                + parent
                + " named by --chain does not exist in the "
                + family
                + " filter table"
                + (parent.equals("DOCKER-USER")
                    ? "; Docker creates it when it starts"
                    : "; create it and jump to it from INPUT first"));
      }
    }
    return Optional.empty();
  }

  /** Jumps from another parent chain, our ipsets without {@code ipset}, and scratch sets. */
  @Override
  @SuppressWarnings("ReferenceEquality") // the context the reading was taken with
  public List<String> leftovers(TargetContext context) throws IOException {
    IptablesSettings settings = IptablesSettings.of(context.options());
    LiveReading last = lastReading.getAndSet(null);
    if (last != null && last.context() == context) {
      return last.all().leftovers(settings);
    }
    return IptablesLive.leftovers(context, settings);
  }

  /** Puts {@code plan}'s desired ranges in place with the context's options, removing leftovers. */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    lastReading.set(null);
    IptablesApplier.apply(plan.desired(), context);
  }

  /**
   * One finding, {@code iptables rules}: whether a rule in the parent chain (default {@code INPUT})
   * ahead of the jump to {@code CF-ALLOWLIST} (all of it, and its policy, when the jump is missing)
   * drops or rejects Cloudflare's ranges on the diagnosis' ports; jumps into user chains are
   * followed. Reads {@code iptables-save -t filter} and {@code ip6tables-save -t filter} once each
   * for the families in use: fail naming the rule, warn listing the rules it could not judge
   * (matches it does not evaluate, such as marks, ipsets or interfaces), ok otherwise.
   *
   * @throws IOException when a save command cannot be run or fails
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return List.of(IptablesDiagnosis.finding(diagnosis));
  }

  /**
   * Deletes our jumps from every parent chain, flushes and deletes {@code CF-ALLOWLIST} in each
   * family, then destroys our ipsets, scratch sets included.
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    lastReading.set(null);
    IptablesApplier.uninstall(context);
  }
}
