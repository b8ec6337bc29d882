package io.github.cfallowlist.adapter.caddy;

import static io.github.cfallowlist.adapter.caddy.CaddyInOrigin.VISITOR;
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
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real Caddy (Debian's caddy 2.6.2) with its own Caddyfile in a network namespace, an edge
 * client with a Cloudflare address (173.245.48.5) and one outside Cloudflare (203.0.113.7), both
 * sending {@code CF-Connecting-IP: 198.51.100.7}; the site answers with the header as Caddy's
 * handlers see it.
 */
class CaddySystemTest {
  private final CaddyTarget target = new CaddyTarget();
  private final RangeSnapshot full = CaddyConfigTest.embedded(Families.BOTH);

  private static void requireCaddy() {
    SystemTests.requireTools("ip", "caddy", "curl", "ss", "env");
  }

  /** The embedded snapshot without 173.245.48.0/20, the range holding the edge's address. */
  private RangeSnapshot withoutEdgeRange() {
    return full.withRanges(
        RangeSet.of(
            full.ranges().all().stream()
                .filter(c -> !c.toString().equals("173.245.48.0/20"))
                .toList()));
  }

  private static TargetContext context(CaddyInOrigin caddy) {
    return new TargetContext(caddy.options(), caddy.runner());
  }

  @Test
  void applyMakesCaddySeeTheVisitorOnlyForCloudflareAndANoOpApplyDoesNotReload()
      throws IOException {
    requireCaddy();
    try (CaddyInOrigin caddy = CaddyInOrigin.start()) {
      TargetContext context = context(caddy);
      assertThat(caddy.visitorSeen(EDGE_OTHER_V4))
          .as("before apply the header is whatever the client sent")
          .isEqualTo(VISITOR);

      Plan plan = Sync.apply(target, full, context, Guards.defaults());

      assertThat(plan.isInstall()).isTrue();
      assertThat(caddy.runner().commands())
          .extracting(Command::argv)
          .containsExactly(
              caddy.testCommand(),
              CaddyDiagnosis.adaptCommand(caddy.testCommand()).orElseThrow(),
              caddy.reloadCommand());
      assertThat(caddy.reloads()).isEqualTo(1);
      assertThat(caddy.visitorSeen(EDGE_CF_V4))
          .as("the visitor, from CF-Connecting-IP")
          .isEqualTo(VISITOR);
      assertThat(caddy.visitorSeen(EDGE_OTHER_V4))
          .as("a header from outside Cloudflare is replaced by the client's own address")
          .isEqualTo(EDGE_OTHER_V4);
      byte[] written = Files.readAllBytes(caddy.snippet());
      caddy.runner().clear();

      Plan again = Sync.apply(target, full, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(caddy.runner().commands()).as("in sync: no validate, no reload").isEmpty();
      assertThat(caddy.reloads()).isEqualTo(1);
      assertThat(Files.readAllBytes(caddy.snippet())).isEqualTo(written);
    }
  }

  @Test
  void aSiteThatImportsTheSnippetBeforeItExistsStartsOnceAnApplyWroteItWhileCaddyWasStopped()
      throws Exception {
    requireCaddy();
    try (CaddyInOrigin caddy = CaddyInOrigin.start()) {
      TargetContext context = context(caddy);
      caddy.stop();
      // As the README says: the site imports the snippet by its name, before it exists.
      String literal =
          Files.readString(caddy.caddyfile())
              .replace("sites/*.caddy", "sites/" + CaddyInOrigin.SNIPPET);
      Files.writeString(caddy.caddyfile(), literal);
      Netns.Result cannotStart = caddy.startInBackground();
      assertThat(cannotStart.ok()).as("Caddy cannot start without the snippet").isFalse();
      caddy.runner().clear();
      Logged<TargetResult> logging =
          Logged.by(
              FileApplier.class, () -> Sync.sync(target, full, context, Guards.defaults(), false));
      TargetResult result = logging.value();
      List<String> warnings = logging.messages();

      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
      assertThat(caddy.runner().commands())
          .extracting(Command::argv)
          .as("validated, never reloaded")
          .contains(caddy.testCommand())
          .doesNotContain(caddy.reloadCommand());
      assertThat(warnings)
          .containsExactly(
              "caddy is not running (there is no "
                  + caddy.dir().resolve("admin.sock")
                  + ", its admin endpoint), so it was not reloaded; it reads the new"
                  + " configuration when it starts");
      try {
        Netns.Result started = caddy.startInBackground();
        assertThat(started.ok()).as(started.stderr()).isTrue();
        assertThat(caddy.visitorSeen(EDGE_CF_V4)).isEqualTo(VISITOR);
        assertThat(caddy.visitorSeen(EDGE_OTHER_V4)).isEqualTo(EDGE_OTHER_V4);
      } finally {
        caddy.stopInBackground();
      }
    }
  }

  @Test
  void aConfigurationCaddyRejectsLeavesTheOldFileAndCaddyUntouched() throws IOException {
    requireCaddy();
    try (CaddyInOrigin caddy = CaddyInOrigin.start()) {
      TargetContext context = context(caddy);
      Sync.apply(target, withoutEdgeRange(), context, Guards.defaults());
      assertThat(caddy.visitorSeen(EDGE_CF_V4)).isEqualTo(EDGE_CF_V4);
      byte[] old = Files.readAllBytes(caddy.snippet());
      // Someone else's broken snippet: caddy validate now fails whatever cf-allowlist writes.
      Path broken = caddy.dir().resolve("sites/zz-broken.caddy");
      Files.writeString(broken, "no_such_directive on\n");
      caddy.runner().clear();

      ApplyFailedException failed =
          catchThrowableOfType(
              ApplyFailedException.class,
              () -> Sync.apply(target, full, context, Guards.defaults()));

      assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
      assertThat(failed.getMessage())
          .contains("rejected the new configuration")
          .contains("no_such_directive")
          .contains("caddy was not reloaded");
      assertThat(caddy.runner().commands())
          .extracting(Command::argv)
          .containsExactly(caddy.testCommand());
      assertThat(Files.readAllBytes(caddy.snippet())).isEqualTo(old);
      assertThat(caddy.reloads()).isEqualTo(1);
      assertThat(caddy.alive()).isTrue();
      assertThat(caddy.visitorSeen(EDGE_CF_V4))
          .as("Caddy still runs the old ranges")
          .isEqualTo(EDGE_CF_V4);
      try (var entries = Files.list(caddy.dir().resolve("sites"))) {
        assertThat(entries.map(p -> p.getFileName().toString()))
            .as("no record or temporary file is left")
            .containsExactlyInAnyOrder(CaddyInOrigin.SNIPPET, "zz-broken.caddy");
      }

      Files.delete(broken);
      TargetResult repaired = Sync.sync(target, full, context, Guards.defaults(), false);
      assertThat(repaired.outcome()).as(repaired.message()).isEqualTo(Outcome.APPLIED);
      assertThat(caddy.visitorSeen(EDGE_CF_V4)).isEqualTo(VISITOR);
    }
  }

  @Test
  void uninstallRemovesOnlyItsOwnFileAndCaddyStopsTouchingTheHeader() throws IOException {
    requireCaddy();
    try (CaddyInOrigin caddy = CaddyInOrigin.start()) {
      TargetContext context = context(caddy);
      Sync.apply(target, full, context, Guards.defaults());
      assertThat(caddy.visitorSeen(EDGE_OTHER_V4)).isEqualTo(EDGE_OTHER_V4);
      Path other = caddy.dir().resolve("sites/other.caddy");
      Files.writeString(other, "# a file cf-allowlist did not write\n");

      TargetResult removed = Sync.remove(target, context, false);

      assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
      assertThat(caddy.snippet()).doesNotExist();
      assertThat(other).hasContent("# a file cf-allowlist did not write");
      assertThat(caddy.reloads()).isEqualTo(2);
      assertThat(caddy.visitorSeen(EDGE_OTHER_V4))
          .as("the snippet is gone: the header is whatever the client sent again")
          .isEqualTo(VISITOR);
    }
  }
}
