package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Printable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges one family's {@code iptables-save -t filter} output the way the kernel evaluates a new TCP
 * connection from each Cloudflare range to each port in the parent chain: the rules before the jump
 * to {@code CF-ALLOWLIST} (all of them, and then the chain's policy, when the jump is missing),
 * following jumps and gotos into user chains. Our chain accepts Cloudflare, so what comes after the
 * jump never sees its traffic.
 *
 * <p>Each match is judged true for the whole range, true for part of it, false, or not judged
 * (matches this class does not evaluate, such as marks, ipsets or interfaces other than {@code
 * lo}).
 */
final class ForeignRules {
  private static final int MAX_DEPTH = 16;
  private static final Set<String> REFUSE = Set.of("DROP", "REJECT");
  private static final Set<String> HARMLESS_TARGETS = Set.of("LOG", "NFLOG", "MARK", "CONNMARK");

  /** A rule: its chain, its 1-based position there, the line as saved and its tokens. */
  record Rule(String chain, int position, String line, List<String> tokens) {}

  /** What refuses: a rule, or the parent chain's policy (rule null). */
  record Refusal(Rule rule, String chain, Set<Integer> ports, Set<Cidr> ranges) {}

  /** What was found in one family. */
  record Result(Map<String, Refusal> refusals, Map<String, String> unjudged, boolean jumpFound) {}

  private enum Truth {
    YES,
    SOME,
    NO,
    UNKNOWN;

    Truth and(Truth o) {
      if (this == NO || o == NO) {
        return NO;
      }
      if (this == UNKNOWN || o == UNKNOWN) {
        return UNKNOWN;
      }
      return this == SOME || o == SOME ? SOME : YES;
    }

    Truth not() {
      return this == YES ? NO : this == NO ? YES : this;
    }
  }

  private enum Kind {
    CONTINUE,
    ACCEPTED,
    REFUSED,
    UNJUDGED
  }

  private record End(Kind kind, Rule rule) {}

  private final Map<String, List<Rule>> chains = new LinkedHashMap<>();
  private final Map<String, String> policies = new LinkedHashMap<>();
  private final Map<String, Refusal> refusals = new LinkedHashMap<>();
  private final Map<String, String> unjudged = new LinkedHashMap<>();

  private ForeignRules(String saved) {
    boolean filter = false;
    for (String line : saved.lines().toList()) {
      if (line.startsWith("*")) {
        filter = line.equals("*filter");
      } else if (filter && line.startsWith(":")) {
        String[] parts = line.substring(1).split(" ", -1);
        chains.putIfAbsent(parts[0], new ArrayList<>());
        policies.put(parts[0], parts.length > 1 ? parts[1] : "-");
      } else if (filter && line.startsWith("-A ")) {
        List<String> tokens = tokens(line);
        if (tokens.size() >= 2) {
          List<Rule> rules = chains.computeIfAbsent(tokens.get(1), c -> new ArrayList<>());
          rules.add(
              new Rule(tokens.get(1), rules.size() + 1, line, tokens.subList(2, tokens.size())));
        }
      }
    }
  }

  /** Judges {@code saved} for the ranges of one family and the ports, from {@code parent}. */
  static Result judge(String saved, String parent, List<Cidr> ranges, List<Integer> ports) {
    ForeignRules rules = new ForeignRules(saved);
    boolean jump =
        rules.chains.getOrDefault(parent, List.of()).stream()
            .anyMatch(r -> Rules.isOurJump(spec(r)));
    for (Cidr range : ranges) {
      for (int port : ports) {
        String[] passed = new String[1];
        End walked = rules.walk(parent, range, port, Truth.YES, passed, 0, true);
        boolean policyDrop =
            walked.kind() == Kind.CONTINUE && "DROP".equals(rules.policies.get(parent));
        if (policyDrop && passed[0] != null) {
          rules.unjudged.put("the DROP policy of " + parent, "reached past " + passed[0]);
          continue;
        }
        End end = policyDrop ? new End(Kind.REFUSED, null) : walked;
        if (end.kind() == Kind.REFUSED) {
          String key = end.rule() == null ? "policy " + parent : end.rule().line();
          Refusal r =
              rules.refusals.computeIfAbsent(
                  key, k -> new Refusal(end.rule(), parent, new TreeSet<>(), new TreeSet<>()));
          r.ports().add(port);
          r.ranges().add(range);
        }
      }
    }
    return new Result(rules.refusals, rules.unjudged, jump);
  }

  private static String spec(Rule r) {
    return String.join(" ", r.tokens());
  }

  private End walk(
      String chain, Cidr range, int port, Truth path, String[] passed, int depth, boolean parent) {
    if (depth > MAX_DEPTH) {
      unjudged.put("chain " + chain, "jumps nested too deep");
      return new End(Kind.CONTINUE, null);
    }
    for (Rule rule : chains.getOrDefault(chain, List.of())) {
      if (parent && Rules.isOurJump(spec(rule))) {
        // Our chain accepts Cloudflare's ranges: nothing after the jump sees them.
        return new End(Kind.ACCEPTED, null);
      }
      Truth t = path;
      String why = null;
      String target = null;
      boolean isGoto = false;
      List<String> tk = rule.tokens();
      for (int i = 0; i < tk.size(); i++) {
        boolean not = tk.get(i).equals("!");
        if (not) {
          i++;
          if (i >= tk.size()) {
            break;
          }
        }
        String option = tk.get(i);
        String value = i + 1 < tk.size() ? tk.get(i + 1) : "";
        Truth m;
        switch (option) {
          case "-j", "-g" -> {
            target = value;
            isGoto = option.equals("-g");
            i++;
            // The target's own options (--reject-with ...) follow; they do not change the match.
            while (i + 1 < tk.size() && tk.get(i + 1).startsWith("--")) {
              i += 2;
            }
            continue;
          }
          case "-m" -> {
            i++;
            continue; // the module's options are judged one by one below
          }
          case "-s", "--source" -> m = source(value, range);
          case "-p", "--protocol" ->
              m =
                  value.equals("tcp") || value.equals("6") || value.equals("all")
                      ? Truth.YES
                      : Truth.NO;
          case "--dport", "--dports", "--destination-port", "--destination-ports" ->
              m = ports(value, port);
          case "-i", "--in-interface" -> m = value.equals("lo") ? Truth.NO : Truth.UNKNOWN;
          case "--ctstate", "--state" ->
              m = List.of(value.split(",", -1)).contains("NEW") ? Truth.YES : Truth.NO;
          case "--comment" -> m = Truth.YES;
          default -> {
            m = Truth.UNKNOWN;
            if (why == null) {
              why = "matches " + Printable.of(option);
            }
          }
        }
        boolean hasValue = !value.isEmpty() && !value.startsWith("-") && !value.equals("!");
        if (hasValue) {
          i++;
        }
        t = t.and(not ? m.not() : m);
      }
      if (t == Truth.NO || target == null || HARMLESS_TARGETS.contains(target)) {
        continue;
      }
      if (target.equals("ACCEPT")) {
        if (t == Truth.YES) {
          return new End(Kind.ACCEPTED, null);
        }
        if (t == Truth.UNKNOWN && passed[0] == null) {
          passed[0] = "'" + Printable.of(rule.line()) + "' (an accept that " + why + ")";
        }
      } else if (REFUSE.contains(target)) {
        if (t == Truth.UNKNOWN) {
          unjudged.put(rule.line(), why);
        } else if (passed[0] != null) {
          unjudged.put(rule.line(), "a " + target + " reached past " + passed[0]);
          return new End(Kind.UNJUDGED, null);
        } else {
          return new End(Kind.REFUSED, rule);
        }
      } else if (target.equals("RETURN")) {
        if (t == Truth.YES) {
          return new End(Kind.CONTINUE, null);
        }
      } else if (chains.containsKey(target)) {
        End end = walk(target, range, port, t, passed, depth + 1, false);
        if (end.kind() != Kind.CONTINUE) {
          return end;
        }
        if (isGoto && t == Truth.YES) {
          return end;
        }
      } else {
        unjudged.put(rule.line(), "a target it does not evaluate (" + Printable.of(target) + ")");
      }
    }
    return new End(Kind.CONTINUE, null);
  }

  private static Truth source(String value, Cidr range) {
    Truth t = Truth.NO;
    for (String one : value.split(",", -1)) {
      Cidr c;
      try {
        c = one.contains("/") ? Cidr.parseZeroingHostBits(one) : Cidr.host(one).orElse(null);
      } catch (IllegalArgumentException e) {
        return Truth.UNKNOWN;
      }
      if (c == null) {
        return Truth.UNKNOWN;
      }
      if (c.family() != range.family()) {
        continue;
      }
      if (c.contains(range)) {
        return Truth.YES;
      }
      if (c.overlaps(range)) {
        t = Truth.SOME;
      }
    }
    return t;
  }

  private static Truth ports(String value, int port) {
    for (String one : value.split(",", -1)) {
      String[] bounds = one.split(":", 2);
      try {
        int low = bounds[0].isEmpty() ? 0 : Integer.parseInt(bounds[0]);
        int high =
            bounds.length == 1 ? low : bounds[1].isEmpty() ? 65535 : Integer.parseInt(bounds[1]);
        if (low <= port && port <= high) {
          return Truth.YES;
        }
      } catch (NumberFormatException e) {
        return Truth.UNKNOWN; // a service name
      }
    }
    return Truth.NO;
  }

  /** Splits a saved rule into words, keeping a double-quoted value (a comment) as one. */
  static List<String> tokens(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '\\' && i + 1 < line.length()) {
        word.append(line.charAt(++i));
      } else if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) {
          out.add(word.toString());
        }
        word.setLength(0);
        any = false;
      } else {
        word.append(c);
        any = true;
      }
    }
    if (any) {
      out.add(word.toString());
    }
    return out;
  }

  /** The family's save command, as the remedy names it. */
  static String tool(IpFamily family) {
    return family == IpFamily.IPV4 ? "iptables" : "ip6tables";
  }
}
