package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.adapter.nftables.NftablesConfig.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A scripted {@code nft}, no root needed: it answers {@code nft -j list ...} from a {@link Ruleset}
 * the test sets, prints JSON the way nft 1.0.6 does, records every command and the content of every
 * script given to {@code nft -f FILE}, and answers each script with the next {@link Step}.
 */
final class FakeNft implements CommandRunner {
  private static final String META =
      "{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\":\"Lester Gooch #5\","
          + "\"json_schema_version\":1}}";
  private static final String NO_SUCH = "Error: No such file or directory\n";

  /**
   * The tables in the kernel: each with what cf-allowlist's reader would see in it (a full own
   * table, or only the sets of a user table; an empty model for a table holding nothing of ours).
   */
  record Ruleset(Map<String, NftablesConfig> tables) {
    Ruleset {
      tables = Map.copyOf(tables);
    }

    static Ruleset empty() {
      return new Ruleset(Map.of());
    }

    /** This ruleset with {@code config}'s table (replacing one of that name). */
    Ruleset with(NftablesConfig config) {
      Map<String, NftablesConfig> copy = new LinkedHashMap<>(tables);
      copy.put(config.layout().ref(), config);
      return new Ruleset(copy);
    }

    /** This ruleset with a user table holding nothing of cf-allowlist's. */
    Ruleset withTable(String family, String name) {
      return with(
          new NftablesConfig(
              Layout.userTable(family, name), Map.of(), Optional.empty(), List.of()));
    }

    /** This ruleset without the table {@code ref}. */
    Ruleset without(String ref) {
      Map<String, NftablesConfig> copy = new LinkedHashMap<>(tables);
      copy.remove(ref);
      return new Ruleset(copy);
    }
  }

  /** How {@code nft -f} ends. */
  enum Ending {
    /** Exit 0. */
    COMMITTED,
    /** Exit 1 with nft's error, nothing committed. */
    REFUSED,
    /** The runner throws (a timeout), after the ruleset changed to {@link Step#after}. */
    LOST,
    /** As {@link #LOST}, and every later read fails. */
    LOST_UNREADABLE
  }

  /** What one {@code nft -f} does: how it ends, and the ruleset it leaves. */
  record Step(Ending ending, Ruleset after) {}

  private final List<Command> commands = new ArrayList<>();
  private final List<String> scripts = new ArrayList<>();
  private final Deque<Step> steps = new ArrayDeque<>();
  private Ruleset ruleset;
  private boolean readsFail;

  FakeNft(Ruleset ruleset) {
    this.ruleset = ruleset;
  }

  /** Queues what the next {@code nft -f} does. */
  FakeNft then(Ending ending, Ruleset after) {
    steps.add(new Step(ending, after));
    return this;
  }

  Ruleset ruleset() {
    return ruleset;
  }

  List<Command> commands() {
    return List.copyOf(commands);
  }

  List<Command> modifyingCommands() {
    return commands.stream().filter(Command::modifies).toList();
  }

  /** The content of every script given to {@code nft -f}, in order. */
  List<String> scripts() {
    return List.copyOf(scripts);
  }

  void clear() {
    commands.clear();
    scripts.clear();
  }

  @Override
  public CommandResult run(Command command) throws IOException {
    commands.add(command);
    List<String> argv = command.argv();
    if (!argv.get(0).equals("nft")) {
      throw new AssertionError("not an nft command: " + command.display());
    }
    if (argv.size() == 3 && argv.get(1).equals("-f")) {
      if (!command.modifies()) {
        throw new AssertionError("nft -f not marked as modifying");
      }
      return script(Path.of(argv.get(2)));
    }
    if (command.modifies() || argv.size() < 3 || !argv.get(1).equals("-j")) {
      throw new AssertionError("unexpected command: " + command.display());
    }
    if (readsFail) {
      return new CommandResult(1, "", "Error: Operation not permitted\n");
    }
    List<String> list = argv.subList(2, argv.size());
    if (list.equals(List.of("list", "tables"))) {
      return ok(tables());
    }
    if (list.size() == 4 && list.get(1).equals("table")) {
      NftablesConfig config = ruleset.tables().get(list.get(2) + " " + list.get(3));
      return config == null ? new CommandResult(1, "", NO_SUCH) : ok(table(config));
    }
    if (list.size() == 5 && list.get(1).equals("set")) {
      NftablesConfig config = ruleset.tables().get(list.get(2) + " " + list.get(3));
      for (IpFamily family : config == null ? List.<IpFamily>of() : config.sets().keySet()) {
        if (Layout.setName(family).equals(list.get(4))) {
          return ok(listing(set(config.layout(), family, config.sets().get(family))));
        }
      }
      return new CommandResult(1, "", NO_SUCH);
    }
    throw new AssertionError("unexpected command: " + command.display());
  }

