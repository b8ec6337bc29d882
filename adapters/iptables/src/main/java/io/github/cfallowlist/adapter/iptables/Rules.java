package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The rules this target writes, as the text after {@code -A CHAIN} (a "spec"), and recognising them
 * again in {@code iptables-save} output or a rendered file.
 *
 * <p>Recognition is by option groups, not by exact text, so a different option order from another
 * iptables version still reads as the same rule; what is recognised is re-rendered canonically.
 */
final class Rules {
  static final String CHAIN = "CF-ALLOWLIST";
  static final String COMMENT = "cf-allowlist";
  static final String DOCKER_USER = "DOCKER-USER";

  /** The multiport match takes at most 15 ports per rule. */
  static final int MULTIPORT_MAX = 15;

  private static final Map<String, Integer> ARITY =
      Map.ofEntries(
          Map.entry("-s", 1),
          Map.entry("-i", 1),
          Map.entry("-p", 1),
          Map.entry("-m", 1),
          Map.entry("-j", 1),
          Map.entry("--dports", 1),
          Map.entry("--comment", 1),
          Map.entry("--reject-with", 1),
          Map.entry("--ctstate", 1),
          Map.entry("--ctorigdstport", 1),
          Map.entry("--ctdir", 1),
          Map.entry("--match-set", 2));

  private Rules() {}

  /** A rule of ours, with its canonical spec. */
  sealed interface Rule permits RangeAccept, SetAccept, Final, Jump {
    String spec();
  }

  /** Accepts one range. */
  record RangeAccept(Cidr cidr) implements Rule {
    @Override
    public String spec() {
      return "-s " + cidr + " -j ACCEPT";
    }
  }

  /** Accepts the sources in our ipset of {@code family}. */
  record SetAccept(IpFamily family) implements Rule {
    @Override
    public String spec() {
      return "-m set --match-set " + setName(family) + " src -j ACCEPT";
    }
  }

  /** The chain's last rule: RETURN (allow mode) or a TCP reset (restrict mode). */
  record Final(Mode mode) implements Rule {
    @Override
    public String spec() {
      return mode == Mode.ALLOW ? "-j RETURN" : "-p tcp -j REJECT --reject-with tcp-reset";
    }
  }

  /** The jump from the parent chain, recognised by its comment. */
  record Jump(String spec) implements Rule {}

  static String setName(IpFamily family) {
    return family == IpFamily.IPV4 ? "cf-allowlist-v4" : "cf-allowlist-v6";
  }

  static String tmpSetName(IpFamily family) {
    return setName(family) + "-tmp";
  }

  /**
   * The jump specs for {@code ports} from {@code parentChain}. From DOCKER-USER the packets are
   * already DNATed to the container's port, so the published port is matched on the connection's
   * original destination, and only for DNATed connections (a container's own outgoing HTTPS must
   * pass); elsewhere the multiport match, sparing loopback so local health checks keep working.
   */
  static List<String> jumpSpecs(String parentChain, List<Integer> ports) {
    List<String> specs = new ArrayList<>();
    if (parentChain.equals(DOCKER_USER)) {
      for (int port : ports) {
        specs.add(conntrackJump(port));
      }
    } else {
      for (int i = 0; i < ports.size(); i += MULTIPORT_MAX) {
        specs.add(multiportJump(ports.subList(i, Math.min(ports.size(), i + MULTIPORT_MAX))));
      }
    }
    return specs;
  }

  private static String multiportJump(List<Integer> ports) {
    return "! -i lo -p tcp -m multiport --dports "
        + ports.stream().map(String::valueOf).collect(Collectors.joining(","))
        + " -m comment --comment "
        + COMMENT
        + " -j "
        + CHAIN;
  }

  private static String conntrackJump(int port) {
    return "-p tcp -m conntrack --ctstate DNAT --ctorigdstport "
        + port
        + " --ctdir ORIGINAL -m comment --comment "
        + COMMENT
        + " -j "
        + CHAIN;
  }

