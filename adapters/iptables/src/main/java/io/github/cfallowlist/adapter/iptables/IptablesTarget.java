package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

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
 * list. When the IPv6 step fails after IPv4 succeeded, IPv4 is put back before the error is
 * reported.
 *
 * <p>Settings read from {@link TargetOptions#settings()}:
 *
 * <ul>
 *   <li>{@code chain}: the filter chain that jumps to {@code CF-ALLOWLIST} (default {@code INPUT}).
 *       {@code DOCKER-USER} is for ports Docker publishes, which never pass {@code INPUT}; there
 *       the jump matches the published port on the connection's original destination ({@code
 *       conntrack --ctstate DNAT --ctorigdstport}), one rule per port.
 *   <li>{@code ipset}: {@code true} to keep the ranges in the hash:net ipsets {@code
 *       cf-allowlist-v4} / {@code cf-allowlist-v6}, matched by one rule per family, instead of one
 *       rule per range.
 * </ul>
 *
 * <p>Families not in use that still hold this target's objects from an earlier run are removed by
 * apply (the shrink guard then asks for {@code --allow-shrink}).
 */
public final class IptablesTarget implements Target {

  /** Creates the target; it holds no state. */
  public IptablesTarget() {}

  /** Returns {@code iptables}. */
  @Override
  public String name() {
    return "iptables";
  }

  /**
   * The restore inputs holding {@code snapshot}'s ranges for the families in use.
   *
   * @throws CfAllowlistException when restrict mode would leave a family in use with no range,
   *     which would refuse Cloudflare too
   * @throws IllegalArgumentException when the {@code chain} setting is not a usable chain name
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Settings settings = Settings.of(options);
    if (settings.mode() == Mode.RESTRICT) {
      for (IpFamily family : settings.families().members()) {
        if (snapshot.ranges().get(family).isEmpty()) {
          throw new CfAllowlistException(
              "iptables: no "
                  + family
                  + " range to allow, and restrict mode would then refuse"
                  + " Cloudflare's "
                  + family
                  + " traffic too; use --family to leave "
                  + family
                  + " out");
        }
      }
    }
    return ConfigText.render(State.desired(snapshot.ranges(), settings), snapshot);
  }

  /**
   * The ranges in {@code config}'s rules and ipset files.
   *
   * @throws io.github.cfallowlist.ConfigParseException naming the file, line number and line it
   *     does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return ConfigText.parse(config);
  }

  /** Returns {@code true}: this target reads and changes the live firewall. */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * Reads our chain and jumps with {@code iptables-save -t filter} / {@code ip6tables-save -t
   * filter} and our sets with {@code ipset save}, rendered as {@link #render} would render them.
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    State live = LiveReader.read(context, Settings.of(context.options()));
    if (live.isEmpty()) {
      return Optional.empty();
    }
    RangeSnapshot header =
        new RangeSnapshot(live.ranges(), "live iptables", Optional.empty(), Instant.EPOCH);
    return Optional.of(ConfigText.render(live, header));
  }

  /**
   * Puts {@code plan}'s desired ranges in place with the context's options; on failure puts the
   * state found before back and throws with the tool's message.
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    Settings settings = Settings.of(context.options());
    // Read afresh rather than trusting plan.currentConfig(): the rollback needs the exact lines.
    State before = LiveReader.read(context, settings);
    State want = State.desired(plan.desired(), settings);
    try {
      Reconciler.reconcile(before, want, context);
    } catch (IOException | RuntimeException e) {
      boolean putBack;
      try {
        State now = LiveReader.read(context, settings);
        putBack = !now.equals(before);
        Reconciler.reconcile(now, before, context);
      } catch (IOException | RuntimeException restoreFailure) {
        e.addSuppressed(restoreFailure);
        throw new ApplyFailedException(
            "iptables: "
                + e.getMessage()
                + "; putting the previous rules back also failed: "
                + restoreFailure.getMessage(),
            e);
      }
      throw new IOException(
          e.getMessage() + (putBack ? "; the rules changed before that were put back" : ""), e);
    }
  }

  /**
   * Deletes our jumps, flushes and deletes {@code CF-ALLOWLIST} in each family, then destroys our
   * ipsets (including a scratch set an interrupted run left behind).
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    Settings settings = Settings.of(context.options());
    State before = LiveReader.read(context, settings);
    Reconciler.reconcile(before, State.empty(), context);
    if (settings.ipset() || !before.sets().isEmpty()) {
      List<String> names = LiveReader.setNames(context);
      for (IpFamily family : IpFamily.values()) {
        if (names.contains(Rules.tmpSetName(family))) {
          Reconciler.destroySet(Rules.tmpSetName(family), context);
        }
      }
    }
  }
}
