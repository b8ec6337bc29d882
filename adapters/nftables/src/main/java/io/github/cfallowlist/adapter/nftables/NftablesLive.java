package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.ReadResult;
import io.github.cfallowlist.Rendered;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads what cf-allowlist holds in the kernel's ruleset with {@code nft -j list ...}. Runs only
 * reads.
 */
final class NftablesLive {
  /** How a leftover own table is described to people and in {@code Plan.leftovers()}. */
  static final String OWN_TABLE_LEFTOVER = "table " + Layout.OWN.ref();

  private final CommandRunner runner;
  private final Layout layout;

  NftablesLive(CommandRunner runner, Layout layout) {
    this.runner = runner;
    this.layout = layout;
  }

  /**
   * Everything the applier compares before and after a command whose outcome is unknown.
   *
   * @param config the sets (and chain) in the layout's table, empty when none exists
   * @param tables every table in the ruleset, as {@code FAMILY NAME}; read only for a user table
   *     (whose existence, and the own table's, matter there)
   */
  record State(Optional<NftablesConfig> config, Set<String> tables) {
    /** Whether the own table is in place while the sets belong in a user table. */
    boolean ownTableLeftOver(Layout layout) {
      return !layout.ownTable() && tables.contains(Layout.OWN.ref());
    }
  }

  /** The live state of everything this layout touches. */
  State state() throws IOException {
    Set<String> tables = layout.ownTable() ? Set.of() : tables();
    return new State(config(), tables);
  }

  /** The live configuration {@code live}, holding {@code ranges}, rendered like a desired one. */
  static Rendered rendered(NftablesConfig live, RangeSet ranges) {
    RangeSnapshot snapshot = RangeSnapshot.live(ranges, "nftables");
    return Rendered.single(NftablesConfig.FILE_NAME, live.render(Header.commented(snapshot, "# ")));
  }

  /**
   * The own table {@code inet cf_allowlist} when the sets belong in a user table: it holds a drop
   * chain these options no longer ask for. Sets named {@code cloudflare_v4/v6} in other tables are
   * never leftovers, since the user's rules may use them.
   */
  List<String> leftovers() throws IOException {
    if (layout.ownTable()) {
      return List.of();
    }
    return tables().contains(Layout.OWN.ref()) ? List.of(OWN_TABLE_LEFTOVER) : List.of();
  }

  /** The live model, or empty when none of the layout's objects exists. */
  Optional<NftablesConfig> config() throws IOException {
    if (layout.ownTable()) {
      // Read as nft prints it: at 100,000 ranges, nft spends a good part of its run printing.
      Command command = Command.read("nft", "-j", "list", "table", layout.family(), layout.table());
      ReadResult<NftablesConfig> read = runner.run(command, json -> LiveJson.table(layout, json));
      if (read.ok() || absent(read.result())) {
        return read.value();
      }
      throw read.result().failure(command);
    }
    List<String> jsons = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      listing("nft", "-j", "list", "set", layout.family(), layout.table(), Layout.setName(family))
          .ifPresent(jsons::add);
    }
    return jsons.isEmpty() ? Optional.empty() : Optional.of(LiveJson.sets(layout, jsons));
  }

  /** Every table in the ruleset, as {@code FAMILY NAME}. */
  Set<String> tables() throws IOException {
    Command command = Command.read("nft", "-j", "list", "tables");
    CommandResult result = runner.run(command);
    if (!result.ok()) {
      throw result.failure(command);
    }
    return LiveJson.tables(result.stdout());
  }

  /** The command's output, or empty when nft says the object does not exist. */
  private Optional<String> listing(String... argv) throws IOException {
    Command command = Command.read(argv);
    CommandResult result = runner.run(command);
    if (result.ok()) {
      return Optional.of(result.stdout());
    }
    if (absent(result)) {
      return Optional.empty();
    }
    throw result.failure(command);
  }

  /** Whether nft failed because the object it was asked to list does not exist. */
  private static boolean absent(CommandResult result) {
    return result.stderr().contains("No such file or directory");
  }
}
