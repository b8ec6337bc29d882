package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.IpFamily;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Talks to firewalld through {@code firewall-cmd} (or, offline, {@code firewall-offline-cmd}, which
 * edits only the permanent configuration and takes no {@code --permanent}).
 */
final class FirewallCmd {
  static final String ONLINE = "firewall-cmd";
  static final String OFFLINE = "firewall-offline-cmd";

  // firewall-cmd's exit codes (firewall/errors.py): the object does not exist, or no daemon.
  private static final int INVALID_ZONE = 112;
  private static final int INVALID_IPSET = 135;
  private static final int NOT_RUNNING = 252;

  private final CommandRunner runner;
  private final boolean offline;

  FirewallCmd(CommandRunner runner, boolean offline) {
    this.runner = runner;
    this.offline = offline;
  }

  boolean offline() {
    return offline;
  }

  /**
   * The configurations to read and change: runtime then permanent, or only the permanent one when
   * offline.
   */
  List<Boolean> configurations() {
    return offline ? List.of(true) : List.of(false, true);
  }

  Command read(boolean permanent, String... args) {
    return Command.read(argv(permanent, args));
  }

  Command modify(boolean permanent, String... args) {
    return Command.modify(argv(permanent, args));
  }

  private List<String> argv(boolean permanent, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(offline ? OFFLINE : ONLINE);
    if (permanent && !offline) {
      argv.add("--permanent");
    }
    argv.addAll(Arrays.asList(args));
    return argv;
  }

  /**
   * Runs {@code command} and fails unless it succeeds.
   *
   * @throws CfAllowlistException when firewalld is not running
   * @throws IOException naming the command and firewall-cmd's first error line
   */
  CommandResult run(Command command) throws IOException {
    CommandResult result = runner.run(command);
    if (!result.ok()) {
      checkRunning(result);
      throw result.failure(command);
    }
    return result;
  }

  private void checkRunning(CommandResult result) {
    String error = result.stderr() + result.stdout();
    if (!offline
        && (result.exitCode() == NOT_RUNNING
            || error.contains("not running")
            || error.contains("DBUS_ERROR"))) {
      throw new CfAllowlistException(
          "firewalld is not running (firewall-cmd: "
              + result.firstErrorLine()
              + "); start it, or use --offline (setting offline=true) to change only its permanent"
              + " configuration with firewall-offline-cmd");
    }
  }

  /** The output of an {@code --info-...} query, or empty when the object does not exist. */
  private Optional<String> info(boolean permanent, String option) throws IOException {
    Command command = read(permanent, option);
    CommandResult result = runner.run(command);
    if (result.ok()) {
      return Optional.of(result.stdout());
    }
    checkRunning(result);
    String error = result.stderr() + result.stdout();
    if (result.exitCode() == INVALID_ZONE
        || result.exitCode() == INVALID_IPSET
        || error.contains("INVALID_ZONE")
        || error.contains("INVALID_IPSET")) {
      return Optional.empty();
    }
    throw result.failure(command);
  }

  /** One configuration's objects as firewall-cmd reports them. */
  State readState(boolean permanent) throws IOException {
    // The zone first: when firewalld is down, the first command says so.
    Optional<ZoneInfo> zone = info(permanent, "--info-zone=" + Names.ZONE).map(FirewallCmd::zone);
    Map<IpFamily, IpsetInfo> ipsets = new EnumMap<>(IpFamily.class);
    for (IpFamily family : IpFamily.values()) {
      info(permanent, "--info-ipset=" + Names.ipset(family))
          .ifPresent(text -> ipsets.put(family, ipset(text)));
    }
    return new State(zone, ipsets);
  }