  private CommandResult script(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new AssertionError("nft -f without a complete file: " + file);
    }
    scripts.add(Files.readString(file));
    Step step = steps.poll();
    if (step == null) {
      throw new AssertionError("no step queued for nft -f");
    }
    switch (step.ending()) {
      case COMMITTED -> {
        ruleset = step.after();
        return new CommandResult(0, "", "");
      }
      case REFUSED -> {
        return new CommandResult(
            1,
            "",
            file
                + ":12:1-40: Error: Could not process rule: Device or resource busy\n"
                + "delete set inet filter cloudflare_v4\n^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n");
      }
      case LOST, LOST_UNREADABLE -> {
        ruleset = step.after();
        readsFail = step.ending() == Ending.LOST_UNREADABLE;
        throw new IOException("'nft -f " + file + "' did not finish within 60 s and was stopped");
      }
    }
    throw new AssertionError(step);
  }

  private static CommandResult ok(String stdout) {
    return new CommandResult(0, stdout, "");
  }

  private String tables() {
    List<String> items = new ArrayList<>();
    int handle = 1;
    for (String ref : new TreeSet<>(ruleset.tables().keySet())) {
      String[] words = ref.split(" ", -1);
      items.add(
          "{\"table\":{\"family\":\""
              + words[0]
              + "\",\"name\":\""
              + words[1]
              + "\",\"handle\":"
              + handle++
              + "}}");
    }
    return listing(items.toArray(new String[0]));
  }

  /** {@code nft -j list table}: the table, its sets, its chain and rules. */
  static String table(NftablesConfig config) {
    Layout layout = config.layout();
    List<String> items = new ArrayList<>();
    items.add(
        "{\"table\":{\"family\":\""
            + layout.family()
            + "\",\"name\":\""
            + layout.table()
            + "\",\"handle\":1}}");
    config.sets().forEach((family, cidrs) -> items.add(set(layout, family, cidrs)));
    if (config.chain().isPresent()) {
      items.add(
          "{\"chain\":{\"family\":\""
              + layout.family()
              + "\",\"table\":\""
              + layout.table()
              + "\",\"name\":\"input\",\"handle\":3,\"type\":\"filter\",\"hook\":\"input\","
              + "\"prio\":-10,\"policy\":\"accept\"}}");
      int handle = 10;
      for (Rule rule : config.chain().get()) {
        items.add(rule(layout, rule, handle++));
      }
    }
    return listing(items.toArray(new String[0]));
  }

  private static String set(Layout layout, IpFamily family, List<Cidr> cidrs) {
    List<String> elems = new ArrayList<>();
    for (Cidr cidr : cidrs) {
      String[] parts = cidr.toString().split("/", -1);
      elems.add("{\"prefix\":{\"addr\":\"" + parts[0] + "\",\"len\":" + parts[1] + "}}");
    }
    return "{\"set\":{\"family\":\""
        + layout.family()
        + "\",\"name\":\""
        + Layout.setName(family)
        + "\",\"table\":\""
        + layout.table()
        + "\",\"type\":\""
        + Layout.setType(family)
        + "\",\"handle\":2,\"flags\":[\"interval\"]"
        + (elems.isEmpty() ? "" : ",\"elem\":[" + String.join(",", elems) + "]")
        + "}}";
  }

  private static String rule(Layout layout, Rule rule, int handle) {
    List<String> ports = rule.ports().stream().map(String::valueOf).toList();
    String right = ports.size() == 1 ? ports.get(0) : "{\"set\":[" + String.join(",", ports) + "]}";
    return "{\"rule\":{\"family\":\""
        + layout.family()
        + "\",\"table\":\""
        + layout.table()
        + "\",\"chain\":\"input\",\"handle\":"
        + handle
        + ",\"expr\":["
        + "{\"match\":{\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"lo\"}},"
        + "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},"
        + "\"right\":"
        + right
        + "}},"
        + "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\""
        + Layout.saddrProtocol(rule.family())
        + "\",\"field\":\"saddr\"}},\"right\":\"@"
        + Layout.setName(rule.family())
        + "\"}},{\"drop\":null}]}}";
  }

  private static String listing(String... items) {
    return "{\"nftables\":["
        + META
        + (items.length == 0 ? "" : ",")
        + String.join(",", items)
        + "]}";
  }
}
