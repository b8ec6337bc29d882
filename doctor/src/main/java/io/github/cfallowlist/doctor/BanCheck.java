package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Ban tools have not banned Cloudflare: the addresses fail2ban's jails hold, and the elements of
 * nftables sets and ipsets named like ban lists (see {@link BanSet#namedLikeBanList()}), against
 * Cloudflare's ranges.
 */
final class BanCheck implements Check {
  static final String NAME = "bans";

  /** Where fail2ban's server listens unless told otherwise. */
  static final String DEFAULT_SOCKET = "/var/run/fail2ban/fail2ban.sock";

  /** How many elements of one set are named before the rest are counted. */
  private static final int NAMED_PER_SET = 10;

  private final String socket;

  /** Asks the fail2ban server on its default socket. */
  BanCheck() {
    this(DEFAULT_SOCKET);
  }

  /** Asks the fail2ban server listening on {@code socket}. */
  BanCheck(String socket) {
    if (socket == null || socket.isBlank()) {
      throw new IllegalArgumentException("socket is blank");
    }
    this.socket = socket;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) {
    CloudflareRanges ranges = CloudflareRanges.of(c.ranges().ranges());
    List<Finding> findings = new ArrayList<>();
    try {
      findings.addAll(fail2ban(c.runner(), ranges));
    } catch (IOException | RuntimeException e) {
      findings.add(
          Finding.warn(
              NAME,
              "fail2ban's bans could not be read: " + Printable.message(e),
              "run '" + client() + " banned' by hand and look for Cloudflare addresses"));
    }
    findings.addAll(sets(c.runner(), ranges));
    return findings;
  }

  // --- fail2ban -------------------------------------------------------------------------------

  List<Finding> fail2ban(CommandRunner runner, CloudflareRanges ranges) throws IOException {
    Map<String, List<String>> bans;
    try {
      Optional<Map<String, List<String>>> read = readBans(runner);
      if (read.isEmpty() && !java.nio.file.Files.exists(java.nio.file.Path.of(socket))) {
        // Stopping fail2ban runs every jail's actionstop, which takes its bans out of the firewall.
        return List.of(
            Finding.ok(
                NAME,
                "fail2ban is installed but not running (no socket at "
                    + socket
                    + "), so it holds no bans"));
      }
      if (read.isEmpty()) {
        return List.of(
            Finding.warn(
                NAME,
                "fail2ban's socket "
                    + socket
                    + " is there but its server does not answer, so its bans could not be read",
                "restart it ('systemctl restart fail2ban') and run doctor again; a crashed server"
                    + " may have left its bans in the firewall"));
      }
      bans = read.get();
    } catch (ToolNotFoundException e) {
      return List.of(Finding.ok(NAME, "fail2ban is not installed"));
    }
    List<Finding> findings = new ArrayList<>();
    int banned = 0;
    for (Map.Entry<String, List<String>> jail : bans.entrySet()) {
      for (String address : jail.getValue()) {
        banned++;
        Optional<Cidr> range = ranges.overlapping(CloudflareRanges.blocks(address));
        if (range.isPresent()) {
          findings.add(
              Finding.fail(
                  NAME,
                  "fail2ban's jail '"
                      + jail.getKey()
                      + "' has banned "
                      + address
                      + ", inside Cloudflare's "
                      + range.get(),
                  "unban it with '"
                      + client()
                      + " set "
                      + jail.getKey()
                      + " unbanip "
                      + address
                      + "' and add Cloudflare's ranges to the jail's ignoreip"));
        }
      }
    }
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              "fail2ban has banned no Cloudflare address ("
                  + banned
                  + " banned in "
                  + bans.size()
                  + " jails)"));
    }
    return findings;
  }

  /** The bans jail by jail; empty when the server does not answer. */
  private Optional<Map<String, List<String>>> readBans(CommandRunner runner) throws IOException {
    CommandResult r = runner.run(Command.read("fail2ban-client", "-s", socket, "banned"));
    if (r.ok()) {
      return Optional.of(Fail2banBans.parseBanned(r.stdout()));
    }
    if (notRunning(r)) {
      return Optional.empty();
    }
    // Before 0.11 there is no 'banned': ask each jail's status instead.
    CommandResult status = runner.run(Command.read("fail2ban-client", "-s", socket, "status"));
    if (!status.ok()) {
      if (notRunning(status)) {
        return Optional.empty();
      }
      throw status.failure(Command.read("fail2ban-client", "-s", socket, "status"));
    }
    Map<String, List<String>> bans = new LinkedHashMap<>();
    for (String jail : Fail2banBans.parseJails(status.stdout())) {
      Command ask = Command.read("fail2ban-client", "-s", socket, "status", jail);
      bans.put(jail, Fail2banBans.parseJailBans(runner.runChecked(ask).stdout()));
    }
    return Optional.of(bans);
  }

  private static boolean notRunning(CommandResult r) {
    String all = r.stderr() + r.stdout();
    return all.contains("Is fail2ban running")
        || all.contains("Failed to access socket")
        || all.contains("Unable to contact server");
  }

  private String client() {
    return DEFAULT_SOCKET.equals(socket) ? "fail2ban-client" : "fail2ban-client -s " + socket;
  }

  // --- sets named like ban lists ---------------------------------------------------------------

  static List<Finding> sets(CommandRunner runner, CloudflareRanges ranges) {
    List<Finding> findings = new ArrayList<>();
    List<BanSet> looked = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    read(runner, "nft", List.of("nft", "-j", "list", "sets"), looked, notes, findings);
    read(runner, "ipset", List.of("ipset", "save"), looked, notes, findings);
    List<BanSet> banLists = looked.stream().filter(BanSet::namedLikeBanList).toList();
    for (BanSet set : banLists) {
      findings.addAll(judge(set, ranges));
    }
    if (findings.isEmpty()) {
      String what =
          banLists.isEmpty()
              ? "no nftables set or ipset is named like a ban list"
              : "no set named like a ban list holds a Cloudflare address (looked at "
                  + String.join(", ", banLists.stream().map(BanSet::label).toList())
                  + ")";
      findings.add(
          Finding.ok(NAME, what + (notes.isEmpty() ? "" : "; " + String.join("; ", notes))));
    }
    return findings;
  }

  private static void read(
      CommandRunner runner,
      String tool,
      List<String> argv,
      List<BanSet> into,
      List<String> notes,
      List<Finding> findings) {
    Command command = Command.read(argv);
    try {
      CommandResult r = runner.runChecked(command);
      into.addAll(tool.equals("nft") ? BanSet.parseNft(r.stdout()) : BanSet.parseIpset(r.stdout()));
    } catch (ToolNotFoundException e) {
      notes.add(tool + " is not installed");
    } catch (IOException | RuntimeException e) {
      findings.add(
          Finding.warn(
              NAME,
              "the "
                  + (tool.equals("nft") ? "nftables sets" : "ipsets")
                  + " could not be read: "
                  + Printable.message(e),
              "run '" + command.display() + "' by hand and look for Cloudflare addresses"));
    }
  }

  /** One failure per element of {@code set} inside a Cloudflare range, the first few by name. */
  static List<Finding> judge(BanSet set, CloudflareRanges ranges) {
    List<Finding> findings = new ArrayList<>();
    int more = 0;
    for (String element : set.elements()) {
      Optional<Cidr> range =
          ranges.overlapping(CloudflareRanges.blocks(BanSet.addressPart(element)));
      if (range.isEmpty()) {
        continue;
      }
      if (findings.size() == NAMED_PER_SET) {
        more++;
        continue;
      }
      findings.add(
          Finding.fail(
              NAME,
              set.label() + " holds " + element + ", inside Cloudflare's " + range.get(),
              "remove it with '"
                  + set.removeCommand(element)
                  + "' and stop what fills the set from adding Cloudflare's addresses"));
    }
    if (more > 0) {
      findings.add(
          Finding.fail(
              NAME,
              set.label() + " holds " + more + " more elements inside Cloudflare's ranges",
              "list them with '"
                  + (set.kind().equals(BanSet.NFTABLES)
                      ? "nft list set " + set.family() + " " + set.table() + " " + set.name()
                      : "ipset list " + set.name())
                  + "' and remove them the same way"));
    }
    return findings;
  }
}
