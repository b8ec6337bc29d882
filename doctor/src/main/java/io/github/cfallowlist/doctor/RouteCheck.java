package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The route back to each Cloudflare range leaves through the default route's interface. One {@code
 * ip -force -j -batch -} asks the kernel for the default routes, the policy rules and {@code route
 * get} of each range's first address, so the kernel's own choice (policy rules included) is judged,
 * with one process however many ranges there are.
 */
final class RouteCheck implements Check {
  static final String NAME = "routes";

  /** The policy rules every host has: local, main and default. */
  private static final Set<Long> STANDARD_RULES = Set.of(0L, 32766L, 32767L);

  /** How many ranges one finding names before it counts the rest. */
  private static final int NAMED = 5;

  /** The commands before the first {@code route get}. */
  private static final List<String> HEAD =
      List.of(
          "route show table all match 0.0.0.0/0", "route show table all match ::/0", "rule show");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) throws IOException {
    List<Cidr> ranges = c.ranges().ranges().all();
    StringBuilder in = new StringBuilder();
    HEAD.forEach(h -> in.append(h).append('\n'));
    ranges.forEach(
        r -> in.append("route get ").append(CloudflareRanges.firstAddress(r)).append('\n'));
    CommandResult r;
    try {
      r =
          c.runner()
              .run(Command.read("ip", "-force", "-j", "-batch", "-").withStdin(in.toString()));
    } catch (ToolNotFoundException e) {
      return List.of(
          Finding.warn(
              NAME,
              "ip is not installed, so the routes back to Cloudflare cannot be read",
              "install iproute2 ('apt-get install iproute2') and run doctor again"));
    }
    IpBatch batch = IpBatch.parse(r.stdout(), r.stderr(), HEAD.size() + ranges.size());
    for (int i = 1; i <= HEAD.size(); i++) {
      if (batch.failed(i)) {
        throw new IOException("'ip " + HEAD.get(i - 1) + "' failed: " + batch.error(i));
      }
    }
    int rules = extraRules(batch.output(3)) + extraRules(sixRules(c.runner()));
    return judge(ranges, batch, rules, () -> routeTable(c.runner()));
  }

  /** Reads every route, to name the one that captures a range. */
  interface RouteTable {
    List<Route> read() throws IOException;
  }

  /**
   * The findings for {@code ranges}, given the batch's answers (defaults, rules, then one {@code
   * route get} per range) and how many non-standard policy rules there are.
   */
  static List<Finding> judge(List<Cidr> ranges, IpBatch batch, int extraRules, RouteTable table)
      throws IOException {
    Map<IpFamily, Set<String>> defaults = new EnumMap<>(IpFamily.class);
    defaults.put(IpFamily.IPV4, mainDevices(batch.output(1)));
    defaults.put(IpFamily.IPV6, mainDevices(batch.output(2)));
    Map<Cidr, String> problems = new LinkedHashMap<>();
    Map<Cidr, String> devices = new LinkedHashMap<>();
    int judged = 0;
    for (int i = 0; i < ranges.size(); i++) {
      Cidr range = ranges.get(i);
      int n = HEAD.size() + 1 + i;
      Set<String> ok = defaults.get(range.family());
      if (batch.failed(n)) {
        String kind = dropping(batch.error(n));
        if (kind.equals("none") && ok.isEmpty()) {
          continue; // this family has no route at all: not judged, said below
        }
        problems.put(range, kind);
        continue;
      }
      Map<String, Object> got = batch.output(n).isEmpty() ? Map.of() : batch.output(n).get(0);
      String type = String.valueOf(got.getOrDefault("type", "unicast"));
      if (Route.DROPPING.contains(type)) {
        problems.put(range, type);
        continue;
      }
      if (ok.isEmpty()) {
        continue;
      }
      judged++;
      String dev = String.valueOf(got.getOrDefault("dev", "?"));
      if (!type.equals("unicast") || !ok.contains(dev)) {
        problems.put(range, "dev");
        devices.put(range, dev);
      }
    }
    List<Finding> findings = new ArrayList<>();
    if (!problems.isEmpty()) {
      findings.addAll(failures(problems, devices, defaults, table.read()));
    }
    List<String> unjudged = new ArrayList<>();
    for (IpFamily f : IpFamily.values()) {
      if (defaults.get(f).isEmpty()) {
        unjudged.add(f == IpFamily.IPV4 ? "IPv4" : "IPv6");
      }
    }
    if (unjudged.size() == 2) {
      findings.add(
          Finding.warn(
              NAME,
              "there is no default route, so the routes back to Cloudflare cannot be judged",
              "add the default route via your gateway ('ip route add default via GATEWAY') or"
                  + " check by hand with 'ip route get 173.245.48.1'"));
    } else if (findings.isEmpty()) {
      Set<String> out = new TreeSet<>();
      defaults.values().forEach(out::addAll);
      findings.add(
          Finding.ok(
              NAME,
              "the routes back to all "
                  + judged
                  + " Cloudflare ranges leave through "
                  + String.join(", ", out)
                  + ", the default route's interface"
                  + (unjudged.isEmpty()
                      ? ""
                      : " ("
                          + unjudged.get(0)
                          + " not judged: no "
                          + unjudged.get(0)
                          + " default route)")
                  + (extraRules == 0
                      ? ""
                      : "; "
                          + extraRules
                          + " policy rules besides local, main and default were applied as for a"
                          + " packet from this host with no source address and no mark")));
    }
    return findings;
  }

  private static List<Finding> failures(
      Map<Cidr, String> problems,
      Map<Cidr, String> devices,
      Map<IpFamily, Set<String>> defaults,
      List<Route> routes) {
    // One finding per route that captures ranges, naming the ranges.
    Map<String, List<Cidr>> byRoute = new LinkedHashMap<>();
    Map<String, Optional<Route>> route = new LinkedHashMap<>();
    for (Map.Entry<Cidr, String> p : problems.entrySet()) {
      Cidr first = Cidr.host(CloudflareRanges.firstAddress(p.getKey())).orElseThrow();
      Optional<Route> r = Route.match(routes, first);
      String key =
          r.map(Route::display).orElse(p.getValue() + " " + devices.getOrDefault(p.getKey(), ""));
      byRoute.computeIfAbsent(key, k -> new ArrayList<>()).add(p.getKey());
      route.putIfAbsent(key, r);
    }
    List<Finding> findings = new ArrayList<>();
    for (Map.Entry<String, List<Cidr>> e : byRoute.entrySet()) {
      List<Cidr> captured = e.getValue();
      Cidr sample = captured.get(0);
      String kind = problems.get(sample);
      Optional<Route> r = route.get(e.getKey());
      String ranges = names(captured);
      String found;
      if (kind.equals("dev")) {
        found =
            "the route back to Cloudflare's "
                + ranges
                + " leaves through "
                + devices.get(sample)
                + (r.isPresent() ? " ('" + r.get().display() + "')" : "")
                + ", not through "
                + String.join(", ", defaults.get(sample.family()))
                + " of the default route";
      } else if (kind.equals("none")) {
        found = "there is no route back to Cloudflare's " + ranges;
      } else {
        found =
            "the route back to Cloudflare's "
                + ranges
                + " is a "
                + kind
                + " route"
                + (r.isPresent() ? " ('" + r.get().display() + "')" : "")
                + ", so replies to Cloudflare are dropped";
      }
      String remedy =
          r.isPresent() && !r.get().dst().equals("default")
              ? "remove or narrow the route: '" + r.get().deleteCommand() + "'"
              : "find the route with 'ip route get "
                  + CloudflareRanges.firstAddress(sample)
                  + "' and 'ip rule', and remove or narrow it";
      findings.add(Finding.fail(NAME, found, remedy));
    }
    return findings;
  }

  private static String names(List<Cidr> ranges) {
    String named =
        ranges.stream().limit(NAMED).map(Cidr::toString).collect(Collectors.joining(", "));
    return ranges.size() <= NAMED ? named : named + " and " + (ranges.size() - NAMED) + " more";
  }

  /** What a failed {@code ip route get} means: the kind of route that refused it. */
  static String dropping(String error) {
    String e = error.toLowerCase(Locale.ROOT);
    if (e.contains("invalid argument")) {
      return "blackhole";
    }
    if (e.contains("no route to host")) {
      return "unreachable";
    }
    if (e.contains("permission denied")) {
      return "prohibit";
    }
    return "none";
  }

  /** The interfaces of the main table's default routes. */
  private static Set<String> mainDevices(List<Map<String, Object>> defaults) {
    Set<String> out = new TreeSet<>();
    for (Map<String, Object> d : defaults) {
      Object table = d.get("table");
      if (table == null || table.equals("main")) {
        out.addAll(Route.devices(d));
      }
    }
    return out;
  }

  /** How many rules are not one of the three every host has. */
  static int extraRules(List<Map<String, Object>> rules) {
    int n = 0;
    for (Map<String, Object> r : rules) {
      Object p = r.get("priority");
      if (!(p instanceof Number num) || !STANDARD_RULES.contains(num.longValue())) {
        n++;
      }
    }
    return n;
  }

  private static List<Map<String, Object>> sixRules(CommandRunner runner) {
    try {
      CommandResult r = runner.run(Command.read("ip", "-j", "-6", "rule", "show"));
      return r.ok() ? IpBatch.objects(r.stdout()) : List.of();
    } catch (IOException e) {
      return List.of(); // IPv6 disabled: no IPv6 rules
    }
  }

  private static List<Route> routeTable(CommandRunner runner) throws IOException {
    return Route.all(
        IpBatch.objects(
            runner.runChecked(Command.read("ip", "-j", "route", "show", "table", "all")).stdout()));
  }
}
