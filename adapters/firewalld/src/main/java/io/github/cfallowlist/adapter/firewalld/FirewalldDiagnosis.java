package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code firewalld rules} finding. Cloudflare's traffic is dispatched to the {@code cloudflare}
 * zone by its sources, so only that zone's rich rules, and the rich rules of policies that run
 * before zones (negative priority, ingress {@code ANY} or {@code cloudflare}, egress {@code HOST}),
 * can refuse it; rich rules of other zones never see it. A {@code drop} or {@code reject} rich rule
 * there whose source overlaps a Cloudflare range (or that has none) and whose port is one of the
 * ports (or that has none) fails. Rich rules naming an ipset, a service other than {@code http} or
 * {@code https}, or another match are reported as not judged; so are other zones that bind a source
 * overlapping Cloudflare's ranges (which zone wins then depends on firewalld's ordering).
 */
final class FirewalldDiagnosis {
  static final String CHECK = "firewalld rules";
  private static final Pattern ATTR = Pattern.compile("([a-z-]+)=\"([^\"]*)\"");
  private static final Map<String, Integer> SERVICES = Map.of("http", 80, "https", 443);

  private FirewalldDiagnosis() {}

  /** One block of {@code --list-all-zones} or {@code --list-all-policies}: name and fields. */
  record Block(String name, Map<String, String> fields, List<String> richRules) {}

  static Finding finding(Diagnosis diagnosis) throws IOException {
    FirewalldLive live = FirewalldLive.of(diagnosis.context());
    String zones = read(live, "--list-all-zones");
    String policies = live.offline() ? "" : read(live, "--list-all-policies");
    return judge(
        blocks(zones), blocks(policies), diagnosis.ranges().ranges().all(), diagnosis.ports());
  }

  private static String read(FirewalldLive live, String what) throws IOException {
    Command command = Command.read(live.argv(false, what));
    CommandResult result = live.runner().run(command);
    if (!result.ok()) {
      throw result.failure(command);
    }
    return result.stdout();
  }

  /** Parses firewall-cmd's listing: a name line, then indented {@code key: value} lines. */
  static List<Block> blocks(String text) {
    List<Block> out = new ArrayList<>();
    Block current = null;
    boolean rich = false;
    for (String line : text.lines().toList()) {
      if (line.isBlank()) {
        continue;
      }
      if (!Character.isWhitespace(line.charAt(0))) {
        String name = line.strip().split(" ", 2)[0];
        current = new Block(name, new LinkedHashMap<>(), new ArrayList<>());
        out.add(current);
        rich = false;
      } else if (current != null && line.startsWith("\t") && rich) {
        current.richRules().add(line.strip());
      } else if (current != null) {
        String[] kv = line.strip().split(":", 2);
        current.fields().put(kv[0].strip(), kv.length > 1 ? kv[1].strip() : "");
        rich = kv[0].strip().equals("rich rules");
      }
    }
    return out;
  }

