package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.JsonValues;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges a whole ruleset ({@code nft -j list ruleset}) the way the kernel evaluates a new TCP
 * connection from each Cloudflare range to each port: every filter base chain on the {@code input}
 * and {@code prerouting} hooks (and {@code ingress}) of a table that is not cf-allowlist's own is
 * walked, following jumps and gotos; a {@code drop} or {@code reject} in any base chain is final,
 * an {@code accept} only ends its chain, and a chain that runs out ends in its policy.
 *
 * <p>Each match is judged as true for the whole range, true for part of it, false, or not judged
 * (matches this class does not evaluate, such as marks or interface names other than {@code lo}). A
 * drop reached by Cloudflare's traffic is a failure; a drop that may be reached, or one reached
 * only past an accept that was not judged, is reported as not judged.
 */
final class ForeignRules {
  static final String SUFFIX = " rules";
  private static final Set<String> HOOKS = Set.of("input", "prerouting", "ingress");
  private static final Set<String> HARMLESS = Set.of("counter", "log", "mangle", "notrack");
  private static final int MAX_DEPTH = 16;

  /** iptables matches (in {@code xt} expressions) that match every packet: a comment. */
  private static final Set<String> XT_ALWAYS_MATCH = Set.of("comment");

  /** iptables targets (in iptables-nft's {@code xt} expressions) that let the packet go on. */
  private static final Set<String> XT_GOES_ON =
      Set.of(
          "LOG",
          "NFLOG",
          "ULOG",
          "MARK",
          "CONNMARK",
          "TRACE",
          "AUDIT",
          "CLASSIFY",
          "DSCP",
          "TOS",
          "TCPMSS",
          "CT",
          "NOTRACK",
          "SECMARK",
          "CONNSECMARK",
          "IDLETIMER",
          "LED",
          "CHECKSUM",
          "TTL",
          "HL",
          "SET");

  private static final String UNREADABLE = "unreadable";

  private final Map<String, Chain> chains = new LinkedHashMap<>();
  private final Map<String, List<?>> sets = new HashMap<>();
  private final Map<String, List<?>> maps = new HashMap<>();

  /** Whether cf-allowlist's table, or its sets in a table of the user's, are in the ruleset. */
  private boolean installed;

  /** A chain, its base-chain properties (null for a regular chain) and its rules in order. */
  private record Chain(
      String family,
      String table,
      String name,
      String type,
      String hook,
      String policy,
      List<Rule> rules) {
    String ref() {
      return family + " " + table + " " + name;
    }

    boolean base() {
      return hook != null;
    }
  }

  private record Rule(Chain chain, long handle, List<?> expr) {
    String ref() {
      return "rule handle " + handle + " in chain " + chain.ref();
    }
  }