  /** Whether {@code spec} jumps to our chain and carries our comment: our jump, maybe altered. */
  static boolean isOurJump(String spec) {
    Optional<List<String>> groups = groups(spec);
    return groups.isPresent()
        && groups.get().contains("-j " + CHAIN)
        && groups.get().contains("--comment " + COMMENT);
  }

  /** The rule {@code spec} is, when it is exactly one of ours. */
  static Optional<Rule> recognise(String spec) {
    Optional<List<String>> groups = groups(spec);
    if (groups.isEmpty()) {
      return Optional.empty();
    }
    return candidate(groups.get()).filter(rule -> groups(rule.spec()).equals(groups));
  }

  /** Guesses the rule from its values; {@link #recognise} then checks nothing else is there. */
  private static Optional<Rule> candidate(List<String> groups) {
    Optional<String> target = value(groups, "-j");
    if (target.isEmpty()) {
      return Optional.empty();
    }
    return switch (target.get()) {
      case "ACCEPT" -> accept(groups);
      case "RETURN" -> Optional.of(new Final(Mode.ALLOW));
      case "REJECT" -> Optional.of(new Final(Mode.RESTRICT));
      case CHAIN -> jump(groups);
      default -> Optional.empty();
    };
  }

  private static Optional<Rule> accept(List<String> groups) {
    Optional<String> source = value(groups, "-s");
    if (source.isPresent()) {
      try {
        return Optional.of(new RangeAccept(Cidr.parse(source.get())));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    for (IpFamily family : IpFamily.values()) {
      if (groups.contains("--match-set " + setName(family) + " src")) {
        return Optional.of(new SetAccept(family));
      }
    }
    return Optional.empty();
  }

  private static Optional<Rule> jump(List<String> groups) {
    Optional<String> dports = value(groups, "--dports");
    if (dports.isPresent()) {
      List<Integer> ports = new ArrayList<>();
      for (String p : dports.get().split(",", -1)) {
        Optional<Integer> port = port(p);
        if (port.isEmpty()) {
          return Optional.empty();
        }
        ports.add(port.get());
      }
      return ports.size() > MULTIPORT_MAX
          ? Optional.empty()
          : Optional.of(new Jump(multiportJump(ports)));
    }
    return value(groups, "--ctorigdstport")
        .flatMap(Rules::port)
        .map(p -> new Jump(conntrackJump(p)));
  }

  private static Optional<Integer> port(String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.empty();
    }
    int port = Integer.parseInt(text);
    return port >= 1 && port <= 65535 ? Optional.of(port) : Optional.empty();
  }

  private static Optional<String> value(List<String> groups, String option) {
    return groups.stream()
        .filter(g -> g.startsWith(option + " "))
        .map(g -> g.substring(option.length() + 1))
        .findFirst();
  }

  /**
   * The spec split into option groups ({@code -p tcp}, {@code ! -i lo}, {@code --match-set NAME
   * src}), sorted; empty when it holds an option we never write.
   */
  static Optional<List<String>> groups(String spec) {
    String[] tokens = spec.strip().split("\\s+", -1);
    List<String> groups = new ArrayList<>();
    int i = 0;
    while (i < tokens.length) {
      boolean negated = tokens[i].equals("!");
      if (negated) {
        i++;
      }
      if (i >= tokens.length || !ARITY.containsKey(tokens[i])) {
        return Optional.empty();
      }
      String option = tokens[i];
      int arity = ARITY.get(option);
      if (i + arity >= tokens.length) {
        return Optional.empty();
      }
      StringBuilder group = new StringBuilder(negated ? "! " : "").append(option);
      for (int k = 1; k <= arity; k++) {
        String token = tokens[i + k];
        // Older iptables-save versions quote every comment.
        if (option.equals("--comment")
            && token.length() > 1
            && token.startsWith("\"")
            && token.endsWith("\"")) {
          token = token.substring(1, token.length() - 1);
        }
        group.append(' ').append(token);
      }
      groups.add(group.toString());
      i += arity + 1;
    }
    groups.sort(Comparator.naturalOrder());
    return Optional.of(List.copyOf(groups));
  }
}
