package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bans check against a real fail2ban server (its own configuration, socket and in-memory
 * database in a temporary directory; one jail, {@code web}, whose only action does nothing, so no
 * firewall is touched), and real ipsets and nftables sets in a network namespace. The server is
 * started once for the class: it is the slow part.
 */
class BanCheckSystemTest {
  static final String EDGE = "173.245.48.5";

  @TempDir static Path dir;
  static Netns ns;
  static String socket;

  @BeforeAll
  static void startFail2ban() throws IOException {
    SystemTests.requireTools("ip", "fail2ban-server", "fail2ban-client", "ipset", "nft");
    ns = Netns.create("dr-bans");
    socket = dir.resolve("f2b.sock").toString();
    Files.writeString(
        dir.resolve("fail2ban.conf"),
        "[Definition]\nloglevel = INFO\nlogtarget = "
            + dir.resolve("fail2ban.log")
            + "\nsyslogsocket = auto\nsocket = "
            + socket
            + "\npidfile = "
            + dir.resolve("f2b.pid")
            + "\ndbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n");
    Files.writeString(dir.resolve("jail.conf"), "");
    client("-c", dir.toString(), "-p", dir.resolve("f2b.pid").toString(), "-x", "start");
    client("add", "web", "polling");
    client("set", "web", "addaction", "noop"); // a command action with no commands
    client("start", "web");
  }

  @AfterAll
  static void stopFail2ban() {
    if (ns != null) {
      ns.exec("fail2ban-client", "-s", socket, "stop");
      ns.close();
    }
  }

  private static void client(String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("fail2ban-client", "-s", socket));
    argv.addAll(List.of(args));
    ns.execChecked(null, argv);
  }

  private static List<Finding> bans(BanCheck check) {
    return check.run(
        Contexts.context(NetnsCommandRunner.inside(ns.name()), Origin.of(TlsMode.FULL)));
  }

  private static List<Finding> bans() {
    return bans(new BanCheck(socket));
  }

  private static List<Finding> failures(List<Finding> findings) {
    return findings.stream().filter(f -> f.status() != Status.OK).toList();
  }

  @Test
  void aCloudflareAddressBannedInAJailFailsAndIsOkOnceUnbanned() {
    client("set", "web", "banip", EDGE, "192.0.2.9");
    try {
      assertThat(failures(bans()))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .isEqualTo(
                        "fail2ban's jail 'web' has banned 173.245.48.5, inside Cloudflare's 173.245.48.0/20");
                assertThat(f.remedy())
                    .startsWith(
                        "unban it with 'fail2ban-client -s "
                            + socket
                            + " set web unbanip 173.245.48.5'");
              });
    } finally {
      client("set", "web", "unbanip", EDGE);
    }
    List<Finding> repaired = bans();
    assertThat(repaired).extracting(Finding::status).containsOnly(Status.OK);
    assertThat(repaired.get(0).found())
        .isEqualTo("fail2ban has banned no Cloudflare address (1 banned in 1 jails)");
  }

  @Test
  void aStoppedServerHoldsNoBansAndASilentSocketWarns() throws Exception {
    Path gone = dir.resolve("no-such.sock");
    assertThat(bans(new BanCheck(gone.toString())).get(0))
        .isEqualTo(
            Finding.ok(
                "bans",
                "fail2ban is installed but not running (no socket at "
                    + gone
                    + "), so it holds no bans"));

    Path silent = dir.resolve("silent.sock");
    Files.createFile(silent);
    List<Finding> f = bans(new BanCheck(silent.toString()));
    assertThat(f.get(0).status()).isEqualTo(Status.WARN);
    assertThat(f.get(0).found())
        .isEqualTo(
            "fail2ban's socket "
                + silent
                + " is there but its server does not answer, so its bans could not be read");
  }

  @Test
  void anIpsetNamedLikeABanListHoldingACloudflareAddressFailsAndIsOkOnceRemoved() {
    ns.execChecked("ipset", "create", "f2b-sshd", "hash:ip");
    try {
      ns.execChecked("ipset", "add", "f2b-sshd", EDGE);
      assertThat(failures(bans()))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .isEqualTo(
                        "ipset f2b-sshd holds 173.245.48.5, inside Cloudflare's 173.245.48.0/20");
                assertThat(f.remedy())
                    .startsWith("remove it with 'ipset del f2b-sshd 173.245.48.5'");
              });
      ns.execChecked("ipset", "del", "f2b-sshd", EDGE);
      assertThat(bans()).extracting(Finding::status).containsOnly(Status.OK);
      assertThat(bans().get(1).found())
          .isEqualTo(
              "no set named like a ban list holds a Cloudflare address (looked at ipset f2b-sshd)");
    } finally {
      ns.exec("ipset", "destroy", "f2b-sshd");
    }
  }

  @Test
  void anNftSetNamedLikeABanListHoldingACloudflareRangeFailsAndIsOkOnceRemoved() {
    ns.execChecked("nft", "add", "table", "inet", "filter");
    try {
      ns.execChecked(
          "nft", "add", "set", "inet", "filter", "f2b-sshd", "{ type ipv4_addr; flags interval; }");
      ns.execChecked("nft", "add", "element", "inet", "filter", "f2b-sshd", "{ 173.245.48.0/24 }");
      List<Finding> f = failures(bans());
      assertThat(f)
          .singleElement()
          .satisfies(
              x -> {
                assertThat(x.found())
                    .isEqualTo(
                        "nftables set inet filter f2b-sshd holds 173.245.48.0/24, inside Cloudflare's"
                            + " 173.245.48.0/20");
                assertThat(x.remedy())
                    .startsWith(
                        "remove it with 'nft delete element inet filter f2b-sshd '{ 173.245.48.0/24 }''");
              });
      // The remedy, run as given.
      ns.execChecked(
          "nft", "delete", "element", "inet", "filter", "f2b-sshd", "{ 173.245.48.0/24 }");
      assertThat(bans()).extracting(Finding::status).containsOnly(Status.OK);
    } finally {
      ns.exec("nft", "delete", "table", "inet", "filter");
    }
  }
}
