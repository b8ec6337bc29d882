package io.github.cfallowlist.doctor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the addresses fail2ban has banned, jail by jail, from what {@code fail2ban-client} prints.
 */
final class Fail2banBans {
  private static final Pattern JAIL = Pattern.compile("'([^']*)'\\s*:\\s*\\[([^\\]]*)\\]");
  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

  private Fail2banBans() {}

  /**
   * Parses {@code fail2ban-client banned} (fail2ban 0.11 and later): a Python list of one-entry
   * dictionaries, {@code [{'sshd': ['192.0.2.1', '192.0.2.2']}, {'nginx': []}]}.
   *
   * @throws IllegalArgumentException when the text is not such a list
   */
  static Map<String, List<String>> parseBanned(String text) {
    String t = text.strip();
    if (!t.startsWith("[") || !t.endsWith("]")) {
      throw new IllegalArgumentException(
          "'fail2ban-client banned' printed something doctor does not understand: " + firstLine(t));
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = JAIL.matcher(t);
    while (m.find()) {
      List<String> addresses = new ArrayList<>();
      Matcher q = QUOTED.matcher(m.group(2));
      while (q.find()) {
        addresses.add(q.group(1));
      }
      out.put(m.group(1), List.copyOf(addresses));
    }
    return out;
  }

  /** The jail names of {@code fail2ban-client status}: its {@code Jail list:} line. */
  static List<String> parseJails(String status) {
    String list = value(status, "Jail list:");
    return list.isBlank() ? List.of() : List.of(list.split("\\s*,\\s*", -1));
  }

  /** The addresses of {@code fail2ban-client status JAIL}: its {@code Banned IP list:} line. */
  static List<String> parseJailBans(String status) {
    String list = value(status, "Banned IP list:");
    return list.isBlank() ? List.of() : List.of(list.split("\\s+", -1));
  }

  private static String value(String status, String label) {
    return status
        .lines()
        .filter(l -> l.contains(label))
        .map(l -> l.substring(l.indexOf(label) + label.length()).strip())
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "fail2ban-client status printed no '" + label + "' line"));
  }

  private static String firstLine(String t) {
    String line = t.lines().findFirst().orElse("");
    return line.length() > 80 ? line.substring(0, 80) + "..." : line;
  }
}
