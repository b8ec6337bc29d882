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
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The dns check in a network namespace whose {@code /etc/hosts} is {@code /etc/netns/NAME/hosts}
 * ({@code ip netns exec} mounts it there), so the name resolves as the test says, through the real
 * {@code getent}; and {@code ip -j addr} of the namespace for {@code --origin-ip}.
 */
class DnsCheckSystemTest {
  private static final String NAME = "origin.example";

  private static List<Finding> check(Netns ns, Optional<String> hostname, Optional<String> ip)
      throws IOException {
    Origin origin = new Origin(List.of(), TlsMode.FULL, hostname, ip);
    return new DnsCheck().run(Contexts.context(NetnsCommandRunner.inside(ns.name()), origin));
  }

  @Test
  void aNameResolvingOutsideCloudflareFailsAndPassesOnceProxied() throws IOException {
    SystemTests.requireTools("ip", "getent");
    try (Netns ns = Netns.create("cfdns")) {
      Path dir = Path.of("/etc/netns", ns.name());
      Files.createDirectories(dir);
      try {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n192.0.2.10 " + NAME + "\n");
        assertThat(check(ns, Optional.of(NAME), Optional.empty()))
            .singleElement()
            .satisfies(
                f -> {
                  assertThat(f.status()).isEqualTo(Status.FAIL);
                  assertThat(f.found())
                      .isEqualTo(
                          NAME
                              + " resolves to 192.0.2.10, not Cloudflare: the record is not"
                              + " proxied (grey cloud) or points elsewhere");
                });

        Files.writeString(hosts, "127.0.0.1 localhost\n104.16.1.1 " + NAME + "\n");

        assertThat(check(ns, Optional.of(NAME), Optional.empty()))
            .singleElement()
            .satisfies(
                f -> {
                  assertThat(f.status()).isEqualTo(Status.OK);
                  assertThat(f.found()).contains("104.16.1.1");
                });
      } finally {
        Files.deleteIfExists(dir.resolve("hosts"));
        Files.deleteIfExists(dir);
      }
    }
  }

  @Test
  void anOriginAddressNotOnThisHostFailsAndPassesOnceConfigured() throws IOException {
    SystemTests.requireTools("ip");
    try (Netns ns = Netns.create("cfdns")) {
      assertThat(check(ns, Optional.empty(), Optional.of("192.0.2.10")))
          .extracting(Finding::status)
          .containsExactly(Status.OK, Status.FAIL);

      ns.execChecked("ip", "addr", "add", "192.0.2.10/32", "dev", "lo");

      assertThat(check(ns, Optional.empty(), Optional.of("192.0.2.10")))
          .extracting(Finding::status)
          .containsExactly(Status.OK, Status.OK);
    }
  }

  @Test
  void aNameThatDoesNotResolveFails() throws IOException {
    SystemTests.requireTools("ip", "getent");
    try (Netns ns = Netns.create("cfdns")) {
      assertThat(check(ns, Optional.of("missing.invalid"), Optional.empty()))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found()).contains("does not resolve");
              });
    }
  }
}
