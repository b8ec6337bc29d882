package io.github.cfallowlist.adapter.apache;

import static io.github.cfallowlist.adapter.apache.ApacheInOrigin.VISITOR;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.testing.Logged;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real Apache (Debian's apache2) with its own ServerRoot in a network namespace, an edge client
 * with a Cloudflare address (173.245.48.5) and one outside Cloudflare (203.0.113.7), both sending
 * {@code CF-Connecting-IP: 198.51.100.7}.
 */
class ApacheSystemTest {
  private final ApacheTarget target = new ApacheTarget();
  private final RangeSnapshot full = ApacheConfigTest.embedded(Families.BOTH);

  private static void requireApache() {
    SystemTests.requireTools("ip", "apache2", "curl", "ss");
  }

  /** The embedded snapshot without 173.245.48.0/20, the range holding the edge's address. */
  private RangeSnapshot withoutEdgeRange() {
    return full.withRanges(
        RangeSet.of(
            full.ranges().all().stream()
                .filter(c -> !c.toString().equals("173.245.48.0/20"))
                .toList()));
  }

  private static TargetContext context(ApacheInOrigin apache) {
    return new TargetContext(apache.options(), apache.runner());
  }

  @Test
  void applyMakesApacheLogTheVisitorOnlyForCloudflareAndANoOpApplyDoesNotReload()
      throws IOException {
    requireApache();
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      TargetContext context = context(apache);
      assertThat(apache.clientAddressLogged(EDGE_CF_V4))
          .as("before apply nothing is trusted")
          .isEqualTo(EDGE_CF_V4);

      Plan plan = Sync.apply(target, full, context, Guards.defaults());
      apache.awaitGeneration(2);

      assertThat(plan.isInstall()).isTrue();
      assertThat(apache.runner().commands())
          .extracting(Command::argv)
          .containsExactly(
              apache.testCommand(),
              ApacheDiagnosis.withDefine(apache.testCommand(), "DUMP_RUN_CFG").orElseThrow(),
              apache.reloadCommand());
      assertThat(apache.gracefulRestarts()).isEqualTo(1);
      assertThat(apache.clientAddressLogged(EDGE_CF_V4))
          .as("the visitor, from CF-Connecting-IP")
          .isEqualTo(VISITOR);
      assertThat(apache.clientAddressLogged(EDGE_OTHER_V4))
          .as("a header from outside Cloudflare is not trusted")
          .isEqualTo(EDGE_OTHER_V4);
      byte[] written = Files.readAllBytes(apache.snippet());
      apache.runner().clear();

      Plan again = Sync.apply(target, full, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(apache.runner().commands()).as("in sync: no test, no reload").isEmpty();
      assertThat(apache.gracefulRestarts()).isEqualTo(1);
      assertThat(Files.readAllBytes(apache.snippet())).isEqualTo(written);
    }
  }

  @Test
  void aChangeToAStoppedApacheIsTestedAndWrittenButDoesNotStartIt() throws Exception {
    requireApache();
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      TargetContext context = context(apache);
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      apache.awaitGeneration(2);
      apache.stop();
      assertThat(apache.pidFile()).doesNotExist();
      apache.runner().clear();
      Logged<TargetResult> logging =
          Logged.by(
              FileApplier.class, () -> Sync.sync(target, full, context, Guards.defaults(), false));
      TargetResult result = logging.value();
      List<String> warnings = logging.messages();

      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
      assertThat(Files.readString(apache.snippet()))
          .contains("RemoteIPTrustedProxy 173.245.48.0/20");
      assertThat(apache.runner().commands())
          .extracting(Command::argv)
          .as("tested, never reloaded")
          .contains(apache.testCommand())
          .doesNotContain(apache.reloadCommand());
      assertThat(apache.pidFile()).as("Apache was not started").doesNotExist();
      assertThat(apache.origin().execChecked("ss", "-Hltn").stdout())
          .doesNotContain(":" + ApacheInOrigin.PORT + " ");
      assertThat(warnings)
          .containsExactly(
              "apache is not running (there is no "
                  + apache.pidFile()
                  + "), so it was not reloaded; it reads the new configuration when it starts");
    }
  }

  @Test
  void aConfigurationApacheRejectsLeavesTheOldFileAndApacheUntouched() throws IOException {
    requireApache();
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      TargetContext context = context(apache);
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      apache.awaitGeneration(2);
      assertThat(apache.clientAddressLogged(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
      byte[] old = Files.readAllBytes(apache.snippet());
      // Someone else's broken file: apachectl -t now fails whatever cf-allowlist writes.
      Path broken = apache.dir().resolve("conf.d/zz-broken.conf");
      Files.writeString(broken, "NoSuchDirective on\n");
      apache.runner().clear();

      ApplyFailedException failed =
          catchThrowableOfType(
              ApplyFailedException.class,
              () -> Sync.apply(target, full, context, Guards.defaults()));

      assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(failed.getMessage())
          .contains("rejected the new configuration")
          .contains("NoSuchDirective")
          .contains("apache was not reloaded");
      assertThat(apache.runner().commands())
          .extracting(Command::argv)
          .containsExactly(apache.testCommand());
      assertThat(Files.readAllBytes(apache.snippet())).isEqualTo(old);
      assertThat(apache.gracefulRestarts()).isEqualTo(1);
      assertThat(apache.parentAlive()).isTrue();
      assertThat(apache.clientAddressLogged(EDGE_CF_V4))
          .as("Apache still runs the old ranges")
          .isEqualTo(EDGE_CF_V4);
      try (var entries = Files.list(apache.dir().resolve("conf.d"))) {
        assertThat(entries.map(p -> p.getFileName().toString()))
            .as("no record or temporary file is left")
            .containsExactlyInAnyOrder(ApacheInOrigin.SNIPPET, "zz-broken.conf");
      }

      Files.delete(broken);
      TargetResult repaired = Sync.sync(target, full, context, Guards.defaults(), false);
      apache.awaitGeneration(3);
      assertThat(repaired.outcome()).as(repaired.message()).isEqualTo(Outcome.APPLIED);
      assertThat(apache.clientAddressLogged(EDGE_CF_V4)).isEqualTo(VISITOR);
    }
  }

  @Test
  void uninstallRemovesOnlyItsOwnFileAndApacheStopsTrustingTheHeader() throws IOException {
    requireApache();
    try (ApacheInOrigin apache = ApacheInOrigin.start()) {
      TargetContext context = context(apache);
      Sync.apply(target, full, context, Guards.defaults());
      apache.awaitGeneration(2);
      Path other = apache.dir().resolve("conf.d/other.conf");
      Files.writeString(other, "# a file cf-allowlist did not write\n");

      TargetResult removed = Sync.remove(target, context, false);
      apache.awaitGeneration(3);

      assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
      assertThat(apache.snippet()).doesNotExist();
      assertThat(other).hasContent("# a file cf-allowlist did not write");
      assertThat(apache.clientAddressLogged(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
    }
  }
}
