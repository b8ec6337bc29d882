package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An in-memory firewalld behind {@code firewall-cmd} and {@code firewall-offline-cmd}: a runtime
 * and a permanent configuration of zones and ipsets, answering the commands the target runs with
 * the exit codes and the output layout of firewalld 1.3. Objects are created and deleted only in
 * the permanent configuration, {@code --reload} copies it to the runtime, and an ipset refuses an
 * entry overlapping one it holds, as the real ones do.
 *
 * <p>Wrap it in a {@link FaultInjectingRunner} to make commands fail or lose their reply.
 */
final class FakeFirewalld implements CommandRunner {

  /** One configuration. */
  static final class Config {
    final Map<String, Zone> zones = new TreeMap<>();
    final Map<String, Ipset> ipsets = new TreeMap<>();

    Config copy() {
      Config c = new Config();
      zones.forEach((k, v) -> c.zones.put(k, v.copy()));
      ipsets.forEach((k, v) -> c.ipsets.put(k, v.copy()));
      return c;
    }

    /** The objects, with every list sorted: equal text, equal state. */
    String describe() {
      StringBuilder out = new StringBuilder();
      zones.forEach(
          (k, v) -> {
            Zone sorted = v.copy();
            sorted.lists.replaceAll((key, values) -> new java.util.TreeSet<>(values));
            out.append(info(k, sorted));
          });
      ipsets.forEach(
          (k, v) -> {
            Ipset sorted = new Ipset(v.type, v.options);
            sorted.entries.addAll(new java.util.TreeSet<>(v.entries));
            out.append(info(k, sorted));
          });
      return out.toString();
    }
  }

  static final class Zone {
    String target = "default";
    final Map<String, Set<String>> lists = new TreeMap<>();
    final Set<String> flags = new java.util.TreeSet<>();

    Zone copy() {
      Zone z = new Zone();
      z.target = target;
      lists.forEach((k, v) -> z.lists.put(k, new LinkedHashSet<>(v)));
      z.flags.addAll(flags);
      return z;
    }

    Set<String> list(String key) {
      return lists.computeIfAbsent(key, k -> new LinkedHashSet<>());
    }
  }

  static final class Ipset {
    final String type;
    final List<String> options;
    final Set<String> entries = new LinkedHashSet<>();

    Ipset(String type, List<String> options) {
      this.type = type;
      this.options = List.copyOf(options);
    }

    Ipset copy() {
      Ipset i = new Ipset(type, options);
      i.entries.addAll(entries);
      return i;
    }
  }

  private static final Map<String, String> ZONE_LISTS =
      Map.of(
          "service", "services",
          "port", "ports",
          "protocol", "protocols",
          "icmp-block", "icmp-blocks",
          "source-port", "source-ports",
          "interface", "interfaces",
          "source", "sources",
          "rich-rule", "rich rules");
  private static final Set<String> ZONE_FLAGS =
      Set.of("masquerade", "forward", "icmp-block-inversion");

  Config runtime = new Config();
  Config permanent = new Config();
  private boolean running = true;
  private final List<String> changes = new ArrayList<>();

  /** Makes firewall-cmd answer as when firewalld is not running. */
  FakeFirewalld stopped() {
    running = false;
    return this;
  }

  /** Both configurations, described as firewall-cmd's info output, for comparing states. */
  String state() {
    return "runtime:\n" + runtime.describe() + "permanent:\n" + permanent.describe();
  }

  /** The commands that took effect, in order. */
  List<String> changes() {
    return List.copyOf(changes);
  }

  /** Entries of ipset {@code name} in one configuration, in the order they were added. */
  List<String> entries(String name, boolean inPermanent) {
    Ipset i = (inPermanent ? permanent : runtime).ipsets.get(name);
    return i == null ? List.of() : List.copyOf(i.entries);
  }

