package io.github.cfallowlist.adapter.fail2ban;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The running server's jails and their ignore lists, read with {@code fail2ban-client}. */
final class Jails {
  private static final Pattern JAIL_LIST = Pattern.compile("(?m)Jail list:[ \\t]*(.*)$");
  private static final Pattern LIST_ITEM = Pattern.compile("^[|`]-\\s+(\\S+)\\s*$");

  private Jails() {}

  /**
   * The jails the server runs, in its order; empty when there is no socket (the server is not
   * running).
   *
   * @throws IOException when the server does not answer or its answer has no jail list
   */
  static Optional<List<String>> running(Path socket, CommandRunner runner) throws IOException {
    if (!Files.exists(socket)) {
      return Optional.empty();
    }
    String out =
        runner
            .runChecked(Command.read("fail2ban-client", "-s", socket.toString(), "status"))
            .stdout();
    Matcher m = JAIL_LIST.matcher(out);
    if (!m.find()) {
      throw new IOException(
          "'fail2ban-client status' printed no jail list: " + Printable.of(out.strip()));
    }
    List<String> jails = new ArrayList<>();
    for (String name : m.group(1).split(",", -1)) {
      if (!name.isBlank()) {
        jails.add(name.strip());
      }
    }
    return Optional.of(List.copyOf(jails));
  }

  /** The jails in {@code running} that {@code configured} does not name, in order. */
  static List<String> unlisted(List<String> running, List<String> configured) {
    return running.stream().filter(j -> !configured.contains(j)).toList();
  }

  /** The plain words for running jails that fail2ban-jails does not name. */
  static String unlistedWarning(List<String> unlisted, List<String> configured) {
    List<String> all = new ArrayList<>(configured);
    all.addAll(unlisted);
    return (unlisted.size() == 1 ? "fail2ban: jail " : "fail2ban: jails ")
        + String.join(", ", unlisted)
        + (unlisted.size() == 1 ? " runs" : " run")
        + " but fail2ban-jails does not name "
        + (unlisted.size() == 1 ? "it" : "them")
        + ", so "
        + (unlisted.size() == 1 ? "it" : "they")
        + " can still ban Cloudflare's addresses: set fail2ban-jails="
        + String.join(",", all)
        + " and apply again";
  }

  /**
   * The entries of {@code jail}'s ignore list in the running server ({@code get JAIL ignoreip}), as
   * address ranges; entries that are no address (a host name, a file) are left out. Empty when the
   * server does not run the jail.
   *
   * @throws IOException when the server does not answer
   */
  static Optional<List<Cidr>> ignored(String jail, Path socket, CommandRunner runner)
      throws IOException {
    Command get = Command.read("fail2ban-client", "-s", socket.toString(), "get", jail, "ignoreip");
    CommandResult r = runner.run(get);
    if (!r.ok()) {
      String error = r.stderr() + r.stdout();
      if (error.contains("does not exist") || error.contains("UnknownJail")) {
        return Optional.empty();
      }
      throw new IOException(
          "'" + get.display() + "' failed (status " + r.exitCode() + "): " + r.firstErrorLine());
    }
    List<Cidr> out = new ArrayList<>();
    for (String line : r.stdout().lines().map(String::strip).toList()) {
      Matcher m = LIST_ITEM.matcher(line);
      if (m.matches()) {
        entry(m.group(1)).ifPresent(out::add);
      }
    }
    return Optional.of(List.copyOf(out));
  }

  private static Optional<Cidr> entry(String text) {
    if (text.contains("/")) {
      try {
        return Optional.of(Cidr.parseZeroingHostBits(text));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Cidr.host(text);
  }
}
