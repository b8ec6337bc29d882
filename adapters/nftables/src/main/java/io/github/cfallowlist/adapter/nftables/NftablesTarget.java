package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nftables.NftConfig.Rule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code nftables} target: Cloudflare's ranges in the named interval sets {@code cloudflare_v4}
 * ({@code ipv4_addr}) and {@code cloudflare_v6} ({@code ipv6_addr}), written as one {@code nft -f}
 * script ({@value #FILE_NAME}) that runs as a single atomic transaction whether or not the objects
 * already exist.
 *
 * <p><b>Default layout:</b> a table of its own, {@code inet cf_allowlist}, holding the sets and a
 * base chain {@code input} (filter hook input, priority {@code filter - 10}, policy accept) with
 * one rule per family in use: {@code tcp dport { PORTS } ip saddr != @cloudflare_v4 drop} (and the
 * {@code ip6} one). Only {@link Mode#RESTRICT} is possible there: in nftables a drop in any base
 * chain is final while an accept is not, so an accept in a table of its own could never override a
 * drop in the user's rules; {@link Mode#ALLOW} without {@code nft-table} is refused.
 *
 * <p><b>Settings</b> read from {@link TargetOptions#settings()}:
 *
 * <ul>
 *   <li>{@code nft-table} — {@code "FAMILY NAME"} of an existing table, such as {@code "inet
 *       filter"}. Only the two sets go into it (no chain, in either mode), for rules the user
 *       writes, such as {@code ip saddr @cloudflare_v4 tcp dport { 80, 443 } accept}. The table
 *       must exist; cf-allowlist never flushes or deletes it, and uninstall removes only the two
 *       sets (nft refuses while the user's rules still use them).
 * </ul>
 *
 * <p>The live state is read with {@code nft -j list table} (own table) or {@code nft -j list set}
 * (user table); apply feeds the script to {@code nft -f -}, so a refused script changes nothing.
 */
public final class NftablesTarget implements Target {

  /** The name of the rendered script. */
  public static final String FILE_NAME = "cf_allowlist.nft";

  private static final String LIVE_SOURCE = "live nftables";

  /** Creates the target; it holds no state. */
  public NftablesTarget() {}

  /** Returns {@code nftables}. */
  @Override
  public String name() {
    return "nftables";
  }

  /**
   * The {@value #FILE_NAME} script for {@code snapshot}'s ranges of the families in use.
   *
   * @throws CfAllowlistException for {@code --mode allow} without {@code nft-table}, for an invalid
   *     {@code nft-table}, or when restrict mode would leave a family in use with no range at all
   *     (which would lock everyone out of the ports)
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Layout layout = Layout.of(options);
    requireSupportedMode(layout, options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    Map<IpFamily, List<Cidr>> sets = new EnumMap<>(IpFamily.class);
    List<Rule> rules = new ArrayList<>();
    for (IpFamily family : options.families().members()) {
      sets.put(family, ranges.get(family));
      if (layout.ownTable()) {
        if (ranges.get(family).isEmpty()) {
          throw new CfAllowlistException(
              "nftables: there is no "
                  + family
                  + " range to allow, and a restrict rule with an"
                  + " empty set would refuse everyone on ports "
                  + ports(options)
                  + "; nothing"
                  + " was rendered");
        }
        rules.add(new Rule(family, options.ports()));
      }
    }
    NftConfig config =
        new NftConfig(
            layout, sets, layout.ownTable() ? Optional.of(rules) : Optional.empty(), List.of());
    return Rendered.single(FILE_NAME, config.render(Header.commented(snapshot, "# ")));
  }

  /**
   * The ranges held by a {@value #FILE_NAME} script rendered for the same table.
   *
   * @throws ConfigParseException naming the file, the line number and the line of the first line
   *     this target does not write
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return parseConfig(config, options).ranges();
  }

  private static NftConfig parseConfig(Rendered config, TargetOptions options) {
    for (Rendered.File file : config.files()) {
      if (!file.name().equals(FILE_NAME)) {
        throw new ConfigParseException(
            "nftables: unexpected file "
                + Layout.printable(file.name())
                + ", only "
                + FILE_NAME
                + " is written");
      }
    }
    Rendered.File file =
        config
            .file(FILE_NAME)
            .orElseThrow(() -> new ConfigParseException("nftables: no " + FILE_NAME + " file"));
    return NftConfig.parse(FILE_NAME, file.content(), Layout.of(options));
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
    Optional<NftConfig> live = readModel(context, Layout.of(context.options()));
    if (live.isEmpty()) {
      return Optional.empty();
    }
    RangeSnapshot snapshot =
        new RangeSnapshot(live.get().ranges(), LIVE_SOURCE, Optional.empty(), Instant.EPOCH);
    return Optional.of(
        Rendered.single(FILE_NAME, live.get().render(Header.commented(snapshot, "# "))));
  }

  /**
   * Puts {@code plan}'s configuration in place with one {@code nft -f -} transaction: the sets are
   * flushed and refilled and the chain's rules replaced in the same commit, so no packet sees a
   * half-updated state. Objects in the own table that the new configuration does not hold (a set of
   * a family no longer in use, anything cf-allowlist did not write) are removed in the same
   * transaction.
   *
   * @throws IOException when nft refuses the script (nothing was changed) or cannot be run
   * @throws ApplyFailedException when {@code nft-table} names a table that does not exist
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    TargetOptions options = context.options();
    Layout layout = Layout.of(options);
    requireSupportedMode(layout, options);
    // Re-reading the plan's own text keeps anything but this target's grammar away from nft.
    NftConfig parsed = parseConfig(plan.desiredConfig(), options);
    NftConfig desired = new NftConfig(layout, parsed.sets(), parsed.chain(), List.of());
    Optional<NftConfig> live = readModel(context, layout);
    StringBuilder script = new StringBuilder();
    if (layout.ownTable()) {
      if (live.isPresent() && !holdsOnly(desired, live.get())) {
        // Deleting and redeclaring in one transaction replaces the table atomically.
        script.append("delete table ").append(layout.ref()).append('\n');
      }
    } else {
      requireTable(context, layout);
    }
    script.append(desired.render(""));
    if (!layout.ownTable() && live.isPresent()) {
      for (IpFamily family : live.get().sets().keySet()) {
        if (!desired.sets().containsKey(family)) {
          script.append("delete set ").append(layout.ref()).append(' ');
          script.append(Layout.setName(family)).append('\n');
        }
      }
    }
    CommandResult result = runScript(context, script.toString());
    if (!result.ok()) {
      throw new IOException(
          "nft -f refused the "
              + FILE_NAME
              + " transaction for table "
              + layout.ref()
              + ", so nothing was changed: "
              + result.firstErrorLine());
    }
  }

  /**
   * Deletes the table {@code inet cf_allowlist}, or with {@code nft-table} only the two sets in the
   * user's table (in one transaction). Does nothing when none of them exists.
   *
   * @throws IOException when nft refuses, for example because the user's rules still use a set
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    Layout layout = Layout.of(context.options());
    Optional<NftConfig> live = readModel(context, layout);
    if (live.isEmpty()) {
      return;
    }
    StringBuilder script = new StringBuilder();
    if (layout.ownTable()) {
      script.append("delete table ").append(layout.ref()).append('\n');
    } else {
      for (IpFamily family : live.get().sets().keySet()) {
        script.append("delete set ").append(layout.ref()).append(' ');
        script.append(Layout.setName(family)).append('\n');
      }
    }
    CommandResult result = runScript(context, script.toString());
    if (!result.ok()) {
      throw new IOException(
          "nft refused to remove cf-allowlist's "
              + (layout.ownTable() ? "table " : "sets from table ")
              + layout.ref()
              + (layout.ownTable() ? "" : " (remove your rules using @cloudflare_v4/v6 first)")
              + ", so nothing was changed: "
              + result.firstErrorLine());
    }
  }

  /**
   * Runs {@code script} as one {@code nft -f} transaction. The script goes to a file first: nft
   * commits whatever it parsed by end of input, so a run killed halfway through writing to nft's
   * standard input could commit a prefix of the script (a flushed set without its elements). A
   * half-written file is never handed to nft.
   */
  private static CommandResult runScript(TargetContext context, String script) throws IOException {
    Path file = Files.createTempFile("cf-allowlist-", ".nft");
    try {
      Files.writeString(file, script, StandardCharsets.UTF_8);
      return context.runner().run(Command.modify("nft", "-f", file.toString()));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** The live model, or empty when none of the target's objects exists. Runs only reads. */
  private static Optional<NftConfig> readModel(TargetContext context, Layout layout)
      throws IOException {
    if (layout.ownTable()) {
      Optional<String> json =
          listing(context, "nft", "-j", "list", "table", layout.family(), layout.table());
      return json.isEmpty() ? Optional.empty() : Optional.of(LiveJson.table(layout, json.get()));
    }
    List<String> jsons = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      listing(
              context,
              "nft",
              "-j",
              "list",
              "set",
              layout.family(),
              layout.table(),
              Layout.setName(family))
          .ifPresent(jsons::add);
    }
    return jsons.isEmpty() ? Optional.empty() : Optional.of(LiveJson.sets(layout, jsons));
  }

  /** The command's output, or empty when nft says the object does not exist. */
  private static Optional<String> listing(TargetContext context, String... argv)
      throws IOException {
    Command command = Command.read(argv);
    CommandResult result = context.runner().run(command);
    if (result.ok()) {
      return Optional.of(result.stdout());
    }
    if (result.stderr().contains("No such file or directory")) {
      return Optional.empty();
    }
    throw result.failure(command);
  }

  private static void requireTable(TargetContext context, Layout layout) throws IOException {
    Command command = Command.read("nft", "list", "tables", layout.family());
    CommandResult result = context.runner().run(command);
    if (!result.ok()) {
      throw result.failure(command);
    }
    if (!result.stdout().lines().map(String::strip).toList().contains("table " + layout.ref())) {
      throw new ApplyFailedException(
          "nftables: table "
              + layout.ref()
              + " named by --nft-table does not exist; create it"
              + " with your own rules first (cf-allowlist only adds the sets to it), so nothing"
              + " was changed");
    }
  }

  /** Whether {@code live} holds nothing {@code desired} does not declare. */
  private static boolean holdsOnly(NftConfig desired, NftConfig live) {
    return live.notes().isEmpty()
        && desired.sets().keySet().containsAll(live.sets().keySet())
        && (live.chain().isEmpty() || desired.chain().isPresent());
  }

  private static void requireSupportedMode(Layout layout, TargetOptions options) {
    if (layout.ownTable() && options.mode() == Mode.ALLOW) {
      throw new CfAllowlistException(
          "nftables: --mode allow needs --nft-table FAMILY NAME (an existing table holding your"
              + " own accept rules): an accept in cf-allowlist's own table cannot override a drop"
              + " elsewhere, so only --mode restrict works there; nothing was changed");
    }
  }

  private static String ports(TargetOptions options) {
    StringBuilder out = new StringBuilder();
    for (Integer p : options.ports()) {
      out.append(out.length() == 0 ? "" : ", ").append(p);
    }
    return out.toString();
  }
}
