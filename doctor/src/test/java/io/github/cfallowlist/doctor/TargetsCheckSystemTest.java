package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.Targets;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The targets check through {@link Doctor}, target detection included, on the real kernel's rules
 * in a namespace the test creates: with no target installed, as root and as another user.
 */
class TargetsCheckSystemTest {
  @TempDir Path state;

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft", "iptables", "iptables-save", "setpriv");
  }

  private List<Finding> doctor(CommandRunner runner, List<Target> targets) throws IOException {
    return Doctor.builder()
        .source(RangeSource.embedded())
        .stateDir(StateDir.at(state))
        .origin(Origin.of(TlsMode.FULL))
        .runner(runner)
        .targets(targets)
        .checks(List.of(new TargetsCheck()))
        .build()
        .run()
        .findings();
  }

  private static Status worst(List<Finding> findings) {
    return findings.stream().map(Finding::status).reduce(Status.OK, Status::worse);
  }

  @Test
  void aHostWithNoTargetAndNoRuleThatRefusesCloudflareIsNotAFailure() throws IOException {
    try (Netns ns = Netns.create("drtgt-")) {
      List<Finding> found = doctor(NetnsCommandRunner.inside(ns.name()), List.of());

      assertThat(worst(found)).isEqualTo(Status.OK);
      assertThat(found).extracting(Finding::check).containsExactly("targets", "nftables rules");
      assertThat(found.get(0).found()).contains("no cf-allowlist target is installed");
    }
  }

  @Test
  void aForeignDropIsNamedThoughNoTargetIsInstalled() throws IOException {
    try (Netns ns = Netns.create("drtgd-")) {
      ns.execChecked(
          "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0;"
              + " policy accept;\n\t\ttcp dport 443 drop\n\t}\n}\n",
          List.of("nft", "-f", "-"));

      List<Finding> found = doctor(NetnsCommandRunner.inside(ns.name()), List.of());

      assertThat(found)
          .filteredOn(f -> f.status() == Status.FAIL)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.check()).isEqualTo("nftables rules");
                assertThat(f.found())
                    .containsPattern(
                        "rule handle \\d+ in chain inet filter input refuses port 443");
                assertThat(f.remedy())
                    .containsPattern("'nft delete rule inet filter input handle \\d+'");
              });
      assertThat(found).noneMatch(f -> f.found().contains("no target holds Cloudflare's ranges"));
    }
  }

  @Test
  void withoutRootDoctorSaysItCouldNotReadInsteadOfFailing() throws IOException {
    try (Netns ns = Netns.create("drtgr-")) {
      ns.execChecked("nft", "add", "table", "inet", "cf_allowlist");
      CommandRunner nobody = asNobody(ns);

      List<Finding> detected = doctor(nobody, List.of());
      assertThat(detected).noneMatch(f -> f.status() == Status.FAIL);
      assertThat(detected)
          .filteredOn(f -> f.status() == Status.WARN)
          .isNotEmpty()
          .allSatisfy(f -> assertThat(f.remedy()).contains("run doctor as root"));

      List<Finding> given = doctor(nobody, List.of(Targets.byName("nftables")));
      assertThat(given).noneMatch(f -> f.status() == Status.FAIL);
      assertThat(given)
          .filteredOn(f -> f.check().equals("nftables sync"))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.WARN);
                assertThat(f.found()).contains("could not read nftables");
                assertThat(f.remedy()).contains("run doctor as root");
              });
    }
  }

  /** Runs every command inside {@code ns} as user and group 65534 (nobody), with no groups. */
  private static CommandRunner asNobody(Netns ns) {
    CommandRunner system = CommandRunner.system();
    return command -> {
      List<String> argv =
          new ArrayList<>(
              List.of(
                  "ip",
                  "netns",
                  "exec",
                  ns.name(),
                  "setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups"));
      argv.addAll(command.argv());
      return system.run(new Command(argv, command.stdin(), command.modifies(), command.timeout()));
    };
  }
}
