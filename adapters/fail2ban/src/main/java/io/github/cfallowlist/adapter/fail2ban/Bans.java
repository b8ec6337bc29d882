package io.github.cfallowlist.adapter.fail2ban;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.RangeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The running server's bans, read and lifted through its socket with {@code fail2ban-client}. */
final class Bans {
  private static final Pattern JAIL = Pattern.compile("\\{'([^']*)': \\[([^\\]]*)\\]\\}");
  private static final Pattern ADDRESS = Pattern.compile("'([^']*)'");

  /**
   * One banned address.
   *
   * @param jail the jail that banned it
   * @param address the address, as fail2ban prints it
   */
  record Ban(String jail, String address) {}

  private Bans() {}

  /**
   * The addresses inside {@code ranges} that a jail has banned right now; none when there is no
   * socket (the server is not running, so it holds no bans).
   *
   * @throws IOException when the server does not answer
   */
  static List<Ban> inside(RangeSet ranges, Path socket, CommandRunner runner) throws IOException {
    if (ranges.isEmpty() || !Files.exists(socket)) {
      return List.of();
    }
    String out =
        runner
            .runChecked(Command.read("fail2ban-client", "-s", socket.toString(), "banned"))
            .stdout();
    List<Ban> found = new ArrayList<>();
    Matcher jails = JAIL.matcher(out);
    while (jails.find()) {
      Matcher addresses = ADDRESS.matcher(jails.group(2));
      while (addresses.find()) {
        Optional<Cidr> host = Cidr.host(addresses.group(1));
        if (host.isPresent() && ranges.find(host.get()).isPresent()) {
          found.add(new Ban(jails.group(1), addresses.group(1)));
        }
      }
    }
    return found;
  }

  /**
   * Lifts {@code ban}.
   *
   * @throws IOException when the server refuses
   */
  static void lift(Ban ban, Path socket, CommandRunner runner) throws IOException {
    runner.runChecked(
        Command.modify(
            "fail2ban-client",
            "-s",
            socket.toString(),
            "set",
            ban.jail(),
            "unbanip",
            ban.address()));
  }
}
