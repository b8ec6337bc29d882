package io.github.cfallowlist;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The prefixes of the route and route6 objects a route registry holds for one AS, parsed from its
 * RPSL answer.
 *
 * @param as the AS, {@code AS13335}
 * @param server the registry asked, {@code host:port}
 * @param fetchedAt when it answered
 * @param routes the prefixes, in the answer's order
 */
record RouteObjects(String as, String server, Instant fetchedAt, List<Cidr> routes) {

  RouteObjects {
    if (as == null || server == null || fetchedAt == null || routes == null) {
      throw new IllegalArgumentException("route objects components must not be null");
    }
    routes = List.copyOf(routes);
  }

  /**
   * The route objects in {@code answer} whose {@code origin} is {@code as}. Objects of other
   * classes, and route objects naming another origin, are left out.
   *
   * @throws IOException when the answer is not RPSL, holds a route that is not a prefix of its
   *     family, or holds no route object of {@code as}; the message quotes at most a short escaped
   *     snippet of the answer
   */
  static RouteObjects parse(String answer, String as, String server, Instant fetchedAt)
      throws IOException {
    List<Cidr> routes = new ArrayList<>();
    List<String> lines = answer.lines().toList();
    String kind = null;
    String route = null;
    int routeLine = 0;
    String origin = null;
    for (int i = 0; i <= lines.size(); i++) {
      String line = i < lines.size() ? lines.get(i) : "";
      if (line.isBlank()) {
        if (kind != null) {
          add(routes, kind, route, routeLine, origin, as);
        }
        kind = null;
        route = null;
        origin = null;
        continue;
      }
      char first = line.charAt(0);
      if (first == '%' || first == '#') {
        continue;
      }
      if (first == ' ' || first == '\t' || first == '+') {
        if (kind == null) {
          throw notRpsl(i, line);
        }
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 1 || !isAttributeName(line.substring(0, colon))) {
        throw notRpsl(i, line);
      }
      String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
      String value = withoutComment(line.substring(colon + 1));
      if (kind == null) {
        kind = name;
      }
      if (name.equals(kind) && (name.equals("route") || name.equals("route6"))) {
        route = value;
        routeLine = i + 1;
      } else if (name.equals("origin")) {
        origin = value;
      }
    }
    if (routes.isEmpty()) {
      throw new IOException("the answer holds no route object of " + as);
    }
    return new RouteObjects(as, server, fetchedAt, routes);
  }

  private static void add(
      List<Cidr> routes, String kind, String route, int line, String origin, String as)
      throws IOException {
    if (!(kind.equals("route") || kind.equals("route6")) || route == null) {
      return;
    }
    if (origin == null || !origin.equalsIgnoreCase(as)) {
      return;
    }
    IpFamily family = kind.equals("route") ? IpFamily.IPV4 : IpFamily.IPV6;
    Cidr cidr;
    try {
      cidr = Cidr.parse(route);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "the " + kind + " object at line " + line + " holds '" + Printable.of(route) + "'", e);
    }
    if (cidr.family() != family) {
      throw new IOException(
          "the "
              + kind
              + " object at line "
              + line
              + " holds "
              + cidr
              + ", which is not an "
              + family
              + " prefix");
    }
    routes.add(cidr);
  }

  /** An RPSL attribute name: a letter, then letters, digits, '-' or '_'. */
  private static boolean isAttributeName(String name) {
    if (name.isEmpty() || !isAsciiLetter(name.charAt(0))) {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static String withoutComment(String value) {
    int hash = value.indexOf('#');
    return (hash < 0 ? value : value.substring(0, hash)).strip();
  }

  private static IOException notRpsl(int index, String line) {
    return new IOException(
        "the answer is not RPSL (line " + (index + 1) + ": '" + Printable.of(line) + "')");
  }

  /** The first of {@code ranges} that no route object equals or holds. */
  Optional<Cidr> firstUncovered(RangeSet ranges) {
    for (Cidr range : ranges.all()) {
      boolean covered =
          routes.stream().anyMatch(r -> r.family() == range.family() && r.contains(range));
      if (!covered) {
        return Optional.of(range);
      }
    }
    return Optional.empty();
  }
}
