package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One route of {@code ip -j route show table all}.
 *
 * @param type {@code unicast}, {@code blackhole}, {@code unreachable}, {@code prohibit}, ...
 * @param dst the destination as printed: {@code default}, a prefix or one address
 * @param gateway the next hop, if any
 * @param dev the interface, if any
 * @param table the table when it is not {@code main}
 */
record Route(
    String type,
    String dst,
    Optional<String> gateway,
    Optional<String> dev,
    Optional<String> table) {

  /** Route types that drop what they match. */
  static final Set<String> DROPPING = Set.of("blackhole", "unreachable", "prohibit");

  private static final Set<String> FORWARDING =
      Set.of("unicast", "blackhole", "unreachable", "prohibit");

  /** Reads one route object. */
  static Route of(Map<String, Object> o) {
    return new Route(
        text(o, "type").orElse("unicast"),
        text(o, "dst").orElse("default"),
        text(o, "gateway"),
        text(o, "dev"),
        text(o, "table").filter(t -> !t.equals("main")));
  }

  /** Reads every route of a {@code ip -j route show} answer. */
  static List<Route> all(List<Map<String, Object>> objects) {
    List<Route> out = new ArrayList<>();
    objects.forEach(o -> out.add(of(o)));
    return out;
  }

  /** The interfaces a route (or each next hop of a multipath route) leaves through. */
  static List<String> devices(Map<String, Object> o) {
    List<String> out = new ArrayList<>();
    text(o, "dev").ifPresent(out::add);
    if (o.get("nexthops") instanceof List<?> hops) {
      for (Object hop : hops) {
        if (hop instanceof Map<?, ?> h && h.get("dev") != null) {
          out.add(String.valueOf(h.get("dev")));
        }
      }
    }
    return out;
  }

  /** The destination as prefixes: {@code default} stands for both families' whole space. */
  List<Cidr> blocks() {
    if (dst.equals("default")) {
      return List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));
    }
    return CloudflareRanges.blocks(dst);
  }

  /** Whether this route decides where packets to {@code address} go (not the local table's). */
  boolean forwards() {
    return FORWARDING.contains(type) && !table.equals(Optional.of("local"));
  }

  /** The route as {@code ip route} prints it: {@code blackhole 104.16.0.0/13}. */
  String display() {
    return (type.equals("unicast") ? "" : type + " ")
        + dst
        + gateway.map(g -> " via " + g).orElse("")
        + dev.map(d -> " dev " + d).orElse("")
        + table.map(t -> " table " + t).orElse("");
  }

  /** The command that removes this route. */
  String deleteCommand() {
    boolean v6 = dst.indexOf(':') >= 0 || gateway.map(g -> g.indexOf(':') >= 0).orElse(false);
    return (v6 && dst.equals("default") ? "ip -6 route del " : "ip route del ")
        + (type.equals("unicast") ? "" : type + " ")
        + dst
        + dev.map(d -> " dev " + d).orElse("")
        + table.map(t -> " table " + t).orElse("");
  }

  /**
   * The most specific forwarding route of {@code routes} whose destination holds {@code address}.
   */
  static Optional<Route> match(List<Route> routes, Cidr address) {
    Route best = null;
    int bestLength = -1;
    for (Route r : routes) {
      if (!r.forwards()) {
        continue;
      }
      for (Cidr b : r.blocks()) {
        if (b.family() == address.family()
            && b.contains(address)
            && b.prefixLength() > bestLength) {
          best = r;
          bestLength = b.prefixLength();
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static Optional<String> text(Map<String, Object> o, String key) {
    Object v = o.get(key);
    return v == null ? Optional.empty() : Optional.of(String.valueOf(v));
  }
}