  /** Creates an ipset in both configurations with {@code entries}. */
  void ipset(String name, String type, List<String> options, List<String> entries) {
    for (Config c : List.of(runtime, permanent)) {
      Ipset i = new Ipset(type, options);
      i.entries.addAll(entries);
      c.ipsets.put(name, i);
    }
  }

  @Override
  public synchronized CommandResult run(Command command) {
    CommandResult result = execute(command);
    if (result.ok() && command.modifies()) {
      changes.add(command.display());
    }
    return result;
  }

  private CommandResult execute(Command command) {
    List<String> argv = new ArrayList<>(command.argv());
    String program = argv.remove(0);
    if (program.equals("python3")
        && argv.size() > 2
        && argv.get(2).startsWith("# firewalld read-state")) {
      return readState(argv);
    }
    if (program.equals("python3")
        && argv.size() == 4
        && argv.get(2).startsWith("# firewalld reload")) {
      return reload(false);
    }
    if (program.equals("python3")) {
      return setEntries(argv, command.stdin());
    }
    boolean offline = program.equals("firewall-offline-cmd");
    if (!offline && !program.equals("firewall-cmd")) {
      return error(127, "no such program " + program);
    }
    boolean inPermanent = offline || argv.remove("--permanent");
    if (offline && command.argv().contains("--permanent")) {
      return error(2, "firewall-offline-cmd: error: unrecognized arguments: --permanent");
    }
    if (!offline && !running) {
      return error(252, "FirewallD is not running");
    }
    Config config = inPermanent ? permanent : runtime;
    if (argv.isEmpty()) {
      return error(2, "no option");
    }
    String first = argv.get(0);
    String value = value(first);
    if (first.equals("--state")) {
      return ok("running\n");
    }
    if (first.equals("--reload")) {
      return reload(inPermanent);
    }
    if (first.startsWith("--info-zone=")) {
      Zone z = config.zones.get(value);
      return z == null ? error(112, "INVALID_ZONE: " + value) : ok(info(value, z));
    }
    if (first.startsWith("--info-ipset=")) {
      Ipset i = config.ipsets.get(value);
      return i == null ? error(135, "INVALID_IPSET: " + value) : ok(info(value, i));
    }
    if (first.startsWith("--new-ipset=")
        || first.startsWith("--delete-ipset=")
        || first.startsWith("--new-zone=")
        || first.startsWith("--delete-zone=")) {
      if (!inPermanent) {
        return error(2, "Option can be used only with --permanent.");
      }
    }
    if (first.startsWith("--new-ipset=")) {
      if (config.ipsets.containsKey(value)) {
        return error(26, "NAME_CONFLICT: new_ipset(): '" + value + "'");
      }
      String type = "";
      List<String> options = new ArrayList<>();
      for (String a : argv.subList(1, argv.size())) {
        if (a.startsWith("--type=")) {
          type = value(a);
        } else if (a.startsWith("--option=")) {
          options.add(value(a));
        } else {
          return error(2, "unexpected " + a);
        }
      }
      config.ipsets.put(value, new Ipset(type, options));
      return ok("success\n");
    }
    if (first.startsWith("--delete-ipset=")) {
      return config.ipsets.remove(value) == null
          ? error(135, "INVALID_IPSET: " + value)
          : ok("success\n");
    }
    if (first.startsWith("--new-zone=")) {
      if (config.zones.containsKey(value)) {
        return error(26, "NAME_CONFLICT: new_zone(): '" + value + "'");
      }
      config.zones.put(value, new Zone());
      return ok("success\n");
    }
    if (first.startsWith("--delete-zone=")) {
      return config.zones.remove(value) == null
          ? error(112, "INVALID_ZONE: " + value)
          : ok("success\n");
    }
    if (first.startsWith("--ipset=")) {
      return ipsetEntries(config, value, argv.subList(1, argv.size()), command.stdin());
    }
    if (first.startsWith("--zone=")) {
      Zone z = config.zones.get(value);
      if (z == null) {
        return error(112, "INVALID_ZONE: " + value);
      }
      return zone(z, inPermanent, argv.subList(1, argv.size()));
    }
    return error(2, "unrecognized arguments: " + first);
  }