  /** How a match relates to the traffic of one Cloudflare range to one port. */
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
      return switch (this) {
        case YES -> NO;
        case NO -> YES;
        default -> this;
      };
    }
  }

  /** One new connection from {@code range} to {@code port}. */
  private record Probe(Cidr range, int port) {
    IpFamily family() {
      return range.family();
    }
  }

  /** Where a walk ended: accepted, refused by a rule (null: the policy), or ran out. */
  private record End(Kind kind, Rule rule, Chain policyOf) {
    enum Kind {
      CONTINUE,
      ACCEPTED,
      REFUSED,
      UNJUDGED
    }

    static final End CONTINUE = new End(Kind.CONTINUE, null, null);
    static final End ACCEPTED = new End(Kind.ACCEPTED, null, null);
    static final End UNJUDGED = new End(Kind.UNJUDGED, null, null);

    boolean goesOn() {
      return kind == Kind.CONTINUE;
    }

    boolean refused() {
      return kind == Kind.REFUSED;
    }
  }

  /** What the walks found, keyed by the refusing rule or policy. */
  private static final class Report {
    final Map<String, Refusal> refusals = new LinkedHashMap<>();
    final Map<String, String> unjudged = new LinkedHashMap<>();
  }

  private record Refusal(String what, String remedy, Set<Integer> ports, Set<Cidr> ranges) {}

  private ForeignRules() {}

  /**
   * The one finding for {@code nftables rules}: whether any rule outside cf-allowlist's own table
   * refuses {@code ranges} on {@code ports}.
   *
   * @throws IOException when the JSON cannot be read
   */
  static Finding judge(String json, RangeSet ranges, List<Integer> ports) throws IOException {
    ForeignRules rules = new ForeignRules();
    rules.read(json);
    return rules.finding(ranges, ports);
  }

  private void read(String json) throws IOException {
    Object root;
    try {
      root = JsonValues.read(json);
    } catch (IOException e) {
      throw new IOException("nft printed JSON that cannot be read: " + e.getMessage(), e);
    }
    if (!(root instanceof Map<?, ?> map) || !(map.get("nftables") instanceof List<?> list)) {
      throw new IOException("nft printed JSON without an \"nftables\" list");
    }
    List<Map<?, ?>> ruleBodies = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> item)) {
        continue;
      }
      if (item.get("table") instanceof Map<?, ?> t
          && Layout.OWN.ref().equals(text(t.get("family")) + " " + text(t.get("name")))) {
        installed = true;
      }
      if (item.get("chain") instanceof Map<?, ?> c) {
        String family = text(c.get("family"));
        String table = text(c.get("table"));
        String name = text(c.get("name"));
        Chain chain =
            new Chain(
                family,
                table,
                name,
                c.get("type") instanceof String t ? t : null,
                c.get("hook") instanceof String h ? h : null,
                c.get("policy") instanceof String p ? p : "accept",
                new ArrayList<>());
        chains.put(family + " " + table + " " + name, chain);
      } else if (item.get("set") instanceof Map<?, ?> s) {
        installed |=
            s.get("name") instanceof String n
                && (n.equals(Layout.setName(IpFamily.IPV4))
                    || n.equals(Layout.setName(IpFamily.IPV6)));
        sets.put(
            text(s.get("family")) + " " + text(s.get("table")) + " " + text(s.get("name")),
            s.get("elem") instanceof List<?> elem ? elem : List.of());
      } else if (item.get("map") instanceof Map<?, ?> s) {
        maps.put(
            text(s.get("family")) + " " + text(s.get("table")) + " " + text(s.get("name")),
            s.get("elem") instanceof List<?> elem ? elem : List.of());
      } else if (item.get("rule") instanceof Map<?, ?> r) {
        ruleBodies.add(r);
      }
    }
    for (Map<?, ?> r : ruleBodies) {
      Chain chain =
          chains.get(
              text(r.get("family")) + " " + text(r.get("table")) + " " + text(r.get("chain")));
      if (chain != null) {
        long handle = r.get("handle") instanceof Number n ? n.longValue() : -1;
        chain
            .rules()
            .add(new Rule(chain, handle, r.get("expr") instanceof List<?> e ? e : List.of()));
      }
    }
  }

  private Finding finding(RangeSet ranges, List<Integer> ports) {
    String check = "nftables" + SUFFIX;
    Report report = new Report();
    List<Chain> judged = new ArrayList<>();
    for (Chain chain : chains.values()) {
      if (!chain.base() || ours(chain) || !HOOKS.contains(chain.hook())) {
        continue;
      }
      if (!"filter".equals(chain.type()) || chain.family().equals("bridge")) {
        if (!"nat".equals(chain.type()) && !"route".equals(chain.type())) {
          report.unjudged.put(chain.ref(), "a " + chain.type() + " chain");
        }
        continue;
      }
      judged.add(chain);
      for (Cidr range : ranges.all()) {
        if (!sees(chain, range.family())) {
          continue;
        }
        for (int port : ports) {
          Probe probe = new Probe(range, port);
          String[] passed = new String[1];
          End end = walk(chain, probe, Truth.YES, passed, report, 0);
          if (end.goesOn() && "drop".equals(chain.policy()) && passed[0] != null) {
            report.unjudged.put(
                "the drop policy of chain " + chain.ref(), "reached past " + passed[0]);
            continue;
          }
          if (end.goesOn()) {
            end =
                "drop".equals(chain.policy())
                    ? new End(End.Kind.REFUSED, null, chain)
                    : End.ACCEPTED;
          }
          if (end.refused()) {
            refuse(report, end, probe);
          }
        }
      }
    }
    String ports_ = ports.size() == 1 ? "port " + ports.get(0) : "ports " + join(ports);
    if (!report.refusals.isEmpty()) {
      List<String> parts = new ArrayList<>();
      String remedy = null;
      for (Refusal r : report.refusals.values()) {
        parts.add(r.what() + " refuses " + describe(r, ranges));
        remedy = remedy == null ? r.remedy() : remedy;
      }
      String unjudged =
          report.unjudged.isEmpty()
              ? ""
              : "; not judged: " + String.join(", ", report.unjudged.keySet());
      return Finding.fail(
          check,
          (installed
                  ? "a rule outside cf-allowlist's table refuses Cloudflare before its sets can"
                      + " admit it: "
                  : "a firewall rule refuses Cloudflare (cf-allowlist has no table or sets in"
                      + " nftables): ")
              + String.join("; ", parts)
              + unjudged,
          remedy);
    }
    if (!report.unjudged.isEmpty()) {
      List<String> parts = new ArrayList<>();
      report.unjudged.forEach((what, why) -> parts.add(what + " (" + why + ")"));
      return Finding.warn(
          check,
          "could not judge whether these rules refuse Cloudflare on "
              + ports_
              + ": "
              + String.join("; ", parts),
          "check them by hand with 'nft -a list ruleset': a drop or reject reached by Cloudflare's"
              + " ranges on "
              + ports_
              + " in any base chain is final");
    }
    return Finding.ok(
        check,
        (installed ? "no rule outside cf-allowlist's table" : "no nftables rule")
            + " refuses Cloudflare on "
            + ports_
            + " ("
            + judged.size()
            + " foreign base chain(s) judged)");
  }

  private void refuse(Report report, End end, Probe probe) {
    String key;
    String what;
    String remedy;
    String accept =
        "tcp dport { "
            + probe.port()
            + " } "
            + Layout.saddrProtocol(probe.family())
            + " saddr @"
            + Layout.setName(probe.family())
            + " accept";
    if (end.rule() != null) {
      Rule r = end.rule();
      Chain c = r.chain();
      key = r.ref();
      what = key;
      remedy =
          "delete it ('nft delete rule "
              + c.ref()
              + " handle "
              + r.handle()
              + "') or admit Cloudflare ahead of it ('nft insert rule "
              + c.ref()
              + " position "
              + r.handle()
              + " "
              + accept
              + "'"
              + withSets(c)
              + ")";
    } else {
      Chain c = end.policyOf();
      key = "policy of " + c.ref();
      what = "the drop policy of chain " + c.ref() + " (no accept for Cloudflare in it)";
      remedy =
          "admit Cloudflare in it ('nft add rule "
              + c.ref()
              + " "
              + accept
              + "'"
              + withSets(c)
              + ")";
    }
    Refusal r =
        report.refusals.computeIfAbsent(
            key, k -> new Refusal(what, remedy, new TreeSet<>(), new TreeSet<>()));
    r.ports().add(probe.port());
    r.ranges().add(probe.range());
  }

  /** How the accept suggested for {@code chain} gets Cloudflare's sets into its table. */
  private String withSets(Chain chain) {
    String table = chain.family() + " " + chain.table();
    if (installed) {
      return ", with the sets in that table: --nft-table '" + table + "'";
    }
    // Nothing of cf-allowlist's is installed: the accept needs the sets put there first.
    return ", once that table holds Cloudflare's sets: 'cf-allowlist apply --target nftables"
        + " --nft-table \""
        + table
        + "\"'";
  }

  private static String describe(Refusal r, RangeSet all) {
    String ports = (r.ports().size() == 1 ? "port " : "ports ") + join(List.copyOf(r.ports()));
    if (r.ranges().size() == all.size()) {
      return ports + " for all of Cloudflare's ranges";
    }
    List<String> shown = new ArrayList<>();
    for (Cidr c : r.ranges()) {
      if (shown.size() == 3) {
        shown.add("and " + (r.ranges().size() - 3) + " more");
        break;
      }
      shown.add(c.toString());
    }
    return ports + " for " + String.join(", ", shown);
  }

  private boolean ours(Chain chain) {
    // The own table is cf-allowlist's in both layouts (a leftover one too); in a user table, the
    // rules are the user's, judged like any other (an accept for @cloudflare_v4 admits).
    return Layout.OWN.ref().equals(chain.family() + " " + chain.table());
  }

  private static boolean sees(Chain chain, IpFamily family) {
    return switch (chain.family()) {
      case "ip" -> family == IpFamily.IPV4;
      case "ip6" -> family == IpFamily.IPV6;
      default -> true;
    };
  }

  /**
   * Walks {@code chain} for {@code probe}. {@code path} is how certainly the traffic got here;
   * {@code passed[0]} names an accept that was not judged, past which no drop is certain.
   */
  private End walk(
      Chain chain, Probe probe, Truth path, String[] passed, Report report, int depth) {
    if (depth > MAX_DEPTH) {
      report.unjudged.put("chain " + chain.ref(), "jumps nested too deep");
      return End.CONTINUE;
    }
    for (Rule rule : chain.rules()) {
      Truth t = path;
      String why = null;
      Object verdict = null;
      String verdictName = null;
      for (Object e : rule.expr()) {
        if (!(e instanceof Map<?, ?> m) || m.size() != 1) {
          t = t.and(Truth.UNKNOWN);
          why = "an expression it cannot read";
          continue;
        }
        String kind = String.valueOf(m.keySet().iterator().next());
        Object body = m.get(kind);
        switch (kind) {
          case "match" -> {
            Truth mt = body instanceof Map<?, ?> b ? match(b, probe, chain) : Truth.UNKNOWN;
            if (mt == Truth.UNKNOWN && why == null) {
              why = "matches " + describeLeft(body);
            }
            t = t.and(mt);
          }
          case "accept", "drop", "reject", "jump", "goto", "return", "continue", "queue" -> {
            verdictName = kind;
            verdict = body;
          }
          case "xt" -> {
            // iptables-nft's translation of what nft cannot express natively.
            String name = body instanceof Map<?, ?> x ? text(x.get("name")) : "?";
            if (body instanceof Map<?, ?> x && "target".equals(x.get("type"))) {
              if (name.equals("REJECT") || name.equals("DROP")) {
                verdictName = "reject";
              } else if (!XT_GOES_ON.contains(name)) {
                verdictName = UNREADABLE;
                verdict = "the iptables target " + name;
              }
            } else if (!XT_ALWAYS_MATCH.contains(name)) {
              t = t.and(Truth.UNKNOWN);
              why = why == null ? "uses the iptables match " + name : why;
            }
          }
          case "vmap" -> {
            verdictName = "vmap";
            verdict = body;
          }
          default -> {
            if (!HARMLESS.contains(kind)) {
              t = t.and(Truth.UNKNOWN);
              why = why == null ? "uses " + kind : why;
            }
          }
        }
      }
      if (t == Truth.NO || verdictName == null || verdictName.equals("continue")) {
        continue;
      }
      if (verdictName.equals("vmap")) {
        Optional<Map<?, ?>> chosen = vmap(verdict, probe, chain);
        if (chosen.isEmpty()) {
          verdictName = UNREADABLE;
          verdict = "a verdict map it cannot read";
        } else if (chosen.get().isEmpty()) {
          continue; // no element for this port: the rule does nothing to it
        } else {
          verdictName = String.valueOf(chosen.get().keySet().iterator().next());
          verdict = chosen.get().get(verdictName);
        }
      }
      switch (verdictName) {
        case "accept" -> {
          if (t == Truth.YES) {
            return End.ACCEPTED;
          }
          if (t == Truth.UNKNOWN && passed[0] == null) {
            passed[0] = rule.ref() + " (an accept that " + why + ")";
          }
        }
        case "drop", "reject", "queue" -> {
          if (t == Truth.UNKNOWN || verdictName.equals("queue")) {
            report.unjudged.put(rule.ref(), why == null ? "queues to user space" : why);
          } else if (passed[0] != null) {
            report.unjudged.put(rule.ref(), "a " + verdictName + " reached past " + passed[0]);
            return End.UNJUDGED;
          } else {
            return new End(End.Kind.REFUSED, rule, null);
          }
        }
        case "jump", "goto" -> {
          String target =
              verdict instanceof Map<?, ?> v && v.get("target") instanceof String s ? s : null;
          Chain next =
              target == null
                  ? null
                  : chains.get(chain.family() + " " + chain.table() + " " + target);
          if (next == null) {
            report.unjudged.put(rule.ref(), "a " + verdictName + " to an unknown chain");
            continue;
          }
          End end = walk(next, probe, t, passed, report, depth + 1);
          if (!end.goesOn()) {
            return end;
          }
          if (verdictName.equals("goto") && t == Truth.YES) {
            return End.CONTINUE;
          }
        }
        case "return" -> {
          if (t == Truth.YES) {
            return End.CONTINUE;
          }
        }
        case "continue" -> {}
        default -> {
          // A verdict this class cannot read may refuse, or accept what a later drop would refuse.
          String what = UNREADABLE.equals(verdictName) ? String.valueOf(verdict) : verdictName;
          report.unjudged.put(rule.ref(), "a verdict it cannot read: " + what);
          if (passed[0] == null) {
            passed[0] = rule.ref() + " (" + what + ")";
          }
        }
      }
    }
    return End.CONTINUE;
  }

  /**
   * The verdict a {@code vmap} keyed by the destination port gives {@code probe}: empty when it
   * cannot be read, an empty map when no element holds the port, else the verdict (such as {@code
   * {"drop": null}}).
   */
  private Optional<Map<?, ?>> vmap(Object body, Probe probe, Chain chain) {
    if (!(body instanceof Map<?, ?> v)
        || !(v.get("key") instanceof Map<?, ?> key)
        || !(key.get("payload") instanceof Map<?, ?> p)
        || !Set.of("tcp", "th").contains(text(p.get("protocol")))
        || !"dport".equals(p.get("field"))) {
      return Optional.empty();
    }
    List<?> items;
    if (v.get("data") instanceof Map<?, ?> d && d.get("set") instanceof List<?> l) {
      items = l;
    } else if (v.get("data") instanceof String s && s.startsWith("@")) {
      if (!maps.containsKey(setKey(chain, s))) {
        return Optional.empty();
      }
      items = maps.get(setKey(chain, s));
    } else {
      return Optional.empty();
    }
    for (Object o : items) {
      if (!(o instanceof List<?> pair)
          || pair.size() != 2
          || !(pair.get(1) instanceof Map<?, ?> verdict)
          || verdict.size() != 1) {
        return Optional.empty();
      }
      if (pair.get(0) == null) {
        return Optional.empty();
      }
      Truth holds = port(Map.of("set", List.of(pair.get(0))), probe.port(), chain);
      if (holds == Truth.UNKNOWN) {
        return Optional.empty();
      }
      if (holds == Truth.YES) {
        return Optional.of(verdict);
      }
    }
    return Optional.of(Map.of());
  }

  private Truth match(Map<?, ?> m, Probe probe, Chain chain) {
    String op = m.get("op") instanceof String s ? s : "==";
    boolean negate = op.equals("!=");
    if (!negate && !op.equals("==") && !op.equals("in")) {
      return Truth.UNKNOWN;
    }
    Object right = m.get("right");
    Truth t = Truth.UNKNOWN;
    if (m.get("left") instanceof Map<?, ?> left && left.size() == 1) {
      if (left.get("payload") instanceof Map<?, ?> p) {
        t = payload(text(p.get("protocol")), text(p.get("field")), right, probe, chain);
        // A header of another protocol than the probe's never matches, whatever the operator.
        if (t == Truth.NO && !sameProtocol(text(p.get("protocol")), probe)) {
          return Truth.NO;
        }
      } else if (left.get("meta") instanceof Map<?, ?> meta) {
        t = meta(text(meta.get("key")), right, probe);
      } else if (left.get("ct") instanceof Map<?, ?> ct
          && "state".equals(ct.get("key"))
          && !chain.family().equals("netdev")
          && !"ingress".equals(chain.hook())) {
        t =
            values(right, chain)
                .map(v -> v.contains("new") ? Truth.YES : Truth.NO)
                .orElse(Truth.UNKNOWN);
      }
    }
    return negate ? t.not() : t;
  }

  private static boolean sameProtocol(String protocol, Probe probe) {
    return switch (protocol) {
      case "ip" -> probe.family() == IpFamily.IPV4;
      case "ip6" -> probe.family() == IpFamily.IPV6;
      case "tcp", "th" -> true;
      default -> false;
    };
  }

  private Truth payload(String protocol, String field, Object right, Probe probe, Chain chain) {
    switch (protocol) {
      case "ip", "ip6" -> {
        if (!sameProtocol(protocol, probe)) {
          return Truth.NO;
        }
        if (field.equals("saddr")) {
          return addresses(right, chain).map(s -> cover(s, probe.range())).orElse(Truth.UNKNOWN);
        }
        if (field.equals("protocol") || field.equals("nexthdr")) {
          return values(right, chain).map(v -> tcp(v)).orElse(Truth.UNKNOWN);
        }
        return Truth.UNKNOWN;
      }
      case "tcp", "th" -> {
        if (field.equals("dport")) {
          return port(right, probe.port(), chain);
        }
        return Truth.UNKNOWN;
      }
      case "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "esp", "ah", "comp" -> {
        return Truth.NO;
      }
      default -> {
        return Truth.UNKNOWN;
      }
    }
  }

  private Truth meta(String key, Object right, Probe probe) {
    Optional<Set<String>> v = values(right, null);
    if (v.isEmpty()) {
      return Truth.UNKNOWN;
    }
    return switch (key) {
      case "l4proto" -> tcp(v.get());
      case "nfproto" -> contains(v.get(), probe.family() == IpFamily.IPV4 ? "ipv4" : "ipv6");
      case "protocol" -> contains(v.get(), probe.family() == IpFamily.IPV4 ? "ip" : "ip6");
      case "iifname", "iif" -> v.get().equals(Set.of("lo")) ? Truth.NO : Truth.UNKNOWN;
      case "pkttype" -> contains(v.get(), "host");
      default -> Truth.UNKNOWN;
    };
  }

  private static Truth tcp(Set<String> values) {
    return values.contains("tcp") || values.contains("6") ? Truth.YES : Truth.NO;
  }

  private static Truth contains(Set<String> values, String value) {
    return values.contains(value) ? Truth.YES : Truth.NO;
  }

  /** Scalar values: one, a list, an anonymous set or a named set; empty for ranges and the like. */
  private Optional<Set<String>> values(Object right, Chain chain) {
    List<?> items;
    if (right instanceof String s && s.startsWith("@")) {
      if (chain == null || !sets.containsKey(setKey(chain, s))) {
        return Optional.empty();
      }
      items = sets.get(setKey(chain, s));
    } else if (right instanceof Map<?, ?> m && m.get("set") instanceof List<?> l) {
      items = l;
    } else if (right instanceof List<?> l) {
      items = l;
    } else {
      items = List.of(right);
    }
    Set<String> out = new TreeSet<>();
    for (Object o : items) {
      if (o instanceof String || o instanceof Number) {
        out.add(String.valueOf(o));
      } else {
        return Optional.empty();
      }
    }
    return Optional.of(out);
  }

  private Truth port(Object right, int port, Chain chain) {
    List<?> items;
    if (right instanceof String s && s.startsWith("@")) {
      if (!sets.containsKey(setKey(chain, s))) {
        return Truth.UNKNOWN;
      }
      items = sets.get(setKey(chain, s));
    } else if (right instanceof Map<?, ?> m && m.get("set") instanceof List<?> l) {
      items = l;
    } else {
      items = List.of(right);
    }
    for (Object o : items) {
      Object v =
          o instanceof Map<?, ?> m && m.get("elem") instanceof Map<?, ?> w ? w.get("val") : o;
      if (v instanceof Number n) {
        if (n.intValue() == port) {
          return Truth.YES;
        }
      } else if (v instanceof Map<?, ?> m
          && m.get("range") instanceof List<?> r
          && r.size() == 2
          && r.get(0) instanceof Number low
          && r.get(1) instanceof Number high) {
        if (low.intValue() <= port && port <= high.intValue()) {
          return Truth.YES;
        }
      } else {
        return Truth.UNKNOWN; // a service name or something else not judged
      }
    }
    return Truth.NO;
  }

  private Optional<List<Cidr>> addresses(Object right, Chain chain) {
    List<?> items;
    if (right instanceof String s && s.startsWith("@")) {
      if (!sets.containsKey(setKey(chain, s))) {
        return Optional.empty();
      }
      items = sets.get(setKey(chain, s));
    } else if (right instanceof Map<?, ?> m && m.get("set") instanceof List<?> l) {
      items = l;
    } else {
      items = List.of(right);
    }
    List<Cidr> out = new ArrayList<>();
    for (Object o : items) {
      List<Cidr> p = LiveJson.prefixes(o);
      if (p.isEmpty()) {
        return Optional.empty();
      }
      out.addAll(p);
    }
    return Optional.of(out);
  }

  /** YES when one prefix holds the whole range, SOME when some overlap it, else NO. */
  private static Truth cover(List<Cidr> prefixes, Cidr range) {
    Truth t = Truth.NO;
    for (Cidr c : prefixes) {
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

  private static String setKey(Chain chain, String ref) {
    return chain.family() + " " + chain.table() + " " + ref.substring(1);
  }

  private static String describeLeft(Object body) {
    if (body instanceof Map<?, ?> b
        && b.get("left") instanceof Map<?, ?> left
        && left.size() == 1) {
      Object k = left.keySet().iterator().next();
      Object v = left.get(k);
      if (v instanceof Map<?, ?> inner) {
        List<String> parts = new ArrayList<>();
        parts.add(String.valueOf(k));
        for (String f : List.of("protocol", "field", "key")) {
          if (inner.get(f) instanceof String s) {
            parts.add(s);
          }
        }
        return Printable.of(String.join(" ", parts));
      }
      return Printable.of(String.valueOf(k));
    }
    return "something it does not evaluate";
  }

  private static String join(List<Integer> ports) {
    return String.join(", ", ports.stream().map(String::valueOf).toList());
  }

  private static String text(Object value) {
    return value == null ? "?" : Printable.of(String.valueOf(value));
  }
}