  static Finding judge(
      List<Block> zones, List<Block> policies, List<Cidr> ranges, List<Integer> ports) {
    List<String> refused = new ArrayList<>();
    List<String> unjudged = new ArrayList<>();
    String remedy = null;
    Optional<Block> ours = zones.stream().filter(z -> z.name().equals(Names.ZONE)).findFirst();
    if (ours.isEmpty()) {
      return Finding.fail(
          CHECK,
          "firewalld has no zone " + Names.ZONE + ", so nothing admits Cloudflare by its sources",
          "run 'cf-allowlist apply --target firewalld'");
    }
    if (!ours.get().fields().getOrDefault("sources", "").contains("ipset:")) {
      return Finding.fail(
          CHECK,
          "zone "
              + Names.ZONE
              + " is bound to no Cloudflare ipset, so Cloudflare's traffic falls to"
              + " another zone",
          "run 'cf-allowlist apply --target firewalld'");
    }
    List<Block> scopes = new ArrayList<>();
    scopes.add(ours.get());
    for (Block p : policies) {
      String ingress = p.fields().getOrDefault("ingress-zones", "");
      int priority;
      try {
        priority = Integer.parseInt(p.fields().getOrDefault("priority", "0"));
      } catch (NumberFormatException e) {
        unjudged.add("policy " + Printable.of(p.name()) + " (a priority it cannot read)");
        continue;
      }
      boolean before = priority < 0;
      boolean ingressMatches =
          List.of(ingress.split(" ", -1)).contains("ANY")
              || List.of(ingress.split(" ", -1)).contains(Names.ZONE);
      if (before
          && ingressMatches
          && p.fields().getOrDefault("egress-zones", "").contains("HOST")) {
        scopes.add(p);
      }
    }
    for (int i = 0; i < scopes.size(); i++) {
      Block scope = scopes.get(i);
      boolean zone = i == 0;
      String where = (zone ? "zone " : "policy ") + Printable.of(scope.name());
      String flag = zone ? "--zone=" : "--policy=";
      for (String rule : scope.richRules()) {
        Verdict v = rule(rule, ranges, ports);
        if (v.refuses().isPresent()) {
          refused.add(
              "the rich rule '"
                  + Printable.of(rule)
                  + "' in "
                  + where
                  + " refuses "
                  + v.refuses().get());
          if (remedy == null) {
            remedy =
                "remove it ('firewall-cmd "
                    + flag
                    + Printable.of(scope.name())
                    + " --remove-rich-rule='"
                    + Printable.of(rule)
                    + "'', and again with --permanent)";
          }
        } else if (v.unjudged().isPresent()) {
          unjudged.add(
              "the rich rule '"
                  + Printable.of(rule)
                  + "' in "
                  + where
                  + " ("
                  + v.unjudged().get()
                  + ")");
        }
      }
    }
    for (Block z : zones) {
      if (z.name().equals(Names.ZONE)) {
        continue;
      }
      for (String source : z.fields().getOrDefault("sources", "").split(" ", -1)) {
        Optional<Cidr> c = cidr(source);
        if (c.isPresent() && ranges.stream().anyMatch(r -> r.overlaps(c.get()))) {
          unjudged.add(
              "zone "
                  + Printable.of(z.name())
                  + " is bound to source "
                  + c.get()
                  + ", which overlaps Cloudflare's ranges");
        } else if (source.startsWith("ipset:")) {
          unjudged.add(
              "zone "
                  + Printable.of(z.name())
                  + " is bound to "
                  + Printable.of(source)
                  + ", whose entries it does not read");
        }
      }
    }
    String onPorts = (ports.size() == 1 ? "port " : "ports ") + join(ports);
    if (!refused.isEmpty()) {
      return Finding.fail(
          CHECK,
          "firewalld refuses Cloudflare before zone "
              + Names.ZONE
              + " admits it: "
              + String.join("; ", refused)
              + (unjudged.isEmpty() ? "" : "; not judged: " + String.join("; ", unjudged)),
          remedy);
    }
    if (!unjudged.isEmpty()) {
      return Finding.warn(
          CHECK,
          "could not judge whether these refuse Cloudflare on "
              + onPorts
              + ": "
              + String.join("; ", unjudged),
          "check them by hand with 'firewall-cmd --list-all-zones' and 'firewall-cmd"
              + " --list-all-policies'");
    }
    return Finding.ok(
        CHECK,
        "zone "
            + Names.ZONE
            + " holds Cloudflare's ipsets and no rich rule in it or in a policy"
            + " ahead of zones refuses Cloudflare on "
            + onPorts
            + " (rules in nftables outside firewalld's tables are the nftables check's)");
  }

  /** What one rich rule does to Cloudflare's ranges on the ports. */
  record Verdict(Optional<String> refuses, Optional<String> unjudged) {
    static final Verdict NONE = new Verdict(Optional.empty(), Optional.empty());

    static Verdict unjudged(String why) {
      return new Verdict(Optional.empty(), Optional.of(why));
    }
  }