  /**
   * The target's read-state script: {@code -I -c SCRIPT QUERY...}, each query {@code runtime
   * --info-zone=NAME} or {@code permanent --info-ipset=NAME}, answered as firewall-cmd would, each
   * answer after a line {@code @@ QUERY} (or {@code @@ QUERY missing}).
   */
  private CommandResult readState(List<String> args) {
    if (!running) {
      return error(252, "FirewallD is not running");
    }
    StringBuilder out = new StringBuilder();
    for (String query : args.subList(3, args.size())) {
      String[] parts = query.split(" ", 2);
      List<String> argv = new ArrayList<>(List.of("firewall-cmd"));
      if (parts[0].equals("permanent")) {
        argv.add("--permanent");
      }
      argv.add(parts[1]);
      CommandResult answer = execute(Command.read(argv));
      if (answer.exitCode() == 112 || answer.exitCode() == 135) {
        out.append("@@ ").append(query).append(" missing\n");
      } else if (answer.ok()) {
        out.append("@@ ").append(query).append('\n').append(answer.stdout());
      } else {
        return answer;
      }
    }
    return ok(out.toString());
  }

  /**
   * {@code firewall-cmd --reload}, or the target's reload script: the runtime becomes a copy of the
   * permanent configuration.
   */
  private CommandResult reload(boolean inPermanent) {
    if (inPermanent) {
      return error(2, "--reload cannot be used with --permanent");
    }
    if (!running) {
      return error(252, "DBUS_ERROR: The name org.fedoraproject.FirewallD1 was not provided");
    }
    runtime = permanent.copy();
    return ok("success\n");
  }

  /**
   * The target's set-entries script: {@code -I -c SCRIPT runtime|--permanent IPSET SECONDS}, the
   * entries on stdin and then a line {@code end}; one call replaces them all, refused as a whole
   * when two of them overlap or the end line is missing.
   */
  private CommandResult setEntries(List<String> args, Optional<String> stdin) {
    if (args.size() != 6
        || !args.get(0).equals("-I")
        || !args.get(1).equals("-c")
        || !args.get(2).startsWith("# firewalld set-entries")) {
      return error(2, "unexpected python3 arguments");
    }
    if (!running) {
      return error(252, "DBUS_ERROR: The name org.fedoraproject.FirewallD1 was not provided");
    }
    Config config = args.get(3).equals("--permanent") ? permanent : runtime;
    Ipset ipset = config.ipsets.get(args.get(4));
    if (ipset == null) {
      return error(1, "INVALID_IPSET: " + args.get(4));
    }
    String input = stdin.orElse("");
    if (!input.equals("end\n") && !input.endsWith("\nend\n")) {
      return error(2, "the entries for " + args.get(4) + " ended before their end line");
    }
    // As the script: every line before the last, which is the end line.
    List<String> lines =
        input
            .substring(0, input.length() - "end\n".length())
            .lines()
            .filter(l -> !l.isBlank())
            .toList();
    List<Cidr> given = lines.stream().map(Cidr::parse).toList();
    for (int i = 0; i < given.size(); i++) {
      for (int j = i + 1; j < given.size(); j++) {
        if (given.get(i).overlaps(given.get(j))) {
          return error(136, "INVALID_ENTRY: " + given.get(i) + " overlaps with " + given.get(j));
        }
      }
    }
    ipset.entries.clear();
    ipset.entries.addAll(lines);
    return ok("");
  }