  /** {@code --info-...} output: a title line, then {@code " key: value"} lines. */
  private static Map<String, List<String>> fields(String text) {
    Map<String, List<String>> fields = new LinkedHashMap<>();
    String key = null;
    List<String> lines = text.lines().toList();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("\t") && key != null) {
        // forward-ports and rich rules: one per continuation line
        fields.get(key).add(line.strip());
        continue;
      }
      int colon = line.indexOf(':');
      if (!line.startsWith("  ") || colon < 0) {
        continue;
      }
      key = line.substring(0, colon).strip();
      List<String> values = new ArrayList<>();
      for (String v : line.substring(colon + 1).strip().split(" ", -1)) {
        if (!v.isEmpty()) {
          values.add(v);
        }
      }
      fields.put(key, values);
    }
    return fields;
  }

  private static ZoneInfo zone(String text) {
    Map<String, List<String>> f = fields(text);
    List<String> target = f.getOrDefault("target", List.of("default"));
    return new ZoneInfo(target.isEmpty() ? "default" : target.get(0), f);
  }

  private static IpsetInfo ipset(String text) {
    Map<String, List<String>> f = fields(text);
    List<String> type = f.getOrDefault("type", List.of());
    return new IpsetInfo(
        type.isEmpty() ? "" : type.get(0),
        f.getOrDefault("options", List.of()),
        f.getOrDefault("entries", List.of()));
  }

  /**
   * What one configuration holds.
   *
   * @param zone the zone, when it exists
   * @param ipsets the ipsets that exist
   */
  record State(Optional<ZoneInfo> zone, Map<IpFamily, IpsetInfo> ipsets) {
    boolean isEmpty() {
      return zone.isEmpty() && ipsets.isEmpty();
    }
  }

  /**
   * The zone as {@code --info-zone} shows it.
   *
   * @param target its target
   * @param fields every setting, by the name firewall-cmd prints
   */
  record ZoneInfo(String target, Map<String, List<String>> fields) {
    List<String> list(String key) {
      return fields.getOrDefault(key, List.of());
    }

    boolean yes(String key) {
      return list(key).contains("yes");
    }

    /** The zone for rendering: every setting it holds, ours and anyone else's. */
    FirewalldConfig.Zone toConfig() {
      List<FirewalldConfig.Item> items = new ArrayList<>();
      for (String s : list("services")) {
        items.add(FirewalldConfig.Item.named(FirewalldConfig.Item.SERVICE, "service", "name", s));
      }
      for (String p : list("ports")) {
        int slash = p.lastIndexOf('/');
        items.add(
            slash < 0
                ? FirewalldConfig.Item.port(p, "")
                : FirewalldConfig.Item.port(p.substring(0, slash), p.substring(slash + 1)));
      }
      for (String p : list("protocols")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.PROTOCOL, "protocol", "value", p));
      }
      for (String b : list("icmp-blocks")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.ICMP_BLOCK, "icmp-block", "name", b));
      }
      if (yes("masquerade")) {
        items.add(FirewalldConfig.Item.flag(FirewalldConfig.Item.MASQUERADE, "masquerade"));
      }
      // Forward ports and rich rules are shown by their firewall-cmd text: readLive only needs to
      // make them visible, and parse refuses them either way.
      for (String fp : list("forward-ports")) {
        items.add(
            FirewalldConfig.Item.named(
                FirewalldConfig.Item.FORWARD_PORT, "forward-port", "spec", fp));
      }
      for (String p : list("source-ports")) {
        int slash = p.lastIndexOf('/');
        items.add(
            slash < 0
                ? FirewalldConfig.Item.sourcePort(p, "")
                : FirewalldConfig.Item.sourcePort(p.substring(0, slash), p.substring(slash + 1)));
      }
      for (String r : list("rich rules")) {
        items.add(FirewalldConfig.Item.named(FirewalldConfig.Item.RULE, "rule", "spec", r));
      }
      for (String i : list("interfaces")) {
        items.add(
            FirewalldConfig.Item.named(FirewalldConfig.Item.INTERFACE, "interface", "name", i));
      }
      for (String s : list("sources")) {
        items.add(FirewalldConfig.Item.source(s));
      }
      if (yes("icmp-block-inversion")) {
        items.add(
            FirewalldConfig.Item.flag(
                FirewalldConfig.Item.ICMP_BLOCK_INVERSION, "icmp-block-inversion"));
      }
      if (yes("forward")) {
        items.add(FirewalldConfig.Item.flag(FirewalldConfig.Item.FORWARD, "forward"));
      }
      return new FirewalldConfig.Zone(target, items, false);
    }
  }

  /**
   * An ipset as {@code --info-ipset} shows it.
   *
   * @param type its type
   * @param options its options, {@code key=value} or {@code key}
   * @param entries its entries as firewalld stores them
   */
  record IpsetInfo(String type, List<String> options, List<String> entries) {
    /**
     * The entries by their canonical text, mapped to the text firewalld stores (needed to remove
     * them); entries that are not CIDR prefixes map to themselves.
     */
    Map<String, String> canonicalEntries() {
      Map<String, String> out = new LinkedHashMap<>();
      for (String e : entries) {
        out.put(canonical(e).map(Cidr::toString).orElse(e), e);
      }
      return out;
    }

    /**
     * The ipset for rendering: entries in canonical text and in the order a RangeSet keeps, so the
     * same ranges render the same bytes whatever order they were added in.
     */
    FirewalldConfig.Ipset toConfig() {
      List<Cidr> cidrs = new ArrayList<>();
      List<String> other = new ArrayList<>();
      for (String e : entries) {
        canonical(e).ifPresentOrElse(cidrs::add, () -> other.add(e));
      }
      cidrs.sort(Comparator.naturalOrder());
      List<String> all = new ArrayList<>(cidrs.stream().map(Cidr::toString).toList());
      all.addAll(other);
      return new FirewalldConfig.Ipset(type, options, all, false);
    }

    private static Optional<Cidr> canonical(String entry) {
      try {
        return Optional.of(Cidr.parse(entry));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }
}