  static Verdict rule(String rule, List<Cidr> ranges, List<Integer> ports) {
    boolean refuse = rule.matches(".*\\b(reject|drop)\\b.*") && !rule.matches(".*\\baccept\\b.*");
    if (!refuse) {
      return Verdict.NONE;
    }
    if (rule.contains("priority=\"") && priority(rule) > 0) {
      return Verdict.NONE; // after the zone's own ports and services
    }
    Map<String, String> attrs = new LinkedHashMap<>();
    Matcher m = ATTR.matcher(rule);
    while (m.find()) {
      attrs.putIfAbsent(m.group(1), m.group(2));
    }
    for (String match :
        List.of(
            " ipset=",
            " mac=",
            " destination ",
            " icmp-type ",
            " icmp-block ",
            " forward-port ",
            " source-port ",
            " protocol value=",
            " mark ")) {
      if (rule.contains(match)) {
        return Verdict.unjudged("it matches " + match.strip().replace("=", ""));
      }
    }
    List<Cidr> hit = new ArrayList<>(ranges);
    String family = attrs.get("family");
    if (family != null) {
      IpFamily f = family.equals("ipv6") ? IpFamily.IPV6 : IpFamily.IPV4;
      hit.removeIf(r -> r.family() != f);
    }
    if (rule.contains(" source ")) {
      Optional<Cidr> source = cidr(attrs.getOrDefault("address", ""));
      if (source.isEmpty()) {
        return Verdict.unjudged("a source it cannot read");
      }
      boolean not = rule.contains("source NOT ");
      hit.removeIf(r -> not ? source.get().contains(r) : !source.get().overlaps(r));
    }
    List<Integer> hitPorts = new ArrayList<>(ports);
    if (rule.contains(" port port=")) {
      if (!"tcp"
          .equals(
              Pattern.compile("protocol=\"([^\"]*)\"")
                  .matcher(rule)
                  .results()
                  .map(r -> r.group(1))
                  .findFirst()
                  .orElse("tcp"))) {
        return Verdict.NONE;
      }
      String p =
          Pattern.compile("port port=\"([^\"]*)\"")
              .matcher(rule)
              .results()
              .map(r -> r.group(1))
              .findFirst()
              .orElse("");
      hitPorts.removeIf(port -> !inPorts(p, port));
    } else if (rule.contains(" service name=")) {
      String s =
          Pattern.compile("service name=\"([^\"]*)\"")
              .matcher(rule)
              .results()
              .map(r -> r.group(1))
              .findFirst()
              .orElse("");
      if (!SERVICES.containsKey(s)) {
        return Verdict.unjudged("it names service " + Printable.of(s));
      }
      hitPorts.removeIf(port -> port.intValue() != SERVICES.get(s));
    }
    if (hit.isEmpty() || hitPorts.isEmpty()) {
      return Verdict.NONE;
    }
    String what =
        hit.size() == ranges.size()
            ? "all of Cloudflare's ranges"
            : hit.size() > 3
                ? hit.subList(0, 3).toString().replaceAll("[\\[\\]]", "")
                    + " and "
                    + (hit.size() - 3)
                    + " more"
                : hit.toString().replaceAll("[\\[\\]]", "");
    return new Verdict(
        Optional.of((hitPorts.size() == 1 ? "port " : "ports ") + join(hitPorts) + " for " + what),
        Optional.empty());
  }

  private static int priority(String rule) {
    Matcher m = Pattern.compile("priority=\"(-?\\d+)\"").matcher(rule);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static boolean inPorts(String spec, int port) {
    String[] bounds = spec.split("-", 2);
    try {
      int low = Integer.parseInt(bounds[0]);
      int high = bounds.length == 1 ? low : Integer.parseInt(bounds[1]);
      return low <= port && port <= high;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Optional<Cidr> cidr(String text) {
    if (text.isEmpty() || text.startsWith("ipset:")) {
      return Optional.empty();
    }
    try {
      return text.contains("/") ? Optional.of(Cidr.parseZeroingHostBits(text)) : Cidr.host(text);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String join(List<Integer> ports) {
    return String.join(", ", ports.stream().map(String::valueOf).toList());
  }
}
