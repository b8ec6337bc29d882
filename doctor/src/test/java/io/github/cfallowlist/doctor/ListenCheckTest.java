package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ListenCheckTest {
  /** Recorded from {@code ss -ltnpH} on a host running nginx, sshd and a local resolver. */
  static final String SS =
      """
      LISTEN 0      511          0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))
      LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=640,fd=3))
      LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=502,fd=14))
      LISTEN 0      511        127.0.0.1:443       0.0.0.0:*    users:(("nginx",pid=812,fd=7))
      LISTEN 0      511            [::1]:443          [::]:*    users:(("nginx",pid=812,fd=8))
      LISTEN 5      4          [::]:8443          [::]:*
      LISTEN 0      511     [fe80::1]%eth0:2053       [::]:*
      """;

  private static Origin strictOn(Integer... ports) {
    return new Origin(List.of(ports), TlsMode.STRICT, Optional.empty(), Optional.empty());
  }

  @Test
  void parsesAddressesPortsQueuesAndProcess() {
    List<Listener> all = Listener.parse(SS);
    assertThat(all).hasSize(7);
    assertThat(all.get(0))
        .isEqualTo(new Listener("0.0.0.0", 80, 0, 511, Optional.of("nginx"), false));
    assertThat(all.get(2).address()).isEqualTo("127.0.0.53");
    assertThat(all.get(2).loopback()).isTrue();
    assertThat(all.get(4)).isEqualTo(new Listener("::1", 443, 0, 511, Optional.of("nginx"), true));
    assertThat(all.get(5)).isEqualTo(new Listener("::", 8443, 5, 4, Optional.empty(), false));
    assertThat(all.get(6).address()).isEqualTo("fe80::1");
    assertThat(all.get(6).endpoint()).isEqualTo("[fe80::1]:2053");
  }

  @Test
  void aLineWithoutAPortIsRefusedByName() {
    assertThatThrownBy(() -> Listener.parse("LISTEN 0 511 nonsense 0.0.0.0:*"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nonsense");
  }

  @Test
  void aServerOnAllAddressesIsOk() {
    List<Finding> f = ListenCheck.judge(Origin.of(TlsMode.FLEXIBLE), Listener.parse(SS));
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.OK);
              assertThat(x.found()).isEqualTo("nginx listens on port 80 on 0.0.0.0");
            });
  }

  @Test
  void aServerOnLoopbackOnlyFails() {
    List<Finding> f = ListenCheck.judge(Origin.of(TlsMode.STRICT), Listener.parse(SS));
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.FAIL);
              assertThat(x.found())
                  .isEqualTo(
                      "nginx listens on port 443 only on 127.0.0.1 and ::1, which Cloudflare cannot reach");
              assertThat(x.remedy()).contains("listen 443;").contains("127.0.0.1:443");
            });
  }

  @Test
  void nothingListeningFailsNamingTheTlsModesPort() {
    List<Finding> f = ListenCheck.judge(Origin.of(TlsMode.FULL), List.of());
    assertThat(f)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.status()).isEqualTo(Status.FAIL);
              assertThat(x.found()).isEqualTo("nothing listens on port 443");
              assertThat(x.remedy())
                  .contains("in full mode Cloudflare connects to port 443; in flexible mode to 80");
            });
    assertThat(ListenCheck.judge(Origin.of(TlsMode.FLEXIBLE), List.of()).get(0).remedy())
        .contains("in flexible mode Cloudflare connects to port 80; in full or strict to 443");
  }

  @Test
  void aPortCloudflareDoesNotProxyFailsNamingThePortsItDoes() {
    List<Finding> f = ListenCheck.judge(strictOn(22), Listener.parse(SS));
    assertThat(f.get(0).status()).isEqualTo(Status.FAIL);
    assertThat(f.get(0).found())
        .isEqualTo(
            "Cloudflare does not proxy port 22: for HTTPS (strict mode) it connects only to 443,"
                + " 2053, 2083, 2087, 2096, 8443");
    assertThat(f.get(1).status()).isEqualTo(Status.OK); // sshd does listen there
  }

  @Test
  void aNearlyFullAcceptQueueWarns() {
    List<Finding> f = ListenCheck.judge(strictOn(8443), Listener.parse(SS));
    assertThat(f).extracting(Finding::status).containsExactly(Status.OK, Status.WARN);
    assertThat(f.get(1).found())
        .isEqualTo(
            "the accept queue of a server on [::]:8443 is nearly full: 5 connections wait for a"
                + " backlog of 4, so new ones are dropped");
  }

  @Test
  void anAcceptQueueBelowFourFifthsIsNotReported() {
    List<Listener> l = Listener.parse("LISTEN 409 511 0.0.0.0:443 0.0.0.0:*");
    assertThat(l.get(0).queueNearlyFull()).isTrue();
    assertThat(Listener.parse("LISTEN 408 511 0.0.0.0:443 0.0.0.0:*").get(0).queueNearlyFull())
        .isFalse();
  }
}
