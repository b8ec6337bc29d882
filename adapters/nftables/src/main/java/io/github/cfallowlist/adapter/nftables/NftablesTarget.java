package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The {@code nftables} target: Cloudflare's ranges in the named interval sets {@code cloudflare_v4}
 * ({@code ipv4_addr}) and {@code cloudflare_v6} ({@code ipv6_addr}), written as one {@code nft -f}
 * script ({@value #FILE_NAME}) that runs as a single atomic transaction whether or not the objects
 * already exist.
 *
 * <p><b>Default layout:</b> a table of its own, {@code inet cf_allowlist}, holding the sets and a
 * base chain {@code input} (filter hook input, priority {@code filter - 10}, policy accept) with
 * one rule per family in use: {@code iifname != "lo" tcp dport { PORTS } ip saddr != @cloudflare_v4
 * drop} (and the {@code ip6} one). Only {@link Mode#RESTRICT} is possible there: in nftables a drop
 * in any base chain is final while an accept is not, so an accept in a table of its own could never
 * override a drop in the user's rules; {@link Mode#ALLOW} without {@code nft-table} is refused.
 *
 * <p><b>Settings</b> ({@link #settings()}):
 *
 * <ul>
 *   <li>{@code nft-table} — {@code "FAMILY NAME"} of an existing table, such as {@code "inet
 *       filter"}: a family ({@code ip}, {@code ip6}, {@code inet}, {@code bridge} or {@code
 *       netdev}) and a name of letters, digits, {@code _}, {@code .} and {@code -}. Only the two
 *       sets go into it (no chain, in either mode), for rules the user writes, such as {@code ip
 *       saddr @cloudflare_v4 tcp dport { 80, 443 } accept}. The table must exist; cf-allowlist
 *       never flushes or deletes it, and uninstall removes only the two sets (nft refuses while the
 *       user's rules still use them). With this setting, an own table {@code inet cf_allowlist}
 *       from the default layout is a {@linkplain #leftovers leftover}: apply deletes it in the same
 *       transaction that fills the user's sets, and uninstall deletes it too.
 * </ul>
 *
 * <p>The live state is read with {@code nft -j list table} (own table), {@code nft -j list set}
 * (user table) and {@code nft -j list tables} (leftovers). Apply and uninstall run one {@code nft
 * -f FILE} transaction: a refused script changes nothing ({@link Outcome#FAILED_UNCHANGED}); when
 * nft times out or is killed, the ruleset is read again, and anything but the previous state is
 * reported as {@link Outcome#STATE_UNKNOWN}.
 */
public final class NftablesTarget implements Target {

  /** The name of the rendered script. */
  public static final String FILE_NAME = NftablesConfig.FILE_NAME;

  /**
   * The last live reading, its model and its ranges, so the plan built from it does not parse the
   * text {@link #readLive} just rendered from the same model, and {@link #apply} of that plan in
   * the own table does not list the table again before its transaction (at 100,000 ranges each
   * costs as much as the read).
   */
  private volatile LiveReading lastReading;

  /** Nanoseconds, as {@link System#nanoTime()}. */
  private final LongSupplier clock;

  /**
   * How long after its listing ended a plan's reading stands for the state before its transaction:
   * a plan applied later (a caller that planned, waited, then applied) gets a reading of its own.
   * Counted from the end, not the start: nft checks the ruleset's generation after its dump and
   * dumps again when it changed meanwhile, so a listing is the state as it was when nft's dump
   * ended, and at 100,000 ranges the listing alone takes most of a second.
   */
  static final Duration READING_KEPT = Duration.ofSeconds(1);

  /**
   * @param runner the runner it was read through (a plan read in one namespace says nothing of
   *     another)
   * @param readAt the clock's time when nft's listing had been read
   */
  private record LiveReading(
      Rendered rendered,
      RangeSet ranges,
      NftablesConfig config,
      Layout layout,
      CommandRunner runner,
      long readAt) {}

  /** Creates the target; it holds nothing but its last live reading. */
  public NftablesTarget() {
    this(System::nanoTime);
  }

  /** A target whose readings are timed by {@code clock}, in nanoseconds (for tests). */
  NftablesTarget(LongSupplier clock) {
    this.clock = clock;
  }

  /** Returns {@code nftables}. */
  @Override
  public String name() {
    return "nftables";
  }

  /** Returns the one setting, {@code nft-table}. */
  @Override
  public List<Setting<?>> settings() {
    return NftablesSettings.DECLARED;
  }

  /** Returns {@code nft} from the Debian package {@code nftables}. */
  @Override
  public Map<String, String> packages() {
    return Map.of("nft", "nftables");
  }

  /**
   * The {@value #FILE_NAME} script for {@code snapshot}'s ranges of the families in use.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed {@code nft-table}
   * @throws CfAllowlistException for {@code --mode allow} without {@code nft-table}, or when
   *     restrict mode would leave a family in use with no range at all (which would lock everyone
   *     out of the ports)
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Layout layout = NftablesSettings.of(options).layout();
    return NftablesConfig.desired(snapshot, options, layout).rendered(snapshot);
  }

  /**
   * The ranges held by a {@value #FILE_NAME} script rendered for the same table.
   *
   * @throws ConfigParseException naming the file, the line number and the line of the first line
   *     this target does not write
   * @throws IllegalArgumentException for an unknown setting or a malformed {@code nft-table}
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return NftablesConfig.parse(config, NftablesSettings.of(options).layout()).ranges();
  }

  /** Returns true: this target reads and changes the live ruleset through {@code nft}. */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The sets (and, in the own table, the chain) as they are in the kernel, rendered like {@link
   * #render}; objects in the own table that cf-allowlist did not write show as comment lines, so
   * they count as a change. Runs only {@code nft -j list} commands.
   *
   * @throws IOException when {@code nft} cannot list the ruleset
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    Optional<NftablesConfig> config = live(context).config();
    long read = clock.getAsLong();
    if (config.isEmpty()) {
      return Optional.empty();
    }
    RangeSet ranges = config.get().ranges();
    Rendered rendered = NftablesLive.rendered(config.get(), ranges);
    Layout layout = NftablesSettings.of(context.options()).layout();
    lastReading = new LiveReading(rendered, ranges, config.get(), layout, context.runner(), read);
    return Optional.of(rendered);
  }

  /**
   * The ranges of a live reading: those of the model {@link #readLive} rendered it from when it is
   * that very reading, otherwise as {@link #parse} reads them.
   */
  @Override
  @SuppressWarnings("ReferenceEquality") // the very object readLive returned, not an equal one
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    LiveReading last = lastReading;
    if (last != null && last.rendered() == live) {
      return last.ranges();
    }
    return parse(live, options);
  }

  /**
   * With {@code nft-table}, {@code table inet cf_allowlist} when that table exists (it holds the
   * default layout's drop chain); otherwise nothing. Sets named {@code cloudflare_v4/v6} in other
   * tables are never leftovers: the user's rules may use them. Runs only {@code nft -j list}.
   *
   * @throws IOException when {@code nft} cannot list the tables
   */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    return live(context).leftovers();
  }

  /**
   * Puts {@code plan}'s configuration in place and deletes its leftovers with one {@code nft -f}
   * transaction. The state before it is the reading {@code plan} was made from when {@link
   * #readLive} made that reading of the own table through the same runner and its listing ended
   * less than {@link #READING_KEPT} ago (a run plans and then applies); otherwise the layout's
   * objects are listed first.
   *
   * @throws ApplyFailedException with {@link Outcome#FAILED_UNCHANGED} when {@code nft-table} names
   *     a table that does not exist or nft refuses the script, and, after nft timed out or was
   *     killed, with {@link Outcome#FAILED_UNCHANGED} when a fresh read of the ruleset shows the
   *     state before, {@link Outcome#STATE_UNKNOWN} otherwise
   * @throws IOException when the ruleset cannot be read before the change
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    applier(context).apply(plan, planned(plan, context));
  }

  /**
   * The state {@code plan} was made from, when that is the reading {@link #readLive} made of the
   * own table through this context's runner, its listing ended less than {@link #READING_KEPT} ago;
   * otherwise empty, and the applier lists the table itself.
   */
  @SuppressWarnings("ReferenceEquality") // the very object readLive returned, not an equal one
  private Optional<NftablesLive.State> planned(Plan plan, TargetContext context) {
    LiveReading last = lastReading;
    if (last == null
        || plan.currentConfig().isEmpty()
        || plan.currentConfig().get() != last.rendered()
        || last.runner() != context.runner()
        || !last.layout().equals(NftablesSettings.of(context.options()).layout())
        || !last.layout().ownTable()
        || clock.getAsLong() - last.readAt() > READING_KEPT.toNanos()) {
      return Optional.empty();
    }
    return Optional.of(new NftablesLive.State(Optional.of(last.config()), Set.of()));
  }

  /**
   * One finding, {@code nftables rules}: whether a rule outside cf-allowlist's own table refuses
   * Cloudflare's ranges on the diagnosis' ports. Reads the whole ruleset once ({@code nft -j list
   * ruleset}) and walks every filter base chain on the {@code input}, {@code prerouting} and {@code
   * ingress} hooks as the kernel would for a new connection from each range (a drop or reject in
   * any base chain is final, an accept only ends its chain, jumps and gotos are followed): fail
   * naming the rule (by handle) or drop policy that refuses, warn listing the rules it could not
   * judge (matches it does not evaluate, such as marks or interface names), ok otherwise.
   *
   * @throws IOException when {@code nft} cannot list the ruleset
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    Command list = Command.read("nft", "-j", "list", "ruleset");
    CommandResult result = diagnosis.context().runner().run(list);
    if (!result.ok()) {
      throw result.failure(list);
    }
    return List.of(
        ForeignRules.judge(
            result.stdout(),
            diagnosis.ranges().ranges().restrictTo(diagnosis.context().options().families()),
            diagnosis.ports()));
  }

  /**
   * Deletes the table {@code inet cf_allowlist}, or with {@code nft-table} the two sets in the
   * user's table and a leftover {@code inet cf_allowlist}, in one transaction. Does nothing when
   * none of them exists.
   *
   * @throws ApplyFailedException as for {@link #apply}; nft refuses for example while the user's
   *     rules still use a set
   * @throws IOException when the ruleset cannot be read before the change
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    applier(context).uninstall();
  }

  /**
   * In a table of the user's ({@code --nft-table}), that the table does not exist: the sets cannot
   * be added to it. Runs {@code nft -j list tables}, for a change only.
   */
  @Override
  public Optional<String> obstacle(TargetContext context) throws IOException {
    Layout layout = NftablesSettings.of(context.options()).layout();
    if (layout.ownTable() || live(context).tables().contains(layout.ref())) {
      return Optional.empty();
    }
    return Optional.of(NftablesApplier.missingTable(layout));
  }

  private static NftablesLive live(TargetContext context) {
    return new NftablesLive(context.runner(), NftablesSettings.of(context.options()).layout());
  }

  private static NftablesApplier applier(TargetContext context) {
    return new NftablesApplier(context, NftablesSettings.of(context.options()).layout());
  }
}
