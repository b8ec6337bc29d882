package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The conntrack check reads the namespace's own table: a fresh namespace tracks nothing until a
 * rule uses connection tracking, then counts exactly the flows sent in it. (Whether a namespace may
 * lower its own {@code nf_conntrack_max} depends on the kernel; {@link ConntrackCheckTest} proves
 * the warning and the failure on recorded values.)
 */
class ConntrackCheckSystemTest {

  @Test
  void countsTheEntriesOfTheRunnersNamespace() throws IOException {
    SystemTests.requireTools("ip", "nft", "python3", "cat");
    try (Netns ns = Netns.create("dr-ct")) {
      ns.execChecked("nft", "add", "table", "inet", "t");
      ns.execChecked(
          "nft",
          "add",
          "chain",
          "inet",
          "t",
          "o",
          "{ type filter hook output priority 0; ct state new counter; }");
      // Nine UDP flows to closed ports on loopback: nine entries, each kept for 30 s unreplied.
      ns.execChecked(
          "python3",
          "-c",
          "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              + "for p in range(20000, 20009): s.sendto(b'x', ('127.0.0.1', p))\n");
      String max = ns.execChecked("cat", ConntrackCheck.MAX).stdout().strip();
      List<Finding> f =
          new ConntrackCheck()
              .run(Contexts.context(NetnsCommandRunner.inside(ns.name()), Origin.of(TlsMode.FULL)));
      assertThat(f)
          .singleElement()
          .satisfies(
              x -> {
                assertThat(x.status()).isEqualTo(Status.OK);
                assertThat(x.found())
                    .startsWith("connection tracking uses 9 of " + max + " entries");
              });
    }
  }
}
