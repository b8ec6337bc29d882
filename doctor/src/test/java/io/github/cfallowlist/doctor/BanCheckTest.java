package io.github.cfallowlist.doctor;

import static io.github.cfallowlist.doctor.Contexts.context;
import static io.github.cfallowlist.doctor.Contexts.scripted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.ToolNotFoundException;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BanCheckTest {
  /** Recorded from fail2ban 1.0.2's {@code fail2ban-client banned}. */
  static final String BANNED = "[{'web': ['173.245.48.5', '10.1.1.1']}, {'sshd': []}]\n";

  /** Recorded from fail2ban's {@code status} and {@code status web}. */
  static final String STATUS = "Status\n|- Number of jail:\t2\n`- Jail list:\tweb, sshd\n";

  static final String STATUS_WEB =
      """
      Status for the jail: web
      |- Filter
      |  |- Currently failed:\t0
      |  |- Total failed:\t0
      |  `- File list:\t
      `- Actions
         |- Currently banned:\t2
         |- Total banned:\t2
         `- Banned IP list:\t173.245.48.5 10.1.1.1
      """;

  static final String STATUS_SSHD =
      STATUS_WEB.replace("web", "sshd").replace("173.245.48.5 10.1.1.1", "");

  /** Recorded from nftables 1.0.6's {@code nft -j list sets}. */
  static final String NFT =
      "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch"
          + " #5\", \"json_schema_version\": 1}}, {\"set\": {\"family\": \"inet\", \"name\":"
          + " \"blocklist\", \"table\": \"t\", \"type\": \"ipv4_addr\", \"handle\": 3, \"flags\":"
          + " [\"interval\"], \"elem\": [{\"range\": [\"1.2.3.4\", \"1.2.3.9\"]}, \"5.5.5.5\","
          + " {\"prefix\": {\"addr\": \"104.16.0.0\", \"len\": 12}}]}}, {\"set\": {\"family\":"
          + " \"inet\", \"name\": \"banned6\", \"table\": \"t\", \"type\": \"ipv6_addr\", \"handle\":"
          + " 4, \"flags\": [\"timeout\"], \"elem\": [{\"elem\": {\"val\": \"2400:cb00::1\","
          + " \"timeout\": 3600, \"expires\": 3599}}]}}, {\"set\": {\"family\": \"inet\", \"name\":"
          + " \"portz\", \"table\": \"t\", \"type\": [\"ipv4_addr\", \"inet_service\"], \"handle\":"
          + " 5, \"elem\": [{\"concat\": [\"173.245.48.1\", 80]}]}}, {\"set\": {\"family\":"
          + " \"inet\", \"name\": \"addr-set-sshd\", \"table\": \"f2b-table\", \"type\":"
          + " \"ipv4_addr\", \"handle\": 1, \"elem\": [\"173.245.48.5\"]}}, {\"set\": {\"family\":"
          + " \"inet\", \"name\": \"cloudflare_v4\", \"table\": \"drop_table\", \"type\":"
          + " \"ipv4_addr\", \"handle\": 6, \"elem\": [{\"prefix\": {\"addr\": \"173.245.48.0\","
          + " \"len\": 20}}]}}]}";

  /** Recorded from ipset 7.17's {@code ipset save}. */
  static final String IPSET =
      """
      create f2b-sshd hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xb47a9a6f
      add f2b-sshd 173.245.48.5
      create blk hash:net family inet6 hashsize 1024 maxelem 65536 timeout 300 bucketsize 12 initval 0x58d4f414
      add blk 2400:cb00::/32 timeout 299
      create bmp bitmap:ip range 10.0.0.0-10.0.255.255
      add bmp 10.0.0.1
      create cf-allowlist-v4 hash:net family inet hashsize 1024 maxelem 65536
      add cf-allowlist-v4 173.245.48.0/20
      """;

  private static final CommandResult NO_SERVER =
      new CommandResult(
          255,
          "",
          "2026-11-26 01:42:43,196 fail2ban [30918]: ERROR   Failed to access socket path:"
              + " /var/run/fail2ban/fail2ban.sock. Is fail2ban running?\n");

  private static CommandResult ok(String out) {
    return new CommandResult(0, out, "");
  }

  private static CloudflareRanges ranges() {
    return CloudflareRanges.of(Contexts.embedded().ranges());
  }

  @Test
  void parsesFail2bansBannedList() {
    assertThat(Fail2banBans.parseBanned(BANNED))
        .containsExactly(
            Map.entry("web", List.of("173.245.48.5", "10.1.1.1")), Map.entry("sshd", List.of()));
    assertThat(Fail2banBans.parseBanned("[]")).isEmpty();
    assertThatThrownBy(() -> Fail2banBans.parseBanned("Invalid command"))
        .hasMessageContaining("does not understand: Invalid command");
  }

  @Test
  void parsesFail2bansStatusOutputs() {
    assertThat(Fail2banBans.parseJails(STATUS)).containsExactly("web", "sshd");
    assertThat(Fail2banBans.parseJailBans(STATUS_WEB)).containsExactly("173.245.48.5", "10.1.1.1");
    assertThat(Fail2banBans.parseJailBans(STATUS_SSHD)).isEmpty();
  }

  @Test
  void aCloudflareAddressBannedByFail2banFailsWithTheExactUnbanCommand() throws Exception {
    CommandRunner runner = scripted(Map.of("fail2ban-client -s /run/f.sock banned", ok(BANNED)));
    List<Finding> f = new BanCheck("/run/f.sock").fail2ban(runner, ranges());
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.FAIL);
              assertThat(x.found())
                  .isEqualTo(
                      "fail2ban's jail 'web' has banned 173.245.48.5, inside Cloudflare's 173.245.48.0/20");
              assertThat(x.remedy())
                  .startsWith(
                      "unban it with 'fail2ban-client -s /run/f.sock set web unbanip 173.245.48.5'");
            });
  }

  @Test
  void withoutBannedTheJailsStatusesAreAsked() throws Exception {
    Map<String, CommandResult> answers = new HashMap<>();
    String c = "fail2ban-client -s " + BanCheck.DEFAULT_SOCKET;
    answers.put(c + " banned", new CommandResult(255, "", "ERROR  Invalid command 'banned'\n"));
    answers.put(c + " status", ok(STATUS));
    answers.put(c + " status web", ok(STATUS_WEB));
    answers.put(c + " status sshd", ok(STATUS_SSHD));
    List<Finding> f = new BanCheck().fail2ban(scripted(answers), ranges());
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.FAIL);
              assertThat(x.remedy())
                  .startsWith("unban it with 'fail2ban-client set web unbanip 173.245.48.5'");
            });
  }

  @Test
  void fail2banNotInstalledIsOkAndNotRunningWarns() throws Exception {
    CommandRunner missing =
        command -> {
          throw new ToolNotFoundException(command.argv().get(0), "/usr/sbin:/usr/bin");
        };
    assertThat(new BanCheck().fail2ban(missing, ranges()))
        .containsExactly(Finding.ok("bans", "fail2ban is not installed"));
    String gone = "/nonexistent/fail2ban.sock";
    List<Finding> f =
        new BanCheck(gone)
            .fail2ban(
                scripted(Map.of("fail2ban-client -s " + gone + " banned", NO_SERVER)), ranges());
    // No socket file: a stopped server, which holds no bans.
    assertThat(f).singleElement().extracting(Finding::status).isEqualTo(Status.OK);
    assertThat(f.get(0).found()).contains("not running (no socket at " + gone + ")");
  }

  @Test
  void parsesNftSetsWithEveryElementShape() throws Exception {
    List<BanSet> sets = BanSet.parseNft(NFT);
    assertThat(sets)
        .extracting(BanSet::name)
        .containsExactly("blocklist", "banned6", "portz", "addr-set-sshd", "cloudflare_v4");
    assertThat(sets.get(0).elements())
        .containsExactly("1.2.3.4-1.2.3.9", "5.5.5.5", "104.16.0.0/12");
    assertThat(sets.get(1).elements()).containsExactly("2400:cb00::1");
    assertThat(sets.get(2).elements()).containsExactly("173.245.48.1 . 80");
  }

  @Test
  void parsesIpsetSave() {
    List<BanSet> sets = BanSet.parseIpset(IPSET);
    assertThat(sets)
        .extracting(BanSet::name)
        .containsExactly("f2b-sshd", "blk", "bmp", "cf-allowlist-v4");
    assertThat(sets.get(1).elements()).containsExactly("2400:cb00::/32");
  }

  @Test
  void onlySetsNamedLikeBanListsCountAndNeverCfAllowlistsOwn() throws Exception {
    List<BanSet> nft = BanSet.parseNft(NFT);
    // blocklist (name), banned6 (name), addr-set-sshd (table f2b-table); not portz in table t,
    // nor cloudflare_v4 even in a table named like a ban list.
    assertThat(nft.stream().filter(BanSet::namedLikeBanList).map(BanSet::name))
        .containsExactly("blocklist", "banned6", "addr-set-sshd");
    assertThat(BanSet.parseIpset(IPSET).stream().filter(BanSet::namedLikeBanList).map(BanSet::name))
        .containsExactly("f2b-sshd"); // "blk" holds none of the words
    assertThat(new BanSet("ipset", "", "", "CrowdSec-Blacklists", List.of()).namedLikeBanList())
        .isTrue();
  }

  @Test
  void setsHoldingCloudflareAddressesFailWithTheRemoveCommand() {
    Map<String, CommandResult> answers = new HashMap<>();
    answers.put("nft -j list sets", ok(NFT));
    answers.put("ipset save", ok(IPSET));
    List<Finding> f = BanCheck.sets(scripted(answers), ranges());
    assertThat(f).extracting(Finding::status).containsOnly(Status.FAIL);
    assertThat(f)
        .extracting(Finding::found)
        .containsExactly(
            "nftables set inet t blocklist holds 104.16.0.0/12, inside Cloudflare's 104.16.0.0/13",
            "nftables set inet t banned6 holds 2400:cb00::1, inside Cloudflare's 2400:cb00::/32",
            "nftables set inet f2b-table addr-set-sshd holds 173.245.48.5, inside Cloudflare's"
                + " 173.245.48.0/20",
            "ipset f2b-sshd holds 173.245.48.5, inside Cloudflare's 173.245.48.0/20");
    assertThat(f.get(2).remedy())
        .startsWith(
            "remove it with 'nft delete element inet f2b-table addr-set-sshd '{ 173.245.48.5 }''");
    assertThat(f.get(3).remedy()).startsWith("remove it with 'ipset del f2b-sshd 173.245.48.5'");
  }

  @Test
  void manyElementsOfOneSetAreNamedUpToTenThenCounted() {
    List<String> elements = new java.util.ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      elements.add("173.245.48." + i);
    }
    List<Finding> f = BanCheck.judge(new BanSet("ipset", "", "", "crowdsec", elements), ranges());
    assertThat(f).hasSize(11);
    assertThat(f.get(10).found())
        .isEqualTo("ipset crowdsec holds 15 more elements inside Cloudflare's ranges");
  }

  @Test
  void noBanListSetIsOkAndAnUnreadableToolWarns() {
    Map<String, CommandResult> answers = new HashMap<>();
    answers.put("nft -j list sets", ok("{\"nftables\": []}"));
    answers.put(
        "ipset save", new CommandResult(1, "", "ipset v7.17: Cannot open session to kernel.\n"));
    List<Finding> f = BanCheck.sets(scripted(answers), ranges());
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.WARN);
              assertThat(x.found())
                  .contains("ipsets could not be read")
                  .contains("Cannot open session");
              assertThat(x.remedy()).contains("'ipset save'");
            });
    answers.put("ipset save", ok(""));
    assertThat(BanCheck.sets(scripted(answers), ranges()))
        .containsExactly(Finding.ok("bans", "no nftables set or ipset is named like a ban list"));
  }

  @Test
  void theCheckOnlyReadsAndIsOkWhenNoBanHoldsCloudflare() {
    Map<String, CommandResult> answers = new HashMap<>();
    answers.put(
        "fail2ban-client -s " + BanCheck.DEFAULT_SOCKET + " banned",
        ok("[{'sshd': ['192.0.2.9']}]"));
    answers.put(
        "nft -j list sets",
        ok(
            NFT.replace("173.245.48.5", "192.0.2.9")
                .replace("104.16.0.0", "192.0.2.0")
                .replace("2400:cb00::1", "2001:db8::1")));
    answers.put("ipset save", ok(""));
    RecordingCommandRunner runner = RecordingCommandRunner.wrapping(scripted(answers));
    List<Finding> f = new BanCheck().run(context(runner, Origin.of(TlsMode.FULL)));
    assertThat(f).extracting(Finding::status).containsOnly(Status.OK);
    assertThat(f.get(0).found())
        .isEqualTo("fail2ban has banned no Cloudflare address (1 banned in 1 jails)");
    assertThat(f.get(1).found())
        .startsWith(
            "no set named like a ban list holds a Cloudflare address (looked at nftables set inet t blocklist");
    assertThat(runner.commands()).hasSize(3);
    assertThat(runner.modifyingCommands()).isEmpty();
  }
}