  private static CommandResult ipsetEntries(
      Config config, String name, List<String> args, Optional<String> stdin) {
    Ipset ipset = config.ipsets.get(name);
    if (ipset == null) {
      return error(135, "INVALID_IPSET: " + name);
    }
    if (args.size() != 1 || stdin.isEmpty()) {
      return error(2, "expected one entries-from-file option with standard input");
    }
    boolean add = args.get(0).equals("--add-entries-from-file=/dev/stdin");
    if (!add && !args.get(0).equals("--remove-entries-from-file=/dev/stdin")) {
      return error(2, "unrecognized arguments: " + args.get(0));
    }
    List<String> lines = stdin.get().lines().filter(l -> !l.isBlank()).toList();
    if (add) {
      // All or nothing, as firewalld checks the whole list before changing the set.
      List<Cidr> held = ipset.entries.stream().map(Cidr::parse).toList();
      for (String line : lines) {
        Cidr c = Cidr.parse(line);
        for (Cidr e : held) {
          if (!e.equals(c) && e.overlaps(c)) {
            return error(136, "INVALID_ENTRY: " + line + " overlaps with " + e);
          }
        }
      }
      ipset.entries.addAll(lines);
    } else {
      lines.forEach(ipset.entries::remove);
    }
    return ok("success\n");
  }

  private static CommandResult zone(Zone z, boolean inPermanent, List<String> args) {
    Zone after = z.copy();
    for (String a : args) {
      if (a.startsWith("--set-target=")) {
        if (!inPermanent) {
          return error(2, "Option can be used only with --permanent.");
        }
        after.target = value(a);
        continue;
      }
      boolean add = a.startsWith("--add-");
      if (!add && !a.startsWith("--remove-")) {
        return error(2, "unrecognized arguments: " + a);
      }
      String rest = a.substring(add ? 6 : 9);
      int eq = rest.indexOf('=');
      String kind = eq < 0 ? rest : rest.substring(0, eq);
      if (ZONE_FLAGS.contains(kind) && eq < 0) {
        if (add) {
          after.flags.add(kind);
        } else {
          after.flags.remove(kind);
        }
        continue;
      }
      String key = ZONE_LISTS.get(kind);
      if (key == null || eq < 0) {
        return error(2, "unrecognized arguments: " + a);
      }
      if (add) {
        after.list(key).add(rest.substring(eq + 1));
      } else {
        after.list(key).remove(rest.substring(eq + 1));
      }
    }
    z.target = after.target;
    z.lists.clear();
    z.lists.putAll(after.lists);
    z.flags.clear();
    z.flags.addAll(after.flags);
    return ok("success\n");
  }

  static String info(String name, Zone z) {
    StringBuilder out = new StringBuilder(name).append('\n');
    out.append("  target: ").append(z.target).append('\n');
    out.append("  icmp-block-inversion: ")
        .append(z.flags.contains("icmp-block-inversion") ? "yes" : "no")
        .append('\n');
    for (String key : List.of("interfaces", "sources", "services", "ports", "protocols")) {
      out.append("  ").append(key).append(": ").append(String.join(" ", z.list(key))).append('\n');
    }
    out.append("  forward: ").append(z.flags.contains("forward") ? "yes" : "no").append('\n');
    out.append("  masquerade: ").append(z.flags.contains("masquerade") ? "yes" : "no").append('\n');
    out.append("  forward-ports: \n");
    for (String key : List.of("source-ports", "icmp-blocks")) {
      out.append("  ").append(key).append(": ").append(String.join(" ", z.list(key))).append('\n');
    }
    out.append("  rich rules: ");
    for (String r : z.list("rich rules")) {
      out.append("\n\t").append(r);
    }
    return out.append('\n').toString();
  }

  static String info(String name, Ipset i) {
    return name
        + "\n  type: "
        + i.type
        + "\n  options: "
        + String.join(" ", i.options)
        + "\n  entries: "
        + String.join(" ", i.entries)
        + "\n";
  }

  private static String value(String arg) {
    int eq = arg.indexOf('=');
    return eq < 0 ? "" : arg.substring(eq + 1);
  }

  private static CommandResult ok(String stdout) {
    return new CommandResult(0, stdout, "");
  }

  private static CommandResult error(int status, String message) {
    return new CommandResult(status, "", "Error: " + message + "\n");
  }
}
