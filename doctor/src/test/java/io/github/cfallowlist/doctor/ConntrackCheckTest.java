package io.github.cfallowlist.doctor;

import static io.github.cfallowlist.doctor.Contexts.context;
import static io.github.cfallowlist.doctor.Contexts.scripted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The conntrack check on recorded {@code cat} outputs: the kernel these tests run on does not let a
 * network namespace lower its own {@code nf_conntrack_max}, so a nearly full and a full table are
 * proven here, and the real namespace test proves the check reads the namespace's own count.
 */
class ConntrackCheckTest {
  private static final String CAT = "cat " + ConntrackCheck.COUNT + " " + ConntrackCheck.MAX;

  private static List<Finding> run(CommandResult r) throws IOException {
    return new ConntrackCheck().run(context(scripted(Map.of(CAT, r)), Origin.of(TlsMode.FULL)));
  }

  @Test
  void aTableWithRoomIsOk() throws IOException {
    assertThat(run(new CommandResult(0, "9\n262144\n", "")))
        .containsExactly(
            Finding.ok("conntrack", "connection tracking uses 9 of 262144 entries (0%)"));
  }

  @Test
  void aTableAboveFourFifthsWarnsAndAFullOneFails() throws IOException {
    assertThat(ConntrackCheck.judge(80, 100).status()).isEqualTo(Status.OK);
    Finding warn = run(new CommandResult(0, "81\n100\n", "")).get(0);
    assertThat(warn.status()).isEqualTo(Status.WARN);
    assertThat(warn.found())
        .startsWith("the connection-tracking table is nearly full: 81 of 100 entries (81%)");
    Finding fail = run(new CommandResult(0, "262144\n262144\n", "")).get(0);
    assertThat(fail.status()).isEqualTo(Status.FAIL);
    assertThat(fail.found())
        .isEqualTo(
            "the connection-tracking table is full: 262144 of 262144 entries (100%), so new"
                + " connections are dropped");
    assertThat(fail.remedy())
        .isEqualTo(
            "raise the limit: 'sysctl -w net.netfilter.nf_conntrack_max=524288' and set it in"
                + " /etc/sysctl.d/ to keep it");
  }

  @Test
  void withoutTheConntrackModuleTheCheckSaysItIsNotInUse() throws IOException {
    CommandResult absent =
        new CommandResult(
            1,
            "",
            "cat: /proc/sys/net/netfilter/nf_conntrack_count: No such file or directory\n"
                + "cat: /proc/sys/net/netfilter/nf_conntrack_max: No such file or directory\n");
    assertThat(run(absent))
        .containsExactly(
            Finding.ok(
                "conntrack",
                "connection tracking is not in use (the nf_conntrack module is not loaded)"));
  }

  @Test
  void anythingButTwoNumbersIsRefused() {
    assertThatThrownBy(() -> run(new CommandResult(0, "9\n", "")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("two numbers");
    assertThatThrownBy(() -> run(new CommandResult(1, "", "cat: permission denied\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("permission denied");
  }
}
