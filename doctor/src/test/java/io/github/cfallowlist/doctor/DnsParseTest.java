package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The dns check's readers, on outputs recorded from getent and iproute2. */
class DnsParseTest {
  @Test
  void getentAhostsGivesEachAddressOnce() {
    String recorded =
        "104.21.48.1     STREAM example.org\n"
            + "104.21.48.1     DGRAM  \n"
            + "104.21.48.1     RAW    \n"
            + "172.67.160.2    STREAM \n"
            + "2606:4700:3030::6815:3001 STREAM \n"
            + "\n";
    assertThat(DnsCheck.addresses(recorded))
        .containsExactly("104.21.48.1", "172.67.160.2", "2606:4700:3030::6815:3001");
  }

  @Test
  void getentOutputWithoutAddressesGivesNone() {
    assertThat(DnsCheck.addresses("")).isEmpty();
    assertThat(DnsCheck.addresses("garbage line\n")).isEmpty();
  }

  @Test
  void ipJsonAddrGivesEveryLocalAddress() throws IOException {
    String recorded =
        "[{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\"],\"addr_info\":"
            + "[{\"family\":\"inet\",\"local\":\"127.0.0.1\",\"prefixlen\":8,\"scope\":\"host\"},"
            + "{\"family\":\"inet6\",\"local\":\"::1\",\"prefixlen\":128}]},"
            + "{\"ifindex\":2,\"ifname\":\"eth0\",\"addr_info\":[{\"family\":\"inet\","
            + "\"local\":\"203.0.113.10\",\"prefixlen\":24,\"broadcast\":\"203.0.113.255\"}]},"
            + "{\"ifindex\":3,\"ifname\":\"eth1\",\"addr_info\":[]}]";
    assertThat(DnsCheck.localAddresses(recorded))
        .containsExactly("127.0.0.1", "::1", "203.0.113.10");
  }
}
